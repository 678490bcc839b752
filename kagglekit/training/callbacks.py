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

from kagglekit.files import atomic_path

CallbackFactory = Callable[..., keras.callbacks.Callback]


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint`` that never leaves a partial file at ``filepath``
    and never takes a NaN/inf epoch as the best one.

    The weights go to a temporary file in the same folder, then ``os.replace`` moves it over
    the previous checkpoint: a kill mid-write leaves the previous good checkpoint in place.
    """

    def _save_model(self, epoch: int, batch: int | None, logs: Mapping[str, Any] | None) -> None:
        logs = dict(logs or {})
        for key in (self.monitor, "loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(float(value)):
                return
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        with atomic_path(filepath) as tmp:
            if self.save_weights_only:
                self.model.save_weights(str(tmp))
            else:
                self.model.save(str(tmp))


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
