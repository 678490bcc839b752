"""5: a run directory is complete only once the submission is written, and records each fold's
state so that scores.json and the submission can be rebuilt from what is on disk."""

from __future__ import annotations

import json
from pathlib import Path

from tests.reliability.helpers import run, train_command


def test_scores_and_submission_are_rebuilt_from_the_fold_files(tmp_path: Path) -> None:
    data_dir, run_dir = tmp_path / "digits", tmp_path / "run"
    command = train_command(run_dir, data_dir, "cv.n_splits=2", "trainer.epochs=2")
    run(command)
    state = json.loads((run_dir / "run_state.json").read_text())
    assert state["status"] == "complete" and state["submission"] == "submission.csv"
    assert [state["folds"][str(k)]["status"] for k in range(2)] == ["complete", "complete"]
    scores = (run_dir / "scores.json").read_text()
    submission = (run_dir / "submission.csv").read_bytes()
    fold_states = [(run_dir / f"fold_{k}" / "state.json").read_bytes() for k in range(2)]
    for name in (
        "scores.json",
        "submission.csv",
        "oof.npy",
        "oof.csv",
        "test_pred.npy",
        "test_pred.csv",
        "run_state.json",
    ):
        (run_dir / name).unlink()

    proc = run(command)
    log = proc.stdout + proc.stderr
    assert "Fold 0: already complete" in log and "Fold 1: already complete" in log
    assert [(run_dir / f"fold_{k}" / "state.json").read_bytes() for k in range(2)] == fold_states
    rebuilt = json.loads((run_dir / "scores.json").read_text())
    original = json.loads(scores)
    assert rebuilt["cv"] == original["cv"] and rebuilt["folds"] == original["folds"]
    assert (run_dir / "submission.csv").read_bytes() == submission
    assert json.loads((run_dir / "run_state.json").read_text())["status"] == "complete"
