"""The `kagglekit init` command: where it writes, --force, its errors, and init -> train."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kagglekit.cli import COMMANDS
from kagglekit.init.command import init_main
from tests.conftest import ROOT


def test_init_writes_conf_competition_name_yaml_in_the_working_directory(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    example_files: Callable[[str], Path],
) -> None:
    data = example_files("titanic")
    monkeypatch.chdir(tmp_path)
    relative = os.path.relpath(data, tmp_path)
    COMMANDS["init"](["mine", "--data", relative])
    written = tmp_path / "conf" / "competition" / "mine.yaml"
    config = yaml.safe_load(written.read_text())
    assert config["competition"]["name"] == "mine"
    assert config["competition"]["data_dir"] == relative  # as given, relative to the cwd
    out = capsys.readouterr().out
    # each guess is printed with its reason
    assert "id_column: PassengerId  (the sample submission's first column" in out
    assert "task: binary  ('Survived' holds 2 values (0, 1))" in out
    assert "Wrote conf/competition/mine.yaml" in out


def test_an_existing_file_is_kept_without_force(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    example_files: Callable[[str], Path],
) -> None:
    data = str(example_files("titanic"))
    monkeypatch.chdir(tmp_path)
    written = tmp_path / "conf" / "competition" / "mine.yaml"
    written.parent.mkdir(parents=True)
    written.write_text("# my own edits\n")
    with pytest.raises(SystemExit) as exit_info:
        init_main(["mine", "--data", data])
    assert exit_info.value.code == 1
    assert "conf/competition/mine.yaml exists; pass --force" in capsys.readouterr().err
    assert written.read_text() == "# my own edits\n"

    init_main(["mine", "--data", data, "--force"])
    assert yaml.safe_load(written.read_text())["competition"]["target"] == "Survived"

    other = tmp_path / "elsewhere.yaml"
    init_main(["mine", "--data", data, "-o", str(other), "--metric", "roc_auc"])
    assert yaml.safe_load(other.read_text())["competition"]["metric"] == "roc_auc"


def test_a_folder_without_train_csv_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"id": [1, 2], "y": [0, 1]}).to_csv(data / "sample_submission.csv", index=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        init_main(["x", "--data", "data"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "Error: data/train.csv not found (CSV files there: ['sample_submission.csv']): "
        "`kagglekit init` needs Kaggle's train.csv, test.csv and sample_submission.csv in "
        "--data DIR."
    )
    assert not (tmp_path / "conf").exists()


# `kagglekit init` writes ./conf/competition/NAME.yaml; until ./conf is searched by default,
# Hydra's --config-dir adds it to the search path. Make this () once it is.
LOCAL_CONF: list[str] = ["--config-dir", "conf"]


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "kagglekit.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
@pytest.mark.parametrize("example", ["titanic", "digits", "italypower"])
def test_init_then_train_runs_from_the_written_config(
    example: str, tmp_path: Path, example_files: Callable[[str], Path]
) -> None:
    """tabular, pixels and wide series: the guessed config trains and submits as it stands."""
    data = os.path.relpath(example_files(example), tmp_path)
    name = f"my_{example}"
    init = _cli(["init", name, "--data", data], tmp_path)
    assert init.returncode == 0, init.stderr
    run_dir = tmp_path / "run"
    train = _cli(
        [
            "train",
            *LOCAL_CONF,
            f"competition={name}",
            "trainer.epochs=1",
            "cv.n_splits=2",
            f"hydra.run.dir={run_dir}",
        ],
        tmp_path,
    )
    assert train.returncode == 0, train.stderr[-3000:]
    scores = json.loads((run_dir / "scores.json").read_text())
    assert len(scores["folds"]) == 2
    submission = pd.read_csv(run_dir / "submission.csv")
    sample = pd.read_csv(Path(tmp_path, data, "sample_submission.csv"))
    assert list(submission.columns) == list(sample.columns)
    assert len(submission) == len(sample)
