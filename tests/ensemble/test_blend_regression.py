"""Blend two real regression runs, and two multilabel runs (small synthetic competitions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.ensemble import BlendOptions, blend
from tests.ensemble.helpers import (
    read_scores,
    synthetic_multilabel,
    synthetic_regression,
    train_run,
)

pytestmark = pytest.mark.slow  # four real runs to set up


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("regression")
    competition = synthetic_regression(root / "data")
    small = train_run(root / "small", *competition, "model.hidden_units=[16]")
    wide = train_run(
        root / "wide", *competition, "model.hidden_units=[64, 32]", folds_from=root / "small"
    )
    return {"dirs": [small.run_dir, wide.run_dir], "data": root / "data"}


@pytest.mark.parametrize("method", ["mean", "weights", "hill_climb", "stack"])
def test_regression_blend(runs: dict[str, Any], tmp_path: Path, method: str) -> None:
    out = tmp_path / method
    result = blend(runs["dirs"], BlendOptions(method=method), output=out)
    scores = read_scores(out)
    assert scores["metric"] == "rmse" and scores["greater_is_better"] is False
    if method in ("weights", "hill_climb"):
        assert result.cv_score <= min(i["cv"] for i in result.inputs)
    oof = np.load(out / "oof.npy")
    truth = pd.read_csv(runs["data"] / "train.csv")["y"].to_numpy()
    assert oof.shape == (len(truth), 1)
    assert scores["cv"] == pytest.approx(float(np.sqrt(np.mean((oof[:, 0] - truth) ** 2))))
    sample = pd.read_csv(runs["data"] / "sample_submission.csv")
    submission = pd.read_csv(out / "submission.csv")
    assert submission["id"].tolist() == sample["id"].tolist()
    assert submission["y"].to_numpy() == pytest.approx(np.load(out / "test_pred.npy")[:, 0])


@pytest.fixture(scope="module")
def multilabel_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("multilabel")
    competition = synthetic_multilabel(root / "data")
    small = train_run(root / "small", *competition, "model.hidden_units=[8]")
    wide = train_run(
        root / "wide", *competition, "model.hidden_units=[32, 16]", folds_from=root / "small"
    )
    return {"dirs": [small.run_dir, wide.run_dir], "data": root / "data"}


@pytest.mark.parametrize("method", ["weights", "hill_climb", "stack", "rank"])
def test_multilabel_blend(multilabel_runs: dict[str, Any], tmp_path: Path, method: str) -> None:
    out = tmp_path / method
    result = blend(multilabel_runs["dirs"], BlendOptions(method=method), output=out)
    if method in ("weights", "hill_climb"):
        assert result.cv_score <= min(i["cv"] for i in result.inputs)  # log-loss: lower
    oof = np.load(out / "oof.npy")
    train = pd.read_csv(multilabel_runs["data"] / "train.csv")
    assert oof.shape == (len(train), 2) and ((oof > 0) & (oof < 1)).all()
    truth = train[["toxic", "spam"]].to_numpy()
    p = np.clip(oof, 1e-15, 1 - 1e-15)
    log_loss = -np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p))
    assert read_scores(out)["cv"] == pytest.approx(log_loss)
    submission = pd.read_csv(out / "submission.csv")
    assert list(submission.columns) == ["id", "toxic", "spam"]
    assert submission[["toxic", "spam"]].to_numpy() == pytest.approx(np.load(out / "test_pred.npy"))
