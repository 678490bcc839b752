"""4: a corrupted or truncated backup or checkpoint falls back to the previous good one, or stops
with an error naming the file and what to do; never a silent restart, never a bare h5py error."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

from kagglekit.training.backup import BackupError, FoldBackup
from tests.reliability.helpers import ROOT, backup_epoch, env, kill_when, run, train_command


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _backed_up(folder: Path, epochs: int) -> keras.Model:
    model = _model()
    x = np.arange(30, dtype="float32").reshape(10, 3)
    model.fit(x, x.sum(axis=1), epochs=epochs, verbose=0, callbacks=[FoldBackup(folder, [])])
    return model


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def test_corrupt_latest_backup_falls_back_to_the_previous(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _backed_up(tmp_path, epochs=3)
    latest = json.loads((tmp_path / "latest.json").read_text())
    assert latest == {"epoch": 3, "file": "epoch-0003.npz", "previous": ["epoch-0002.npz"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "epoch-0002.npz",
        "epoch-0003.npz",
        "latest.json",
    ]
    _truncate(tmp_path / "epoch-0003.npz")
    with caplog.at_level(logging.WARNING):
        assert FoldBackup(tmp_path, []).restore(_model()) == 2
    assert "epoch-0003" in caplog.text and "unreadable" in caplog.text


def test_every_backup_corrupt_stops_with_the_files_named(tmp_path: Path) -> None:
    _backed_up(tmp_path, epochs=3)
    for name in ("epoch-0003.npz", "epoch-0002.npz"):
        _truncate(tmp_path / name)
    with pytest.raises(BackupError) as info:
        FoldBackup(tmp_path, []).restore(_model())
    message = str(info.value)
    assert "epoch-0003" in message and "epoch-0002" in message
    assert f"Delete {tmp_path} to restart this fold from scratch" in message


def test_unreadable_pointer_is_an_error_not_a_restart(tmp_path: Path) -> None:
    _backed_up(tmp_path, epochs=2)
    (tmp_path / "latest.json").write_text("{trunc")
    with pytest.raises(BackupError, match=r"latest\.json"):
        FoldBackup(tmp_path, []).restore(_model())


def test_corrupt_backup_in_a_real_run_is_reported(tmp_path: Path) -> None:
    data_dir, run_dir = tmp_path / "digits", tmp_path / "run"
    command = train_command(run_dir, data_dir)
    kill_when(command, lambda: backup_epoch(run_dir, 0) >= 2)
    for backup in (run_dir / "fold_0" / "backup").glob("epoch-*.npz"):
        _truncate(backup)
    proc = subprocess.run(command, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert "Every backup of this fold is unreadable" in proc.stderr
    assert str(run_dir / "fold_0" / "backup") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_finished_fold_with_corrupt_predictions_is_rebuilt_from_its_checkpoint(
    tmp_path: Path,
) -> None:
    data_dir, run_dir = tmp_path / "digits", tmp_path / "run"
    command = train_command(run_dir, data_dir, "cv.n_splits=2", "trainer.epochs=2")
    run(command)
    oof = np.load(run_dir / "oof.npy")
    state = (run_dir / "fold_1" / "state.json").read_bytes()
    _truncate(run_dir / "fold_1" / "oof.npy")
    proc = run(command)
    assert "Fold 1: rebuilding its predictions from" in proc.stdout + proc.stderr
    assert (run_dir / "fold_1" / "state.json").read_bytes() == state  # not retrained
    np.testing.assert_allclose(np.load(run_dir / "oof.npy"), oof, rtol=1e-6, atol=1e-7)
    # a corrupt checkpoint as well: an error naming it and what to do
    _truncate(run_dir / "fold_1" / "oof.npy")
    _truncate(run_dir / "fold_1" / "model.weights.h5")
    proc = subprocess.run(command, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert f"Cannot load {run_dir / 'fold_1' / 'model.weights.h5'}" in proc.stderr
    assert f"Delete {run_dir / 'fold_1'} to train this fold again" in proc.stderr
