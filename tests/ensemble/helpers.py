"""Real, cheap runs to blend: the pipeline in this process on small configs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kagglekit.pipeline import RunResult, train
from tests.conftest import compose_config

# titanic in a few seconds per run: 3 folds, 4 epochs, no per-epoch backups
QUICK_TITANIC = [
    "competition=titanic",
    "cv.n_splits=3",
    "trainer.epochs=4",
    "trainer.verbose=0",
    "trainer.backup=false",
]
QUICK_DIGITS = [
    "competition=digits",
    "cv.n_splits=3",
    "trainer.epochs=2",
    "trainer.verbose=0",
    "trainer.backup=false",
    "model.filters=[8]",
]


def train_run(run_dir: Path, *overrides: str, folds_from: Path | None = None) -> RunResult:
    """Train one run into ``run_dir``; ``folds_from``: reuse that run's ``folds.csv``."""
    if folds_from is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folds_from / "folds.csv", run_dir / "folds.csv")
    return train(compose_config(*overrides), run_dir=run_dir)


def synthetic_regression(data_dir: Path, n_train: int = 300, n_test: int = 80) -> list[str]:
    """A small regression competition in Kaggle's layout; returns the overrides that declare
    it (on top of titanic's tabular config)."""
    rng = np.random.default_rng(3)
    data_dir.mkdir(parents=True, exist_ok=True)
    n = n_train + n_test
    x = rng.normal(size=(n, 4))
    y = 20 + 3 * x[:, 0] - 2 * x[:, 1] + x[:, 2] * x[:, 3] + rng.normal(scale=0.5, size=n)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame.insert(0, "id", np.arange(1000, 1000 + n))
    frame["y"] = y
    frame.iloc[:n_train].to_csv(data_dir / "train.csv", index=False)
    frame.iloc[n_train:].drop(columns="y").to_csv(data_dir / "test.csv", index=False)
    pd.DataFrame({"id": frame["id"].iloc[n_train:], "y": 0.0}).to_csv(
        data_dir / "sample_submission.csv", index=False
    )
    return [
        "competition=titanic",
        "cv=kfold",
        "cv.n_splits=3",
        "competition.name=synthreg",
        f"competition.data_dir={data_dir}",
        "competition.id_column=id",
        "competition.target=y",
        "competition.task=regression",
        "competition.metric=rmse",
        "competition.submission=value",
        "competition.features.categorical=[]",
        "competition.prepare=null",
        "trainer.epochs=6",
        "trainer.verbose=0",
        "trainer.backup=false",
    ]


def synthetic_multilabel(data_dir: Path, n_train: int = 300, n_test: int = 80) -> list[str]:
    """A small multilabel competition (two 0/1 targets, probability submission)."""
    rng = np.random.default_rng(4)
    data_dir.mkdir(parents=True, exist_ok=True)
    n = n_train + n_test
    x = rng.normal(size=(n, 4))
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame.insert(0, "id", np.arange(n))
    frame["toxic"] = (x[:, 0] + x[:, 1] + rng.normal(scale=0.7, size=n) > 0).astype(int)
    frame["spam"] = (x[:, 2] - x[:, 3] + rng.normal(scale=0.7, size=n) > 0.5).astype(int)
    frame.iloc[:n_train].to_csv(data_dir / "train.csv", index=False)
    frame.iloc[n_train:].drop(columns=["toxic", "spam"]).to_csv(data_dir / "test.csv", index=False)
    sample = pd.DataFrame({"id": frame["id"].iloc[n_train:], "toxic": 0.5, "spam": 0.5})
    sample.to_csv(data_dir / "sample_submission.csv", index=False)
    return [
        "competition=titanic",
        "cv=multilabel_stratified",
        "cv.n_splits=3",
        "competition.name=synthlabels",
        f"competition.data_dir={data_dir}",
        "competition.id_column=id",
        "competition.target=[toxic,spam]",
        "competition.task=multilabel",
        "competition.metric=log_loss",
        "competition.submission=probability",
        "competition.features.categorical=[]",
        "competition.prepare=null",
        "trainer.epochs=6",
        "trainer.verbose=0",
        "trainer.backup=false",
    ]


def read_scores(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "scores.json").read_text()))
