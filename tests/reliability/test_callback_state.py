"""2: a resumed fold keeps its callbacks' state: early stopping's patience counter and best
value, the best checkpoint (a worse epoch after resume never overwrites it), the LR position."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keras
import numpy as np
import pytest

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


def _fresh(callbacks: list[keras.callbacks.Callback], model: keras.Model) -> None:
    """What ``fit`` does first: every callback gets the model and resets itself."""
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()


def _named(callback: keras.callbacks.Callback, name: str) -> keras.callbacks.Callback:
    from kagglekit.training.callback_state import set_name

    return set_name(callback, name)


class Counter(keras.callbacks.Callback):
    """A custom callback with state (``get_state``/``set_state``)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def get_state(self) -> dict:
        return {"count": self.count}

    def set_state(self, state: dict) -> None:
        self.count = state["count"]


def test_states_follow_their_callback_when_the_list_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Keyed by class and name: a resume whose callback list was reordered, lost a callback
    and gained one gives every state to the callback it was taken from."""
    model = _model()
    model.optimizer.build(model.trainable_variables)
    slow = _named(keras.callbacks.EarlyStopping(patience=50, restore_best_weights=True), "slow")
    fast = _named(keras.callbacks.EarlyStopping(patience=5), "fast")
    plateau = keras.callbacks.ReduceLROnPlateau(patience=4)
    checkpoint = AtomicModelCheckpoint(str(tmp_path / "best.weights.h5"), save_best_only=True)
    saved = [slow, plateau, fast, checkpoint]
    _fresh(saved, model)
    slow.wait, slow.best, slow.best_epoch = 3, 0.5, 2
    slow.best_weights = [np.full(w.shape, 7.0) for w in model.get_weights()]
    fast.wait, fast.best, fast.best_epoch = 1, 0.9, 4
    plateau.wait, plateau.cooldown_counter, plateau.best = 2, 1, 0.7
    checkpoint.best = 0.4
    backup = FoldBackup(tmp_path / "backup", saved)
    backup.set_model(model)
    backup.save(5)
    backup.wait()

    # resumed with the checkpoint gone, a callback added, and the rest in another order
    r_fast = _named(keras.callbacks.EarlyStopping(patience=5), "fast")
    r_plateau = keras.callbacks.ReduceLROnPlateau(patience=4)
    r_slow = _named(keras.callbacks.EarlyStopping(patience=50, restore_best_weights=True), "slow")
    added = Counter()
    resumed = [added, r_fast, r_plateau, r_slow]
    restored_model = _model()
    resume = FoldBackup(tmp_path / "backup", resumed)
    assert resume.restore(restored_model) == 5
    _fresh([*resumed, resume], restored_model)
    with caplog.at_level(logging.WARNING):
        resume.on_train_begin()  # fit's on_train_begin reaches the backup last

    assert (r_slow.wait, r_slow.best, r_slow.best_epoch) == (3, 0.5, 2)
    assert all((w == 7.0).all() for w in r_slow.best_weights)
    assert (r_fast.wait, r_fast.best, r_fast.best_epoch) == (1, 0.9, 4)
    assert r_fast.best_weights is None
    assert (r_plateau.wait, r_plateau.cooldown_counter, r_plateau.best) == (2, 1, 0.7)
    assert added.count == 0  # added since the backup: starts afresh
    assert "AtomicModelCheckpoint" in caplog.text  # its state had no callback to go to
    assert "Counter" in caplog.text  # no state was saved for it


def test_two_unnamed_callbacks_of_a_kind_keep_their_order(tmp_path: Path) -> None:
    from kagglekit.training.callback_state import state_keys

    plain = [keras.callbacks.ReduceLROnPlateau(), keras.callbacks.ReduceLROnPlateau()]
    assert state_keys(plain) == ["ReduceLROnPlateau", "ReduceLROnPlateau#2"]
    named = [_named(keras.callbacks.EarlyStopping(), "a"), keras.callbacks.EarlyStopping()]
    assert state_keys(named) == ["EarlyStopping:a", "EarlyStopping"]


def _legacy_backup(folder: Path, model: keras.Model, checkpoint_file: str) -> None:
    """A backup as the previous kagglekit wrote it: callback states keyed by list position."""
    from kagglekit.training.backup import _write_arrays
    from kagglekit.training.callbacks import host_copy, model_state

    epoch = folder / "epoch-0003"
    epoch.mkdir(parents=True)
    model.optimizer.build(model.trainable_variables)
    _write_arrays(epoch / "model.weights.h5", host_copy(model_state(model)))
    _write_arrays(epoch / "best_weights.npz", [np.full(w.shape, 5.0) for w in model.get_weights()])
    pending = [np.full(np.shape(v), 6.0) for v in model_state(model)]
    _write_arrays(epoch / "checkpoint-1.npz", pending)
    state = {
        "epoch": 3,
        "stopped": False,
        "callbacks": {
            "0": {"wait": 2, "stopped_epoch": 0, "best": 0.3, "best_epoch": 1},
            "1": {"best": 0.25},
            "2": {"wait": 1, "cooldown_counter": 0, "best": 0.35},
        },
        "checkpoints": {"1": {"file": "checkpoint-1.npz", "filepath": checkpoint_file}},
    }
    (epoch / "state.json").write_text(json.dumps(state))
    (folder / "latest.json").write_text(json.dumps({"epoch": 3, "dir": "epoch-0003"}))


def test_a_backup_of_the_previous_format_resumes_by_position(tmp_path: Path) -> None:
    checkpoint_file = str(tmp_path / "best.weights.h5")
    _legacy_backup(tmp_path / "backup", _model(), checkpoint_file)
    model = _model()
    callbacks = [
        keras.callbacks.EarlyStopping(patience=50, restore_best_weights=True),
        AtomicModelCheckpoint(checkpoint_file, save_best_only=True),
        keras.callbacks.ReduceLROnPlateau(),
    ]
    resume = FoldBackup(tmp_path / "backup", callbacks)
    assert resume.restore(model) == 3
    _fresh([*callbacks, resume], model)
    resume.on_train_begin()
    early, checkpoint, plateau = callbacks
    assert (early.wait, early.best, early.best_epoch) == (2, 0.3, 1)
    assert all((w == 5.0).all() for w in early.best_weights)
    assert checkpoint.best == 0.25
    assert checkpoint.pending is not None and checkpoint.pending[0] == checkpoint_file
    assert (plateau.wait, plateau.cooldown_counter, plateau.best) == (1, 0, 0.35)


def test_a_previous_format_state_never_goes_to_another_kind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _legacy_backup(tmp_path / "backup", _model(), str(tmp_path / "best.weights.h5"))
    model = _model()
    # the list changed since: position 0 now holds a ReduceLROnPlateau, 2 an EarlyStopping
    callbacks = [keras.callbacks.ReduceLROnPlateau(), keras.callbacks.EarlyStopping()]
    resume = FoldBackup(tmp_path / "backup", callbacks)
    assert resume.restore(model) == 3
    _fresh([*callbacks, resume], model)
    with caplog.at_level(logging.WARNING):
        resume.on_train_begin()
    plateau, early = callbacks
    assert plateau.wait == 0 and early.wait == 0  # both start afresh
    assert "position 0 does not fit" in caplog.text


def test_a_backup_folder_of_format_2_still_resumes(tmp_path: Path) -> None:
    """Backups before format 3 were folders (HDF5 weights, state.json, callback-<i>.npz)."""
    from kagglekit.training.backup import _write_arrays
    from kagglekit.training.callbacks import host_copy, model_state

    folder = tmp_path / "backup"
    saved = _model()
    saved.optimizer.build(saved.trainable_variables)
    values = [np.full(np.shape(v), 3.0, dtype=np.asarray(v).dtype) for v in model_state(saved)]
    epoch = folder / "epoch-0004"
    epoch.mkdir(parents=True)
    _write_arrays(epoch / "model.weights.h5", values)
    _write_arrays(epoch / "callback-0.npz", [np.full(w.shape, 5.0) for w in saved.get_weights()])
    state = {
        "format": 2,
        "epoch": 4,
        "stopped": False,
        "callbacks": {
            "EarlyStopping": {
                "kind": "EarlyStopping",
                "values": {"wait": 1, "stopped_epoch": 0, "best": 0.5, "best_epoch": 2},
                "weights": "callback-0.npz",
            }
        },
    }
    (epoch / "state.json").write_text(json.dumps(state))
    (folder / "latest.json").write_text(json.dumps({"epoch": 4, "dir": "epoch-0004"}))
    model = _model()
    early = keras.callbacks.EarlyStopping(patience=50, restore_best_weights=True)
    resume = FoldBackup(folder, [early])
    assert resume.restore(model) == 4
    _fresh([early, resume], model)
    resume.on_train_begin()
    assert (early.wait, early.best, early.best_epoch) == (1, 0.5, 2)
    assert all((w == 5.0).all() for w in early.best_weights)
    assert all((host == 3.0).all() for host in host_copy(model_state(model)))


def test_a_backup_stores_weights_equal_to_the_models_once(tmp_path: Path) -> None:
    """The checkpoint's and early stopping's best weights of an improving epoch are the model's
    own: one backup file holds each array once, and a resume gets them all back."""
    x, y, xv, yv = _data()
    model = _model()
    callbacks = _callbacks(tmp_path)
    for callback in callbacks:
        if isinstance(callback, AtomicModelCheckpoint):
            callback.defer = True
    backup = FoldBackup(tmp_path / "backup", callbacks)
    model.fit(
        x,
        y,
        validation_data=(xv, yv),
        epochs=1,
        batch_size=16,
        verbose=0,
        callbacks=[*callbacks, backup],
    )
    with np.load(tmp_path / "backup" / "epoch-0001.npz", allow_pickle=False) as stored:
        state = json.loads(str(stored["state"][()]))
        names = set(stored.files)
    entries = state["callbacks"]
    early = entries["EarlyStopping"]["weights"]
    pending = entries["AtomicModelCheckpoint"]["weights"]
    assert set(pending) == set(state["variables"])  # epoch 1 is the best: the model's weights
    assert set(early) <= set(state["variables"])
    assert names == {*state["variables"], "state"}
    resumed = _model()
    fresh = _callbacks(tmp_path)
    resume = FoldBackup(tmp_path / "backup", fresh)
    assert resume.restore(resumed) == 1
    _fresh([*fresh, resume], resumed)
    resume.on_train_begin()
    best = fresh[1].pending
    assert best is not None
    for kept, now in zip(best[1], host_copy_of(model), strict=True):
        np.testing.assert_array_equal(kept, now)
    for kept, now in zip(fresh[0].best_weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)


def host_copy_of(model: keras.Model) -> list[np.ndarray]:
    from kagglekit.training.callbacks import host_copy, model_state

    return host_copy(model_state(model))
