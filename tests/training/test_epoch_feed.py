"""The training feed: one permutation per epoch, the same rows in the same order on every
backend's path (PyDataset, or tf.data on TensorFlow)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kagglekit.training.batches import EpochBatches
from kagglekit.training.fit import training_feed


def _batches(n: int = 10, batch_size: int = 4, shuffle: bool = True) -> EpochBatches:
    x = {"x": np.arange(n, dtype="float32")[:, None] * np.ones((1, 3), dtype="float32")}
    return EpochBatches(x, np.arange(n), batch_size, seed=3, shuffle=shuffle)


def test_one_permutation_per_epoch_a_pure_function_of_seed_and_epoch() -> None:
    batches = _batches()
    batches.epoch = 2
    first = batches.order()
    assert batches.order() is first  # drawn once per epoch, not per batch
    np.testing.assert_array_equal(first, np.random.default_rng([3, 2]).permutation(10))
    batches.epoch = 3
    assert not np.array_equal(batches.order(), first)
    batches.epoch = 2
    np.testing.assert_array_equal(batches.order(), first)
    assert _batches(shuffle=False).order().tolist() == list(range(10))


def _epoch_rows(feed: Any, batches: EpochBatches) -> list[int]:
    if isinstance(feed, keras.utils.PyDataset):
        parts = [feed[i] for i in range(len(feed))]
    else:  # a tf.data.Dataset: a new iterator per epoch, as Keras makes one
        parts = list(feed)
    sizes = [len(np.asarray(y)) for _, y in parts]
    assert sizes == [4, 4, 2]
    for x, y in parts:
        np.testing.assert_array_equal(np.asarray(x)[:, 0], np.asarray(y))
    return [int(r) for _, y in parts for r in np.asarray(y)]


def test_the_feed_of_fit_visits_every_row_in_the_order_of_the_epoch() -> None:
    batches = _batches()
    feed = training_feed(batches)
    for epoch in (0, 1, 0):
        batches.epoch = epoch
        assert _epoch_rows(feed, batches) == batches.order().tolist()
