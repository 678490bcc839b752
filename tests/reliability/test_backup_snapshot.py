"""A backup is a snapshot: the values of the epoch it was taken at, whatever training does to
the model (and its device buffers) while the writer thread is still busy."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import keras
import numpy as np
import pytest

from kagglekit.training.backup import FoldBackup, _writer
from kagglekit.training.callbacks import AtomicModelCheckpoint, host_copy, model_state


def _model() -> keras.Model:
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,), name="x")
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x @ rng.normal(size=4)).astype("float32")


def test_a_backup_writes_the_snapshots_values_after_the_model_trained_on(tmp_path: Path) -> None:
    """The writer is held busy while the model trains two more epochs (in place on torch and
    TensorFlow, donating its buffers on JAX): the file still holds the epoch-1 values."""
    x, y = _data()
    model = _model()
    checkpoint = AtomicModelCheckpoint(
        str(tmp_path / "model.weights.h5"),
        monitor="loss",
        save_best_only=True,
        save_weights_only=True,
    )
    checkpoint.defer = True
    backup = FoldBackup(tmp_path / "backup", [checkpoint])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[checkpoint, backup])
    at_epoch_1 = [np.array(keras.ops.convert_to_numpy(v)) for v in model_state(model)]
    gate = threading.Event()
    _writer().submit(gate.wait, 60)  # the writer can take no backup until the gate opens
    try:
        backup.save(1)
        best = checkpoint.pending
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    finally:
        gate.set()
    backup.wait()
    now = [np.array(keras.ops.convert_to_numpy(v)) for v in model_state(model)]
    assert any(not np.array_equal(a, b) for a, b in zip(at_epoch_1, now, strict=True))
    with np.load(tmp_path / "backup" / "epoch-0001.npz", allow_pickle=False) as stored:
        state = json.loads(str(stored["state"][()]))
        written = [stored[name] for name in state["variables"]]
        pending = [stored[name] for name in state["callbacks"]["AtomicModelCheckpoint"]["weights"]]
    for saved, expected in zip(written, at_epoch_1, strict=True):
        np.testing.assert_array_equal(saved, expected)
    # the checkpoint's best weights (host copies too) are epoch 1's, stored once with the model's
    assert best is not None
    for saved, held, expected in zip(pending, best[1], at_epoch_1, strict=True):
        np.testing.assert_array_equal(saved, expected)
        np.testing.assert_array_equal(held, expected)
    assert set(state["callbacks"]["AtomicModelCheckpoint"]["weights"]) == set(state["variables"])


def test_host_copy_owns_its_memory() -> None:
    """A host copy is never a view of a buffer the next step may reuse or update in place."""
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    copies = host_copy(model_state(model))
    before = [c.copy() for c in copies]
    assert all(c.flags.owndata or c.base is None for c in copies)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for copy, kept in zip(copies, before, strict=True):
        np.testing.assert_array_equal(copy, kept)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_writer_thread_runs_below_the_training_threads_priority() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    writer = (
        _writer()
        .submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        .result()
    )
    assert writer > mine or writer == 19
