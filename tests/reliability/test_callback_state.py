"""2: a resumed fold keeps its callbacks' state: early stopping's patience counter and best
value, the best checkpoint (a worse epoch after resume never overwrites it), the LR position."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from kagglekit.training.backup import FoldBackup
from kagglekit.training.callbacks import AtomicModelCheckpoint


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(0.3)(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


def _callbacks(folder: Path) -> list[keras.callbacks.Callback]:
    return [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True),
        AtomicModelCheckpoint(
            str(folder / "model.weights.h5"),
            monitor="val_loss",
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-6),
        keras.callbacks.CSVLogger(str(folder / "history.csv")),
    ]


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=2.0, size=64)).astype("float32")
    # validation targets unrelated to the inputs: val_loss stops improving quickly
    return x[:48], y[:48], x[48:], rng.normal(size=16).astype("float32") * 5


def test_callback_state_survives_a_restart(tmp_path: Path) -> None:
    x, y, xv, yv = _data()
    model = _model()
    callbacks = _callbacks(tmp_path)
    backup = FoldBackup(tmp_path / "backup", callbacks)
    model.fit(
        x,
        y,
        validation_data=(xv, yv),
        epochs=8,
        batch_size=16,
        shuffle=False,
        verbose=0,
        callbacks=[*callbacks, backup],
    )
    early, checkpoint, plateau, _ = callbacks
    assert early.wait > 0 and plateau.wait + plateau.cooldown_counter >= 0
    lr_before = float(model.optimizer.learning_rate)
    assert lr_before < 0.05  # ReduceLROnPlateau acted
    checkpoint_bytes = (tmp_path / "model.weights.h5").read_bytes()

    # a new process: fresh model and callbacks, restored from the backup
    restored_model = _model()
    restored = _callbacks(tmp_path)
    resume = FoldBackup(tmp_path / "backup", restored)
    assert resume.restore(restored_model) == 8
    resume.set_model(restored_model)
    for callback in restored:
        callback.set_model(restored_model)
        callback.on_train_begin()  # the callbacks reset themselves here...
    resume.on_train_begin()  # ...and the backup (last in the list) puts their state back
    r_early, r_checkpoint, r_plateau, r_logger = restored
    assert (r_early.wait, r_early.best, r_early.best_epoch) == (
        early.wait,
        early.best,
        early.best_epoch,
    )
    for a, b in zip(r_early.best_weights, early.best_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert r_checkpoint.best == checkpoint.best
    assert (r_plateau.wait, r_plateau.cooldown_counter, r_plateau.best) == (
        plateau.wait,
        plateau.cooldown_counter,
        plateau.best,
    )
    assert float(restored_model.optimizer.learning_rate) == lr_before
    assert int(restored_model.optimizer.iterations) == int(model.optimizer.iterations)
    r_logger.on_train_end()

    # a worse epoch after the resume does not replace the best checkpoint
    r_checkpoint.on_epoch_end(8, {"loss": 1.0, "val_loss": checkpoint.best + 1.0})
    assert (tmp_path / "model.weights.h5").read_bytes() == checkpoint_bytes
    # the history log goes on from the epochs done
    assert (tmp_path / "history.csv").read_text().count("\n") == 1 + 8
