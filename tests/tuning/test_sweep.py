"""A real SQLite sweep of tiny titanic trials: resume, outputs, and the best trial reproduced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from omegaconf import OmegaConf

from kagglekit.tuning.pruning import PruningSettings
from kagglekit.tuning.runner import TuneResult, TuneSettings, tune
from kagglekit.tuning.space import SearchSpace
from tests.e2e.helpers import run_script, scores
from tests.tuning.conftest import TINY_TITANIC, compose_train, titanic_data

SPACE = {
    "optimizer.learning_rate": "tag(log, interval(0.001, 0.03))",
    "model.hidden_units": "choice([16], [32, 16])",
}


def _settings(n_trials: int) -> TuneSettings:
    return TuneSettings(
        study_name="titanic-tiny",
        n_trials=n_trials,
        space=SearchSpace.from_config(SPACE),
        make_sampler=lambda seed: optuna.samplers.TPESampler(seed=seed, n_startup_trials=2),
        sampler_seed=42,
        pruner=optuna.pruners.NopPruner(),
        pruning=PruningSettings(monitor="val_loss"),
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> dict[str, Any]:
    """Two trials, then the same sweep again with n_trials=3 (a resumed study)."""
    sweep_dir = tmp_path_factory.mktemp("sweep")
    overrides = [titanic_data(shared_data_dir), *TINY_TITANIC]
    runs: list[TuneResult] = []
    for n in (2, 3):
        runs.append(
            tune(
                _settings(n),
                compose=compose_train,
                competition="titanic",
                train_overrides=overrides,
                sweep_dir=sweep_dir,
            )
        )
    return {"dir": sweep_dir, "runs": runs, "overrides": overrides}


def _study(sweep_dir: Path) -> optuna.Study:
    return optuna.load_study(study_name="titanic-tiny", storage=f"sqlite:///{sweep_dir}/study.db")


def test_a_resumed_sqlite_study_continues_counting(sweep: dict[str, Any]) -> None:
    first, second = sweep["runs"]
    assert (first.outcome.trials_run, first.finished) == (2, 2)
    assert (second.outcome.trials_run, second.finished) == (1, 3)
    study = _study(sweep["dir"])
    assert [t.number for t in study.trials] == [0, 1, 2]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert sorted(p.name for p in (sweep["dir"] / "trials").iterdir()) == ["0", "1", "2"]
    # trial 0 is the config's own values, queued first
    assert study.trials[0].params == {
        "optimizer.learning_rate": 0.001,
        "model.hidden_units": "[16]",
    }


def test_every_trial_keeps_a_complete_run_directory(sweep: dict[str, Any]) -> None:
    for number in range(3):
        run_dir = sweep["dir"] / "trials" / str(number)
        assert json.loads((run_dir / "run_state.json").read_text())["status"] == "complete"
        for name in (
            "oof.npy",
            "test_pred.npy",
            "oof.csv",
            "submission.csv",
            "train.log",
            "config.yaml",
        ):
            assert (run_dir / name).is_file(), name


def test_outputs(sweep: dict[str, Any]) -> None:
    sweep_dir = sweep["dir"]
    table = pd.read_csv(sweep_dir / "trials.csv")
    assert list(table["number"]) == [0, 1, 2] and set(table["state"]) == {"COMPLETE"}
    assert {
        "value",
        "seconds",
        "folds_done",
        "epochs",
        "optimizer.learning_rate",
        "model.hidden_units",
        "run_dir",
    } <= set(table.columns)
    for name in (
        "optimization_history",
        "param_importances",
        "parallel_coordinate",
        "intermediate_values",
    ):
        assert (sweep_dir / "plots" / f"{name}.png").stat().st_size > 1000, name
    best = json.loads((sweep_dir / "best.json").read_text())
    study = _study(sweep_dir)
    assert best["value"] == study.best_value and best["trial"] == study.best_trial.number
    assert best["params"]["model.hidden_units"] in ([16], [32, 16])
    assert best["overrides"][: len(sweep["overrides"])] == sweep["overrides"]
    assert best["command"].startswith("python scripts/train.py competition=titanic ")


def test_best_overrides_reproduce_the_best_trial_with_train_py(
    sweep: dict[str, Any], tmp_path: Path
) -> None:
    best = json.loads((sweep["dir"] / "best.json").read_text())
    run_dir = tmp_path / "again"
    run_script(
        "train.py",
        f"competition={best['competition']}",
        *best["overrides"],
        f"hydra.run.dir={run_dir}",
    )
    assert scores(run_dir)["cv"] == pytest.approx(best["value"], abs=1e-6)


def test_the_experiment_file_composes_the_same_config(sweep: dict[str, Any]) -> None:
    best = json.loads((sweep["dir"] / "best.json").read_text())
    from_overrides = compose_train(["competition=titanic", *best["overrides"]])
    from_experiment = compose_train(
        ["competition=titanic", "+experiment=best", f"hydra.searchpath=[file://{sweep['dir']}]"]
    )
    assert OmegaConf.to_container(from_experiment, resolve=True) == OmegaConf.to_container(
        from_overrides, resolve=True
    )


def test_group_choices_become_defaults_of_the_experiment(tmp_path: Path) -> None:
    from kagglekit.tuning.results import write_experiment

    path = write_experiment(
        tmp_path,
        ["optimizer=adamw", "optimizer.learning_rate=0.002", "model.hidden_units=[8]"],
        {"optimizer", "model"},
    )
    composed = compose_train(
        ["competition=titanic", "+experiment=best", f"hydra.searchpath=[file://{tmp_path}]"]
    )
    assert path.read_text().startswith("# @package _global_")
    assert composed.optimizer._target_ == "keras.optimizers.AdamW"
    assert composed.optimizer.learning_rate == 0.002 and list(composed.model.hidden_units) == [8]
