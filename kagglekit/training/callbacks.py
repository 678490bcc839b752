"""Callbacks built from config, and a checkpoint that writes atomically.

Callbacks are configured as ``_partial_: true`` factories in ``conf/callbacks/*.yaml``; string
arguments may hold ``{fold_dir}``, filled in for each fold (``{fold_dir}/model.weights.h5``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kagglekit.files import atomic_path

CallbackFactory = Callable[..., keras.callbacks.Callback]


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: tuple[str, list[np.ndarray]] | None = None
        # the fold path sets this: keep the best weights in memory, written by flush() after fit
        self.defer = False

    @property
    def async_safe(self) -> bool:
        """Saving per epoch, it does nothing per batch: Keras need not wait for every step's
        logs for it (JAX and torch dispatch batch callbacks to a worker thread then)."""
        return self.save_freq == "epoch"

    def _defers(self) -> bool:
        return self.defer and bool(self.save_best_only) and self.save_freq == "epoch"

    def _save_model(self, epoch: int, batch: int | None, logs: Mapping[str, Any] | None) -> None:
        logs = dict(logs or {})
        for key in (self.monitor, "loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(float(value)):
                return
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        if self._defers():
            self.keep_best(filepath, host_copy(model_state(self.model)))
            return
        self._write(filepath)

    def keep_best(self, filepath: str, weights: list[np.ndarray]) -> None:
        """Hold ``weights`` (every variable of :func:`model_state`) to write to ``filepath``."""
        self.pending = (filepath, weights)

    def _write(self, filepath: str) -> None:
        _reuse_keras_skipsets()
        Path(filepath).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(filepath) as tmp:
            if self.save_weights_only:
                self.model.save_weights(str(tmp))
            else:
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


_SKIPSETS: dict[str, Any] = {}


def _reuse_keras_skipsets() -> None:
    """Let Keras' saving reuse the attribute skip-sets it computes (a third of a small model's
    ``save_weights`` time): Keras 3.15 stores them under ``saving_attr_skipset_<type>`` but
    looks them up under ``saving_attr_skiplist_<type>``, so it recomputes them on every save.
    They depend only on Keras' classes, so they are kept across ``clear_session``."""
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # another Keras layout: nothing to reuse
        return
    tracker = global_state.GLOBAL_STATE_TRACKER
    stored, looked_up = "saving_attr_skipset_", "saving_attr_skiplist_"
    for name, value in list(vars(tracker).items()):
        if name.startswith(stored) and value is not None:
            _SKIPSETS[name[len(stored) :]] = value
    for kind, value in _SKIPSETS.items():
        if getattr(tracker, looked_up + kind, None) is None:
            setattr(tracker, looked_up + kind, value)


def host_copy(variables: list[Any]) -> list[np.ndarray]:
    """The values of ``variables`` as numpy arrays of their own (never views of device
    buffers that a later step may reuse)."""
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
