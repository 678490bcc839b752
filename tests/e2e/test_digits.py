"""The digits example through the real entry point (scripts/train.py, scripts/predict.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kagglekit.examples.digits.prepare import solution
from tests.e2e.helpers import check_run_directory, run_script, scores


def test_quick_run_writes_every_file_and_predict_rebuilds_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data" / "digits"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=digits",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=3",
    )
    # the data was prepared on first use, without the held-out labels
    assert "label" not in pd.read_csv(data_dir / "test.csv").columns
    assert len(pd.read_csv(data_dir / "test.csv")) == len(solution())
    check_run_directory(run_dir, data_dir, n_folds=3, id_column="ImageId")
    first = pd.read_csv(run_dir / "submission.csv")
    # predict.py rebuilds the same submission from the fold checkpoints alone
    (run_dir / "submission.csv").unlink()
    run_script("predict.py", str(run_dir))
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "submission.csv"), first)
    # a rerun over the same directory reuses the finished folds and folds.csv
    folds_before = (run_dir / "folds.csv").read_bytes()
    state_before = (run_dir / "fold_0" / "state.json").read_bytes()
    proc = run_script(
        "train.py",
        "competition=digits",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=3",
    )
    assert "already complete" in proc.stdout + proc.stderr
    assert (run_dir / "folds.csv").read_bytes() == folds_before
    assert (run_dir / "fold_0" / "state.json").read_bytes() == state_before
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "submission.csv"), first)


def test_pixel_csv_of_28x28_images(tmp_path: Path) -> None:
    """A user's real Digit Recognizer files are 28x28: the same config trains on them."""
    import numpy as np

    rng = np.random.default_rng(0)
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    n_train, n_test = 120, 30
    labels = rng.integers(0, 10, size=n_train)
    pixels = rng.integers(0, 256, size=(n_train + n_test, 784))
    columns = [f"pixel{i}" for i in range(784)]
    train = pd.concat(
        [pd.Series(labels, name="label"), pd.DataFrame(pixels[:n_train], columns=columns)], axis=1
    )
    train.to_csv(data_dir / "train.csv", index=False)
    pd.DataFrame(pixels[n_train:], columns=columns).to_csv(data_dir / "test.csv", index=False)
    pd.DataFrame({"ImageId": range(1, n_test + 1), "Label": 0}).to_csv(
        data_dir / "sample_submission.csv", index=False
    )
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=digits",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=1",
        "trainer.verbose=0",
        "cv=kfold",
        "cv.n_splits=2",
    )
    submission = pd.read_csv(run_dir / "submission.csv")
    assert submission["ImageId"].tolist() == list(range(1, n_test + 1))
    assert submission["Label"].between(0, 9).all()


@pytest.mark.slow
def test_default_digits_run_meets_the_bars(tmp_path: Path) -> None:
    data_dir = tmp_path / "data" / "digits"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=digits",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="ImageId")
    assert scores(run_dir)["cv"] >= 0.97
    submission = pd.read_csv(run_dir / "submission.csv")
    truth = solution()
    held_out_accuracy = (submission["Label"].to_numpy() == truth["Label"].to_numpy()).mean()
    assert held_out_accuracy >= 0.96
    shutil.rmtree(data_dir)


@pytest.mark.slow
def test_mixed_bfloat16_run_meets_the_bar_and_its_checkpoints_load_in_float32(
    tmp_path: Path,
) -> None:
    import dataclasses

    import numpy as np

    from kagglekit import cv as cvlib
    from kagglekit.data import load_competition
    from kagglekit.pipeline import build_parts, load_run_config, make_task
    from kagglekit.training.crossval import WEIGHTS_FILE, fold_dir, predict_from_weights

    data_dir = tmp_path / "data" / "digits"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=digits",
        "trainer.precision=mixed_bfloat16",
        "trainer.verbose=0",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    assert scores(run_dir)["cv"] >= 0.97
    # fold 0's checkpoint, trained in mixed_bfloat16, predicts from a float32-built model
    parts = build_parts(load_run_config(run_dir))
    parts = dataclasses.replace(
        parts, settings=dataclasses.replace(parts.settings, precision="float32")
    )
    data = load_competition(parts.spec)
    task = make_task(parts.spec, data)
    folds = cvlib.load_folds(run_dir / "folds.csv", data.n_train, data.train_ids)
    train_rows, valid_rows = cvlib.fold_indices(folds, 0)
    (full,) = predict_from_weights(
        parts,
        task,
        fold_dir(run_dir, 0) / WEIGHTS_FILE,
        data.train,
        train_rows,
        [data.train.iloc[valid_rows]],
    )
    mixed = np.load(fold_dir(run_dir, 0) / "oof.npy")
    np.testing.assert_allclose(full, mixed, atol=0.05)
    assert (full.argmax(axis=1) == mixed.argmax(axis=1)).mean() >= 0.99
