"""Several devices by config: ``trainer.distribution: data_parallel`` (JAX only).

Under :class:`keras.distribution.DataParallel` every variable is replicated on all devices and
each batch is split along its first axis, one slice per device. ``trainer.batch_size`` is the
*global* batch (each of ``n`` devices sees ``batch_size / n`` rows per step), so it must be a
multiple of the device count.

JAX needs every batch to split evenly, so under ``data_parallel``:

- the last training batch of an epoch drops its last ``< n`` rows (other rows every epoch,
  since each epoch has its own order);
- validation during ``fit`` (early stopping, checkpoints) leaves out the last ``< n``
  validation rows;
- predictions (OOF, test) cover every row: the last batch is padded, the padding cut off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import keras
import numpy as np

from kagglekit.errors import KagglekitError

log = logging.getLogger(__name__)

DISTRIBUTIONS = (None, "data_parallel")


class DistributionError(KagglekitError, ValueError):
    """The chosen ``trainer.distribution`` cannot run here; the message says what to use."""


def check_distribution(name: str | None) -> str | None:
    if name not in DISTRIBUTIONS:
        raise ValueError(f"trainer.distribution must be null or 'data_parallel', but got {name!r}.")
    return name


@contextmanager
def device_distribution(name: str | None, batch_size: int) -> Iterator[int]:
    """Run the body under the distribution ``name``; yields the number of devices a batch is
    split over (1 without a distribution). The previous distribution comes back on exit."""
    if check_distribution(name) is None:
        yield 1
        return
    backend = keras.backend.backend()
    if backend != "jax":
        raise DistributionError(
            f"trainer.distribution=data_parallel needs KERAS_BACKEND=jax (this run uses {backend}); "
            "on one device drop it, or train folds side by side, one per GPU "
            "(CUDA_VISIBLE_DEVICES=<i> ... trainer.folds=[<k>] hydra.run.dir=<same run dir>)."
        )
    devices = keras.distribution.list_devices()
    n = len(devices)
    if batch_size % n:
        raise DistributionError(
            f"trainer.batch_size={batch_size} does not split over the {n} devices of "
            f"data_parallel (it is the global batch); use a multiple of {n}, "
            f"e.g. {max(n, batch_size // n * n)} or {(batch_size // n + 1) * n}."
        )
    distribution = keras.distribution.DataParallel(devices=devices)
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    log.info("Data parallel over %d device(s): %s.", n, ", ".join(devices))
    try:
        yield n
    finally:
        keras.distribution.set_distribution(previous)


def batch_shards() -> int:
    """How many devices the active distribution splits a batch over (1 without one)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return int(mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)])


def round_up(size: int, multiple: int) -> int:
    return -(-size // multiple) * multiple


def trim_rows(value: Any, multiple: int) -> Any:
    """The first ``len // multiple * multiple`` rows of every array in ``value``."""
    return _map_rows(value, lambda a: a[: len(a) // multiple * multiple])


def pad_rows(value: Any, multiple: int) -> Any:
    """Every array in ``value`` padded to a multiple of ``multiple`` rows (last row repeated)."""

    def pad(a: np.ndarray) -> np.ndarray:
        extra = round_up(len(a), multiple) - len(a)
        if not extra:
            return a
        return np.concatenate([a, np.repeat(np.asarray(a[-1:]), extra, axis=0)])

    return _map_rows(value, pad)


def _map_rows(value: Any, fn: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {name: _map_rows(v, fn) for name, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_map_rows(v, fn) for v in value)
    return fn(value)


class EvenBatches(keras.utils.PyDataset):
    """Batches of another dataset with a row count divisible by ``multiple``.

    ``mode="trim"`` drops the last ``< multiple`` rows of a batch (and a last batch that would
    be empty); ``mode="pad"`` repeats a batch's last row up to the next multiple (cut the
    padding off the predictions: only the last batch of a dataset is ever padded).
    The wrapped dataset keeps its own epoch and order (``EpochSync`` talks to it).
    """

    def __init__(self, batches: Any, multiple: int, *, mode: str = "trim") -> None:
        super().__init__(
            workers=getattr(batches, "workers", 1),
            use_multiprocessing=getattr(batches, "use_multiprocessing", False),
            max_queue_size=getattr(batches, "max_queue_size", 10),
        )
        if mode not in ("trim", "pad"):
            raise ValueError(f"mode must be 'trim' or 'pad', but got {mode!r}.")
        self.batches = batches
        self.multiple = multiple
        self.mode = mode
        n_batches = len(batches)
        last_rows = batches.n - (n_batches - 1) * batches.batch_size
        self.length = n_batches - 1 if mode == "trim" and last_rows < multiple else n_batches

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Any:
        batch = self.batches[index]
        if self.mode == "trim":
            return trim_rows(batch, self.multiple)
        return pad_rows(batch, self.multiple)

    def on_epoch_end(self) -> None:
        self.batches.on_epoch_end()
