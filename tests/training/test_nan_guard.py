"""The NaN guard checks every batch without making training wait for it (async-safe), yet stops
the fold from the training thread and reports the first bad batch."""

from __future__ import annotations

import math
import threading

import keras
import numpy as np

from kagglekit.training.nan_guard import NanGuard


def _guard_with_model() -> tuple[NanGuard, keras.Model]:
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    guard = NanGuard()
    guard.set_model(model)
    model.stop_training = False
    guard.on_train_begin()
    guard.on_epoch_begin(4)
    return guard, model


def test_a_worker_thread_only_records_and_the_training_thread_stops() -> None:
    guard, model = _guard_with_model()
    worker = threading.Thread(
        target=lambda: [
            guard.on_train_batch_end(8, {"loss": float("nan")}),
            guard.on_train_batch_end(7, {"loss": float("inf")}),  # finished out of order
            guard.on_train_batch_end(9, {"loss": 0.5}),
        ]
    )
    worker.start()
    worker.join()
    assert model.stop_training is False  # never set from a worker thread
    assert guard.tripped is not None and guard.tripped[:2] == (4, 7)
    assert math.isinf(guard.tripped[2])
    guard.on_train_batch_begin(10)  # the training thread's next batch
    assert model.stop_training is True
    assert "at epoch 5, batch 7" in guard.message(0)


def test_a_nan_in_the_last_batch_stops_at_the_end_of_the_epoch() -> None:
    guard, model = _guard_with_model()
    worker = threading.Thread(target=guard.on_train_batch_end, args=(3, {"loss": float("nan")}))
    worker.start()
    worker.join()
    assert model.stop_training is False
    guard.on_epoch_end(4, {"loss": float("nan")})
    assert model.stop_training is True


def test_on_the_training_thread_it_stops_at_once() -> None:
    guard, model = _guard_with_model()
    guard.on_train_batch_end(2, {"loss": 1.0})
    assert model.stop_training is False and guard.tripped is None
    guard.on_train_batch_end(3, {"loss": float("nan")})
    assert model.stop_training is True
    assert guard.tripped is not None and guard.tripped[:2] == (4, 3)


def test_fit_stops_within_the_epoch_of_the_first_bad_batch() -> None:
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    x[24:] = np.nan  # batches 3.. (batch size 8) give a NaN loss
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    guard = NanGuard()
    history = model.fit(
        x, x[:, 0], batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[guard]
    )
    assert guard.tripped is not None and guard.tripped[:2] == (0, 3)
    assert len(history.epoch) == 1
    # a new fit (of a fresh model) starts clean
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    model.fit(x[:16], x[:16, 0], batch_size=8, epochs=1, verbose=0, callbacks=[guard])
    assert guard.tripped is None
