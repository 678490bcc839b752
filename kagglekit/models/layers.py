"""Custom layers (registered, so a saved ``.keras`` model loads them by name)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
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


@keras.saving.register_keras_serializable(package="kagglekit")
class PeriodicEmbedding(keras.layers.Layer):
    """Periodic embeddings of numeric features ("PLR", Gorishniy et al. 2022, *On Embeddings
    for Numerical Features in Tabular Deep Learning*).

    Each of the ``n`` features of ``(batch, n)`` becomes ``(cos 2πcx, sin 2πcx)`` over
    ``n_frequencies`` trainable frequencies ``c`` (one set per feature, initialised from
    ``N(0, sigma)``), then a linear map to ``dim`` values (its own per feature, or one shared
    by all with ``lite``) and ``activation``: ``(batch, n, dim)``. A network on top sees each
    value through a learnt, wiggly function instead of one weight, which is what lets MLPs
    catch the thresholds that trees find.
    """

    def __init__(
        self,
        n_frequencies: int = 16,
        dim: int = 16,
        *,
        sigma: float = 0.03,
        lite: bool = False,
        activation: str | None = "relu",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if n_frequencies < 1 or dim < 1:
            raise ValueError(
                f"PeriodicEmbedding needs n_frequencies >= 1 and dim >= 1, but got "
                f"{n_frequencies=}, {dim=}."
            )
        if sigma <= 0:
            raise ValueError(f"PeriodicEmbedding needs sigma > 0, but got {sigma=}.")
        self.n_frequencies = n_frequencies
        self.dim = dim
        self.sigma = sigma
        self.lite = lite
        self.activation = keras.activations.get(activation)
        self._activation_name = activation

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n = input_shape[-1]
        if n is None or len(input_shape) != 2:
            raise ValueError(
                f"PeriodicEmbedding takes (batch, features) with a known number of features, "
                f"but got shape {input_shape}."
            )
        self.frequencies = self.add_weight(
            name="frequencies",
            shape=(n, self.n_frequencies),
            initializer=keras.initializers.RandomNormal(stddev=self.sigma),
        )
        kernel_shape = (2 * self.n_frequencies, self.dim)
        self.kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape if self.lite else (n, *kernel_shape),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(name="bias", shape=(n, self.dim), initializer="zeros")

    def call(self, inputs: Any) -> Any:
        angles = 2.0 * np.pi * ops.expand_dims(inputs, -1) * self.frequencies
        periodic = ops.concatenate([ops.cos(angles), ops.sin(angles)], axis=-1)
        if self.lite:
            x = ops.einsum("bnf,fd->bnd", periodic, self.kernel)
        else:
            x = ops.einsum("bnf,nfd->bnd", periodic, self.kernel)
        x = x + self.bias
        return self.activation(x) if self.activation is not None else x

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[1], self.dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            n_frequencies=self.n_frequencies,
            dim=self.dim,
            sigma=self.sigma,
            lite=self.lite,
            activation=self._activation_name,
        )
        return config
