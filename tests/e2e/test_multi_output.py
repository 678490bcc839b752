"""Two targets, one head each (heads: per_target), own loss and weight, through the entry point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.e2e.helpers import check_run_directory, run_script


def write_two_target_competition(data_dir: Path, n: int = 240, n_test: int = 40) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n + n_test, 3))
    town = rng.choice(["a", "b", "c"], size=n + n_test)
    frame = pd.DataFrame({"Id": range(1, n + n_test + 1), "x0": x[:, 0], "x1": x[:, 1]})
    frame["x2"], frame["town"] = x[:, 2], town
    frame["rent"] = 3 * x[:, 0] + (town == "a") * 2 + rng.normal(scale=0.1, size=n + n_test)
    frame["size"] = x[:, 1] - x[:, 2]
    data_dir.mkdir(parents=True)
    frame.iloc[:n].to_csv(data_dir / "train.csv", index=False)
    frame.iloc[n:].drop(columns=["rent", "size"]).to_csv(data_dir / "test.csv", index=False)
    pd.DataFrame({"Id": frame["Id"].iloc[n:], "rent": 0.0, "size": 0.0}).to_csv(
        data_dir / "sample_submission.csv", index=False
    )


def test_one_head_per_target_with_its_own_loss_and_weight(tmp_path: Path) -> None:
    data_dir = tmp_path / "two_targets"
    run_dir = tmp_path / "run"
    write_two_target_competition(data_dir)
    run_script(
        "train.py",
        "competition=ames",  # mixed numeric + categorical features, entity embeddings
        f"competition.data_dir={data_dir}",
        "competition.prepare=null",
        "competition.name=two_targets",
        "competition.target=[rent,size]",
        "+competition.heads=per_target",  # a key the ames config does not set
        "competition.target_transform=none",
        "competition.metric=rmse",
        "model=multi_output",
        "trainer.loss={rent: huber}",
        "trainer.loss_weights={rent: 1.0, size: 0.5}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=3",
        "trainer.verbose=0",
        "cv.n_splits=2",
    )
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="Id")
    history = pd.read_csv(run_dir / "fold_0" / "history.csv")
    assert {"rent_loss", "size_loss", "val_rent_loss", "val_size_loss"} <= set(history.columns)
    summary = (run_dir / "model_summary.txt").read_text()
    assert "rent_tower" in summary and "size_tower" in summary
    oof = pd.read_csv(run_dir / "oof.csv")
    assert list(oof.columns) == ["Id", "fold", "pred_rent", "pred_size"]
    submission = pd.read_csv(run_dir / "submission.csv")
    assert list(submission.columns) == ["Id", "rent", "size"] and len(submission) == 40
