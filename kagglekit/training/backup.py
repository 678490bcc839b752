"""Per-fold backups so that a killed fold resumes from its last completed epoch.

After every epoch :class:`FoldBackup` writes ``backup/epoch-<n>/`` (model + optimizer weights,
random-seed states, the state of the other callbacks) and then, atomically, ``backup/latest.json``
pointing at it. A kill at any moment leaves ``latest.json`` naming a complete backup; the
previous backup is kept as a fallback for a corrupted latest one. On restart the fold restores
weights, optimizer, seeds and callback state (early-stopping patience and best value, the best
checkpoint's score, ReduceLROnPlateau's counters, the history log) and goes on from the next epoch.

Backups skip ``fsync`` (a killed process loses nothing that ``os.replace`` published; only a
power cut could, and then the previous backup or the fold's checkpoint is still there).

Unlike ``keras.callbacks.BackupAndRestore`` this keeps callback state and random state, so a
resumed fold gives the same predictions as an uninterrupted one (on CPU, same seed).
"""

from __future__ import annotations

import csv
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kagglekit.errors import KagglekitError
from kagglekit.files import atomic_path, read_json, write_json, write_text
from kagglekit.training.callbacks import save_weights

log = logging.getLogger(__name__)

LATEST = "latest.json"


class BackupError(KagglekitError, RuntimeError):
    """No usable backup; the message names the files and what to do."""


def seed_states(model: keras.Model) -> list[Any]:
    """The random-generator state variables (dropout etc.), which ``save_weights`` omits."""
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def _callback_state(callback: keras.callbacks.Callback) -> dict[str, Any] | None:
    if hasattr(callback, "get_state") and hasattr(callback, "set_state"):
        return {"custom": callback.get_state()}
    if isinstance(callback, keras.callbacks.EarlyStopping):
        return {
            "wait": callback.wait,
            "stopped_epoch": callback.stopped_epoch,
            "best": _num(callback.best),
            "best_epoch": callback.best_epoch,
        }
    if isinstance(callback, keras.callbacks.ModelCheckpoint):
        return {"best": _num(callback.best)}
    if isinstance(callback, keras.callbacks.ReduceLROnPlateau):
        return {
            "wait": callback.wait,
            "cooldown_counter": callback.cooldown_counter,
            "best": _num(callback.best),
        }
    return None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


class FoldBackup(keras.callbacks.Callback):
    """Back up one fold after every epoch; restore it before ``fit`` resumes.

    Put it last in the callback list: its ``on_train_begin`` re-applies the restored state of
    the callbacks before it, after they have reset themselves.
    """

    def __init__(
        self, directory: Path, callbacks: list[keras.callbacks.Callback], *, keep: int = 2
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.callbacks = callbacks
        self.keep = max(keep, 1)
        self._pending: dict[str, Any] | None = None
        self._restored_epoch = 0

    # -- restore ------------------------------------------------------------------------------
    def restore(self, model: keras.Model) -> int:
        """Load the latest good backup into ``model``; return the epoch to start from (0: none)."""
        pointer = self.directory / LATEST
        if not pointer.exists():
            return 0
        try:
            latest = read_json(pointer)
            candidates = [latest["dir"], *latest.get("previous", [])]
        except (OSError, ValueError, KeyError) as exc:
            raise BackupError(
                f"Cannot read {pointer} ({exc}). Delete {self.directory} to restart this fold from scratch."
            ) from exc
        errors = []
        for name in candidates:
            folder = self.directory / name
            try:
                state = self._load(model, folder)
            except (OSError, ValueError, KeyError) as exc:
                errors.append(f"{folder}: {exc}")
                log.warning("Backup %s is unreadable (%s); trying the previous one.", folder, exc)
                continue
            self._pending = state
            self._restored_epoch = int(state["epoch"])
            for callback in self.callbacks:
                if isinstance(callback, keras.callbacks.CSVLogger):
                    # keep the rows of the epochs done, drop any a kill left after them
                    _truncate_history(Path(callback.filename), self._restored_epoch)
                    callback.append = True
            log.info("Resuming from %s (epoch %d done).", folder, self._restored_epoch)
            return self._restored_epoch
        raise BackupError(
            "Every backup of this fold is unreadable:\n  "
            + "\n  ".join(errors)
            + f"\nDelete {self.directory} to restart this fold from scratch."
        )

    def _load(self, model: keras.Model, folder: Path) -> dict[str, Any]:
        state = read_json(folder / "state.json")
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(str(folder / "model.weights.h5"))
        with np.load(folder / "seeds.npz", allow_pickle=False) as seeds:
            variables = seed_states(model)
            if len(variables) != len(seeds.files):
                raise ValueError(
                    f"{len(seeds.files)} seed states saved, the model has {len(variables)}."
                )
            for i, variable in enumerate(variables):
                variable.assign(seeds[f"s{i}"])
        best_file = folder / "best_weights.npz"
        if best_file.exists():
            with np.load(best_file, allow_pickle=False) as best:
                state["best_weights"] = [best[f"w{i}"] for i in range(len(best.files))]
        return state

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._pending is None:
            return
        states = self._pending.get("callbacks", {})
        for index, callback in enumerate(self.callbacks):
            state = states.get(str(index))
            if state is None:
                continue
            if "custom" in state:
                callback.set_state(state["custom"])
                continue
            for key, value in state.items():
                setattr(callback, key, value)
            if (
                isinstance(callback, keras.callbacks.EarlyStopping)
                and "best_weights" in self._pending
            ):
                callback.best_weights = self._pending["best_weights"]
        if self._pending.get("stopped"):
            self.model.stop_training = True
        self._pending = None

    # -- save ---------------------------------------------------------------------------------
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            return  # never back up a diverged model
        self.save(epoch + 1)

    def save(self, epochs_done: int) -> None:
        name = f"epoch-{epochs_done:04d}"
        folder = self.directory / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        save_weights(self.model, folder / "model.weights.h5", durable=False)
        with atomic_path(folder / "seeds.npz", durable=False) as tmp, open(tmp, "wb") as fh:
            _savez(fh, {f"s{i}": np.asarray(v) for i, v in enumerate(seed_states(self.model))})
        states: dict[str, Any] = {}
        for index, callback in enumerate(self.callbacks):
            state = _callback_state(callback)
            if state is not None:
                states[str(index)] = state
            if (
                isinstance(callback, keras.callbacks.EarlyStopping)
                and callback.best_weights is not None
            ):
                with (
                    atomic_path(folder / "best_weights.npz", durable=False) as tmp,
                    open(tmp, "wb") as fh,
                ):
                    _savez(fh, {f"w{i}": w for i, w in enumerate(callback.best_weights)})
        write_json(
            folder / "state.json",
            {"epoch": epochs_done, "stopped": bool(self.model.stop_training), "callbacks": states},
            durable=False,
        )
        previous = self._previous()
        write_json(
            self.directory / LATEST,
            {"epoch": epochs_done, "dir": name, "previous": previous[: self.keep - 1]},
            durable=False,
        )
        keep = {name, *previous[: self.keep - 1]}
        for old in self.directory.glob("epoch-*"):
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def _previous(self) -> list[str]:
        pointer = self.directory / LATEST
        if not pointer.exists():
            return []
        try:
            latest = read_json(pointer)
            return [latest["dir"], *latest.get("previous", [])]
        except (OSError, ValueError, KeyError):
            return []

    def discard(self) -> None:
        """The fold is complete: its backups are no longer needed."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _savez(fh: Any, arrays: dict[str, np.ndarray]) -> None:
    np.savez(fh, **arrays)  # type: ignore[arg-type]


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
