"""Pruning: the step scheme, the fold-scoped pruner, the Keras callback, and real early stops."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pytest

from kagglekit.tuning.pruning import (
    FoldScopedPruner,
    PruningCallback,
    PruningSettings,
    epoch_step,
    fold_of,
    fold_step,
    is_fold_step,
    monitor_direction,
)
from kagglekit.tuning.runner import TuneSettings, tune
from kagglekit.tuning.space import SearchSpace
from tests.tuning.conftest import compose_train, titanic_data


def test_step_scheme() -> None:
    assert epoch_step(0, 1) == 1 and epoch_step(2, 17) == 2017
    assert fold_step(0) == 1000 and fold_step(2) == 3000
    assert [fold_of(s) for s in (1, 999, 1000, 1001, 3000)] == [0, 0, 0, 1, 2]
    assert is_fold_step(3000) and not is_fold_step(2017) and not is_fold_step(0)


@pytest.mark.parametrize(
    ("monitor", "direction"),
    [
        ("val_loss", "minimize"),
        ("val_accuracy", "maximize"),
        ("val_auc", "maximize"),
        ("val_rmse", "minimize"),
    ],
)
def test_monitor_direction(monitor: str, direction: str) -> None:
    assert monitor_direction(monitor) == direction
    sign = PruningSettings(monitor=monitor).sign("maximize")
    assert sign == (1.0 if direction == "maximize" else -1.0)


def test_unknown_monitor_direction_asks_for_a_mode() -> None:
    with pytest.raises(ValueError, match="monitor_mode"):
        monitor_direction("val_something")
    assert monitor_direction("val_something", "max") == "maximize"


def _study_with_history() -> optuna.Study:
    """Two complete trials: fold 0 scores 1.0 (an easy fold), fold 1 scores 0.95."""
    study = optuna.create_study(direction="maximize")
    for _ in range(2):
        study.add_trial(
            optuna.trial.create_trial(
                value=0.97,
                intermediate_values={fold_step(0): 1.0, fold_step(1): 0.95},
                params={},
                distributions={},
            )
        )
    return study


def test_a_bad_later_fold_is_pruned_despite_an_easy_first_fold() -> None:
    study = _study_with_history()
    trial = study.ask()
    trial.report(1.0, fold_step(0))
    trial.report(0.90, fold_step(1))
    frozen = study.get_trials()[-1]
    median = optuna.pruners.MedianPruner(n_startup_trials=2)
    # Optuna's median pruner compares the best value over *all* steps (1.0 of fold 0): no prune
    assert not median.prune(study, frozen)
    # scoped to the fold, 0.90 < 0.95 is pruned
    assert FoldScopedPruner(median).prune(study, frozen)


def test_epoch_values_are_not_mixed_with_fold_scores() -> None:
    study = optuna.create_study(direction="maximize")
    for _ in range(2):
        study.add_trial(
            optuna.trial.create_trial(
                value=0.9,
                intermediate_values={epoch_step(1, 5): -0.40, fold_step(0): 0.9},
                params={},
                distributions={},
            )
        )
    trial = study.ask()
    trial.report(0.9, fold_step(0))  # fold 0 as good as the others
    trial.report(-0.60, epoch_step(1, 5))  # -val_loss worse at fold 1 epoch 5
    pruner = FoldScopedPruner(optuna.pruners.MedianPruner(n_startup_trials=2))
    assert pruner.prune(study, study.get_trials()[-1])


class _Trial:
    """Just enough of optuna.Trial for the callback."""

    def __init__(self, prune_after: int) -> None:
        self.reports: list[tuple[float, int]] = []
        self.prune_after = prune_after
        self.user_attrs: dict[str, Any] = {}

    def report(self, value: float, step: int) -> None:
        self.reports.append((value, step))

    def should_prune(self) -> bool:
        return len(self.reports) >= self.prune_after

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value


def test_callback_reports_each_epoch_and_respects_the_warmup() -> None:
    trial = _Trial(prune_after=1)
    callback = PruningCallback(trial, fold=2, monitor="val_loss", sign=-1.0, warmup_epochs=3)  # type: ignore[arg-type]
    callback.on_train_begin()
    for epoch in range(3):
        callback.on_epoch_end(epoch, {"val_loss": 0.5})
    assert trial.reports == [(-0.5, 2001), (-0.5, 2002), (-0.5, 2003)]
    with pytest.raises(optuna.TrialPruned, match="fold 2, epoch 4"):
        callback.on_epoch_end(3, {"val_loss": 0.5})
    assert trial.user_attrs["pruned_at"] == {"fold": 2, "epoch": 4}


def test_callback_names_the_available_logs() -> None:
    callback = PruningCallback(_Trial(99), fold=0, monitor="val_acc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"available: \['loss', 'val_accuracy'\]"):
        callback.on_epoch_end(0, {"loss": 1.0, "val_accuracy": 0.5})


# --- real trials: a deliberately bad configuration stops early ---------------------------------

EPOCHS, FOLDS = 6, 3


def _settings(n_trials: int, pruning: PruningSettings) -> TuneSettings:
    return TuneSettings(
        study_name="prune",
        n_trials=n_trials,
        space=SearchSpace.from_config({"optimizer.learning_rate": [0.01, 0.003, 1e-6, 2e-6]}),
        make_sampler=lambda seed: optuna.samplers.RandomSampler(seed=seed),
        sampler_seed=0,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
        pruning=pruning,
        enqueue_defaults=False,
        plots=False,
    )


def _trial_rows(sweep: Path) -> dict[int, dict[str, str]]:
    import csv

    with open(sweep / "trials.csv") as fh:
        return {int(r["number"]): r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_pruning_stops_a_bad_configuration_early(tmp_path: Path, shared_data_dir: Path) -> None:
    sweep = tmp_path / "sweep"
    train_overrides = [
        titanic_data(shared_data_dir),
        f"trainer.epochs={EPOCHS}",
        f"cv.n_splits={FOLDS}",
        "trainer.verbose=0",
        "model.hidden_units=[16]",
        "~callbacks.early_stopping",  # a complete trial runs every epoch
    ]
    sweep.mkdir(parents=True)
    study = optuna.create_study(
        study_name="prune", storage=f"sqlite:///{sweep}/study.db", direction="maximize"
    )
    for lr in (0.01, 0.003, 1e-6):
        study.enqueue_trial({"optimizer.learning_rate": lr})

    # epoch level: the bad trial stops inside fold 0, right after the warm-up
    tune(
        _settings(3, PruningSettings(monitor="val_loss", warmup_epochs=2)),
        compose=compose_train,
        competition="titanic",
        train_overrides=train_overrides,
        sweep_dir=sweep,
    )
    rows = _trial_rows(sweep)
    for number in (0, 1):
        assert rows[number]["state"] == "COMPLETE"
        assert rows[number]["folds_done"] == str(FOLDS)
        assert rows[number]["epochs"] == " ".join([str(EPOCHS)] * FOLDS)
    assert rows[2]["state"] == "PRUNED"
    assert rows[2]["pruned_at"] == "fold 0 epoch 3"
    assert rows[2]["folds_done"] == "0" and rows[2]["epochs"] == "3"
    bad = sweep / "trials" / "2"
    assert json.loads((bad / "run_state.json").read_text())["status"] == "pruned"
    assert not (bad / "submission.csv").exists() and not (bad / "scores.json").exists()
    assert not (bad / "fold_0" / "state.json").exists()

    # fold level only: the next bad trial stops after its first fold
    study.enqueue_trial({"optimizer.learning_rate": 2e-6})
    tune(
        _settings(4, PruningSettings(monitor=None)),
        compose=compose_train,
        competition="titanic",
        train_overrides=train_overrides,
        sweep_dir=sweep,
    )
    rows = _trial_rows(sweep)
    assert rows[3]["state"] == "PRUNED" and rows[3]["pruned_at"] == "after fold 0"
    assert rows[3]["folds_done"] == "1"
    bad = sweep / "trials" / "3"
    assert json.loads((bad / "run_state.json").read_text())["status"] == "pruned"
    assert (bad / "fold_0" / "state.json").exists() and not (bad / "fold_1").exists()
    assert not (bad / "submission.csv").exists()
