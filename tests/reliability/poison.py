"""A callback that makes training diverge on purpose (used through config: +callbacks.poison=...)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


class PoisonWeights(keras.callbacks.Callback):
    """Set the output bias to NaN at the start of ``epoch`` so the loss becomes NaN there."""

    def __init__(self, epoch: int = 2) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch == self.epoch:
            variable = self.model.trainable_variables[-1]
            variable.assign(np.full(variable.shape, np.nan, dtype="float32"))
