"""The italypower example (numeric series, wide layout; MiniRocket features + a linear head by
default) through the real entry point."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from kagglekit.examples.italypower.prepare import solution
from kagglekit.pipeline import train
from tests.conftest import Compose
from tests.e2e.helpers import check_run_directory, run_script, scores


def held_out_accuracy(run_dir: Path) -> float:
    merged = pd.read_csv(run_dir / "submission.csv").merge(
        solution(), on="series_id", suffixes=("", "_true")
    )
    assert len(merged) == len(solution())
    return float((merged["label"] == merged["label_true"]).mean())


def test_quick_run_writes_a_valid_submission(tmp_path: Path) -> None:
    data_dir = tmp_path / "italypower"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=italypower",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=2",
    )
    assert "label" not in pd.read_csv(data_dir / "test.csv").columns
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="series_id")
    assert set(pd.read_csv(run_dir / "submission.csv")["label"]) <= {1, 2}
    statistics = json.loads((run_dir / "fold_0" / "preprocessing.json").read_text())
    assert statistics["sequences"]["channels"] == [""]
    assert statistics["sequences"]["max_length"] == 24
    assert statistics["n_features"] == 9996  # MiniRocket's 10,000 rounded to 84 kernels
    assert statistics["n_series"] == int((pd.read_csv(run_dir / "folds.csv")["fold"] != 0).sum())


def test_a_short_default_run_beats_a_bar_in_seconds(
    compose_cfg: Compose, shared_data_dir: Path, tmp_path: Path
) -> None:
    """The default (MiniRocket features + rocket_ridge, solved) meets a bar in seconds."""
    cfg = compose_cfg(
        "competition=italypower",
        f"competition.data_dir={shared_data_dir / 'italypower'}",
        "cv.n_splits=2",
        "trainer.epochs=10",
        "trainer.verbose=0",
        "trainer.progress=false",
        "trainer.backup=false",
        "+competition.features.n_features=1000",
    )
    assert cfg.model.name == "rocket_ridge"
    result = train(cfg, tmp_path)
    assert result.cv_score >= 0.9
    assert held_out_accuracy(tmp_path) >= 0.9


@pytest.mark.slow
def test_default_italypower_run_meets_the_bar(tmp_path: Path) -> None:
    data_dir = tmp_path / "italypower"
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=italypower",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="series_id")
    # measured (README "Quality"): CV 0.970, held-out 0.966; MiniRocket 0.970 / 0.964
    assert scores(run_dir)["cv"] >= 0.95
    assert held_out_accuracy(run_dir) >= 0.955


@pytest.mark.parametrize(
    "backend", ["jax", pytest.param("torch", marks=pytest.mark.slow)]
)  # ~30 s each on a quiet machine
def test_solved_default_trains_and_predicts_on_other_backends(
    backend: str, shared_data_dir: Path, tmp_path: Path
) -> None:
    """rocket_ridge's closed-form solve goes through the fold path (one epoch, weights file)
    on JAX and PyTorch too, and predict.py rebuilds the same submission from the weights."""
    if importlib.util.find_spec(backend) is None:  # the main suite's venv has TensorFlow only
        pytest.skip(f"{backend} is not installed")
    run_dir = tmp_path / "run"
    env = {"KERAS_BACKEND": backend}
    run_script(
        "train.py",
        "competition=italypower",
        f"competition.data_dir={shared_data_dir / 'italypower'}",
        f"hydra.run.dir={run_dir}",
        "cv.n_splits=2",
        "trainer.verbose=0",
        "+competition.features.n_features=1000",
        env=env,
    )
    state = json.loads((run_dir / "fold_0" / "state.json").read_text())
    assert state["epochs_run"] == 1 and Path(state["weights"]).exists()
    assert scores(run_dir)["cv"] >= 0.9
    assert held_out_accuracy(run_dir) >= 0.9
    first = pd.read_csv(run_dir / "submission.csv")
    (run_dir / "submission.csv").unlink()
    run_script("predict.py", str(run_dir), env=env)
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "submission.csv"), first)
