"""scripts/tune.py end to end on SQLite: Ctrl-C and SIGKILL, then the same command continues."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.tuning.conftest import TINY_TITANIC, run_tune, start_tune, titanic_data, wait_for

pytestmark = pytest.mark.slow


def _running_trial_with_a_fold(sweep: Path, number: int) -> bool:
    return (sweep / "trials" / str(number) / "fold_0" / "state.json").exists()


def test_interrupted_sweeps_continue_with_the_same_command(
    tmp_path: Path, shared_data_dir: Path
) -> None:
    sweep = tmp_path / "sweep"
    args = [
        "competition=titanic",
        "hparams_search=mlp",
        "n_trials=4",
        f"hydra.run.dir={sweep}",
        titanic_data(shared_data_dir),
        *TINY_TITANIC,
        "cv.n_splits=3",
        "pruner=none",
        "tune.heartbeat_interval=1",
        "tune.grace_period=2",
        "tune.plots=false",
        "storage=sqlite:///" + str(sweep / "study.db"),
    ]
    # 1. Ctrl-C in trial 1
    proc = start_tune(*args, log=tmp_path / "run1.log")
    wait_for(lambda: _running_trial_with_a_fold(sweep, 1), 300, "trial 1 to finish a fold")
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    assert proc.returncode != 0
    # 2. SIGKILL in the next trial
    proc = start_tune(*args, log=tmp_path / "run2.log")
    wait_for(lambda: _running_trial_with_a_fold(sweep, 3), 300, "trial 3 to finish a fold")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # 3. the same command finishes the study (restarting itself after each trial: a worker
    #    whose memory grows past tune.recycle_after_mb re-executes the same command)
    #    n_trials=5: one more than before, so that a restart happens before the last trial
    out = run_tune(*args, "n_trials=5", "tune.recycle_after_mb=0.001").stdout
    assert "5 trials finished" in out
    assert (sweep / "tune.log").read_text().count("restarting this worker") == 1

    study = optuna.load_study(study_name="titanic-mlp", storage=f"sqlite:///{sweep}/study.db")
    states = {t.number: t.state for t in study.trials}
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 5
    assert states[0] == TrialState.COMPLETE  # finished before the interruption, never redone
    assert states[1] == TrialState.FAIL and states[3] == TrialState.FAIL
    for hit in (1, 3):
        retry = [t for t in study.trials if t.system_attrs.get("failed_trial") == hit]
        assert len(retry) == 1 and retry[0].state == TrialState.COMPLETE
        assert retry[0].params == study.trials[hit].params
    assert (
        json.loads((sweep / "trials" / "1" / "run_state.json").read_text())["status"]
        == "interrupted"
    )
    trial0 = sweep / "trials" / "0" / "run_state.json"
    assert json.loads(trial0.read_text())["status"] == "complete"
    log = (sweep / "tune.log").read_text()
    assert log.count("trial 0 COMPLETE") == 1
    assert json.loads((sweep / "best.json").read_text())["trial"] in {t.number for t in complete}
