"""Lazy model inputs: rows produced on demand, batch by batch.

A preprocessor's ``transform`` returns a dict ``name -> value``. A value is a numpy array, or a
:class:`LazyInput`: rows produced on demand (image files read per batch). Whenever model data
holds a lazy input, :func:`kagglekit.training.fit.fit_model` and
:func:`~kagglekit.training.fit.predict` feed Keras a
:class:`~kagglekit.training.input_batches.InputBatches` (a ``keras.utils.PyDataset``) instead of
arrays; numpy inputs beside it (a numeric block next to an image) are sliced per batch.

A lazy input may also offer several *views* (``n_views > 1``): deterministic variants of every
row (flipped, shifted images) over which ``predict`` averages — test-time augmentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class LoaderOptions:
    """How Keras reads a lazy input's batches (``keras.utils.PyDataset`` arguments).

    Args:
        workers: batches prepared in parallel (threads, or processes with
            ``use_multiprocessing``); 1 reads them in the training loop.
        use_multiprocessing: worker processes instead of threads (the input must pickle).
        max_queue_size: batches prepared ahead.
    """

    workers: int = 1
    use_multiprocessing: bool = False
    max_queue_size: int = 10

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, but got {self.workers=}.")
        if self.max_queue_size < 1:
            raise ValueError(f"max_queue_size must be at least 1, but got {self.max_queue_size=}.")


@runtime_checkable
class LazyInput(Protocol):
    """One model input whose rows are produced on demand."""

    @property
    def n_views(self) -> int:
        """Deterministic views of every row averaged at prediction (1: no test-time augmentation)."""
        ...

    @property
    def loader(self) -> LoaderOptions: ...

    def __len__(self) -> int: ...

    def take(self, rows: np.ndarray) -> LazyInput:
        """The same input restricted to ``rows`` (nothing is read)."""
        ...

    def load(
        self, rows: np.ndarray, *, rng: np.random.Generator | None = None, view: int = 0
    ) -> np.ndarray:
        """Read ``rows`` as one array; ``rng`` applies random augmentation, ``view`` a TTA view."""
        ...


InputValue = np.ndarray | LazyInput
Targets = np.ndarray | dict[str, np.ndarray]


def is_lazy(data: Mapping[str, Any]) -> bool:
    return any(isinstance(value, LazyInput) for value in data.values())


def take(value: InputValue, rows: np.ndarray) -> InputValue:
    return value.take(rows) if isinstance(value, LazyInput) else value[rows]


def n_rows(data: Mapping[str, InputValue]) -> int:
    lengths = {name: len(value) for name, value in data.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Model inputs have different numbers of rows: {lengths}.")
    return next(iter(lengths.values())) if lengths else 0


def n_views(data: Mapping[str, InputValue]) -> int:
    """The number of TTA views of the data: those of its lazy inputs, which must agree."""
    views = {
        name: value.n_views
        for name, value in data.items()
        if isinstance(value, LazyInput) and value.n_views > 1
    }
    if len(set(views.values())) > 1:
        raise ValueError(
            f"Inputs declare different numbers of test-time augmentation views: {views}. "
            "Give every augmented input the same number of views (or turn TTA off for all but one)."
        )
    return next(iter(views.values()), 1)


def loader_options(data: Mapping[str, InputValue]) -> LoaderOptions:
    """The most parallel of the lazy inputs' loader options."""
    options = [v.loader for v in data.values() if isinstance(v, LazyInput)]
    if not options:
        return LoaderOptions()
    return LoaderOptions(
        workers=max(o.workers for o in options),
        use_multiprocessing=any(o.use_multiprocessing for o in options),
        max_queue_size=max(o.max_queue_size for o in options),
    )


def take_targets(y: Targets, rows: np.ndarray) -> Targets:
    if isinstance(y, dict):
        return {name: values[rows] for name, values in y.items()}
    return y[rows]
