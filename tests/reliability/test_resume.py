"""1, 2 and the kill-and-resume bar: a run SIGKILLed in fold k resumes where it stopped and ends
with the same predictions as an uninterrupted run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.reliability.helpers import backup_epoch, kill_when, run, train_command


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("reference")
    data_dir, run_dir = base / "digits", base / "run"
    run(train_command(run_dir, data_dir))
    return data_dir, run_dir


def _epochs(run_dir: Path, fold: int) -> list[int]:
    return pd.read_csv(run_dir / f"fold_{fold}" / "history.csv")["epoch"].tolist()


def test_killed_in_a_fold_resumes_to_identical_predictions(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, ref_dir = reference
    run_dir = tmp_path / "run"
    command = train_command(run_dir, data_dir)
    # SIGKILL in fold 1 once it has backed up two epochs
    kill_when(command, lambda: backup_epoch(run_dir, 1) >= 2)
    fold0_state = (run_dir / "fold_0" / "state.json").read_bytes()
    assert json.loads(fold0_state)["status"] == "complete"
    assert not (run_dir / "fold_1" / "state.json").exists()
    assert json.loads((run_dir / "run_state.json").read_text())["status"] == "running"
    done_before_kill = backup_epoch(run_dir, 1)

    proc = run(command)
    log = proc.stdout + proc.stderr
    assert "Fold 0: already complete" in log
    assert f"resuming after epoch {done_before_kill}" in log
    # the finished fold was not touched, the resumed fold's state says where it resumed
    assert (run_dir / "fold_0" / "state.json").read_bytes() == fold0_state
    assert (
        json.loads((run_dir / "fold_1" / "state.json").read_text())["resumed_from_epoch"]
        == done_before_kill
    )
    # identical predictions to the uninterrupted run
    for name in ("oof.npy", "test_pred.npy"):
        np.testing.assert_array_equal(np.load(run_dir / name), np.load(ref_dir / name))
    assert (run_dir / "submission.csv").read_bytes() == (ref_dir / "submission.csv").read_bytes()
    assert (run_dir / "folds.csv").read_bytes() == (ref_dir / "folds.csv").read_bytes()
    # the same epochs ran in total, each once: the history of the resumed fold has no gap or repeat
    for fold in range(3):
        assert _epochs(run_dir, fold) == _epochs(ref_dir, fold)
    ref_states = [json.loads((ref_dir / f"fold_{k}" / "state.json").read_text()) for k in range(3)]
    states = [json.loads((run_dir / f"fold_{k}" / "state.json").read_text()) for k in range(3)]
    assert [s["epochs_run"] for s in states] == [s["epochs_run"] for s in ref_states]
    assert [s["best_epoch"] for s in states] == [s["best_epoch"] for s in ref_states]
    # backups are removed once a fold is complete
    assert not (run_dir / "fold_1" / "backup").exists()


def test_killed_twice_in_the_same_fold(reference: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, ref_dir = reference
    run_dir = tmp_path / "run"
    command = train_command(run_dir, data_dir)
    kill_when(command, lambda: backup_epoch(run_dir, 0) >= 1)
    kill_when(command, lambda: backup_epoch(run_dir, 0) >= 3)
    run(command)
    np.testing.assert_array_equal(np.load(run_dir / "oof.npy"), np.load(ref_dir / "oof.npy"))
    assert _epochs(run_dir, 0) == _epochs(ref_dir, 0)


def test_same_config_and_seed_reproduce_bit_for_bit(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    """13: identical folds.csv (hash) and bitwise-identical OOF and test predictions on CPU."""
    import hashlib

    data_dir, ref_dir = reference
    run_dir = tmp_path / "run"
    run(train_command(run_dir, data_dir, "trainer.backup=false"))
    digest = [
        hashlib.sha256((d / "folds.csv").read_bytes()).hexdigest() for d in (run_dir, ref_dir)
    ]
    assert digest[0] == digest[1]
    for name in ("oof.npy", "test_pred.npy"):
        assert (run_dir / name).read_bytes() == (ref_dir / name).read_bytes()
    # another seed gives other folds and other predictions
    other = tmp_path / "other"
    run(train_command(other, data_dir, "trainer.seed=7", "trainer.folds=[0]"))
    assert (other / "folds.csv").read_bytes() != (ref_dir / "folds.csv").read_bytes()
