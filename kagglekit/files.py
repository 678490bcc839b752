"""Atomic file writes: a kill mid-write never leaves a partial file at the final path.

Every result file of a run goes through :func:`atomic_path`: the content is written to a
temporary file in the same folder, flushed to disk, then moved over the final name with
``os.replace`` (atomic on POSIX and Windows within one filesystem).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kagglekit.errors import KagglekitError


class SaveError(KagglekitError, OSError):
    """Writing a result file failed; the message names the path."""


_LIBRARY_REASON = re.compile(r"error message = '([^']+)'")


def os_reason(exc: BaseException) -> str:
    """The reason of a failed write in a few words: ``No space left on device``.

    h5py reports a full disk as a multi-line text holding ``error message = '...'``; that
    part is kept, and any other text is put on one line.
    """
    text = str(getattr(exc, "strerror", None) or exc)
    found = _LIBRARY_REASON.search(text)
    if found:
        return found.group(1)
    return " ".join(text.split()) or type(exc).__name__


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path``.

    The temporary name keeps the final suffix (``model.tmp-x1y2.weights.h5``) so that writers
    which check extensions (Keras) accept it. On any error the temporary file is removed and the
    previous file at ``path``, if any, is left untouched.
    """
    final = Path(path)
    if final.is_dir():
        raise SaveError(
            f"Cannot write {final}: the path is a directory. Remove it or choose another path."
        )
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        suffix = "".join(final.suffixes)
        stem = final.name[: len(final.name) - len(suffix)] if suffix else final.name
        fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.tmp-", suffix=suffix, dir=final.parent)
        os.close(fd)
    except OSError as exc:
        raise SaveError(f"Cannot write {final}: {os_reason(exc)}") from exc
    tmp = Path(tmp_name)
    # Some writers (h5py) refuse to open an existing file in some modes; start from nothing.
    tmp.unlink()
    try:
        yield tmp
        if not tmp.exists():
            raise SaveError(f"Writing {final} produced no file.")
        if durable:  # survive a power cut too; a killed process needs only os.replace
            _fsync_file(tmp)
        os.replace(tmp, final)
    except SaveError:
        raise
    except OSError as exc:
        raise SaveError(f"Cannot write {final}: {os_reason(exc)}") from exc
    except RuntimeError as exc:
        if not _LIBRARY_REASON.search(str(exc)):
            raise
        # h5py reports some failed writes (a full disk while it closes the file) this way
        raise SaveError(f"Cannot write {final}: {os_reason(exc)}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def check_free_space(path: str | os.PathLike[str], needed: int) -> None:
    """Refuse a write of about ``needed`` bytes that the disk cannot hold, naming the path.

    Checked before HDF5 writes: h5py does not fail cleanly on a disk that fills up mid-write
    (tracebacks while it cleans up, even a crash).
    """
    final = Path(path)
    try:
        free = shutil.disk_usage(final.parent).free
    except OSError:
        return
    if free < needed:
        raise SaveError(
            f"Cannot write {final}: No space left on device (about {needed / 1e6:.1f} MB needed, "
            f"{free / 1e6:.1f} MB free)"
        )


def write_text(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> Path:
    with atomic_path(path, durable=durable) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def json_text(obj: Any, *, indent: int | None = 2) -> str:
    """``obj`` as JSON text (numpy scalars and arrays, paths as plain values)."""
    return json.dumps(obj, indent=indent, sort_keys=False, default=_json_default)


def write_json(path: str | os.PathLike[str], obj: Any, *, durable: bool = True) -> Path:
    return write_text(path, json_text(obj) + "\n", durable=durable)


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def save_array(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Save a numeric array as ``.npy`` (never pickled)."""
    if array.dtype == object:
        raise TypeError(f"Refusing to save an object array to {path}: it would need pickle.")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
    return Path(path)


def save_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> Path:
    """Save named numeric arrays as ``.npz`` (never pickled; read with ``allow_pickle=False``)."""
    for name, array in arrays.items():
        if np.asarray(array).dtype == object:
            raise TypeError(f"Refusing to save the object array {name} to {path}: it needs pickle.")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, allow_pickle=False, **{n: np.asarray(a) for n, a in arrays.items()})
    return Path(path)


def load_array(path: str | os.PathLike[str]) -> np.ndarray:
    return np.asarray(np.load(path, allow_pickle=False))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files that a killed writer left behind (``.<name>.tmp-*``)."""
    removed = 0
    for path in Path(folder).rglob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed
