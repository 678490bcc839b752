"""Issue 12: ``predict`` from a run's stored preprocessing, with the training data moved away.

For each family of features (tabular, pixel columns, TF-IDF text, long-layout series, image
files) a tiny run is trained, its data folder renamed, and ``predict RUN --test ... --output
...`` must write a submission byte-identical to the run's own.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from kagglekit.data.state import PreprocessingStateError
from kagglekit.inference import InferenceError
from kagglekit.pipeline import predict
from kagglekit.pipeline import train as train_run
from tests.conftest import compose_config
from tests.e2e.helpers import run_script

QUICK = ["cv.n_splits=2", "trainer.epochs=1", "trainer.verbose=0", "trainer.batch_size=128"]
FAMILIES = {
    "titanic": ["model.hidden_units=[8]"],
    "digits": ["model.filters=[8]", "model.dense_units=[16]"],
    "foodreviews": ["competition.features.max_features=300", "model.hidden_units=[8]"],
    # series: the default MiniRocket features (fitted biases stored as arrays) + rocket_ridge
    "gunpoint": ["+competition.features.n_features=840"],
    # and a deep model on the sequences themselves
    "italypower": [
        "model=conv1d",
        "competition.features._target_=kagglekit.data.sequences.NumericSequences",
        "model.body.filters=[8]",
        "model.body.kernel_size=[3]",
    ],
    "digits_images": ["model.filters=[8]", "model.dense_units=[16]"],
}


def trained(base: Path, name: str) -> tuple[Path, Path]:
    """A one-epoch run of ``name``; returns (its data folder, its run directory)."""
    data_dir, run_dir = base / "data" / name, base / "run"
    cfg = compose_config(
        f"competition={name}", f"competition.data_dir={data_dir}", *QUICK, *FAMILIES[name]
    )
    train_run(cfg, run_dir=run_dir)
    return data_dir, run_dir


def move_away(data_dir: Path) -> Path:
    moved = data_dir.with_name(data_dir.name + "-moved")
    data_dir.rename(moved)
    return moved


@pytest.mark.parametrize("name", list(FAMILIES))
def test_predict_needs_no_training_data(tmp_path: Path, name: str) -> None:
    data_dir, run_dir = trained(tmp_path, name)
    for k in range(2):
        assert (run_dir / f"fold_{k}" / "preprocessing.npz").is_file()
    assert (run_dir / "inference.json").is_file()
    moved = move_away(data_dir)
    assert not data_dir.exists()
    out = tmp_path / "out" / "submission.csv"
    predict(
        run_dir,
        test_file=moved / "test.csv",
        sample_submission=moved / "sample_submission.csv",
        output=out,
    )
    assert out.read_bytes() == (run_dir / "submission.csv").read_bytes()
    # without a sample submission: built from the test ids (or ImageId 1..n) and the stored header
    if name in ("titanic", "digits"):
        bare = tmp_path / "out" / "bare.csv"
        predict(run_dir, test_file=moved / "test.csv", output=bare)
        assert bare.read_bytes() == (run_dir / "submission.csv").read_bytes()


@pytest.fixture(scope="module")
def titanic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return trained(tmp_path_factory.mktemp("titanic"), "titanic")


def copied(run: tuple[Path, Path], base: Path) -> tuple[Path, Path]:
    """A copy of a trained run and its data folder (the run's config names the original)."""
    data_dir, run_dir = run
    shutil.copytree(data_dir, base / "data")
    shutil.copytree(run_dir, base / "run")
    return base / "data", base / "run"


def test_cli_predicts_a_run_whose_data_dir_is_gone(
    titanic_run: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, run_dir = copied(titanic_run, tmp_path)
    original = titanic_run[0]
    hidden = move_away(original)  # the config's data_dir is gone
    try:
        (data_dir / "train.csv").unlink()  # and no training file anywhere here
        out = tmp_path / "submission.csv"
        proc = run_script(
            "predict.py",
            str(run_dir),
            "--test",
            str(data_dir / "test.csv"),
            "--output",
            str(out),
            timeout=300,
        )
        with pytest.raises(InferenceError, match=r"test.csv not found: pass the file to predict"):
            predict(run_dir, output=tmp_path / "none.csv")
    finally:
        hidden.rename(original)
    assert out.read_bytes() == (run_dir / "submission.csv").read_bytes()
    assert "stored preprocessing" in proc.stdout + proc.stderr
    assert "refitting" not in proc.stdout + proc.stderr


def test_an_old_run_without_stored_preprocessing_refits(
    titanic_run: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, run_dir = copied(titanic_run, tmp_path)
    for k in range(2):
        (run_dir / f"fold_{k}" / "preprocessing.npz").unlink()
    (run_dir / "inference.json").unlink()
    out = tmp_path / "submission.csv"
    with caplog.at_level("INFO"):
        predict(run_dir, output=out)
    assert "holds no stored preprocessing" in caplog.text
    assert out.read_bytes() == (run_dir / "submission.csv").read_bytes()


def test_edited_stored_preprocessing_is_refused(
    titanic_run: tuple[Path, Path], tmp_path: Path
) -> None:
    _, run_dir = copied(titanic_run, tmp_path)
    state_file = run_dir / "fold_1" / "preprocessing.json"
    original = state_file.read_text()
    state = json.loads(original)
    state["mean"]["Age"] += 1.0
    state_file.write_text(json.dumps(state))
    with pytest.raises(PreprocessingStateError, match=r"fold_1/preprocessing.json was edited"):
        predict(run_dir, output=tmp_path / "a.csv")
    state_file.write_text(original)
    (run_dir / "fold_1" / "preprocessing.npz").write_bytes(b"not the arrays")
    with pytest.raises(PreprocessingStateError, match=r"fold_1/preprocessing.npz is not the file"):
        predict(run_dir, output=tmp_path / "b.csv")
    info = json.loads((run_dir / "inference.json").read_text())
    info["targets"]["classes"] = [1, 0]
    (run_dir / "inference.json").write_text(json.dumps(info))
    with pytest.raises(PreprocessingStateError, match=r"inference.json was edited"):
        predict(run_dir, output=tmp_path / "c.csv")
    assert not any((tmp_path / n).exists() for n in ("a.csv", "b.csv", "c.csv"))


def test_predict_still_refuses_an_edited_config(
    titanic_run: tuple[Path, Path], tmp_path: Path
) -> None:
    from kagglekit.rundir import RunChangedError

    _, run_dir = copied(titanic_run, tmp_path)
    cfg = OmegaConf.load(run_dir / "config.yaml")
    cfg.model.hidden_units = [64]
    OmegaConf.save(cfg, run_dir / "config.yaml")
    with pytest.raises(RunChangedError, match=r"model.hidden_units \(\[8\] -> \[64\]\)"):
        predict(run_dir, output=tmp_path / "x.csv")
