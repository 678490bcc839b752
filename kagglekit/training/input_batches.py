"""Batches of model data that may hold lazy inputs (image files), with augmentation and TTA views.

:class:`InputBatches` is an :class:`~kagglekit.training.batches.EpochBatches`: epoch ``e``
visits the rows in ``permutation(seed, e)`` (set by ``EpochSync``), so a resumed fold sees the
same batches. On top, lazy inputs (:class:`~kagglekit.data.lazy.LazyInput`) are read per batch,
in parallel when their loader options say so, with random augmentation seeded by
``(seed, epoch, batch)`` while training, or a fixed test-time-augmentation view at prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from kagglekit.data.lazy import (
    InputValue,
    LazyInput,
    LoaderOptions,
    Targets,
    loader_options,
    n_rows,
    take_targets,
)
from kagglekit.training.batches import EpochBatches


class InputBatches(EpochBatches):
    """Batches of ``data`` (arrays and lazy inputs), with targets ``y`` or without (prediction).

    Args:
        data: input name -> array or :class:`~kagglekit.data.lazy.LazyInput`; one input is
            fed as its array, several as a dict keyed by input name.
        y: targets (an array, or a dict per output head); ``None`` for prediction.
        batch_size: rows per batch (the last batch may be smaller).
        seed: seeds the row order and the augmentation of every (epoch, batch).
        shuffle: a new row order every epoch (pass ``shuffle=False`` to ``fit``).
        augment: let lazy inputs apply their random augmentation (training batches).
        view: the TTA view lazy inputs return (0: the plain rows).
        options: parallel reading; default: the most parallel of the lazy inputs' options.
    """

    def __init__(
        self,
        data: Mapping[str, InputValue],
        y: Targets | None = None,
        *,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = False,
        augment: bool = False,
        view: int = 0,
        options: LoaderOptions | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, but got {batch_size=}.")
        data = dict(data)
        n = n_rows(data)
        if y is not None:
            lengths = [len(v) for v in (y.values() if isinstance(y, dict) else [y])]
            if any(length != n for length in lengths):
                raise ValueError(f"{n} input rows but {lengths} target rows.")
        # EpochBatches only measures the first input and orders rows; lazy values are fine.
        super().__init__(
            cast(dict[str, np.ndarray], data), y, batch_size, seed=seed, shuffle=shuffle
        )
        options = options or loader_options(data)
        self.workers = options.workers
        self.use_multiprocessing = options.use_multiprocessing
        self.max_queue_size = options.max_queue_size
        self.data = data
        self.augment = augment
        self.view = view

    def inputs(self, rows: np.ndarray, index: int = 0) -> Any:
        """The model input of ``rows``: arrays sliced, lazy inputs read (and augmented)."""
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.augment else None
        x = {
            name: value.load(rows, rng=rng, view=self.view)
            if isinstance(value, LazyInput)
            else value[rows]
            for name, value in self.data.items()
        }
        return next(iter(x.values())) if len(x) == 1 else x

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        rows = self.rows(index)
        x = self.inputs(rows, index)
        if self.y is None:
            return (x,)
        return x, take_targets(self.y, rows)
