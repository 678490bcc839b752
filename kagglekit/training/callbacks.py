"""Callbacks built from config, and a checkpoint that writes atomically.

Callbacks are configured as ``_partial_: true`` factories in ``conf/callbacks/*.yaml``; string
arguments may hold ``{fold_dir}``, filled in for each fold (``{fold_dir}/model.weights.h5``).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kagglekit.errors import ConfigError
from kagglekit.files import atomic_path, check_free_space

CallbackFactory = Callable[..., keras.callbacks.Callback]

HEADROOM = 1 << 20  # HDF5 metadata, and room left for the logs


def weights_bytes(model: keras.Model) -> int:
    """About how many bytes the model's weights and optimizer state take in a checkpoint."""
    variables = list(model.weights)
    optimizer = getattr(model, "optimizer", None)  # an uncompiled model has none
    if optimizer is not None and optimizer.built:
        variables += list(optimizer.variables)
    total = 0
    for variable in variables:
        size = math.prod(int(dim or 1) for dim in variable.shape)
        total += size * _itemsize(variable.dtype)
    return total + HEADROOM


def _itemsize(dtype: Any) -> int:
    name = keras.backend.standardize_dtype(dtype)
    digits = "".join(c for c in name if c.isdigit())
    return max(int(digits) // 8, 1) if digits else 4


def save_weights(model: keras.Model, path: str | Path, *, durable: bool = True) -> Path:
    """``model.save_weights`` to ``path`` atomically, after checking that the disk can hold it."""
    check_free_space(path, weights_bytes(model))
    with atomic_path(path, durable=durable) as tmp:
        model.save_weights(str(tmp))
    return Path(path)


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint`` that never leaves a partial file at ``filepath``
    and never takes a NaN/inf epoch as the best one.

    The weights go to a temporary file in the same folder, then ``os.replace`` moves it over
    the previous checkpoint: a kill mid-write leaves the previous good checkpoint in place.
    With ``defer`` set (the fold path sets it) and ``save_best_only``, an improvement only
    copies the weights to host memory (``pending``); :meth:`flush` writes them after ``fit``,
    and :class:`~kagglekit.training.backup.FoldBackup` keeps them in each backup and hands
    them back on resume, so a killed fold still ends with the best weights on disk.
    """

    best: float | None  # the best monitored value so far (Keras' attribute)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: tuple[str, list[np.ndarray]] | None = None
        # the fold path sets this: keep the best weights in memory, written by flush() after fit
        self.defer = False
        self._epoch = 0
        self._batches_since_save = 0
        self._last_batch: int | None = None

    @property
    def async_safe(self) -> bool:
        """Saving per epoch, it does nothing per batch: Keras need not wait for every step's
        logs for it (JAX and torch dispatch batch callbacks to a worker thread then)."""
        return self.save_freq == "epoch"

    def defers(self) -> bool:
        """Whether the best weights are held in memory during ``fit`` (written by :meth:`flush`)."""
        return self.defer and bool(self.save_best_only) and self.save_freq == "epoch"

    # Keras' public hooks only (no private ModelCheckpoint method is overridden or called)
    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.save_freq == "epoch":
            self._checkpoint(epoch, None, logs)

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.save_freq == "epoch":
            return
        # batches seen since the last save (with steps_per_execution, ``batch`` jumps)
        seen = (
            batch + 1
            if self._last_batch is None or batch <= self._last_batch
            else batch - self._last_batch
        )
        self._last_batch = batch
        self._batches_since_save += seen
        if self._batches_since_save >= int(self.save_freq):
            self._batches_since_save = 0
            self._checkpoint(self._epoch, batch, logs)

    def _checkpoint(self, epoch: int, batch: int | None, logs: Mapping[str, Any] | None) -> None:
        logs = dict(logs or {})
        for key in (self.monitor, "loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(float(value)):
                return
        fields = logs if batch is None or "batch" in logs else {**logs, "batch": batch + 1}
        filepath = self.filepath.format(epoch=epoch + 1, **fields)
        if self.save_best_only and not self._improved(epoch, logs.get(self.monitor)):
            return
        if self.defers():
            self.keep_best(filepath, host_copy(model_state(self.model)))
            return
        self._write(filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saved the model to {filepath}")

    def _improved(self, epoch: int, current: Any) -> bool:
        """Whether ``current`` beats the best so far (then it becomes the best); without a
        scalar value to compare, save (as Keras does)."""
        if current is None or np.ndim(current) > 0:
            warnings.warn(
                f"{type(self).__name__} saves the best model only with a scalar "
                f"{self.monitor} in the logs; saving this epoch's.",
                stacklevel=2,
            )
            return True
        current = float(current)
        lower = monitor_direction(self.monitor, self.mode) == "min"
        best = self.best
        if best is None or (current < best if lower else current > best):
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best:.5f}")
        return False

    def keep_best(self, filepath: str, weights: list[np.ndarray]) -> None:
        """Hold ``weights`` (every variable of :func:`model_state`) to write to ``filepath``."""
        self.pending = (filepath, weights)

    def _write(self, filepath: str) -> None:
        Path(filepath).parent.mkdir(parents=True, exist_ok=True)
        if self.save_weights_only:
            save_weights(self.model, filepath)
            return
        check_free_space(filepath, weights_bytes(self.model))
        with atomic_path(filepath) as tmp:
            self.model.save(str(tmp))

    def flush(self) -> None:
        """Write the best weights held in memory, if any (the model is left as it was)."""
        if self.pending is None:
            return
        filepath, best = self.pending
        variables = model_state(self.model)
        current = host_copy(variables)
        try:
            for variable, value in zip(variables, best, strict=True):
                variable.assign(value)
            self._write(filepath)
        finally:
            for variable, value in zip(variables, current, strict=True):
                variable.assign(value)
        self.pending = None


def monitor_direction(monitor: str, mode: str) -> str:
    """``min`` or ``max``: ``mode`` when it is one of them; in ``auto`` mode ``min`` for a loss
    (or a metric named like an error), ``max`` for a metric named like a score."""
    if mode in ("min", "max"):
        return mode
    name = monitor.lower().removeprefix("val_")
    if name == "loss" or any(hint in name for hint in _MIN_HINTS):
        return "min"
    if any(hint in name for hint in _MAX_HINTS):
        return "max"
    raise CallbackConfigError(
        f"Cannot tell whether monitor={monitor!r} should go up or down: set the callback's "
        "mode to min or max (e.g. callbacks.model_checkpoint.mode=max)."
    )


_MIN_HINTS = ("loss", "error", "mse", "mae", "rmse", "msle", "crossentropy", "hinge", "poisson")
_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "score")


class CallbackConfigError(ConfigError):
    """A callback's configuration cannot work; the message names the key to set."""


def host_copy(variables: list[Any]) -> list[np.ndarray]:
    """The values of ``variables`` as numpy arrays of their own (never views of device
    buffers that a later step may reuse, or of a tensor a later step updates in place).

    On JAX a variable's value is an immutable array, copied straight to numpy (about 5 times
    faster than going through ``keras.ops``); TensorFlow and torch go through
    ``keras.ops.convert_to_numpy`` (torch tensors on a GPU or needing grad, TF's reads)."""
    if keras.backend.backend() == "jax":
        return [np.array(v.value, copy=True) for v in variables]
    return [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]


def model_state(model: keras.Model) -> list[Any]:
    """Every variable training changes: the model's (weights, statistics, dropout seeds) and
    the optimizer's (iterations, learning rate, moments)."""
    variables = list(model.variables)
    if model.optimizer is not None and model.optimizer.built:
        variables += list(model.optimizer.variables)
    return variables


def for_fold(factory: CallbackFactory, fold_dir: Path) -> keras.callbacks.Callback:
    """Call a callback factory with ``{fold_dir}`` filled into its string arguments."""
    if isinstance(factory, functools.partial):
        keywords = {
            key: value.format(fold_dir=fold_dir) if isinstance(value, str) else value
            for key, value in factory.keywords.items()
        }
        return factory.func(*factory.args, **keywords)
    if isinstance(factory, keras.callbacks.Callback):
        return factory
    return factory()


def checkpoint_path(callbacks: list[keras.callbacks.Callback]) -> Path | None:
    """Where a fold's checkpoint callback writes its best weights, if there is one."""
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.ModelCheckpoint) and callback.save_best_only:
            return Path(callback.filepath)
    return None
