"""The sweep loop with a stand-in for ``pipeline.train``: counting, twins, Ctrl-C, failures.

The real pipeline runs in test_sweep.py, test_pruning.py and the PostgreSQL tests; here the
trial is replaced by a function of the config so that the loop's rules are checked in seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pytest
from omegaconf import DictConfig

from kagglekit.files import write_json
from kagglekit.pipeline import RunResult
from kagglekit.tuning.pruning import PruningSettings
from kagglekit.tuning.runner import TuneSettings, tune
from kagglekit.tuning.space import SearchSpace
from kagglekit.tuning.sweep import Objective, SurplusTrialError
from tests.tuning.conftest import compose_train


class FakeTrain:
    """Score = the learning rate; writes run_state.json like the pipeline does."""

    def __init__(self, fail: type[BaseException] | None = None, fail_times: int = 0) -> None:
        self.calls: list[float] = []
        self.fail = fail
        self.fail_times = fail_times

    def __call__(self, cfg: DictConfig, run_dir: Path, hooks: Any = None) -> RunResult:
        lr = float(cfg.optimizer.learning_rate)
        self.calls.append(lr)
        write_json(Path(run_dir) / "run_state.json", {"status": "running"})
        if self.fail is not None and len(self.calls) <= self.fail_times:
            raise self.fail("boom")
        write_json(Path(run_dir) / "run_state.json", {"status": "complete"})
        return RunResult(Path(run_dir), "accuracy", True, lr, [lr, lr])


def settings(n_trials: int, params: dict[str, Any], **kwargs: Any) -> TuneSettings:
    return TuneSettings(
        study_name="logic",
        n_trials=n_trials,
        space=SearchSpace.from_config(params),
        make_sampler=lambda seed: optuna.samplers.RandomSampler(seed=seed),
        sampler_seed=0,
        pruner=optuna.pruners.NopPruner(),
        pruning=PruningSettings(monitor=None, folds=False),
        plots=False,
        poll_interval=0.1,
        **kwargs,
    )


def run(
    sweep: Path,
    n_trials: int,
    train: FakeTrain,
    params: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    return tune(
        settings(
            n_trials, params or {"optimizer.learning_rate": "interval(0.0001, 0.01)"}, **kwargs
        ),
        compose=compose_train,
        competition="titanic",
        sweep_dir=sweep,
        train=train,
    )


def load(sweep: Path) -> optuna.Study:
    return optuna.load_study(study_name="logic", storage=f"sqlite:///{sweep}/study.db")


def test_n_trials_is_the_study_total(tmp_path: Path) -> None:
    train = FakeTrain()
    first = run(tmp_path, 3, train)
    assert first.outcome.trials_run == 3 and first.finished == 3
    again = run(tmp_path, 3, train)  # same command: nothing left to do
    assert again.outcome.trials_run == 0
    more = run(tmp_path, 5, train)
    assert more.outcome.trials_run == 2 and more.finished == 5
    assert len(train.calls) == 5
    # trial 0 is the config's own values (titanic: Adam, lr 0.001)
    assert load(tmp_path).trials[0].params == {"optimizer.learning_rate": 0.001}
    assert train.calls[0] == 0.001


def test_a_repeated_parameter_set_is_not_trained_again(tmp_path: Path) -> None:
    train = FakeTrain()
    result = run(tmp_path, 6, train, {"optimizer.learning_rate": [0.001, 0.002]})
    assert result.finished == 6
    assert sorted(train.calls) == [0.001, 0.002]  # each parameter set trained once
    study = load(tmp_path)
    twins = [t for t in study.trials if "duplicate_of" in t.user_attrs]
    assert len(twins) == 4
    for t in twins:
        original = study.trials[t.user_attrs["duplicate_of"]]
        assert t.params == original.params and t.value == original.value
    csv = (tmp_path / "trials.csv").read_text()
    assert "same params as trial" in csv


def test_a_trial_created_in_a_race_for_the_last_slot_steps_back(tmp_path: Path) -> None:
    study = optuna.create_study()
    trials = [study.ask() for _ in range(3)]  # three workers asked at the same moment
    objective = Objective(
        space=SearchSpace.from_config({"x": [1]}),
        compose=lambda params: compose_train(list(params)),
        base_overrides=[],
        sweep_dir=tmp_path,
        n_trials=2,
        pruning=PruningSettings(monitor=None),
        sign=1.0,
        metric="accuracy",
        train=FakeTrain(),
    )
    objective._check_slot(trials[0])
    objective._check_slot(trials[1])
    with pytest.raises(SurplusTrialError):
        objective._check_slot(trials[2])
    assert trials[2].user_attrs["surplus"] is True


def test_ctrl_c_queues_the_trial_again_and_the_rerun_finishes_it(tmp_path: Path) -> None:
    interrupted = FakeTrain(fail=KeyboardInterrupt, fail_times=2)  # trial 0 runs, trial 1 is hit
    interrupted.fail_times = 0
    run(tmp_path, 1, interrupted)

    class InterruptSecond(FakeTrain):
        def __call__(self, cfg: DictConfig, run_dir: Path, hooks: Any = None) -> RunResult:
            if len(self.calls) == 0:
                self.calls.append(-1.0)
                write_json(Path(run_dir) / "run_state.json", {"status": "running"})
                raise KeyboardInterrupt
            return super().__call__(cfg, run_dir, hooks)

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, 3, InterruptSecond())
    study = load(tmp_path)
    hit = study.trials[1]
    assert hit.state == optuna.trial.TrialState.FAIL
    queued = study.trials[2]
    assert queued.state == optuna.trial.TrialState.WAITING
    assert queued.system_attrs["failed_trial"] == 1
    state = json.loads((tmp_path / "trials" / "1" / "run_state.json").read_text())
    assert state["status"] == "interrupted"
    # best.json and trials.csv were written on the way out
    assert (tmp_path / "trials.csv").exists() and (tmp_path / "best.json").exists()

    rerun = FakeTrain()
    result = run(tmp_path, 3, rerun)
    assert result.finished == 3
    study = load(tmp_path)
    assert study.trials[2].state == optuna.trial.TrialState.COMPLETE
    assert study.trials[2].params == hit.params
    assert rerun.calls[0] == hit.params["optimizer.learning_rate"]


def test_a_config_that_always_fails_stops_the_worker_with_its_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"3 trials in a row failed.*ValueError: boom"):
        run(tmp_path, 10, FakeTrain(fail=ValueError, fail_times=100))
    state = json.loads((tmp_path / "trials" / "0" / "run_state.json").read_text())
    assert state["status"] == "failed" and "boom" in state["error"]


def test_resuming_with_other_trial_overrides_is_refused(tmp_path: Path) -> None:
    run(tmp_path, 1, FakeTrain())
    with pytest.raises(ValueError, match="was started with the trial overrides"):
        tune(
            settings(2, {"optimizer.learning_rate": "interval(0.0001, 0.01)"}),
            compose=compose_train,
            competition="titanic",
            train_overrides=["trainer.epochs=3"],
            sweep_dir=tmp_path,
            train=FakeTrain(),
        )


def test_a_typo_in_the_search_space_fails_before_any_trial(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not fit the config"):
        run(tmp_path, 1, FakeTrain(), {"model.hiden_units": [[8], [16]]})


def test_a_worker_whose_memory_grows_stops_between_trials_to_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kagglekit.tuning import sweep

    memory = iter(range(1000, 100_000, 300))  # +300 MB per trial
    monkeypatch.setattr(sweep, "rss_mb", lambda: float(next(memory)))
    result = run(tmp_path, 5, FakeTrain(), recycle_after_mb=500)
    # baseline after trial 0, +300 after trial 1, +600 after trial 2: stop (the CLI re-executes)
    assert result.outcome.stopped_by == "recycle" and result.finished == 3
    assert run(tmp_path, 5, FakeTrain()).finished == 5  # the restarted command goes on
