"""Custom layers (registered, so a saved ``.keras`` model loads them by name)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kagglekit")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Max over the steps of ``(batch, steps, features)`` that the mask keeps.

    ``GlobalMaxPooling1D`` ignores masks, so padded steps take part in the max; here they do
    not. A sequence with every step masked gives zeros.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return ops.max(inputs, axis=1)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        lowest = ops.cast(ops.min(inputs) - 1.0, inputs.dtype)
        pooled = ops.max(ops.where(keep, inputs, lowest), axis=1)
        return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])
