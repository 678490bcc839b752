"""InceptionTime (Ismail Fawaz et al., "InceptionTime: finding AlexNet for time series
classification", Data Mining and Knowledge Discovery 2020).

One network: ``depth`` Inception modules (a 1x1 bottleneck, then parallel Conv1Ds of several
kernel sizes beside a max-pooling + 1x1 branch, concatenated, BN, ReLU), a residual shortcut
every ``residual_every`` modules, global average pooling. The paper's classifier is an ensemble
of 5 such networks trained from different random weights and averaged: ``ensemble: 5``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import make_input, require_series
from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.series_blocks import Padding, ensemble_heads
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def build_inception_time(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    depth: int = 6,
    filters: int = 32,
    kernel_sizes: Sequence[int] = (40, 20, 10),
    bottleneck: int = 32,
    residual_every: int = 3,
    pool_size: int = 3,
    batch_norm_momentum: float = 0.99,
    kernel_initializer: Any = "glorot_uniform",
    dropout: float = 0.0,
    masking: bool | None = None,
    ensemble: int = 1,
    name: str = "inception_time",
) -> keras.Model:
    """InceptionTime over ``(steps, channels)`` series.

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
        batch_norm_momentum / kernel_initializer / dropout / masking / ensemble: as
            :func:`kagglekit.models.fcn.build_fcn`.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1 Inception module, but got {depth=}.")
    if not kernel_sizes:
        raise ValueError("kernel_sizes is empty: give the kernel of each parallel Conv1D.")
    input_name, spec = single_input(inputs, "build_inception_time")
    require_series(spec, "build_inception_time")
    x_in = make_input(input_name, spec)
    padding = Padding(x_in, spec, masking)

    def conv(x: Any, n: int, size: int, name: str) -> Any:
        return keras.layers.Conv1D(
            n,
            size,
            padding="same",
            use_bias=False,
            kernel_initializer=fresh_initializer(kernel_initializer),
            name=name,
        )(x)

    def module(x: Any, name: str) -> Any:
        branch_input = x
        if bottleneck and x.shape[-1] > 1:
            branch_input = conv(x, bottleneck, 1, f"{name}_bottleneck")
        branches = [
            conv(branch_input, filters, size, f"{name}_conv{size}") for size in kernel_sizes
        ]
        pooled = keras.layers.MaxPooling1D(
            pool_size, strides=1, padding="same", name=f"{name}_maxpool"
        )(padding.lowest(x, f"{name}_pool_padding"))
        pooled = padding.zero(pooled, f"{name}_maxpool_padding")
        branches.append(conv(pooled, filters, 1, f"{name}_pool_conv"))
        y = keras.layers.Concatenate(name=f"{name}_concat")(branches)
        y = keras.layers.BatchNormalization(momentum=batch_norm_momentum, name=f"{name}_bn")(y)
        y = keras.layers.Activation("relu", name=f"{name}_act")(y)
        return padding.zero(y, f"{name}_padding")

    def shortcut(source: Any, x: Any, name: str) -> Any:
        s = conv(source, x.shape[-1], 1, f"{name}_conv")
        s = keras.layers.BatchNormalization(momentum=batch_norm_momentum, name=f"{name}_bn")(s)
        y = keras.layers.Add(name=f"{name}_add")([s, x])
        y = keras.layers.Activation("relu", name=f"{name}_act")(y)
        return padding.zero(y, f"{name}_padding")

    def member(prefix: str) -> Any:
        x = residual_source = padding.zero(x_in, f"{prefix}input_padding")
        for d in range(depth):
            x = module(x, f"{prefix}inception{d}")
            if residual_every and d % residual_every == residual_every - 1:
                x = residual_source = shortcut(residual_source, x, f"{prefix}shortcut{d}")
        x = padding.average(x, f"{prefix}global_avg")
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{prefix}dropout")(x)
        return x

    return keras.Model(x_in, ensemble_heads(member, outputs, ensemble), name=name)
