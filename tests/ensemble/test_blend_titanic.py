"""Blend two real titanic runs of different models on the same folds; refuse other folds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.cli import blend_main
from kagglekit.ensemble import BlendError, BlendOptions, blend
from kagglekit.ensemble.inputs import file_sha256
from tests.ensemble.helpers import QUICK_TITANIC, read_scores, train_run

# three real runs to set up: about a minute, two on a loaded machine
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("titanic-runs")
    data = f"competition.data_dir={shared_data_dir / 'titanic'}"
    mlp = train_run(root / "mlp", *QUICK_TITANIC, data, "model.hidden_units=[16]")
    residual = train_run(
        root / "residual",
        *QUICK_TITANIC,
        data,
        "model=residual_mlp",
        "model.width=32",
        "model.blocks=1",
        folds_from=root / "mlp",
    )
    other_folds = train_run(
        root / "other_folds", *QUICK_TITANIC, data, "cv.random_state=7", "trainer.epochs=2"
    )
    return {
        "mlp": mlp.run_dir,
        "residual": residual.run_dir,
        "other_folds": other_folds.run_dir,
        "data": shared_data_dir / "titanic",
        "cvs": [mlp.cv_score, residual.cv_score],
    }


def _check_submission(blend_dir: Path, data_dir: Path) -> pd.DataFrame:
    sample = pd.read_csv(data_dir / "sample_submission.csv")
    submission = pd.read_csv(blend_dir / "submission.csv")
    assert list(submission.columns) == list(sample.columns)
    assert submission["PassengerId"].tolist() == sample["PassengerId"].tolist()
    assert set(submission["Survived"]) <= {0, 1}
    return submission


def _fold_scores_recomputed(blend_dir: Path, data_dir: Path) -> list[float]:
    """Each fold's accuracy, recomputed here from oof.npy, folds.csv and train.csv."""
    oof = np.load(blend_dir / "oof.npy")
    folds = pd.read_csv(blend_dir / "folds.csv")["fold"].to_numpy()
    truth = pd.read_csv(data_dir / "train.csv")["Survived"].to_numpy()
    return [
        float(((oof[folds == k] >= 0.5).astype(int) == truth[folds == k]).mean()) for k in range(3)
    ]


@pytest.mark.parametrize("method", ["weights", "hill_climb"])
def test_fitted_blend_is_at_least_as_good_as_the_better_run(
    runs: dict[str, Any], tmp_path: Path, method: str
) -> None:
    out = tmp_path / "blend"
    result = blend([runs["mlp"], runs["residual"]], BlendOptions(method=method), output=out)
    better = max(runs["cvs"])
    assert result.cv_score >= better
    scores = read_scores(out)
    assert scores["cv"] == pytest.approx(result.cv_score)
    assert [i["cv"] for i in scores["inputs"]] == pytest.approx(runs["cvs"])
    assert [i["cv_recomputed"] for i in scores["inputs"]] == pytest.approx(runs["cvs"])
    weights = scores["weights"]
    assert set(weights) == {str(runs["mlp"]), str(runs["residual"])}
    assert sum(weights.values()) == pytest.approx(1.0) and min(weights.values()) >= 0
    assert scores["folds"] == pytest.approx(_fold_scores_recomputed(out, runs["data"]))
    assert set(scores["cross_fitted"]) >= {"cv", "folds"}  # the honest estimate, reported
    # the blend's test predictions are the weighted inputs'
    tests = [np.load(runs[name] / "test_pred.npy") for name in ("mlp", "residual")]
    expected = sum(
        weights[str(runs[n])] * t for n, t in zip(("mlp", "residual"), tests, strict=True)
    )
    assert np.load(out / "test_pred.npy") == pytest.approx(expected)
    submission = _check_submission(out, runs["data"])
    assert (submission["Survived"] == (expected >= 0.5).astype(int)).all()
    described = json.loads((out / "blend.json").read_text())
    assert described["method"] == method and described["competition"] == "titanic"
    assert described["folds_sha256"] == file_sha256(runs["mlp"] / "folds.csv")
    assert [i["path"] for i in described["inputs"]] == [
        str(runs["mlp"].resolve()),
        str(runs["residual"].resolve()),
    ]
    assert json.loads((out / "run_state.json").read_text())["status"] == "complete"


def test_stack_gives_an_honest_cv_per_fold_and_a_valid_submission(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "stack"
    result = blend([runs["mlp"], runs["residual"]], BlendOptions(method="stack"), output=out)
    scores = read_scores(out)
    assert scores["n_folds"] == 3 and len(result.fold_scores) == 3
    assert scores["folds"] == pytest.approx(_fold_scores_recomputed(out, runs["data"]))
    assert scores["cv"] >= min(runs["cvs"]) - 0.05
    assert scores["weights"] is None and scores["method_info"]["level2"] == "logistic"
    assert np.isfinite(np.load(out / "oof.npy")).all()
    _check_submission(out, runs["data"])


@pytest.mark.parametrize("method", ["mean", "rank"])
def test_mean_and_rank_write_a_blend_directory(
    runs: dict[str, Any], tmp_path: Path, method: str
) -> None:
    out = tmp_path / method
    blend([runs["mlp"], runs["residual"]], BlendOptions(method=method), output=out)
    for name in ("oof.npy", "oof.csv", "test_pred.npy", "test_pred.csv", "blend.json"):
        assert (out / name).is_file(), name
    _check_submission(out, runs["data"])
    if method == "mean":
        expected = (np.load(runs["mlp"] / "oof.npy") + np.load(runs["residual"] / "oof.npy")) / 2
        assert np.load(out / "oof.npy") == pytest.approx(expected)


def test_a_blend_directory_is_itself_an_input(runs: dict[str, Any], tmp_path: Path) -> None:
    first = tmp_path / "first"
    blend([runs["mlp"], runs["residual"]], BlendOptions(method="mean"), output=first)
    second = blend([first, runs["mlp"]], BlendOptions(method="hill_climb"), output=tmp_path / "b")
    assert second.cv_score >= read_scores(first)["cv"]


def test_runs_on_other_folds_are_refused_naming_them(
    runs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "refused"
    args = [str(runs["mlp"]), str(runs["residual"]), str(runs["other_folds"]), "-o", str(out)]
    with pytest.raises(SystemExit) as exc:
        blend_main(args)
    assert exc.value.code == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "fold assignment (folds.csv" in error
    assert f"{runs['other_folds']} (" in error  # the odd one out, named
    assert "copy one run's folds.csv" in error
    assert not out.exists()


def test_the_cli_blends_and_prints_the_scores(
    runs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    blend_main([str(runs["mlp"]), str(runs["residual"]), "--method", "weights", "-o", str(out)])
    printed = capsys.readouterr().out
    assert "Blend (weights) CV accuracy" in printed and str(out / "submission.csv") in printed
    assert "kagglekit blend" in json.loads((out / "blend.json").read_text())["command"]


def test_unfinished_run_and_single_input_are_refused(runs: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(BlendError, match="at least 2 runs"):
        blend([runs["mlp"], runs["mlp"]], output=tmp_path / "x")
    with pytest.raises(BlendError, match="not a finished kagglekit run directory"):
        blend([runs["mlp"], tmp_path], output=tmp_path / "x")
