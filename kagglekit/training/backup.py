"""Per-fold backups so that a killed fold resumes from its last backed-up epoch.

At the end of an epoch :class:`FoldBackup` may write ``backup/epoch-<n>.npz`` (one file, written
atomically: model + optimizer variables, random-seed states (and on PyTorch torch's global
generator: :mod:`kagglekit.training.backend_rng`), the state of the other callbacks and
the weights they hold, each array stored once) and then, atomically, ``backup/latest.json``
pointing at it. A kill at any moment leaves ``latest.json`` naming a
complete backup; the previous backup is kept as a fallback for a corrupted latest one. On restart
the fold restores weights, optimizer, seeds and callback state (early-stopping patience and best
value, the best checkpoint's score, ReduceLROnPlateau's counters, the history log) and goes on
from the next epoch, bit-identical to an uninterrupted fold. Callback states are keyed by the
callback's class and name (:mod:`kagglekit.training.callback_state`), so a callback added,
dropped or moved since the backup never receives another's state; backups of the previous
format (keyed by list position) are still read, each state going to the callback now at its
position when it is of the same kind; so are backup folders ``backup/epoch-<n>/`` (HDF5 weights,
``state.json``) of earlier versions.

When: ``every_s=0`` backs up after every epoch. Otherwise (``trainer.backup_every_s``) it backs
up the first epoch, the last one (the fold's last planned epoch, or the one after which a
callback stops training), and in between once at least ``every_s`` seconds of training have
passed since the last backup, and at least 49 times the last backup's own duration (so that
backups never take more than 2 % of the training time, whatever the model's size). A kill loses
at most the epochs since the last backup: about ``every_s`` seconds of training plus one epoch.
A best-model checkpoint of the fold path (:class:`AtomicModelCheckpoint` with ``defer``) keeps
its best weights in memory; each backup carries them, so a resumed fold writes the same file.

Backups skip ``fsync`` (a killed process loses nothing that ``os.replace`` published; only a
power cut could, and then the previous backup or the fold's checkpoint is still there).

Unlike ``keras.callbacks.BackupAndRestore`` this keeps callback state and random state, so a
resumed fold gives the same predictions as an uninterrupted one (on CPU, same seed).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import shutil
import sys
import threading
import time
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np

from kagglekit.errors import KagglekitError
from kagglekit.files import (
    atomic_path,
    check_free_space,
    json_text,
    read_json,
    write_json,
    write_text,
)
from kagglekit.training import backend_rng
from kagglekit.training.callback_state import (
    CallbackState,
    from_position,
    has_state,
    put_state,
    state_keys,
    take_state,
)
from kagglekit.training.callbacks import HEADROOM, host_copy, model_state

log = logging.getLogger(__name__)

LATEST = "latest.json"
# The backup format. 3: one file epoch-<n>.npz: arrays "v0".."v<n-1>" (every model and
# optimizer variable, dropout seeds included), the callbacks' weights (an array equal to one
# already stored is stored once), and "state" (JSON text: epoch, callback states keyed by
# callback, the array names of each callback's weights). Still read: 2, a folder epoch-<n>/
# (model.weights.h5, state.json, callback-<i>.npz) keyed by callback; and the format before it
# (no "format" in state.json), keyed by list position.
FORMAT = 3
STATE = "state"  # the array holding the state JSON in a backup file
WEIGHTS = "model.weights.h5"  # a backup folder's model and optimizer variables (format 2)
BEST_WEIGHTS = "best_weights.npz"  # the format before 2: early stopping's best weights
# what reading a broken backup raises (a truncated .npz: BadZipFile or EOFError)
UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


class BackupError(KagglekitError, RuntimeError):
    """No usable backup; the message names the files and what to do."""


# a backup may take at most 1/(1 + COST_RATIO) of the time between backups: 2 %
COST_RATIO = 49.0


class FoldBackup(keras.callbacks.Callback):
    """Back up one fold on a time budget (``every_s``; 0: after every epoch); restore it
    when ``fit`` resumes.

    :meth:`restore` reads the backup before ``fit``; put the backup last in the callback list:
    its ``on_train_begin`` puts everything back, after the callbacks before it have reset
    themselves there.

    ``fit`` returns once the last backup is on disk. With ``wait_at_end=False`` (the fold path)
    it returns at once and the last backup is written while the caller goes on (the fold's
    best checkpoint, its predictions); :meth:`discard` (or :meth:`wait`) joins it. A kill
    meanwhile loses nothing: ``latest.json`` names the previous complete backup until then.
    """

    def __init__(
        self,
        directory: Path,
        callbacks: list[keras.callbacks.Callback],
        *,
        keep: int = 2,
        every_s: float = 0.0,
        wait_at_end: bool = True,
    ) -> None:
        super().__init__()
        if every_s < 0:
            raise ValueError(f"trainer.backup_every_s must be at least 0, but got {every_s}.")
        self.directory = Path(directory)
        self.callbacks = callbacks
        self.keep = max(keep, 1)
        self.every_s = float(every_s)
        self.wait_at_end = wait_at_end
        self.seconds_saving = 0.0  # time the training thread spent on backups
        self.saved_epochs: list[int] = []  # the epochs (1-based) backed up in this fit
        self._pending: _Restored | None = None
        self._restored_epoch = 0
        self._since = 0.0
        self._last_cost = 0.0
        self._future: Future[None] | None = None
        self._named: list[str] | None = None  # what latest.json names, once this object wrote it

    # -- restore ------------------------------------------------------------------------------
    def restore(self, model: keras.Model) -> int:
        """Read the latest good backup for ``model``; return the epoch to start from (0: none).

        Reading checks the whole backup against the model first (a broken one falls back to the
        previous). Everything is put back in one place, :meth:`on_train_begin` (after the other
        callbacks reset themselves there); only the history log is prepared here, before the
        logger opens it: the rows of the epochs done are kept, any a kill left after them dropped.
        """
        pointer = self.directory / LATEST
        if not pointer.exists():
            return 0
        try:
            candidates = _candidates(read_json(pointer))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackupError(
                f"Cannot read {pointer} ({exc}). Delete {self.directory} to restart this fold from scratch."
            ) from exc
        errors = []
        for name in candidates:
            folder = self.directory / name
            try:
                restored = _read_backup(model, folder)
            except UNREADABLE as exc:
                errors.append(f"{folder}: {exc}")
                log.warning("Backup %s is unreadable (%s); trying the previous one.", folder, exc)
                continue
            self._pending = restored
            self._restored_epoch = restored.epochs_done
            for callback in self.callbacks:
                if isinstance(callback, keras.callbacks.CSVLogger):
                    _truncate_history(Path(callback.filename), self._restored_epoch)
                    callback.append = True
            log.info("Resuming from %s (epoch %d done).", folder, self._restored_epoch)
            return self._restored_epoch
        raise BackupError(
            "Every backup of this fold is unreadable:\n  "
            + "\n  ".join(errors)
            + f"\nDelete {self.directory} to restart this fold from scratch."
        )

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._since = time.perf_counter()
        self._last_cost = 0.0
        self.saved_epochs = []
        if self._pending is not None:
            self._apply(self._pending)
            self._pending = None

    def _apply(self, restored: _Restored) -> None:
        """Put a backup back: model and optimizer variables, each callback's state (by key),
        and whether a callback had stopped training."""
        for variable, value in zip(restored.targets, restored.variables, strict=True):
            variable.assign(value)
        callbacks = [c for c in self.callbacks if c is not self]
        states = (
            _by_position(restored, callbacks)
            if restored.legacy is not None
            else dict(restored.callbacks)
        )
        for key, callback in zip(state_keys(callbacks), callbacks, strict=True):
            state = states.pop(key, None)
            if state is not None:
                put_state(callback, state)
            elif has_state(callback):
                log.warning("The backup holds no state of callback %s: it starts afresh.", key)
        for key in states:
            log.warning("The backup holds the state of callback %s, which this fold lacks.", key)
        backend_rng.put(restored.rng)
        if restored.stopped:
            self.model.stop_training = True

    # -- save ---------------------------------------------------------------------------------
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            return  # never back up a diverged model
        if not self.due(epoch):
            return
        started = time.perf_counter()
        self.save(epoch + 1)
        now = time.perf_counter()
        self._last_cost = now - started
        self.seconds_saving += self._last_cost
        self.saved_epochs.append(epoch + 1)
        self._since = now

    def due(self, epoch: int) -> bool:
        """Whether the fold backs up after ``epoch`` (0-based): always with ``every_s=0``; else
        at its first and last epoch, and when the time budget since the last backup is spent."""
        if self.every_s == 0 or epoch == self._restored_epoch or self.model.stop_training:
            return True
        if epoch + 1 >= int((self.params or {}).get("epochs") or 0):
            return True
        elapsed = time.perf_counter() - self._since
        return elapsed >= max(self.every_s, COST_RATIO * self._last_cost)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self.wait_at_end:
            return  # the owner joins the last write later (wait() or discard())
        started = time.perf_counter()
        self.wait()
        self.seconds_saving += time.perf_counter() - started

    def save(self, epochs_done: int) -> None:
        """Back up the state after ``epochs_done`` epochs.

        Everything is copied to host memory here, before the next step changes it; the files
        are written by a worker thread while training goes on (at most one write at a time,
        ``latest.json`` last).
        """
        callbacks = [c for c in self.callbacks if c is not self]
        states = {}
        for key, callback in zip(state_keys(callbacks), callbacks, strict=True):
            state = take_state(callback)
            if state is not None:
                states[key] = state
        snapshot = _Snapshot(
            epochs_done=epochs_done,
            stopped=bool(self.model.stop_training),
            variables=host_copy(model_state(self.model)),
            callbacks=states,
            rng=backend_rng.take(),
        )
        self.wait()
        self._future = _writer().submit(self._write, snapshot)

    def wait(self) -> None:
        """Wait for the backup being written (and raise its error, if writing it failed)."""
        future, self._future = self._future, None
        if future is not None:
            future.result()

    def _write(self, snapshot: _Snapshot) -> None:
        """One file (atomically), then ``latest.json`` pointing at it; older backups beyond
        ``keep`` go."""
        name = f"epoch-{snapshot.epochs_done:04d}.npz"
        arrays = _Arrays()
        names = [arrays.store(f"v{i}", np.asarray(v)) for i, v in enumerate(snapshot.variables)]
        callbacks: dict[str, dict[str, Any]] = {}
        for index, (key, taken) in enumerate(snapshot.callbacks.items()):
            entry: dict[str, Any] = {"kind": taken.kind, "values": taken.values}
            if taken.weights is not None:
                entry["weights"] = arrays.add_all(f"c{index}_", taken.weights, names)
            callbacks[key] = entry
        for key, value in snapshot.rng.items():
            arrays.store(backend_rng.PREFIX + key, value)
        state = {
            "format": FORMAT,
            "epoch": snapshot.epochs_done,
            "stopped": snapshot.stopped,
            "variables": names,
            "callbacks": callbacks,
            "rng": sorted(snapshot.rng),
        }
        arrays.arrays[STATE] = np.array(json_text(state, indent=None))
        path = self.directory / name
        check_free_space(path, arrays.nbytes() + HEADROOM)
        _write_arrays(path, arrays.arrays)
        previous = [old for old in self._previous() if old != name][: self.keep - 1]
        write_json(
            self.directory / LATEST,
            {"epoch": snapshot.epochs_done, "file": name, "previous": previous},
            durable=False,
        )
        self._named = [name, *previous]
        keep = set(self._named)
        for old in self.directory.glob("epoch-*"):
            if old.name not in keep:
                _remove(old)

    def _previous(self) -> list[str]:
        """The backups ``latest.json`` names: read once (a resumed fold's), then known."""
        if self._named is not None:
            return self._named
        pointer = self.directory / LATEST
        if not pointer.exists():
            return []
        try:
            return _candidates(read_json(pointer))
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def discard(self) -> None:
        """The fold is complete: its backups are no longer needed."""
        self.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
        self._named = None


_WRITER: tuple[int, ThreadPoolExecutor] | None = None


def _writer() -> ThreadPoolExecutor:
    """The thread that writes backups: one per process, started once (not once per fit; a
    forked child gets its own, as threads do not survive a fork)."""
    global _WRITER
    if _WRITER is None or _WRITER[0] != os.getpid():
        _WRITER = (
            os.getpid(),
            ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="fold-backup", initializer=_background
            ),
        )
    return _WRITER[1]


# how much lower than training the writer thread runs (Linux "nice" steps)
WRITER_NICENESS = 10


def _background() -> None:
    """Lower the writer thread's CPU priority (Linux, this thread only): on a busy CPU its
    writes wait for the cores training leaves idle instead of taking them from training
    (the training thread still waits for it where it must: before the next backup, and the
    fold before it counts as complete)."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(now + WRITER_NICENESS, 19))
    except OSError:  # not allowed here (a sandbox): the writer runs as it is
        pass


@dataclass(frozen=True)
class _Snapshot:
    """One backup, in host memory: what the worker thread writes."""

    epochs_done: int
    stopped: bool
    variables: list[np.ndarray]
    callbacks: dict[str, CallbackState]  # by callback key
    rng: dict[str, np.ndarray]  # the backend's global random state (torch only)


@dataclass(frozen=True)
class _Legacy:
    """What a backup of the previous format (callback states keyed by list position) held."""

    states: dict[int, dict[str, Any]]
    best_weights: list[np.ndarray] | None  # early stopping's
    checkpoints: dict[int, tuple[str, list[np.ndarray]]]  # a deferred checkpoint's best weights


@dataclass(frozen=True)
class _Restored:
    """One backup, read and checked against the model: what :meth:`FoldBackup._apply` puts back."""

    epochs_done: int
    stopped: bool
    targets: list[Any]  # the model's variables, checked against the values
    variables: list[np.ndarray]
    callbacks: dict[str, CallbackState]
    legacy: _Legacy | None = None
    rng: dict[str, np.ndarray] = field(default_factory=dict)  # see backend_rng


def _candidates(latest: dict[str, Any]) -> list[str]:
    """The backups ``latest.json`` names, newest first (``dir``: a folder of format 2)."""
    newest = latest["file"] if "file" in latest else latest["dir"]
    return [str(newest), *(str(name) for name in latest.get("previous", []))]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class _Arrays:
    """The arrays of one backup file by name; a callback's array equal to one already added
    (same shape, dtype and values: the best weights of a checkpoint and of early stopping are
    often the model's own) is stored once. The model's variables are stored as they are (not
    compared with one another: equal ones are rare and small)."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._by_kind: dict[tuple[tuple[int, ...], str], list[str]] = {}

    def add(self, name: str, array: np.ndarray, likely: str | None = None) -> str:
        """Store ``array`` as ``name``, or return the name of an equal array stored before
        (``likely``, the array at the same position of the model's variables, is tried first:
        a best-weights copy of an improving epoch matches it, one comparison per array)."""
        kind = (array.shape, array.dtype.str)
        same_kind = self._by_kind.setdefault(kind, [])
        if likely in same_kind and _equal(self.arrays[likely], array):
            return likely
        for other in same_kind:
            if other != likely and _equal(self.arrays[other], array):
                return other
        self.arrays[name] = array
        same_kind.append(name)
        return name

    def store(self, name: str, array: np.ndarray) -> str:
        """Store ``array`` as ``name`` without looking for an equal one."""
        self.arrays[name] = array
        self._by_kind.setdefault((array.shape, array.dtype.str), []).append(name)
        return name

    def add_all(
        self, prefix: str, arrays: list[np.ndarray], likely: list[str] | None = None
    ) -> list[str]:
        hints = likely if likely is not None and len(likely) == len(arrays) else None
        return [
            self.add(f"{prefix}{i}", np.asarray(a), hints[i] if hints is not None else None)
            for i, a in enumerate(arrays)
        ]

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same values (``a`` and ``b`` are of one shape and dtype); the same array at once."""
    return a is b or bool(np.array_equal(a, b))


def _read_backup(model: keras.Model, path: Path) -> _Restored:
    """Read one backup completely and check that it fits ``model`` (changes nothing): a file
    (format 3), or a folder of an earlier version."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    variables = model_state(model)
    if path.is_dir():
        return _read_folder(variables, path)
    with np.load(path, allow_pickle=False) as stored:
        state = json.loads(str(stored[STATE][()]))
        _check_format(state)
        values = [stored[name] for name in state["variables"]]
        _check_fits(variables, values)
        callbacks = {
            key: CallbackState(
                entry["kind"],
                entry["values"],
                [stored[name] for name in entry["weights"]] if "weights" in entry else None,
            )
            for key, entry in state["callbacks"].items()
        }
        rng = {key: stored[backend_rng.PREFIX + key] for key in state.get("rng", [])}
    return _Restored(
        int(state["epoch"]), bool(state.get("stopped")), variables, values, callbacks, rng=rng
    )


def _check_format(state: dict[str, Any]) -> None:
    if state["format"] > FORMAT:
        raise ValueError(
            f"backup format {state['format']} is newer than this kagglekit's ({FORMAT})"
        )


def _check_fits(variables: list[Any], values: list[np.ndarray]) -> None:
    if len(values) != len(variables):
        raise ValueError(f"{len(values)} variables saved, the model has {len(variables)}.")
    for variable, value in zip(variables, values, strict=True):
        if tuple(variable.shape) != value.shape:
            raise ValueError(
                f"{variable.path} has shape {tuple(variable.shape)}, saved {value.shape}."
            )


def _read_folder(variables: list[Any], folder: Path) -> _Restored:
    """A backup folder ``epoch-<n>/`` of an earlier version (format 2, or the one before)."""
    state = read_json(folder / "state.json")
    values = _read_arrays(folder / WEIGHTS)
    _check_fits(variables, values)
    epochs_done, stopped = int(state["epoch"]), bool(state.get("stopped"))
    if state.get("format") is None:  # the format before 2
        return _Restored(epochs_done, stopped, variables, values, {}, _read_legacy(state, folder))
    _check_format(state)
    callbacks = {
        key: CallbackState(
            entry["kind"],
            entry["values"],
            _read_arrays(folder / entry["weights"]) if "weights" in entry else None,
        )
        for key, entry in state["callbacks"].items()
    }
    return _Restored(epochs_done, stopped, variables, values, callbacks)


def _read_legacy(state: dict[str, Any], folder: Path) -> _Legacy:
    best = _read_arrays(folder / BEST_WEIGHTS) if (folder / BEST_WEIGHTS).exists() else None
    return _Legacy(
        states={int(index): values for index, values in state.get("callbacks", {}).items()},
        best_weights=best,
        checkpoints={
            int(index): (entry["filepath"], _read_arrays(folder / entry["file"]))
            for index, entry in state.get("checkpoints", {}).items()
        },
    )


def _by_position(
    restored: _Restored, callbacks: list[keras.callbacks.Callback]
) -> dict[str, CallbackState]:
    """The states of a backup of the previous format, keyed by the callback now at the position
    each was saved from; a state whose values do not fit that callback's kind is dropped."""
    assert restored.legacy is not None
    legacy = restored.legacy
    keys = state_keys(callbacks)
    states: dict[str, CallbackState] = {}
    for index, values in legacy.states.items():
        if index >= len(callbacks):
            log.warning("The backup holds the state of a callback at position %d: dropped.", index)
            continue
        callback = callbacks[index]
        weights = (
            legacy.best_weights if isinstance(callback, keras.callbacks.EarlyStopping) else None
        )
        values = dict(values)
        if index in legacy.checkpoints:
            values["pending"], weights = legacy.checkpoints[index]
        state = from_position(callback, values, weights)
        if state is None:
            log.warning(
                "The backup's state at position %d does not fit callback %s: dropped.",
                index,
                keys[index],
            )
            continue
        states[keys[index]] = state
    return states


def _write_arrays(path: Path, arrays: list[np.ndarray] | dict[str, np.ndarray]) -> None:
    """Arrays atomically, by name, or by position (``v0``, ``v1``...): HDF5 for ``.h5``, else
    ``.npz`` (uncompressed)."""
    named = arrays if isinstance(arrays, dict) else {f"v{i}": a for i, a in enumerate(arrays)}
    with atomic_path(path, durable=False) as tmp:
        if path.suffix == ".h5":
            with h5py.File(tmp, "w") as f:
                f.attrs["count"] = len(named)
                for name, array in named.items():
                    f.create_dataset(name, data=array)
        else:
            with open(tmp, "wb") as fh:
                np.savez(fh, **named)  # type: ignore[arg-type]


def _read_arrays(path: Path) -> list[np.ndarray]:
    if path.suffix == ".h5":
        with h5py.File(path, "r") as f:
            return [np.asarray(f[f"v{i}"][()]) for i in range(int(f.attrs["count"]))]
    with np.load(path, allow_pickle=False) as arrays:
        return [arrays[f"v{i}"] for i in range(len(arrays.files))]


def _truncate_history(path: Path, epochs_done: int) -> None:
    """Keep the history rows of the epochs already done (a kill may have left later ones)."""
    if not path.exists():
        return
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    kept = [
        r
        for r in body
        if r and r[0].isdigit() and int(r[0]) < epochs_done and len(r) == len(header)
    ]
    lines = [",".join(header)] + [",".join(r) for r in kept]
    write_text(path, "\n".join(lines) + "\n")
