"""Backups on a time budget (trainer.backup_every_s): the first and last epoch are always backed
up, the middle ones only when the budget is spent; a kill still resumes bit-identically from
the last backup; backup_every_s=0 backs up every epoch."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from kagglekit.training.backup import FoldBackup
from kagglekit.training.callbacks import AtomicModelCheckpoint
from kagglekit.training.fit import TrainerSettings, fit_model
from kagglekit.training.nan_guard import NanGuard

EPOCHS = 6


def _model() -> keras.Model:
    keras.utils.set_random_seed(1)
    inputs = keras.Input((5,), name="x")
    x = keras.layers.Dense(16, activation="relu")(inputs)
    x = keras.layers.Dropout(0.3)(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _data() -> tuple[tuple[dict[str, np.ndarray], np.ndarray], ...]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5)).astype("float32")
    y = (x @ rng.normal(size=5) + rng.normal(scale=0.5, size=120)).astype("float32")
    return ({"x": x[:96]}, y[:96]), ({"x": x[96:]}, y[96:])


class Kill(keras.callbacks.Callback):
    """Stands in for SIGKILL: the fit dies at the end of ``epoch`` (0-based), mid-fold."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _fold(
    folder: Path, every_s: float, kill_at: int | None = None
) -> tuple[keras.Model, FoldBackup, AtomicModelCheckpoint]:
    """One fold as train_fold runs it: checkpoint, early stopping, guard, backup last."""
    train, valid = _data()
    model = _model()
    checkpoint = AtomicModelCheckpoint(
        str(folder / "model.weights.h5"), save_best_only=True, save_weights_only=True
    )
    checkpoint.defer = True  # as the fold path does
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.EarlyStopping(patience=50, restore_best_weights=True),
        checkpoint,
        NanGuard(),
    ]
    backup = FoldBackup(folder / "backup", callbacks, every_s=every_s)
    callbacks.append(backup)
    initial = backup.restore(model)
    settings = replace(TrainerSettings(), epochs=EPOCHS, batch_size=16, verbose=0)
    extra = [Kill(kill_at)] if kill_at is not None else []
    try:
        fit_model(
            model,
            train,
            valid,
            settings=settings,
            callbacks=[*callbacks, *extra],
            initial_epoch=initial,
        )
    except KeyboardInterrupt:
        backup.wait()  # a real kill may also interrupt this write: latest.json names the last whole one
        return model, backup, checkpoint
    checkpoint.flush()  # train_fold writes the best weights right after fit
    return model, backup, checkpoint


def _latest(folder: Path) -> int:
    return int(json.loads((folder / "backup" / "latest.json").read_text())["epoch"])


def test_every_epoch_with_zero(tmp_path: Path) -> None:
    _, backup, _ = _fold(tmp_path, every_s=0)
    assert backup.saved_epochs == list(range(1, EPOCHS + 1))


def test_a_large_budget_backs_up_the_first_and_last_epoch_only(tmp_path: Path) -> None:
    _, backup, checkpoint = _fold(tmp_path, every_s=3600)
    assert backup.saved_epochs == [1, EPOCHS]
    assert _latest(tmp_path) == EPOCHS
    # the best weights were written once, after the fit
    assert (tmp_path / "model.weights.h5").exists()
    assert checkpoint.pending is None


def test_a_kill_between_backups_resumes_exactly_from_the_last_one(tmp_path: Path) -> None:
    reference, _, _ = _fold(tmp_path / "reference", every_s=3600)
    killed = tmp_path / "killed"
    _fold(killed, every_s=3600, kill_at=3)  # dies after epoch 4: only epoch 1 is backed up
    assert _latest(killed) == 1
    assert not (killed / "model.weights.h5").exists()  # the best weights were only in memory
    model, backup, _ = _fold(killed, every_s=3600)
    assert backup.saved_epochs == [2, EPOCHS]  # the resumed fit's first and last epoch
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # the finished fold's checkpoint holds the best weights, as the uninterrupted one does
    best, ref_best = _model(), _model()
    best.load_weights(str(killed / "model.weights.h5"))
    ref_best.load_weights(str(tmp_path / "reference" / "model.weights.h5"))
    for a, b in zip(best.get_weights(), ref_best.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="backup_every_s"):
        TrainerSettings(backup_every_s=-1)
