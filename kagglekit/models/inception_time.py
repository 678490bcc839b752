"""InceptionTime (Ismail Fawaz et al., "InceptionTime: finding AlexNet for time series
classification", Data Mining and Knowledge Discovery 2020): a body block of
:func:`~kagglekit.models.series_blocks.build_series_network`.

One network: ``depth`` Inception modules (a 1x1 bottleneck, then parallel Conv1Ds of several
kernel sizes beside a max-pooling + 1x1 branch, concatenated, BN, ReLU), a residual shortcut
every ``residual_every`` modules, global average pooling. The paper's classifier is an ensemble
of 5 such networks trained from different random weights and averaged: ``ensemble: 5``.
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
class InceptionTimeBody:
    """InceptionTime's modules and shortcuts over ``(steps, channels)`` series.

    Args:
        depth: Inception modules (paper: 6).
        filters: filters of each branch, so a module outputs ``filters * (len(kernel_sizes) + 1)``
            channels (paper: 32, i.e. 128).
        kernel_sizes: of the parallel convolutions (paper: 40, 20, 10).
        bottleneck: width of the 1x1 bottleneck ahead of them, used when the module's input has
            more than one channel (0 = none; paper: 32).
        residual_every: a shortcut (1x1 Conv1D + BN) from the last shortcut's output every this
            many modules (0 = none; paper: 3).
        pool_size: of the max-pooling branch (stride 1).
        batch_norm_momentum / kernel_initializer: as :class:`kagglekit.models.fcn.FCNBody`.
    """

    depth: int = 6
    filters: int = 32
    kernel_sizes: Sequence[int] = (40, 20, 10)
    bottleneck: int = 32
    residual_every: int = 3
    pool_size: int = 3
    batch_norm_momentum: float = 0.99
    kernel_initializer: Any = "glorot_uniform"

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ConfigError(
                f"model.body.depth must be at least 1 Inception module, but got depth={self.depth}."
            )
        if not self.kernel_sizes:
            raise ConfigError(
                "model.body.kernel_sizes is empty: give the kernel of each parallel Conv1D."
            )

    def __call__(self, x: Any, padding: Padding, prefix: str) -> Any:
        residual_source = x
        every = self.residual_every
        for d in range(self.depth):
            x = self._module(x, padding, f"{prefix}inception{d}")
            if every and d % every == every - 1:
                x = residual_source = self._shortcut(
                    residual_source, x, padding, f"{prefix}shortcut{d}"
                )
        return x

    def _conv(self, x: Any, n: int, size: int, name: str) -> Any:
        return keras.layers.Conv1D(
            n,
            size,
            padding="same",
            use_bias=False,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name=name,
        )(x)

    def _module(self, x: Any, padding: Padding, name: str) -> Any:
        branch_input = x
        if self.bottleneck and x.shape[-1] > 1:
            branch_input = self._conv(x, self.bottleneck, 1, f"{name}_bottleneck")
        branches = [
            self._conv(branch_input, self.filters, size, f"{name}_conv{size}")
            for size in self.kernel_sizes
        ]
        pooled = keras.layers.MaxPooling1D(
            self.pool_size, strides=1, padding="same", name=f"{name}_maxpool"
        )(padding.lowest(x, f"{name}_pool_padding"))
        pooled = padding.zero(pooled, f"{name}_maxpool_padding")
        branches.append(self._conv(pooled, self.filters, 1, f"{name}_pool_conv"))
        y = keras.layers.Concatenate(name=f"{name}_concat")(branches)
        return self._bn_relu(y, padding, name)

    def _shortcut(self, source: Any, x: Any, padding: Padding, name: str) -> Any:
        s = self._conv(source, x.shape[-1], 1, f"{name}_conv")
        s = keras.layers.BatchNormalization(momentum=self.batch_norm_momentum, name=f"{name}_bn")(s)
        y = keras.layers.Add(name=f"{name}_add")([s, x])
        y = keras.layers.Activation("relu", name=f"{name}_act")(y)
        return padding.zero(y, f"{name}_padding")

    def _bn_relu(self, y: Any, padding: Padding, name: str) -> Any:
        y = keras.layers.BatchNormalization(momentum=self.batch_norm_momentum, name=f"{name}_bn")(y)
        y = keras.layers.Activation("relu", name=f"{name}_act")(y)
        return padding.zero(y, f"{name}_padding")
