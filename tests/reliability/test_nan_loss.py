"""7: a NaN loss stops the fold with a clear error (or keeps its last good checkpoint), and a NaN
model is never taken as the best checkpoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.reliability.helpers import ROOT, env, run, train_command

POISON = "+callbacks.poison={_target_: tests.reliability.poison.PoisonWeights, epoch: 2}"


def _finite_weights(path: Path) -> bool:
    import h5py

    with h5py.File(path, "r") as f:
        arrays: list[np.ndarray] = []
        f.visititems(
            lambda _, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None
        )
    return all(
        np.isfinite(a).all() for a in arrays if np.issubdtype(np.asarray(a).dtype, np.floating)
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nan") / "digits"


def test_nan_loss_stops_the_run_with_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        train_command(run_dir, data_dir, POISON),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode != 0
    assert "Fold 0: the loss became nan at epoch 3" in proc.stderr
    assert "learning_rate" in proc.stderr
    # the best checkpoint is from a good epoch, and no backup holds the diverged model
    assert _finite_weights(run_dir / "fold_0" / "model.weights.h5")
    latest = json.loads((run_dir / "fold_0" / "backup" / "latest.json").read_text())
    assert latest["epoch"] == 2
    assert not (run_dir / "fold_0" / "state.json").exists()
    assert not (run_dir / "submission.csv").exists()
    state = json.loads((run_dir / "run_state.json").read_text())
    assert state["status"] == "failed"
    assert state["reason"].startswith("Fold 0: the loss became nan at epoch 3")


def test_on_nan_stop_keeps_the_last_good_checkpoint(data_dir: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run(train_command(run_dir, data_dir, POISON, "trainer.on_nan=stop"))
    for k in range(3):
        state = json.loads((run_dir / f"fold_{k}" / "state.json").read_text())
        assert state["stopped_on_nan"] is True
        assert state["epochs_run"] == 3
        assert _finite_weights(run_dir / f"fold_{k}" / "model.weights.h5")
    assert np.isfinite(np.load(run_dir / "oof.npy")).all()
    # the kept model is the best of the two good epochs: the same as a clean 2-epoch run
    clean_dir = tmp_path / "clean"
    run(train_command(clean_dir, data_dir, "trainer.epochs=2"))
    np.testing.assert_array_equal(np.load(run_dir / "oof.npy"), np.load(clean_dir / "oof.npy"))


def test_checkpoint_skips_non_finite_epochs(tmp_path: Path) -> None:
    from kagglekit.training.callbacks import AtomicModelCheckpoint

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    path = tmp_path / "model.weights.h5"
    checkpoint = AtomicModelCheckpoint(
        str(path), monitor="val_loss", save_best_only=True, save_weights_only=True
    )
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"loss": float("nan"), "val_loss": float("nan")})
    assert not path.exists()
    checkpoint.on_epoch_end(1, {"loss": 1.0, "val_loss": 1.0})
    assert path.exists()
    saved = path.read_bytes()
    checkpoint.on_epoch_end(2, {"loss": float("inf"), "val_loss": 0.5})
    assert path.read_bytes() == saved
