"""The credit example (mixed columns with missing values, probability submission scored by ROC
AUC) end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kagglekit.examples.credit.prepare import solution
from kagglekit.examples.holdout import held_out_score
from tests.e2e.helpers import check_run_directory, run_script, scores


def test_quick_run_writes_a_probability_submission_scored_by_auc(tmp_path: Path) -> None:
    data_dir = tmp_path / "credit"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=credit",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=3",
        "cv.n_splits=2",
    )
    train = pd.read_csv(data_dir / "train.csv")
    test = pd.read_csv(data_dir / "test.csv")
    assert "Default" not in test.columns and len(test) == len(solution())
    assert not set(train["Id"]) & set(test["Id"])
    assert train["Income"].isna().any()  # missing values reach the preprocessing
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="Id")
    s = scores(run_dir)
    assert s["metric"] == "roc_auc" and s["greater_is_better"]
    assert 0.65 <= s["cv"] <= 1.0  # three epochs already rank loans far better than chance
    submission = pd.read_csv(run_dir / "submission.csv")
    assert list(submission.columns) == ["Id", "Default"]
    probabilities = submission["Default"]
    assert probabilities.between(0, 1).all() and probabilities.nunique() > 100
    assert held_out_score("credit", run_dir / "submission.csv", "roc_auc") >= 0.65
