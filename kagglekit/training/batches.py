"""In-memory training batches whose order depends only on (seed, epoch).

Keras' own shuffling draws from global random state, so a fold resumed at epoch ``e`` would
see other batches than an uninterrupted run. Here epoch ``e`` always visits the rows in
``permutation(seed, e)``: a resumed fold trains on exactly the batches it would have seen.

The permutation is drawn once per epoch and cached; a batch is a slice of it and one gather
per array, so assembling an epoch costs O(rows), like Keras' own shuffling. On TensorFlow,
:func:`kagglekit.backend.epoch_dataset` feeds the same order through ``tf.data`` (gathers in
the graph, no Python per batch), every epoch from one iterator.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


class EpochBatches(keras.utils.PyDataset):
    """Batches of ``x`` (dict of arrays) and ``y`` in an order fixed by ``(seed, epoch)``.

    The epoch is set by :class:`EpochSync` at the start of every epoch, so the order never
    depends on how many epochs this object has seen before (a resumed fit starts mid-way).
    Pass ``shuffle=False`` to ``fit``: the dataset shuffles itself.
    """

    def __init__(
        self,
        x: dict[str, np.ndarray],
        y: Any,
        batch_size: int,
        *,
        seed: int,
        shuffle: bool = True,
    ) -> None:
        super().__init__()
        self.x = x
        self.y = y
        self.n = len(next(iter(x.values())))
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = 0
        self._cached: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def order(self) -> np.ndarray:
        """The row order of the current epoch (see :meth:`order_of`)."""
        return self.order_of(self.epoch)

    def order_of(self, epoch: int) -> np.ndarray:
        """The row order of ``epoch``: ``permutation(seed, epoch)``, computed once an epoch."""
        cached_epoch, cached = self._cached if self._cached is not None else (-1, None)
        if cached is None or cached_epoch != epoch:
            cached = (
                np.random.default_rng([self.seed, epoch]).permutation(self.n)
                if self.shuffle
                else np.arange(self.n)
            )
            self._cached = (epoch, cached)  # one assignment: safe with reader threads
        return cached

    def rows(self, index: int) -> np.ndarray:
        """The data rows of batch ``index`` in the current epoch."""
        if not 0 <= index < len(self):
            raise IndexError(f"Batch {index} out of range: there are {len(self)} batches.")
        return self.order()[index * self.batch_size : (index + 1) * self.batch_size]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        rows = self.rows(index)
        x = {name: np.take(array, rows, axis=0) for name, array in self.x.items()}
        y = (
            {name: np.take(array, rows, axis=0) for name, array in self.y.items()}
            if isinstance(self.y, dict)
            else np.take(self.y, rows, axis=0)
        )
        return (next(iter(x.values())) if len(x) == 1 else x), y


class EpochSync(keras.callbacks.Callback):
    """Tells an :class:`EpochBatches` which epoch is starting."""

    def __init__(self, batches: EpochBatches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.batches.epoch = epoch
