"""What made a run: the config keys and data files that decide its trained folds.

A :class:`Fingerprint` is stored in ``fingerprint.json`` when a run starts. A re-run in the same
run directory compares the fingerprint it would write with the stored one (:func:`compare`):

* keys and files that decide the trained folds (the model, the trainer, the cv splitter, the
  preprocessing, the train and targets files, the fold assignment...) must be equal, or the run
  is refused before it touches a file;
* the test side (``competition.test_file``, ``competition.sample_submission_file`` and the
  content of those files) may change: the finished folds keep their weights and their test
  predictions are recomputed from the checkpoints;
* cosmetic keys (verbosity, ``trainer.folds``, where the data folder is...) are left out.

Files are identified by their SHA-256; a file whose size and modification time equal the stored
ones is taken as unchanged without reading it again (large Kaggle files are not hashed on every
re-run).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from kagglekit.redact import mask_credentials

VERSION = 1

# keys that change nothing in the trained folds (prefixes: "trainer.folds" also covers its items)
COSMETIC_KEYS = (
    "restart",
    "trainer.verbose",
    "trainer.progress",
    "trainer.folds",
    "trainer.predict_batch_size",
    "trainer.backup",
    "trainer.backup_every_s",
    "trainer.baseline",  # the classical baseline is written apart, in baseline/
    "baseline",
    "competition.description",
    "competition.prepare",
    "competition.data_dir",  # the files themselves are hashed
    "competition.submission",
    "competition.submission_id_column",
    "competition.class_columns",
    "competition.kaggle_slug",  # where `kagglekit submit` sends, not what is trained
)
# keys added after fingerprints existed, with the default that reproduces the older runs: a
# stored fingerprint without the key matches the current one holding that default
ADDED_KEYS: dict[str, Any] = {"trainer.seeds": None}
# keys that change the test predictions only: recomputed from the fold checkpoints
TEST_KEYS = ("competition.test_file", "competition.sample_submission_file")
# data files: role -> does it decide training?
TRAINING_FILES = ("train", "targets")
TEST_FILES = ("test", "sample_submission")


def _matches(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """``{"model": {"units": [8]}}`` -> ``{"model.units": [8]}`` (lists stay values)."""
    if isinstance(node, Mapping):
        flat: dict[str, Any] = {}
        for key, value in node.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        if not node and prefix:
            flat[prefix[:-1]] = {}
        return flat
    if isinstance(node, str):
        node = mask_credentials(node)
    return {prefix[:-1]: node}


def config_values(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    """The resolved config as dotted keys, less ``hydra`` and the cosmetic keys."""
    if isinstance(cfg, DictConfig):
        container = OmegaConf.to_container(cfg, resolve=True)
    else:
        container = dict(cfg)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {k: v for k, v in sorted(flatten(container).items()) if not _matches(k, COSMETIC_KEYS)}


def file_record(path: Path, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Size, modification time and SHA-256 of ``path`` (``exists: false`` when it is absent).

    ``previous`` (the stored record) spares reading a file whose size and mtime did not change.
    """
    try:
        stat = path.stat()
    except OSError:
        return {"path": str(path), "exists": False}
    record: dict[str, Any] = {
        "path": str(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }
    if (
        previous is not None
        and previous.get("size") == stat.st_size
        and previous.get("mtime_ns") == stat.st_mtime_ns
        and previous.get("sha256")
    ):
        record["sha256"] = previous["sha256"]
        return record
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    record["sha256"] = digest.hexdigest()
    return record


def folds_digest(folds: np.ndarray) -> str:
    """SHA-256 of the fold assignment (one fold id per training row)."""
    return hashlib.sha256(np.ascontiguousarray(folds, dtype=np.int64).tobytes()).hexdigest()


@dataclass
class Fingerprint:
    """The config values and data files of a run (``fingerprint.json``)."""

    config: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    folds: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "config": self.config, "files": self.files, "folds": self.folds}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fingerprint:
        return cls(
            config=dict(data.get("config", {})),
            files={k: dict(v) for k, v in data.get("files", {}).items()},
            folds=data.get("folds"),
        )

    def test_key(self) -> str:
        """Identifies what the test predictions are made from (the test file's content)."""
        record = self.files.get("test", {})
        return str(record.get("sha256") or record.get("path", ""))


def make_fingerprint(
    cfg: DictConfig | Mapping[str, Any],
    files: Mapping[str, Path | None],
    previous: Fingerprint | None = None,
) -> Fingerprint:
    """Fingerprint ``cfg`` and the data ``files`` (role -> path; ``None``: the role has no file)."""
    records = {}
    for role, path in files.items():
        if path is None:
            continue
        old = previous.files.get(role) if previous is not None else None
        records[role] = file_record(Path(path), old)
    return Fingerprint(config=config_values(cfg), files=records)


def _short(value: Any, width: int = 40) -> str:
    text = repr(value) if value is not _ABSENT else "unset"
    return text if len(text) <= width else text[: width - 3] + "..."


_ABSENT = object()


@dataclass(frozen=True)
class Changes:
    """What differs between a stored fingerprint and the current one."""

    training: list[str]  # one entry per key/file, e.g. "model.hidden_units ([16] -> [64, 64])"
    test: list[str]

    @property
    def decides_training(self) -> bool:
        return bool(self.training)


def _file_changed(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    return (old.get("sha256"), old.get("exists", True)) != (
        new.get("sha256"),
        new.get("exists", True),
    )


def _describe_file(role: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str:
    path = (new or old or {}).get("path", role)
    if new is None or not new.get("exists", True):
        return f"{path} (gone)"
    if old is None:
        return f"{path} (new)"
    return f"{Path(path).name} (content changed: {path})"


def compare(stored: Fingerprint, current: Fingerprint) -> Changes:
    training: list[str] = []
    test: list[str] = []
    for key in sorted(set(stored.config) | set(current.config)):
        old, new = stored.config.get(key, _ABSENT), current.config.get(key, _ABSENT)
        if key in ADDED_KEYS:  # an older run holds the key's default, unwritten
            old = ADDED_KEYS[key] if old is _ABSENT else old
            new = ADDED_KEYS[key] if new is _ABSENT else new
        if old == new:
            continue
        entry = f"{key} ({_short(old)} -> {_short(new)})"
        (test if _matches(key, TEST_KEYS) else training).append(entry)
    for role in (*TRAINING_FILES, *TEST_FILES):
        old_file, new_file = stored.files.get(role), current.files.get(role)
        if _file_changed(old_file, new_file):
            entry = _describe_file(role, old_file, new_file)
            (training if role in TRAINING_FILES else test).append(entry)
    if stored.folds is not None and current.folds is not None and stored.folds != current.folds:
        training.append("folds.csv (another fold assignment)")
    return Changes(training=training, test=test)


def competition_files(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Path | None]:
    """The data files a train config reads, by role, from ``cfg.competition`` (no instantiation)."""
    from kagglekit.competition import CompetitionSpec

    defaults = {
        f: getattr(CompetitionSpec, f)
        for f in ("train_file", "test_file", "sample_submission_file", "targets_file")
    }
    node = cfg["competition"]

    def get(name: str) -> Any:
        value = node.get(name) if name in node else None
        return defaults.get(name) if value is None else value

    data_dir = Path(str(get("data_dir")))
    targets = get("targets_file")
    return {
        "train": data_dir / str(get("train_file")),
        "targets": None if targets is None else data_dir / str(targets),
        "test": data_dir / str(get("test_file")),
        "sample_submission": data_dir / str(get("sample_submission_file")),
    }


def files_present(files: Mapping[str, Path | None]) -> bool:
    return all(p is None or os.path.exists(p) for p in files.values())
