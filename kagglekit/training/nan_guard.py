"""Stop a fold whose loss became NaN or inf, and remember where it happened."""

from __future__ import annotations

import math
from typing import Any, Literal

import keras

from kagglekit.errors import KagglekitError

NanPolicy = Literal["error", "stop"]


class NonFiniteLossError(KagglekitError, FloatingPointError):
    """Training diverged; the finished folds and the last good checkpoint stay on disk."""


class NanGuard(keras.callbacks.Callback):
    """Like ``keras.callbacks.TerminateOnNaN``, but records the epoch and batch so the fold can
    fail with a clear message (policy ``error``) or keep its last good checkpoint (``stop``)."""

    # Not ``async_safe``: it sets ``model.stop_training`` from its batch hook, and on JAX a
    # worker thread doing that races the training loop (the loop then reads donated buffers).

    def __init__(self) -> None:
        super().__init__()
        self.tripped: tuple[int, int, float] | None = None
        self._epoch = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.tripped = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.tripped = (self._epoch, batch, float(loss))
            self.model.stop_training = True

    def message(self, fold: int) -> str:
        assert self.tripped is not None
        epoch, batch, loss = self.tripped
        return (
            f"Fold {fold}: the loss became {loss} at epoch {epoch + 1}, batch {batch}. "
            "Lower optimizer.learning_rate, add gradient clipping (optimizer.clipnorm=1.0), "
            "or check the inputs for NaN/inf. Finished folds are kept; "
            "set trainer.on_nan=stop to keep the last good checkpoint of such a fold instead."
        )
