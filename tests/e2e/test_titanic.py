"""The titanic example (mixed numeric/categorical columns, missing values) end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kagglekit.examples.titanic.prepare import solution
from tests.e2e.helpers import check_run_directory, run_script, scores


def test_quick_run_writes_a_valid_submission(tmp_path: Path) -> None:
    data_dir = tmp_path / "titanic"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=titanic",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="PassengerId")
    submission = pd.read_csv(run_dir / "submission.csv")
    assert set(submission["Survived"].unique()) <= {0, 1}
    assert pd.api.types.is_integer_dtype(submission["Survived"])


@pytest.mark.slow
def test_default_titanic_run_meets_the_bar(tmp_path: Path) -> None:
    data_dir = tmp_path / "titanic"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=titanic",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="PassengerId")
    assert scores(run_dir)["cv"] >= 0.78
    merged = pd.read_csv(run_dir / "submission.csv").merge(
        solution(), on="PassengerId", suffixes=("", "_true")
    )
    assert len(merged) == len(solution())
    assert (merged["Survived"] == merged["Survived_true"]).mean() >= 0.75
