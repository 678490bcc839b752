"""The italypower example (numeric series, wide layout, RNN) through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kagglekit.examples.italypower.prepare import solution
from tests.e2e.helpers import check_run_directory, run_script, scores


def held_out_accuracy(run_dir: Path) -> float:
    merged = pd.read_csv(run_dir / "submission.csv").merge(
        solution(), on="series_id", suffixes=("", "_true")
    )
    assert len(merged) == len(solution())
    return float((merged["label"] == merged["label_true"]).mean())


def test_quick_run_writes_a_valid_submission(tmp_path: Path) -> None:
    data_dir = tmp_path / "italypower"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=italypower",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=2",
    )
    assert "label" not in pd.read_csv(data_dir / "test.csv").columns
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="series_id")
    assert set(pd.read_csv(run_dir / "submission.csv")["label"]) <= {1, 2}
    statistics = json.loads((run_dir / "fold_0" / "preprocessing.json").read_text())
    assert statistics["channels"] == [""] and statistics["max_length"] == 24


@pytest.mark.slow
def test_default_italypower_run_meets_the_bar(tmp_path: Path) -> None:
    data_dir = tmp_path / "italypower"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=italypower",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="series_id")
    assert scores(run_dir)["cv"] >= 0.9
    assert held_out_accuracy(run_dir) >= 0.95
