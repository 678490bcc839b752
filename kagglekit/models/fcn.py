"""The FCN and ResNet of Wang et al. (2017), as benchmarked by Ismail Fawaz et al. (2019).

Wang, Yan & Oates, "Time series classification from scratch with deep neural networks: a
strong baseline", IJCNN 2017; Ismail Fawaz et al., "Deep learning for time series
classification: a review", Data Mining and Knowledge Discovery 2019.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import make_input, require_series
from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.series_blocks import Padding, ensemble_heads
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


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


def build_fcn(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    filters: Sequence[int] = (128, 256, 128),
    kernel_size: Sequence[int] = (8, 5, 3),
    activation: Any = "relu",
    batch_norm_momentum: float = 0.99,
    kernel_initializer: Any = "glorot_uniform",
    dropout: float = 0.0,
    masking: bool | None = None,
    ensemble: int = 1,
    name: str = "fcn",
) -> keras.Model:
    """Fully convolutional network: Conv1D-BN-ReLU blocks, then global average pooling.

    Args:
        filters / kernel_size: one entry per block (Wang et al.: 128/8, 256/5, 128/3).
        batch_norm_momentum: of BatchNorm's moving statistics (0.9 settles within the few steps
            per epoch of a small data set).
        dropout: before the output head (the paper uses none).
        masking: ``None`` = padded steps of variable-length series (``InputSpec.mask_value``)
            are left out of every block and of the pooling; ``False`` treats them as data.
        ensemble: sub-networks averaged in one model (1 = a single network).
    """
    _check_blocks(filters, kernel_size)
    input_name, spec = single_input(inputs, "build_fcn")
    require_series(spec, "build_fcn")
    x_in = make_input(input_name, spec)
    padding = Padding(x_in, spec, masking)

    def member(prefix: str) -> Any:
        x = padding.zero(x_in, f"{prefix}input_padding")
        for i, (n, size) in enumerate(zip(filters, kernel_size, strict=True)):
            x = conv_bn(
                x,
                n,
                size,
                momentum=batch_norm_momentum,
                initializer=kernel_initializer,
                activation=activation,
                name=f"{prefix}conv{i}",
            )
            x = padding.zero(x, f"{prefix}conv{i}_padding")
        x = padding.average(x, f"{prefix}global_avg")
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{prefix}dropout")(x)
        return x

    return keras.Model(x_in, ensemble_heads(member, outputs, ensemble), name=name)


def build_resnet1d(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    filters: Sequence[int] = (64, 128, 128),
    kernel_size: Sequence[int] = (8, 5, 3),
    activation: Any = "relu",
    batch_norm_momentum: float = 0.99,
    kernel_initializer: Any = "glorot_uniform",
    dropout: float = 0.0,
    masking: bool | None = None,
    ensemble: int = 1,
    name: str = "resnet1d",
) -> keras.Model:
    """Residual network: one residual block per entry of ``filters``, global average pooling.

    Each block is three Conv1D-BN layers with ``kernel_size`` (8, 5, 3: ReLU after the first
    two), added to the block's input (a 1x1 Conv1D-BN projection when the width changes, BN
    otherwise) and passed through ReLU. Fawaz et al.: blocks of 64, 128, 128 filters.
    Other arguments as :func:`build_fcn`.
    """
    if not filters:
        raise ValueError("filters is empty: give the width of at least one residual block.")
    if len(kernel_size) < 1:
        raise ValueError("kernel_size is empty: give the kernel of each conv in a block.")
    input_name, spec = single_input(inputs, "build_resnet1d")
    require_series(spec, "build_resnet1d")
    x_in = make_input(input_name, spec)
    padding = Padding(x_in, spec, masking)

    def member(prefix: str) -> Any:
        x = padding.zero(x_in, f"{prefix}input_padding")
        for b, n in enumerate(filters):
            block = f"{prefix}block{b}"
            y = x
            for j, size in enumerate(kernel_size):
                last = j == len(kernel_size) - 1
                y = conv_bn(
                    y,
                    n,
                    size,
                    momentum=batch_norm_momentum,
                    initializer=kernel_initializer,
                    activation=None if last else activation,
                    name=f"{block}_conv{j}",
                )
                if not last:
                    y = padding.zero(y, f"{block}_conv{j}_padding")
            if x.shape[-1] != n:
                shortcut = conv_bn(
                    x,
                    n,
                    1,
                    momentum=batch_norm_momentum,
                    initializer=kernel_initializer,
                    activation=None,
                    name=f"{block}_shortcut",
                )
            else:
                shortcut = keras.layers.BatchNormalization(
                    momentum=batch_norm_momentum, name=f"{block}_shortcut_bn"
                )(x)
            x = keras.layers.Add(name=f"{block}_add")([y, shortcut])
            x = keras.layers.Activation(activation, name=f"{block}_act")(x)
            x = padding.zero(x, f"{block}_padding")
        x = padding.average(x, f"{prefix}global_avg")
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{prefix}dropout")(x)
        return x

    return keras.Model(x_in, ensemble_heads(member, outputs, ensemble), name=name)


def _check_blocks(filters: Sequence[int], kernel_size: Sequence[int]) -> None:
    if not filters:
        raise ValueError("filters is empty: give the width of at least one conv block.")
    if len(kernel_size) != len(filters):
        raise ValueError(
            f"kernel_size has {len(kernel_size)} values for {len(filters)} conv blocks; "
            "give one per block."
        )
