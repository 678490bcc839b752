"""``kagglekit train`` from a folder outside the checkout, with the user's own configs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from tests.cli.user_folder import run_kagglekit, write_competition


def test_train_from_a_user_folder_with_its_own_configs(tmp_path: Path) -> None:
    """./conf holds the competition; KAGGLEKIT_CONFIG_DIR holds a model/mlp.yaml that replaces
    the shipped one and builds the model with the user's code (tiny_model.py); data/ and
    outputs/ are the working directory's."""
    work = tmp_path / "my-competition"
    data = write_competition(work, "tiny")
    # the user's own model code in the working directory, named by _target_
    (work / "tiny_model.py").write_text(
        "from kagglekit.models.mlp import build_mlp\n\n\n"
        "def build(*args, **kwargs):\n    return build_mlp(*args, **kwargs)\n"
    )
    shared = tmp_path / "shared-conf"
    (shared / "model").mkdir(parents=True)
    (shared / "model" / "mlp.yaml").write_text(
        "_target_: tiny_model.build\n_partial_: true\nhidden_units: [5]\n"
    )
    proc = run_kagglekit(
        work,
        "train",
        "competition=tiny",
        "trainer.epochs=1",
        "cv.n_splits=2",
        "hydra.run.dir=outputs/tiny/run1",
        env={"KAGGLEKIT_CONFIG_DIR": str(shared)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = work / "outputs" / "tiny" / "run1"
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    # the user's mlp.yaml, not the shipped one, and the user's code it names
    assert config["model"] == {
        "_target_": "tiny_model.build",
        "_partial_": True,
        "hidden_units": [5],
    }
    assert Path(config["competition"]["data_dir"]) == Path("data/tiny")
    submission = pd.read_csv(run_dir / "submission.csv")
    sample = pd.read_csv(data / "sample_submission.csv")
    assert list(submission.columns) == ["id", "label"]
    assert submission["id"].tolist() == sample["id"].tolist()
    assert set(submission["label"]) <= {0, 1}
    log = (run_dir / "train.log").read_text()
    assert "fold 1/2  epoch 1/1" in log and "fold 2/2  epoch 1/1" in log
    assert "\r" not in log  # the log file gets plain lines, never the terminal's live line
    assert str(run_dir / "submission.csv") in proc.stdout
    assert not (tmp_path / "outputs").exists()


def test_unknown_user_competition_names_the_config_folders(tmp_path: Path) -> None:
    write_competition(tmp_path, "tiny")
    proc = run_kagglekit(tmp_path, "train", "competition=tiyn")
    assert proc.returncode == 2
    assert "Did you mean 'tiny'?" in proc.stderr


def test_a_missing_config_dir_is_one_clear_line(tmp_path: Path) -> None:
    proc = run_kagglekit(tmp_path, "train", "--config-dir", "nowhere", "competition=titanic")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"Error: --config-dir names nowhere, which is not a folder ({tmp_path / 'nowhere'}). "
        "Create it (with config groups such as competition/ or model/ inside) or fix the path."
    ]
