"""The gunpoint example (long layout: one row per time step, labels in their own file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kagglekit.examples.gunpoint.prepare import solution
from tests.e2e.helpers import check_run_directory, run_script, scores


def held_out_accuracy(run_dir: Path) -> float:
    merged = pd.read_csv(run_dir / "submission.csv").merge(
        solution(), on="series_id", suffixes=("", "_true")
    )
    assert len(merged) == len(solution())
    return float((merged["label"] == merged["label_true"]).mean())


def test_quick_run_works_per_series_and_predict_rebuilds_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "gunpoint"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=gunpoint",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=2",
    )
    train = pd.read_csv(data_dir / "train.csv")
    assert len(train) == 50 * 150 and list(train.columns) == ["series_id", "step", "x"]
    check_run_directory(
        run_dir, data_dir, n_folds=2, id_column="series_id", series_column="series_id"
    )
    folds = pd.read_csv(run_dir / "folds.csv")
    assert folds["id"].tolist() == pd.read_csv(data_dir / "train_labels.csv")["series_id"].tolist()
    first = pd.read_csv(run_dir / "submission.csv")
    assert set(first["label"]) <= {"gun", "point"}
    (run_dir / "submission.csv").unlink()
    run_script("predict.py", str(run_dir))
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "submission.csv"), first)


@pytest.mark.slow
def test_default_gunpoint_run_meets_the_bar(tmp_path: Path) -> None:
    data_dir = tmp_path / "gunpoint"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=gunpoint",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    check_run_directory(
        run_dir, data_dir, n_folds=5, id_column="series_id", series_column="series_id"
    )
    # measured (README "Quality"): CV 0.980, held-out 0.993 (MiniRocket 1.000 / 0.993)
    assert scores(run_dir)["cv"] >= 0.95
    assert held_out_accuracy(run_dir) >= 0.98
