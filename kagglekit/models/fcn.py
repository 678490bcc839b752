"""The FCN and ResNet of Wang et al. (2017), as benchmarked by Ismail Fawaz et al. (2019): body
blocks of :func:`~kagglekit.models.series_blocks.build_series_network`.

Wang, Yan & Oates, "Time series classification from scratch with deep neural networks: a
strong baseline", IJCNN 2017; Ismail Fawaz et al., "Deep learning for time series
classification: a review", Data Mining and Knowledge Discovery 2019.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras

from kagglekit.errors import ConfigError
from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.series_blocks import Padding


def conv_bn(
    x: Any,
    filters: int,
    kernel_size: int,
    *,
    momentum: float,
    initializer: Any,
    name: str,
    activation: Any = "relu",
) -> Any:
    """Conv1D (``same``) -> BatchNorm -> activation (``None``: no activation)."""
    x = keras.layers.Conv1D(
        filters,
        kernel_size,
        padding="same",
        kernel_initializer=fresh_initializer(initializer),
        name=name,
    )(x)
    x = keras.layers.BatchNormalization(momentum=momentum, name=f"{name}_bn")(x)
    if activation is not None:
        x = keras.layers.Activation(activation, name=f"{name}_act")(x)
    return x


@dataclass(frozen=True, kw_only=True)
class FCNBody:
    """Fully convolutional network: Conv1D-BN-activation blocks (Wang et al.: 128/8, 256/5,
    128/3), each zeroed on padded steps.

    Args:
        filters / kernel_size: one entry per block.
        batch_norm_momentum: of BatchNorm's moving statistics (0.9 settles within the few steps
            per epoch of a small data set).
        activation / kernel_initializer: any Keras name, ``{class_name, config}`` dict or object.
    """

    filters: Sequence[int] = (128, 256, 128)
    kernel_size: Sequence[int] = (8, 5, 3)
    activation: Any = "relu"
    batch_norm_momentum: float = 0.99
    kernel_initializer: Any = "glorot_uniform"

    def __post_init__(self) -> None:
        if not self.filters:
            raise ConfigError("model.body.filters is empty: give the width of at least one block.")
        if len(self.kernel_size) != len(self.filters):
            raise ConfigError(
                f"model.body.kernel_size has {len(self.kernel_size)} values for "
                f"{len(self.filters)} conv blocks; give one per block."
            )

    def __call__(self, x: Any, padding: Padding, prefix: str) -> Any:
        for i, (n, size) in enumerate(zip(self.filters, self.kernel_size, strict=True)):
            x = conv_bn(
                x,
                n,
                size,
                momentum=self.batch_norm_momentum,
                initializer=self.kernel_initializer,
                activation=self.activation,
                name=f"{prefix}conv{i}",
            )
            x = padding.zero(x, f"{prefix}conv{i}_padding")
        return x


@dataclass(frozen=True, kw_only=True)
class ResNet1DBody:
    """Residual network: one residual block per entry of ``filters`` (Fawaz et al.: 64, 128, 128).

    Each block is one Conv1D-BN layer per entry of ``kernel_size`` (8, 5, 3: the activation
    after all but the last), added to the block's input (a 1x1 Conv1D-BN projection when the
    width changes, BN otherwise) and passed through the activation. Other arguments as
    :class:`FCNBody`.
    """

    filters: Sequence[int] = (64, 128, 128)
    kernel_size: Sequence[int] = (8, 5, 3)
    activation: Any = "relu"
    batch_norm_momentum: float = 0.99
    kernel_initializer: Any = "glorot_uniform"

    def __post_init__(self) -> None:
        if not self.filters:
            raise ConfigError(
                "model.body.filters is empty: give the width of at least one residual block."
            )
        if not self.kernel_size:
            raise ConfigError(
                "model.body.kernel_size is empty: give the kernel of each conv in a block."
            )

    def __call__(self, x: Any, padding: Padding, prefix: str) -> Any:
        for b, n in enumerate(self.filters):
            x = self._block(x, n, padding, f"{prefix}block{b}")
        return x

    def _block(self, x: Any, n: int, padding: Padding, block: str) -> Any:
        momentum, initializer = self.batch_norm_momentum, self.kernel_initializer
        y = x
        for j, size in enumerate(self.kernel_size):
            last = j == len(self.kernel_size) - 1
            y = conv_bn(
                y,
                n,
                size,
                momentum=momentum,
                initializer=initializer,
                activation=None if last else self.activation,
                name=f"{block}_conv{j}",
            )
            if not last:
                y = padding.zero(y, f"{block}_conv{j}_padding")
        if x.shape[-1] != n:
            shortcut = conv_bn(
                x,
                n,
                1,
                momentum=momentum,
                initializer=initializer,
                activation=None,
                name=f"{block}_shortcut",
            )
        else:
            shortcut = keras.layers.BatchNormalization(
                momentum=momentum, name=f"{block}_shortcut_bn"
            )(x)
        x = keras.layers.Add(name=f"{block}_add")([y, shortcut])
        x = keras.layers.Activation(self.activation, name=f"{block}_act")(x)
        return padding.zero(x, f"{block}_padding")
