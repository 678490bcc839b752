"""Run the real entry point in a subprocess and inspect its run directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def run_script(
    script: str, *args: str, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/<script>``; ``env`` entries replace those of this process."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{script} {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def scores(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "scores.json").read_text())


def check_run_directory(
    run_dir: Path,
    data_dir: Path,
    n_folds: int,
    id_column: str,
    *,
    series_column: str | None = None,
    graph: bool = True,
) -> None:
    """Every file the run promises, readable and consistent with the data (``model.png`` too
    when Graphviz is installed, unless ``graph=False``: a run that could not see it).

    ``series_column``: the files are in the long layout; a sample is a value of this column.
    """
    for name in [
        "config.yaml",
        "folds.csv",
        "oof.npy",
        "oof.csv",
        "test_pred.npy",
        "test_pred.csv",
        "scores.json",
        "submission.csv",
        "run_state.json",
        "model_summary.txt",
    ]:
        assert (run_dir / name).is_file(), f"{name} missing from {run_dir}"
    if graph and shutil.which("dot") is not None:  # .ci/run installs Graphviz
        assert (run_dir / "model.png").read_bytes().startswith(b"\x89PNG"), "model.png missing"
    for k in range(n_folds):
        for name in [
            "model.weights.h5",
            "history.csv",
            "state.json",
            "oof.npy",
            "test_pred.npy",
            "preprocessing.json",
            "history.png",
        ]:
            assert (run_dir / f"fold_{k}" / name).is_file(), f"fold_{k}/{name} missing"
        history = pd.read_csv(run_dir / f"fold_{k}" / "history.csv")
        assert {"epoch", "loss", "val_loss"} <= set(history.columns)
    train = pd.read_csv(data_dir / "train.csv")
    test = pd.read_csv(data_dir / "test.csv")
    if series_column is not None:
        train = train.drop_duplicates(series_column)
        test = test.drop_duplicates(series_column)
    sample = pd.read_csv(data_dir / "sample_submission.csv")
    folds = pd.read_csv(run_dir / "folds.csv")
    assert len(folds) == len(train) and sorted(folds["fold"].unique()) == list(range(n_folds))
    oof = np.load(run_dir / "oof.npy", allow_pickle=False)
    test_pred = np.load(run_dir / "test_pred.npy", allow_pickle=False)
    assert len(oof) == len(train) and np.isfinite(oof).all()
    assert len(test_pred) == len(test) and np.isfinite(test_pred).all()
    submission = pd.read_csv(run_dir / "submission.csv")
    assert list(submission.columns) == list(sample.columns)
    assert submission[id_column].tolist() == sample[id_column].tolist()
    s = scores(run_dir)
    assert len(s["folds"]) == n_folds and s["n_folds"] == n_folds
    assert json.loads((run_dir / "run_state.json").read_text())["status"] == "complete"
