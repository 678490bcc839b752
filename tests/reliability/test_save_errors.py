"""6: when saving fails (read-only folder, disk full, the path is a directory) the error names the
path, and the files already finished stay."""

from __future__ import annotations

import errno
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.files import SaveError, save_array, write_csv, write_json
from tests.reliability.helpers import ROOT, env, run, train_command


@pytest.mark.parametrize(
    ("code", "words"), [(errno.ENOSPC, "No space left"), (errno.EROFS, "Read-only file system")]
)
def test_failed_replace_names_the_path_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    target = tmp_path / "scores.json"
    write_json(target, {"cv": 0.9})

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(SaveError) as info:
        write_json(target, {"cv": 0.1})
    assert str(target) in str(info.value) and words in str(info.value)
    assert '"cv": 0.9' in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]


def test_unwritable_folder_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(
        SaveError, match=re.escape(f"Cannot write {tmp_path / 'oof.npy'}: Permission denied")
    ):
        save_array(tmp_path / "oof.npy", np.zeros(3))


def test_path_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "submission.csv").mkdir()
    with pytest.raises(
        SaveError,
        match=re.escape(f"Cannot write {tmp_path / 'submission.csv'}: the path is a directory"),
    ):
        write_csv(tmp_path / "submission.csv", pd.DataFrame({"a": [1]}))


def test_a_run_whose_submission_path_is_a_directory(tmp_path: Path) -> None:
    data_dir, run_dir = tmp_path / "digits", tmp_path / "run"
    (run_dir / "submission.csv").mkdir(parents=True)
    command = train_command(run_dir, data_dir, "cv.n_splits=2", "trainer.epochs=1")
    proc = subprocess.run(command, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1
    assert f"Cannot write {run_dir / 'submission.csv'}: the path is a directory" in proc.stderr
    assert "Traceback" not in proc.stderr
    # the finished work is on disk: the folds and scores are kept, and a rerun only writes the submission
    assert (run_dir / "scores.json").exists()
    (run_dir / "submission.csv").rmdir()
    proc = run(command)
    assert "Fold 1: already complete" in proc.stdout + proc.stderr
    assert (run_dir / "submission.csv").is_file()
