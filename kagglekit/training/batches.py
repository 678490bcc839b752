"""In-memory training batches whose order depends only on (seed, epoch).

Keras' own shuffling draws from global random state, so a fold resumed at epoch ``e`` would
see other batches than an uninterrupted run. Here epoch ``e`` always visits the rows in
``permutation(seed, e)``: a resumed fold trains on exactly the batches it would have seen.
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

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n)
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.n)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        rows = self.order()[index * self.batch_size : (index + 1) * self.batch_size]
        x = {name: array[rows] for name, array in self.x.items()}
        y = (
            {name: array[rows] for name, array in self.y.items()}
            if isinstance(self.y, dict)
            else self.y[rows]
        )
        return (next(iter(x.values())) if len(x) == 1 else x), y


class EpochSync(keras.callbacks.Callback):
    """Tells an :class:`EpochBatches` which epoch is starting."""

    def __init__(self, batches: EpochBatches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.batches.epoch = epoch
