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


def _epoch_rows(parts: list[Any]) -> list[int]:
    sizes = [len(np.asarray(y)) for _, y in parts]
    assert sizes == [4, 4, 2]
    for x, y in parts:
        np.testing.assert_array_equal(np.asarray(x)[:, 0], np.asarray(y))
    return [int(r) for _, y in parts for r in np.asarray(y)]


def test_the_feed_of_fit_visits_every_row_in_the_order_of_the_epoch() -> None:
    batches = _batches()
    feed = training_feed(batches)
    if isinstance(feed, keras.utils.PyDataset):  # JAX, torch: Keras indexes it every epoch
        for epoch in (0, 1, 0):
            batches.epoch = epoch
            assert _epoch_rows([feed[i] for i in range(len(feed))]) == batches.order().tolist()
        return
    # TensorFlow: one endless dataset, one iterator for every epoch (fit takes len(batches)
    # steps an epoch); each epoch's order comes with the data, not from the epoch callback
    iterator = iter(feed)
    for epoch in range(3):
        parts = [next(iterator) for _ in range(len(batches))]
        assert _epoch_rows(parts) == batches.order_of(epoch).tolist()
    # a fit resumed at epoch 2 starts with epoch 2's order
    resumed = iter(training_feed(_batches(), first_epoch=2))
    parts = [next(resumed) for _ in range(len(batches))]
    assert _epoch_rows(parts) == batches.order_of(2).tolist()


def test_a_feed_of_one_epoch_per_iterator_reads_the_epoch_that_began() -> None:
    """With several steps per compiled call that do not divide an epoch, fit reads a dataset
    of one epoch per iterator: the epoch EpochSync set when the iterator starts."""
    batches = _batches()
    feed = training_feed(batches, endless=False)
    for epoch in (0, 1, 0):
        batches.epoch = epoch
        parts = (
            list(feed)
            if not isinstance(feed, keras.utils.PyDataset)
            else [feed[i] for i in range(len(feed))]
        )
        assert _epoch_rows(parts) == batches.order().tolist()
