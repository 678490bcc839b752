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


@dataclass(frozen=True, kw_only=True)
class ConvBNBody:
    """What the FCN and ResNet bodies share: Conv1D (``same``) -> BatchNorm -> activation.

    Args:
        filters / kernel_size: the widths and kernels (per block for the FCN).
        batch_norm_momentum: of BatchNorm's moving statistics (0.9 settles within the few steps
            per epoch of a small data set).
        activation / kernel_initializer: any Keras name, ``{class_name, config}`` dict or object.
    """

    filters: Sequence[int] = ()
    kernel_size: Sequence[int] = (8, 5, 3)
    activation: Any = "relu"
    batch_norm_momentum: float = 0.99
    kernel_initializer: Any = "glorot_uniform"

    def __post_init__(self) -> None:
        if not self.filters:
            raise ConfigError("model.body.filters is empty: give the width of at least one block.")
        if not self.kernel_size:
            raise ConfigError("model.body.kernel_size is empty: give at least one kernel size.")

    def conv_bn(self, x: Any, filters: int, kernel_size: int, name: str, *, act: bool) -> Any:
        """Conv1D -> BatchNorm -> the activation when ``act``."""
        x = keras.layers.Conv1D(
            filters,
            kernel_size,
            padding="same",
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name=name,
        )(x)
        x = keras.layers.BatchNormalization(momentum=self.batch_norm_momentum, name=f"{name}_bn")(x)
        if act:
            x = keras.layers.Activation(self.activation, name=f"{name}_act")(x)
        return x


@dataclass(frozen=True, kw_only=True)
class FCNBody(ConvBNBody):
    """Fully convolutional network: one Conv1D-BN-activation block per entry of ``filters`` and
    ``kernel_size`` (Wang et al.: 128/8, 256/5, 128/3), each zeroed on padded steps."""

    filters: Sequence[int] = (128, 256, 128)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.kernel_size) != len(self.filters):
            raise ConfigError(
                f"model.body.kernel_size has {len(self.kernel_size)} values for "
                f"{len(self.filters)} conv blocks; give one per block."
            )

    def __call__(self, x: Any, padding: Padding, prefix: str) -> Any:
        for i, (n, size) in enumerate(zip(self.filters, self.kernel_size, strict=True)):
            x = self.conv_bn(x, n, size, f"{prefix}conv{i}", act=True)
            x = padding.zero(x, f"{prefix}conv{i}_padding")
        return x


@dataclass(frozen=True, kw_only=True)
class ResNet1DBody(ConvBNBody):
    """Residual network: one residual block per entry of ``filters`` (Fawaz et al.: 64, 128, 128).

    Each block is one Conv1D-BN layer per entry of ``kernel_size`` (8, 5, 3: the activation
    after all but the last), added to the block's input (a 1x1 Conv1D-BN projection when the
    width changes, BN otherwise) and passed through the activation.
    """

    filters: Sequence[int] = (64, 128, 128)

    def __call__(self, x: Any, padding: Padding, prefix: str) -> Any:
        for b, n in enumerate(self.filters):
            x = self._block(x, n, padding, f"{prefix}block{b}")
        return x

    def _block(self, x: Any, n: int, padding: Padding, block: str) -> Any:
        y = x
        for j, size in enumerate(self.kernel_size):
            last = j == len(self.kernel_size) - 1
            y = self.conv_bn(y, n, size, f"{block}_conv{j}", act=not last)
            if not last:
                y = padding.zero(y, f"{block}_conv{j}_padding")
        if x.shape[-1] != n:
            shortcut = self.conv_bn(x, n, 1, f"{block}_shortcut", act=False)
        else:
            shortcut = keras.layers.BatchNormalization(
                momentum=self.batch_norm_momentum, name=f"{block}_shortcut_bn"
            )(x)
        x = keras.layers.Add(name=f"{block}_add")([y, shortcut])
        x = keras.layers.Activation(self.activation, name=f"{block}_act")(x)
        return padding.zero(x, f"{block}_padding")
