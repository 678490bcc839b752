"""Issue 12's first bar: in a folder outside the checkout, ``kagglekit init`` on a Kaggle-layout
folder, then ``kagglekit train competition=<name>``, writes a valid submission (in CI: with
kagglekit installed from its wheel)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from kagglekit.submission import validate_submission
from tests.cli.user_folder import run_kagglekit, write_competition


def test_init_then_train_writes_a_valid_submission(tmp_path: Path) -> None:
    work = tmp_path / "my-comp"
    data = write_competition(work, "mine", conf=tmp_path / "unused", rows=120)
    # what the user has after `kaggle competitions download` + unzip: the files, no YAML
    assert not (work / "conf").exists()

    init = run_kagglekit(work, "init", "mine", "--data", "data/mine")
    assert init.returncode == 0, init.stderr[-3000:]
    written = work / "conf" / "competition" / "mine.yaml"
    declared = yaml.safe_load(written.read_text())["competition"]
    assert declared["id_column"] == "id" and declared["target"] == "label"
    assert declared["task"] == "binary" and declared["submission"] == "label"
    assert declared["data_dir"] == "data/mine"

    train = run_kagglekit(
        work,
        "train",
        "competition=mine",
        "trainer.epochs=1",
        "cv.n_splits=2",
        "hydra.run.dir=outputs/mine/run1",
    )
    assert train.returncode == 0, train.stderr[-3000:]
    submission_path = work / "outputs" / "mine" / "run1" / "submission.csv"
    submission = pd.read_csv(submission_path)
    sample = pd.read_csv(data / "sample_submission.csv")
    validate_submission(submission, sample, kind="label", id_column="id", labels=[0, 1])
    assert set(submission["label"]) <= {0, 1}
