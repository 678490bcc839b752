"""The blend's inputs: finished run directories, or a sweep's best trials, checked to agree.

A run directory (``pipeline.train`` wrote it) holds ``config.yaml``, ``folds.csv``, ``oof.npy``,
``test_pred.npy`` (+ ``test_pred.csv`` with the test ids), ``scores.json`` and
``run_state.json``. A sweep directory (``kagglekit tune``) holds ``trials.csv`` and one run
directory per trial under ``trials/<number>``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kagglekit.ensemble.methods import BlendError
from kagglekit.files import load_array, read_json

log = logging.getLogger(__name__)

RUN_FILES = ("config.yaml", "folds.csv", "oof.npy", "test_pred.npy", "scores.json")


@dataclass(frozen=True)
class BlendInput:
    """One finished run: where it is, what it predicts, and what must agree between inputs."""

    name: str
    path: Path
    competition: str
    task: str
    metric: str
    greater_is_better: bool
    cv: float
    fold_scores: tuple[float, ...]
    folds_sha256: str
    train_ids: str  # a digest of the training ids (or their count when there are none)
    test_ids: str  # the same for the test rows
    oof: np.ndarray
    test_pred: np.ndarray

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "cv": self.cv,
            "folds": list(self.fold_scores),
            "folds_sha256": self.folds_sha256,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ids_digest(path: Path, column: str | None = None) -> str:
    """A digest of an id column (``column``, or the first), or the row count if it has none."""
    if not path.exists():
        return "unknown"
    frame = pd.read_csv(path, dtype=str)
    name = column if column is not None else str(frame.columns[0])
    if name not in frame.columns or name == "row":
        return f"{len(frame)} rows, no ids"
    text = "\n".join(frame[name].astype(str).tolist())
    return hashlib.sha256(text.encode()).hexdigest()


def load_run(path: Path, name: str | None = None) -> BlendInput:
    """Read a finished run directory; refuse one that is not finished or lacks a file."""
    path = Path(path)
    if not path.is_dir():
        raise BlendError(f"{path} is not a directory: give run directories or sweep directories.")
    missing = [f for f in RUN_FILES if not (path / f).is_file()]
    if missing:
        raise BlendError(
            f"{path} is not a finished kagglekit run directory: {', '.join(missing)} missing."
        )
    state_file = path / "run_state.json"
    state = read_json(state_file) if state_file.exists() else {}
    if state.get("status") != "complete":
        raise BlendError(
            f"{path} is not finished (run_state.json says {state.get('status', 'nothing')!r}): "
            "finish it (re-run the same command) or leave it out."
        )
    scores = read_json(path / "scores.json")
    return BlendInput(
        name=name or str(path),
        path=path.resolve(),
        competition=str(scores.get("competition", state.get("competition"))),
        task=str(scores.get("task")),
        metric=str(scores["metric"]),
        greater_is_better=bool(scores["greater_is_better"]),
        cv=float(scores["cv"]),
        fold_scores=tuple(float(s) for s in scores.get("folds", [])),
        folds_sha256=file_sha256(path / "folds.csv"),
        train_ids=_ids_digest(path / "folds.csv", "id"),
        test_ids=_ids_digest(path / "test_pred.csv"),
        oof=load_array(path / "oof.npy"),
        test_pred=load_array(path / "test_pred.npy"),
    )


def is_sweep(path: Path) -> bool:
    return (Path(path) / "trials").is_dir() and (Path(path) / "trials.csv").is_file()


def sweep_runs(sweep_dir: Path, top: int) -> list[BlendInput]:
    """The ``top`` complete trials of a sweep, best first in the metric's direction."""
    sweep_dir = Path(sweep_dir)
    table = pd.read_csv(sweep_dir / "trials.csv")
    done = table[(table["state"] == "COMPLETE") & table["value"].notna()]
    runs: list[BlendInput] = []
    seen: set[Path] = set()
    for row in done.itertuples():
        run_dir = sweep_dir / "trials" / str(row.number)
        if not run_dir.is_dir() and isinstance(row.run_dir, str):
            run_dir = Path(row.run_dir)  # a twin trial shares another trial's run directory
        if run_dir.resolve() in seen or not run_dir.is_dir():
            continue
        seen.add(run_dir.resolve())
        try:
            runs.append(load_run(run_dir, name=str(sweep_dir / "trials" / str(row.number))))
        except BlendError as exc:
            log.warning("Trial %s left out: %s", row.number, exc)
    if not runs:
        raise BlendError(f"Sweep {sweep_dir} has no complete trial with a finished run directory.")
    better_first = -1 if runs[0].greater_is_better else 1
    runs.sort(key=lambda r: better_first * r.cv)
    log.info("Sweep %s: %d complete trial(s), blending the top %d.", sweep_dir, len(runs), top)
    return runs[:top]


def collect_inputs(paths: Sequence[Path], top: int = 5) -> list[BlendInput]:
    """Run directories as they are, sweep directories as their ``top`` trials; no duplicates.

    Each input is named by its path as given (a sweep's trials: ``<sweep>/trials/<number>``).
    """
    if top < 1:
        raise BlendError(f"--top must be at least 1, but got {top}.")
    runs: list[BlendInput] = []
    for path in paths:
        found = sweep_runs(Path(path), top) if is_sweep(Path(path)) else [load_run(Path(path))]
        runs.extend(r for r in found if r.path not in {q.path for q in runs})
    if len(runs) < 2:
        raise BlendError(
            f"A blend needs at least 2 runs; {', '.join(map(str, paths))} gave {len(runs)}."
        )
    return runs


CHECKS: list[tuple[str, Callable[[BlendInput], Any], str]] = [
    ("competition", lambda r: r.competition, "Blend runs of one competition"),
    ("task", lambda r: r.task, "Blend runs of one task"),
    ("metric", lambda r: r.metric, "Blend runs scored with one metric"),
    (
        "training ids (folds.csv)",
        lambda r: r.train_ids,
        "The runs were trained on different data: blend runs of the same training file",
    ),
    (
        "test ids (test_pred.csv)",
        lambda r: r.test_ids,
        "The runs predicted different test files: blend runs of the same test file",
    ),
    (
        "fold assignment (folds.csv sha256)",
        lambda r: r.folds_sha256,
        "Their OOF predictions are not comparable row by row: train every run on the same "
        "folds (copy one run's folds.csv into the new run directory before training)",
    ),
    (
        "prediction shape (oof.npy, test_pred.npy)",
        lambda r: (r.oof.shape, r.test_pred.shape),
        "The runs predict different targets or classes",
    ),
    (
        "validated rows (finite rows of oof.npy)",
        lambda r: hashlib.sha256(np.isfinite(r.oof.reshape(len(r.oof), -1)).all(1)).hexdigest(),
        "The runs validated different folds (trainer.folds): finish every fold of each run",
    ),
]


def _short(value: Any) -> str:
    text = str(value)
    return f"{text[:12]}..." if len(text) == 64 else text


def check_compatible(runs: Sequence[BlendInput]) -> None:
    """Refuse, naming the runs, unless every input shares competition, task, metric, ids and
    folds (what makes their OOF predictions comparable row by row)."""
    for what, value_of, fix in CHECKS:
        groups: dict[Any, list[str]] = {}
        for run in runs:
            groups.setdefault(value_of(run), []).append(run.name)
        if len(groups) > 1:
            parts = "; ".join(
                f"{', '.join(names)} ({_short(value)})" for value, names in groups.items()
            )
            raise BlendError(f"Cannot blend: the inputs differ in {what}: {parts}. {fix}.")
