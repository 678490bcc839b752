"""Stop a fold whose loss became NaN or inf, and remember where it happened."""

from __future__ import annotations

import math
import threading
from typing import Any, Literal

import keras

from kagglekit.errors import KagglekitError

NanPolicy = Literal["error", "stop"]


class NonFiniteLossError(KagglekitError, FloatingPointError):
    """Training diverged; the finished folds and the last good checkpoint stay on disk."""


class NanGuard(keras.callbacks.Callback):
    """Like ``keras.callbacks.TerminateOnNaN``, but records the epoch and batch so the fold can
    fail with a clear message (policy ``error``) or keep its last good checkpoint (``stop``).

    It checks every batch's loss without making the training loop wait for it: on JAX and
    torch Keras runs the batch hook in a worker thread (``async_safe``), which only *records*
    a NaN/inf loss. ``model.stop_training`` is set on the training thread: at the start of the
    next batch (training stops a few batches after the bad one: as many as the worker lags
    behind) or at the end of the epoch (Keras has waited for every batch hook by then). A worker thread setting it itself
    raced JAX's training loop into donated buffers. On TensorFlow every hook runs on the
    training thread and the fold stops after the bad batch, as with ``TerminateOnNaN``.
    """

    async_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.tripped: tuple[int, int, float] | None = None
        self._epoch = 0
        self._training_thread = threading.get_ident()
        self._lock = threading.Lock()  # Keras may run batch hooks in several worker threads

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.tripped = None
        self._training_thread = threading.get_ident()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.tripped is not None:  # recorded by a worker thread: stop from this thread
            self.model.stop_training = True

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # On JAX/torch this runs in Keras' worker thread (the logs are Python floats by then,
        # converted there, so the training thread never waits for a loss): record only.
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        with self._lock:  # keep the first bad batch (worker threads may finish out of order)
            if self.tripped is None or (self._epoch, batch) < self.tripped[:2]:
                self.tripped = (self._epoch, batch, float(loss))
        if threading.get_ident() == self._training_thread:
            self.model.stop_training = True  # dispatched synchronously (TensorFlow)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # Keras has waited for every batch hook of the epoch: a NaN in its last batch stops here
        if self.tripped is not None:
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
