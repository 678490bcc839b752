"""Several tune.py workers on one study in a real PostgreSQL server (started by a fixture).

Skipped with the reason only when no server can be started and CI is not set; in CI they run.
"""

from __future__ import annotations

import json
import os
import signal
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from tests.tuning.conftest import (
    TINY_TITANIC,
    start_tune,
    titanic_data,
    wait_for,
    write_search_space,
)

pytestmark = pytest.mark.slow

# 12 parameter sets for 20 trials: samplers must repeat, so twins are bound to happen
SMALL_SPACE = """# @package _global_
n_trials: 20
hparams_search:
  enqueue_defaults: false
  params:
    model.hidden_units: choice([8], [16])
    optimizer.learning_rate: choice(0.001, 0.003, 0.01)
    trainer.batch_size: choice(64, 128)
"""


def _worker_args(
    url: str, study: str, sweep: Path, searchpath: str, data: str, *extra: str
) -> list[str]:
    return [
        "competition=titanic",
        "hparams_search=pg_test",
        searchpath,
        f"storage={url}",
        f"study_name={study}",
        f"hydra.run.dir={sweep}",
        data,
        *TINY_TITANIC,
        "tune.heartbeat_interval=1",
        "tune.grace_period=3",
        "tune.plots=false",
        *extra,
    ]


def _finish(procs: list[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for proc in procs:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))


def _load(url: str, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=url)


def test_four_workers_share_one_study_exactly(
    postgres_url: str, tmp_path: Path, shared_data_dir: Path
) -> None:
    searchpath = write_search_space(tmp_path / "conf", "pg_test", SMALL_SPACE)
    sweep = tmp_path / "sweep"
    args = _worker_args(postgres_url, "four", sweep, searchpath, titanic_data(shared_data_dir))
    procs = [start_tune(*args, log=tmp_path / f"worker{i}.log") for i in range(4)]
    _finish(procs, timeout=900)
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(4)]
    for proc, log in zip(procs, logs, strict=True):
        assert proc.returncode == 0, log[-3000:]
    assert all("postgresql://postgres@127.0.0.1" in log for log in logs)

    study = _load(postgres_url, "four")
    finished = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == 20
    assert all(
        t.state != TrialState.RUNNING and t.state != TrialState.WAITING for t in study.trials
    )
    others = [t for t in study.trials if t.state == TrialState.FAIL]
    assert all(t.user_attrs.get("surplus") for t in others), [t.user_attrs for t in others]

    # trained = not a twin; no parameter set was trained twice, a fortiori never at once
    trained = [t for t in finished if "duplicate_of" not in t.user_attrs]
    keys = [tuple(sorted(t.params.items())) for t in trained]
    assert len(keys) == len(set(keys)) and len(trained) <= 12
    for a, b in combinations(trained, 2):
        if a.params == b.params:  # pragma: no cover - would be a failure above
            assert (
                a.datetime_complete <= b.datetime_start or b.datetime_complete <= a.datetime_start
            )
    for t in finished:
        if "duplicate_of" in t.user_attrs:
            original = study.trials[t.user_attrs["duplicate_of"]]
            assert original.params == t.params and original.state == t.state
    pids = {t.user_attrs["run"]["pid"] for t in trained}
    assert len(pids) >= 2, "the work was not shared"
    for t in trained:
        run_dir = Path(t.user_attrs["run"]["dir"])
        state = json.loads((run_dir / "run_state.json").read_text())["status"]
        assert state == ("complete" if t.state == TrialState.COMPLETE else "pruned")


def test_a_killed_worker_s_trial_fails_by_heartbeat_and_is_retried(
    postgres_url: str, tmp_path: Path, shared_data_dir: Path
) -> None:
    searchpath = write_search_space(tmp_path / "conf", "pg_test", SMALL_SPACE)
    sweep = tmp_path / "sweep"
    args = _worker_args(
        postgres_url,
        "kill",
        sweep,
        searchpath,
        titanic_data(shared_data_dir),
        "n_trials=4",
        "pruner=none",
        "trainer.epochs=3",
        "cv.n_splits=3",
    )
    victim = start_tune(*args, log=tmp_path / "victim.log")

    # the victim is killed once it is inside a trial with a finished fold
    def victim_mid_trial() -> Any:
        try:
            study = _load(postgres_url, "kill")
        except Exception:  # not created yet
            return None
        for t in study.get_trials(states=(TrialState.RUNNING,)):
            run = t.user_attrs.get("run", {})
            if (
                run.get("pid") == victim.pid
                and (Path(run["dir"]) / "fold_0" / "state.json").exists()
            ):
                return t
        return None

    killed = wait_for(victim_mid_trial, timeout=300, what="the victim's trial to finish a fold")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    survivor = start_tune(*args, log=tmp_path / "survivor.log")
    _finish([survivor], timeout=600)
    log = (tmp_path / "survivor.log").read_text()
    assert survivor.returncode == 0, log[-3000:]

    study = _load(postgres_url, "kill")
    assert study.trials[killed.number].state == TrialState.FAIL
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1
    retry = retries[0]
    assert retry.state == TrialState.COMPLETE and retry.params == killed.params
    finished = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(finished) == 4
    # the retry reused the fold the killed trial had finished
    old = Path(killed.user_attrs["run"]["dir"]) / "fold_0" / "state.json"
    new = Path(retry.user_attrs["run"]["dir"]) / "fold_0" / "state.json"
    assert new.read_bytes() == old.read_bytes()
    assert (
        json.loads((Path(killed.user_attrs["run"]["dir"]) / "run_state.json").read_text())["status"]
        == "running"
    )
