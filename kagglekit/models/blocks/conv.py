"""The convolutional body block over steps: Conv1D layers, optionally residual."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras

from kagglekit.errors import ConfigError
from kagglekit.models.keras_objects import fresh_initializer


@dataclass(frozen=True, kw_only=True)
class ConvBody:
    """Conv1D -> [BatchNorm] -> activation per entry of ``filters`` (``same`` padding), each
    followed by MaxPooling1D when ``pool_size`` > 1 and dropout. Returns every step, so a
    composed model follows it with a pooling over steps (or a recurrent body). Takes no mask.

    Args:
        filters: filters of each Conv1D layer (the defaults are the FCN of Wang et al., 2017,
            at half width).
        kernel_size / dilation_rate: one value for all layers or one per layer.
        batch_norm / residual: BatchNormalization after each conv; add each layer's input back
            (1x1 projection when widths differ).
        batch_norm_momentum: of the moving statistics; 0.9 suits small data sets (few steps
            per epoch), Keras' 0.99 large ones.
        pool_size: MaxPooling1D after each conv (1 = none); dropout after each layer.
        activation / kernel_*: any Keras name, ``{class_name, config}`` dict or object.
        name: prefix of the layer names.
    """

    filters: Sequence[int] = (64, 128, 64)
    kernel_size: int | Sequence[int] = (8, 5, 3)
    dilation_rate: int | Sequence[int] = 1
    activation: Any = "relu"
    batch_norm: bool = True
    batch_norm_momentum: float = 0.99
    residual: bool = False
    pool_size: int = 1
    dropout: float = 0.0
    kernel_initializer: Any = "he_uniform"
    kernel_regularizer: Any = None
    kernel_constraint: Any = None
    name: str = "conv"

    @property
    def takes_mask(self) -> bool:
        return False

    def __call__(self, x: Any, *, sequences: bool) -> Any:
        if not sequences:
            raise ConfigError(
                "ConvBody returns every step, so it needs a pooling over steps: set "
                "model.pooling.mode to avg, max, avgmax or flatten (not last), or follow it "
                "with a RecurrentBody."
            )
        n_layers = len(self.filters)
        sizes = _per_layer(self.kernel_size, n_layers, "kernel_size")
        dilations = _per_layer(self.dilation_rate, n_layers, "dilation_rate")
        name = self.name
        for i, (n, size, dilation) in enumerate(zip(self.filters, sizes, dilations, strict=True)):
            shortcut = x
            x = keras.layers.Conv1D(
                n,
                size,
                padding="same",
                dilation_rate=dilation,
                use_bias=not self.batch_norm,
                kernel_initializer=fresh_initializer(self.kernel_initializer),
                kernel_regularizer=self.kernel_regularizer,
                kernel_constraint=self.kernel_constraint,
                name=f"{name}{i}",
            )(x)
            if self.batch_norm:
                x = keras.layers.BatchNormalization(
                    momentum=self.batch_norm_momentum, name=f"{name}{i}_bn"
                )(x)
            if self.residual:
                if shortcut.shape[-1] != n:
                    shortcut = keras.layers.Conv1D(n, 1, padding="same", name=f"{name}{i}_proj")(
                        shortcut
                    )
                x = keras.layers.Add(name=f"{name}{i}_add")([x, shortcut])
            x = keras.layers.Activation(self.activation, name=f"{name}{i}_act")(x)
            if self.pool_size > 1:
                x = keras.layers.MaxPooling1D(
                    self.pool_size, padding="same", name=f"{name}{i}_pool"
                )(x)
            if self.dropout:
                x = keras.layers.Dropout(self.dropout, name=f"{name}{i}_dropout")(x)
        return x


def _per_layer(value: int | Sequence[int], n: int, name: str) -> list[int]:
    values = [value] * n if isinstance(value, int) else list(value)
    if len(values) != n:
        raise ConfigError(
            f"model.body.{name} has {len(values)} values for {n} conv layers; give one or one each."
        )
    return values
