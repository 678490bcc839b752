"""A fold's fitted preprocessing on disk, so that ``predict`` needs no training data.

Every preprocessor gives its fitted statistics as ``state()`` (plain JSON) and, where they are
large numeric arrays, ``state_arrays()`` (name -> numpy array); ``load_state(state, arrays)``
puts them into an unfitted instance built from the same config, which then transforms exactly as
the fitted one did. :func:`save_preprocessing` writes them per fold, each file atomically:

* ``fold_<k>/preprocessing.npz``: the arrays (``np.savez``, read back with
  ``allow_pickle=False``), written first;
* ``fold_<k>/preprocessing.json``: the state, plus a ``kagglekit_state`` entry (format, class,
  SHA-256 of the state and of the ``.npz``), written last, so it vouches for both files.

:func:`load_preprocessing` checks both digests before restoring: an edited or half-copied fold
is refused with the file named. No pickle anywhere.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from kagglekit.errors import KagglekitError
from kagglekit.files import atomic_path, read_json, write_json

FORMAT = 1
META_KEY = "kagglekit_state"
STATE_FILE = "preprocessing.json"
ARRAYS_FILE = "preprocessing.npz"

Arrays = dict[str, np.ndarray]


class PreprocessingStateError(KagglekitError, ValueError):
    """A fold's stored preprocessing is missing, edited or does not fit the run's config."""


def state_arrays(preprocessor: Any) -> Arrays:
    """The preprocessor's fitted arrays (``{}`` for one that keeps everything in its JSON state)."""
    method = getattr(preprocessor, "state_arrays", None)
    return dict(method()) if method is not None else {}


def class_name(preprocessor: Any) -> str:
    kind = type(preprocessor)
    return f"{kind.__module__}.{kind.__qualname__}"


def state_digest(state: Mapping[str, Any]) -> str:
    """SHA-256 of the state as canonical JSON (key order and spacing do not count)."""
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def restorable(preprocessor: Any) -> bool:
    """Can the preprocessor (every part of a ``MixedInputs``) load a stored state?"""
    parts = getattr(preprocessor, "parts", None)
    if isinstance(parts, Mapping):
        return all(restorable(part) for part in parts.values())
    return callable(getattr(preprocessor, "load_state", None))


def save_preprocessing(folder: Path, preprocessor: Any) -> Path:
    """Write ``preprocessor``'s fitted state into ``folder`` (the fold's directory); returns the
    JSON file. Called once per fold, right after the preprocessing is fitted.

    A preprocessor of the user's own without ``load_state`` gets its ``state()`` written for the
    record only (as before this module existed): ``predict`` then refits it.
    """
    folder = Path(folder)
    state = dict(preprocessor.state())
    if not restorable(preprocessor):
        return write_json(folder / STATE_FILE, state)
    if META_KEY in state:
        raise ValueError(f"A preprocessor's state must not use the key {META_KEY!r}.")
    arrays = state_arrays(preprocessor)
    for name, array in arrays.items():
        if np.asarray(array).dtype == object:
            raise TypeError(f"State array {name!r} holds Python objects: it would need pickle.")
    npz = folder / ARRAYS_FILE
    with atomic_path(npz) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, allow_pickle=False, **{n: np.asarray(a) for n, a in arrays.items()})
    meta = {
        "format": FORMAT,
        "class": class_name(preprocessor),
        "state_sha256": state_digest(state),
        "arrays": {
            name: {"shape": list(np.shape(a)), "dtype": str(np.asarray(a).dtype)}
            for name, a in arrays.items()
        },
        "arrays_file": ARRAYS_FILE,
        "arrays_sha256": file_digest(npz),
    }
    return write_json(folder / STATE_FILE, {**state, META_KEY: meta})


def has_preprocessing(folder: Path) -> bool:
    """Does ``folder`` hold a stored preprocessing (written by :func:`save_preprocessing`)?

    ``preprocessing.json`` of runs made before it existed holds the statistics only (no
    ``kagglekit_state`` entry, no ``.npz``): those folds cannot be restored.
    """
    path = Path(folder) / STATE_FILE
    if not path.is_file() or not (Path(folder) / ARRAYS_FILE).is_file():
        return False
    try:
        stored = read_json(path)
    except (OSError, ValueError):
        return True  # present but unreadable: load_preprocessing says so
    return isinstance(stored, dict) and META_KEY in stored


def read_preprocessing(folder: Path) -> tuple[dict[str, Any], Arrays, dict[str, Any]]:
    """The checked ``(state, arrays, meta)`` stored in ``folder``."""
    folder = Path(folder)
    path, npz = folder / STATE_FILE, folder / ARRAYS_FILE
    redo = f"Restore the run's files as they were written, or delete {folder} to train it again."
    try:
        stored = read_json(path)
    except (OSError, ValueError) as exc:
        raise PreprocessingStateError(f"{path} is unreadable ({exc}). {redo}") from exc
    if not isinstance(stored, dict) or not isinstance(stored.get(META_KEY), dict):
        raise PreprocessingStateError(
            f"{path} holds no restorable preprocessing (made by an older kagglekit). {redo}"
        )
    meta = stored.pop(META_KEY)
    if meta.get("format") != FORMAT:
        raise PreprocessingStateError(
            f"{path} has preprocessing format {meta.get('format')!r}; this kagglekit reads "
            f"format {FORMAT}. Predict with the kagglekit version that trained the run."
        )
    if state_digest(stored) != meta.get("state_sha256"):
        raise PreprocessingStateError(f"{path} was edited after training (digest differs). {redo}")
    if not npz.is_file():
        raise PreprocessingStateError(f"{npz} not found. {redo}")
    if file_digest(npz) != meta.get("arrays_sha256"):
        raise PreprocessingStateError(
            f"{npz} is not the file written with {path.name} (digest differs). {redo}"
        )
    try:
        with np.load(npz, allow_pickle=False) as loaded:
            arrays = {name: np.asarray(loaded[name]) for name in loaded.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise PreprocessingStateError(f"{npz} is unreadable ({exc}). {redo}") from exc
    if sorted(arrays) != sorted(meta.get("arrays", {})):
        raise PreprocessingStateError(
            f"{npz} holds arrays {sorted(arrays)}, {path.name} lists {sorted(meta['arrays'])}. "
            f"{redo}"
        )
    return stored, arrays, meta


def load_preprocessing(folder: Path, make_preprocessor: Callable[[], Any]) -> Any:
    """The fold's fitted preprocessor: a fresh one from ``make_preprocessor`` (the run's
    ``competition.features``) with the state stored in ``folder`` loaded into it."""
    state, arrays, meta = read_preprocessing(folder)
    preprocessor = make_preprocessor()
    if meta.get("class") != class_name(preprocessor):
        raise PreprocessingStateError(
            f"{Path(folder) / STATE_FILE} stores a {meta.get('class')}, but the run's config "
            f"builds a {class_name(preprocessor)} (competition.features changed?). Restore the "
            "run's config.yaml."
        )
    try:
        return preprocessor.load_state(state, arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise PreprocessingStateError(
            f"{Path(folder) / STATE_FILE} does not fit {class_name(preprocessor)}: {exc}"
        ) from exc


def sub_arrays(arrays: Mapping[str, np.ndarray], prefix: str) -> Arrays:
    """The arrays stored under ``<prefix>/`` (a part of :class:`~kagglekit.data.mixed.MixedInputs`)."""
    start = f"{prefix}/"
    return {name[len(start) :]: value for name, value in arrays.items() if name.startswith(start)}
