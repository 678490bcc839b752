"""The ames example (mixed columns -> entity-embedding multi-input model) end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.examples.ames.prepare import solution
from tests.e2e.helpers import check_run_directory, run_script, scores


def test_quick_run_without_graphviz_goes_on_and_says_how_to_install_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "ames"
    run_dir = tmp_path / "run"
    proc = run_script(
        "train.py",
        "competition=ames",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=2",
        env={"PATH": str(Path(sys.executable).parent)},  # Python, but no Graphviz `dot`
    )
    assert "Sale_Price" not in pd.read_csv(data_dir / "test.csv").columns
    assert len(pd.read_csv(data_dir / "test.csv")) == len(solution())
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="Id", graph=False)
    assert not (run_dir / "model.png").exists()
    assert "apt-get install graphviz" in proc.stdout + proc.stderr
    summary = (run_dir / "model_summary.txt").read_text()
    assert "cat_Neighborhood_embedding" in summary and "numeric" in summary
    submission = pd.read_csv(run_dir / "submission.csv")
    assert (submission["Sale_Price"] > 0).all()


@pytest.mark.slow
def test_default_ames_run_meets_the_bar(tmp_path: Path) -> None:
    data_dir = tmp_path / "ames"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=ames",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.backup=false",  # per-epoch resume backups do not change the result; CI time
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="Id")
    assert scores(run_dir)["metric"] == "rmsle"
    assert scores(run_dir)["cv"] <= 0.16  # RMSE of log prices, Kaggle House Prices' metric
    merged = pd.read_csv(run_dir / "submission.csv").merge(
        solution(), on="Id", suffixes=("", "_true")
    )
    assert len(merged) == len(solution())
    held_out = np.sqrt(
        np.mean((np.log1p(merged["Sale_Price"]) - np.log1p(merged["Sale_Price_true"])) ** 2)
    )
    assert held_out <= 0.18
