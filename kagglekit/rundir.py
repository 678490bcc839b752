"""The run directory: every path and state file of a run, its lock and its fingerprint check.

``RunDir(path)`` names the files of a run (``config.yaml``, ``folds.csv``, ``fingerprint.json``,
``run_state.json``, ``fold_<k>/`` ...); ``FoldDir`` those of one fold. One process writes a run
directory at a time: :func:`hold` takes an exclusive ``fcntl.flock`` on ``run.lock`` (the OS
releases it when the process dies, so a killed run never leaves a stale lock) and a second
process stops at once with "run dir ... is in use by pid N".
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kagglekit.errors import KagglekitError
from kagglekit.files import os_reason, read_json, write_json
from kagglekit.fingerprint import Changes, Fingerprint, compare, config_values

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"
FINGERPRINT_FILE = "fingerprint.json"
STATE_FILE = "run_state.json"
FOLDS_FILE = "folds.csv"
LOCK_FILE = "run.lock"
WEIGHTS_FILE = "model.weights.h5"


class RunDirBusyError(KagglekitError, RuntimeError):
    """Another live process holds the run directory's lock."""


class RunDirUnwritableError(KagglekitError, OSError):
    """The run directory cannot be created or written (read-only mount, full disk, rights)."""


class RunChangedError(KagglekitError, ValueError):
    """A re-run whose config or training data differ from those that trained the run's folds."""


@dataclass(frozen=True)
class FoldDir:
    """The files of one fold (``fold_<k>/``), or of one seed of a fold (``fold_<k>/seed_<s>/``,
    ``trainer.seeds``): a seed's folder holds the same files as an unbagged fold's."""

    path: Path

    def seed(self, s: int) -> FoldDir:
        """The folder of seed ``s`` of this fold (seed bagging)."""
        return FoldDir(self.path / f"seed_{s}")

    @property
    def weights(self) -> Path:
        return self.path / WEIGHTS_FILE

    @property
    def state(self) -> Path:
        return self.path / "state.json"

    @property
    def history(self) -> Path:
        return self.path / "history.csv"

    @property
    def history_plot(self) -> Path:
        return self.path / "history.png"

    @property
    def preprocessing(self) -> Path:
        """The fitted preprocessing's state (``kagglekit.data.state``), with its arrays beside it."""
        return self.path / "preprocessing.json"

    @property
    def preprocessing_arrays(self) -> Path:
        return self.path / "preprocessing.npz"

    @property
    def oof(self) -> Path:
        return self.path / "oof.npy"

    @property
    def test_pred(self) -> Path:
        return self.path / "test_pred.npy"

    @property
    def backup(self) -> Path:
        return self.path / "backup"


@dataclass(frozen=True)
class RunDir:
    """The files of one run (Hydra's run directory, or a tuner trial's directory)."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    def fold(self, k: int) -> FoldDir:
        return FoldDir(self.path / f"fold_{k}")

    def unit(self, k: int, seed: int | None = None) -> FoldDir:
        """Where fold ``k`` trains: ``fold_<k>/``, or ``fold_<k>/seed_<seed>/`` when bagging."""
        return self.fold(k) if seed is None else self.fold(k).seed(seed)

    def fold_dirs(self) -> list[FoldDir]:
        return [FoldDir(p) for p in sorted(self.path.glob("fold_*")) if p.is_dir()]

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def config(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def fingerprint(self) -> Path:
        return self.path / FINGERPRINT_FILE

    @property
    def state(self) -> Path:
        return self.path / STATE_FILE

    @property
    def folds(self) -> Path:
        return self.path / FOLDS_FILE

    @property
    def lock_file(self) -> Path:
        return self.path / LOCK_FILE

    @property
    def hydra_dir(self) -> Path:
        return self.path / ".hydra"

    @property
    def inference(self) -> Path:
        """What ``predict`` needs besides the folds (``kagglekit.inference``)."""
        return self.path / "inference.json"

    @property
    def scores(self) -> Path:
        return self.path / "scores.json"

    @property
    def submission(self) -> Path:
        return self.path / "submission.csv"

    def has_run(self) -> bool:
        """Does the folder hold files of an earlier run (not just Hydra's log of this one)?"""
        if not self.path.is_dir():
            return False
        return any(
            p.exists() for p in (self.fingerprint, self.config, self.state, self.folds)
        ) or bool(self.fold_dirs())

    # -- state --------------------------------------------------------------------------------
    def read_state(self) -> dict[str, Any]:
        try:
            state = read_json(self.state)
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def mark(self, status: str, **info: Any) -> None:
        """Record how the run stands in ``run_state.json`` (never fails: it reports a failure)."""
        try:
            state = self.read_state()
            write_json(self.state, {**state, "status": status, **info})
        except (OSError, KagglekitError) as exc:
            log.warning("Could not record status %r in %s: %s", status, self.state, exc)

    def mark_failed(self, exc: BaseException) -> None:
        if isinstance(exc, KeyboardInterrupt):
            self.mark(
                "interrupted", reason="interrupted (Ctrl-C); re-run the same command to resume"
            )
            return
        text = str(exc) if isinstance(exc, KagglekitError) else f"{type(exc).__name__}: {exc}"
        self.mark("failed", reason=one_line(text))

    # -- fingerprint --------------------------------------------------------------------------
    def read_fingerprint(self) -> Fingerprint | None:
        if not self.fingerprint.exists():
            return None
        try:
            return Fingerprint.from_json(read_json(self.fingerprint))
        except (OSError, ValueError, AttributeError) as exc:
            raise RunChangedError(
                f"{self.fingerprint} is unreadable ({exc}): what trained this run cannot be "
                f"checked. {ways_on(self.path)}"
            ) from exc

    def write_fingerprint(self, fingerprint: Fingerprint) -> None:
        write_json(self.fingerprint, fingerprint.to_json())

    def stored_fingerprint(self) -> tuple[Fingerprint | None, bool]:
        """The stored fingerprint; for a run made before fingerprints existed, one rebuilt from
        its ``config.yaml`` (config keys only), with ``True`` saying so."""
        stored = self.read_fingerprint()
        if stored is not None:
            return stored, False
        if not self.config.exists() or not self.fold_dirs():
            return None, False
        from omegaconf import OmegaConf

        old = OmegaConf.load(self.config)
        return Fingerprint(config=config_values(old)), True  # type: ignore[arg-type]

    def move_aside(self) -> Path:
        """Rename the run directory to ``<name>.old-<timestamp>`` (never delete it) and start an
        empty one in its place; the lock moves to the new folder."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.old-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.old-{stamp}-{n}")
        key = _key(self.path)
        held = _HELD.pop(key, None)
        try:
            self.path.rename(aside)
        except OSError as exc:
            if held is not None:
                _HELD[key] = held
            raise RunDirUnwritableError(
                f"Cannot move {self.path} aside to {aside}: {os_reason(exc)}"
            ) from exc
        if held is not None:
            fd, count = held
            _acquire(self.path, count)
            os.close(fd)  # the old folder's lock, now in `aside`
        log.warning("restart=true: the previous run in %s was moved to %s.", self.path, aside)
        return aside


def one_line(text: str, limit: int = 600) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def ways_on(path: Path) -> str:
    return (
        f"Choose a new run directory (hydra.run.dir=<new path>), or add restart=true to move "
        f"{path} aside to {path.name}.old-<timestamp> and train afresh."
    )


def check_rerun(
    run: RunDir, current: Fingerprint, *, restart: bool = False
) -> tuple[Changes | None, bool]:
    """Compare ``current`` with what trained ``run``; refuse (before writing anything) a re-run
    that changes a key or file deciding the trained folds.

    ``restart`` moves an earlier run aside instead. Returns the changes (``None`` for a fresh
    run directory) and whether the stored fingerprint was only rebuilt from an old config.yaml.
    """
    if restart and run.has_run():
        run.move_aside()
        return None, False
    stored, legacy = run.stored_fingerprint()
    if stored is None:
        return None, False
    changes = compare(stored, current)
    if changes.decides_training:
        listed = ", ".join(changes.training)
        raise RunChangedError(
            f"Run dir {run.path} was trained with another setup; changed: {listed}. Its finished "
            f"folds cannot be reused. {ways_on(run.path)}"
        )
    return changes, legacy


# -- the lock -------------------------------------------------------------------------------------
# resolved path -> (open lock file descriptor, how many `hold`s of this process use it)
_HELD: dict[str, tuple[int, int]] = {}


def _key(path: Path) -> str:
    return str(Path(path).resolve())


def _holder(lock_file: Path) -> str:
    try:
        pid = lock_file.read_text().strip()
    except OSError:
        pid = ""
    return pid or "?"


def _unwritable(path: Path, exc: OSError) -> RunDirUnwritableError:
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    fix = (
        "Free some space or choose another hydra.run.dir=<path>."
        if exc.errno in (errno.ENOSPC, errno.EDQUOT)
        else "Choose a writable hydra.run.dir=<path>."
    )
    return RunDirUnwritableError(f"Cannot write to run dir {path}: {os_reason(exc)}{where}. {fix}")


def _acquire(path: Path, count: int = 1) -> None:
    lock_file = path / LOCK_FILE
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise RunDirBusyError(
                f"Run dir {path} is in use by pid {_holder(lock_file)} (lock: {lock_file}). "
                "Wait for that run to finish, or choose another hydra.run.dir=<path>."
            ) from exc
        raise _unwritable(path, exc) from exc
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError as exc:
        os.close(fd)
        raise _unwritable(path, exc) from exc
    _HELD[_key(path)] = (fd, count)


def acquire(path: Path) -> None:
    """Take the run directory's lock for the rest of this process (no-op if it holds it)."""
    key = _key(path)
    if key in _HELD:
        fd, count = _HELD[key]
        _HELD[key] = (fd, count + 1)
        return
    _acquire(Path(path))


def release(path: Path) -> None:
    key = _key(path)
    if key not in _HELD:
        return
    fd, count = _HELD[key]
    if count > 1:
        _HELD[key] = (fd, count - 1)
        return
    del _HELD[key]
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def holds(path: Path) -> bool:
    return _key(path) in _HELD


@contextlib.contextmanager
def hold(path: Path) -> Iterator[RunDir]:
    """Hold the run directory's lock for the block (re-entrant within one process).

    The directory is created if needed; :class:`RunDirBusyError` if another process holds it,
    :class:`RunDirUnwritableError` if it cannot be created or written.
    """
    path = Path(path)
    acquire(path)
    try:
        yield RunDir(path)
    finally:
        release(path)


def check_free(path: Path) -> None:
    """Raise :class:`RunDirBusyError` if another process holds ``path``'s lock (takes nothing)."""
    if not (Path(path) / LOCK_FILE).exists() or holds(path):
        return
    with hold(path):
        pass
