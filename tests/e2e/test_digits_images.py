"""The digits_images example: PNG files read lazily, shift augmentation, TTA, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kagglekit.examples.digits_images.prepare import solution
from tests.e2e.helpers import check_run_directory, run_script, scores


def test_quick_run_reads_the_image_files_and_predict_rebuilds_the_submission(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "digits_images"
    run_dir = tmp_path / "run"
    args = [
        "competition=digits_images",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=2",
    ]
    run_script("train.py", *args)
    train, test = pd.read_csv(data_dir / "train.csv"), pd.read_csv(data_dir / "test.csv")
    assert list(test.columns) == ["id"] and len(test) == len(solution())  # no labels
    assert all((data_dir / "train" / f"{i}.png").is_file() for i in train["id"])
    assert all((data_dir / "test" / f"{i}.png").is_file() for i in test["id"])
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="id")
    state = json.loads((run_dir / "fold_0" / "preprocessing.json").read_text())
    assert state["tta"] == ["identity", "shift_left", "shift_right", "shift_up", "shift_down"]
    first = pd.read_csv(run_dir / "submission.csv")
    assert first["label"].between(0, 9).all()
    (run_dir / "submission.csv").unlink()
    run_script("predict.py", str(run_dir))  # refits the fold's loader, loads weights, TTA again
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "submission.csv"), first)


@pytest.mark.slow
def test_default_digits_images_run_meets_the_bar_with_tta(tmp_path: Path) -> None:
    data_dir = tmp_path / "digits_images"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=digits_images",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.backup=false",  # per-epoch resume backups do not change the result; CI time
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="id")
    config = (run_dir / "config.yaml").read_text()
    assert "tta: shifts" in config  # the bar is met with test-time augmentation on
    assert scores(run_dir)["cv"] >= 0.95
    merged = pd.read_csv(run_dir / "submission.csv").merge(
        solution(), on="id", suffixes=("", "_true")
    )
    assert (merged["label"] == merged["label_true"]).mean() >= 0.95
