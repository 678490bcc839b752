"""A real digits sweep's top trials stacked (multiclass); runs of another competition refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest

from kagglekit.ensemble import BlendError, BlendOptions, blend
from kagglekit.tuning.pruning import PruningSettings
from kagglekit.tuning.runner import TuneSettings, tune
from kagglekit.tuning.space import SearchSpace
from tests.ensemble.helpers import QUICK_DIGITS, QUICK_TITANIC, read_scores, train_run
from tests.tuning.conftest import compose_train

pytestmark = pytest.mark.slow  # six tiny digits trials: a few minutes on a shared machine

N_TRIALS = 6
SPACE = {
    "optimizer.learning_rate": "tag(log, interval(0.0005, 0.01))",
    "model.dense_units": "choice([16], [32])",
}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> dict[str, Any]:
    sweep_dir = tmp_path_factory.mktemp("digits-sweep")
    data = shared_data_dir / "digits"
    settings = TuneSettings(
        study_name="digits-blend",
        n_trials=N_TRIALS,
        space=SearchSpace.from_config(SPACE),
        make_sampler=lambda seed: optuna.samplers.RandomSampler(seed=seed),
        sampler_seed=1,
        pruner=optuna.pruners.NopPruner(),
        pruning=PruningSettings(monitor="val_loss"),
    )
    tune(
        settings,
        compose=compose_train,
        competition="digits",
        train_overrides=[f"competition.data_dir={data}", *QUICK_DIGITS[1:]],
        sweep_dir=sweep_dir,
    )
    return {"dir": sweep_dir, "data": data}


def test_stack_of_the_top_5_trials_gives_an_honest_per_fold_cv_and_a_valid_submission(
    sweep: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "stack"
    result = blend([sweep["dir"]], BlendOptions(method="stack", top=5), output=out)
    trials = pd.read_csv(sweep["dir"] / "trials.csv")
    assert (trials["state"] == "COMPLETE").sum() == N_TRIALS
    top5 = trials.sort_values("value", ascending=False)["number"].head(5)
    used = [str(sweep["dir"] / "trials" / str(n)) for n in top5]
    assert [i["name"] for i in result.inputs] == used  # the best 5, best first
    scores = read_scores(out)
    assert scores["metric"] == "accuracy" and scores["n_folds"] == 3
    # per-fold CV recomputed from the blend's OOF predictions
    oof = np.load(out / "oof.npy")
    assert oof.shape == (len(pd.read_csv(sweep["data"] / "train.csv")), 10)
    assert oof.sum(axis=1) == pytest.approx(1.0)
    folds = pd.read_csv(out / "folds.csv")["fold"].to_numpy()
    truth = pd.read_csv(sweep["data"] / "train.csv")["label"].to_numpy()
    per_fold = [float((oof[folds == k].argmax(1) == truth[folds == k]).mean()) for k in range(3)]
    assert scores["folds"] == pytest.approx(per_fold)
    assert scores["cv"] == pytest.approx(float((oof.argmax(1) == truth).mean()))
    sample = pd.read_csv(sweep["data"] / "sample_submission.csv")
    submission = pd.read_csv(out / "submission.csv")
    assert list(submission.columns) == list(sample.columns)
    assert submission["ImageId"].tolist() == sample["ImageId"].tolist()
    assert set(submission["Label"]) <= set(range(10))
    assert json.loads((out / "blend.json").read_text())["options"]["top"] == 5


def test_weights_on_multiclass_beat_the_best_trial(sweep: dict[str, Any], tmp_path: Path) -> None:
    result = blend([sweep["dir"]], BlendOptions(method="weights", top=3), output=tmp_path / "w")
    assert len(result.inputs) == 3
    assert result.cv_score >= result.best_input["cv"]
    test_pred = np.load(tmp_path / "w" / "test_pred.npy")
    assert test_pred.sum(axis=1) == pytest.approx(1.0)  # convex weights keep probabilities


def test_runs_of_another_competition_are_refused(
    sweep: dict[str, Any], tmp_path: Path, shared_data_dir: Path
) -> None:
    titanic = train_run(
        tmp_path / "titanic",
        *QUICK_TITANIC,
        f"competition.data_dir={shared_data_dir / 'titanic'}",
        "trainer.epochs=1",
        "cv.n_splits=2",
    )
    with pytest.raises(BlendError, match="differ in competition") as exc:
        blend([sweep["dir"], titanic.run_dir], BlendOptions(top=1), output=tmp_path / "x")
    assert f"{titanic.run_dir} (titanic)" in str(exc.value)
    assert "(digits)" in str(exc.value)
