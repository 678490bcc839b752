"""One-dimensional convolutional networks for sequences (FCN / ResNet style)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, make_input, output_heads
from kagglekit.models.sequence_layers import GlobalPooling, conv1d_stack, pool_steps, require_series
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def conv1d_body(
    x: Any,
    outputs: ModelOutputs,
    *,
    filters: Sequence[int] = (64, 128, 64),
    kernel_size: int | Sequence[int] = (8, 5, 3),
    dilation_rate: int | Sequence[int] = 1,
    activation: Any = "relu",
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.99,
    residual: bool = False,
    pool_size: int = 1,
    dropout: float = 0.0,
    pooling: GlobalPooling = "avg",
    kernel_initializer: Any = "he_uniform",
    kernel_regularizer: Any = None,
    kernel_constraint: Any = None,
    dense_units: Sequence[int] = (),
    dense_activation: Any = "relu",
    dense_dropout: float = 0.0,
) -> Any:
    """Conv1D blocks -> global pooling -> dense layers -> output head(s).

    Args:
        filters: filters of each Conv1D layer (the defaults are the FCN of Wang et al., 2017,
            at half width).
        kernel_size / dilation_rate: one value for all layers or one per layer.
        batch_norm / residual: BatchNormalization after each conv; add each block's input back
            (1x1 projection when widths differ).
        batch_norm_momentum: of the moving statistics; 0.9 suits small data sets (few steps
            per epoch), Keras' 0.99 large ones.
        pool_size: MaxPooling1D after each conv (1 = none); dropout after each block.
        pooling: ``avg``, ``max``, ``avgmax`` (both, concatenated) or ``flatten``.
        activation / kernel_*: any Keras name, ``{class_name, config}`` dict or object.
        dense_units / dense_activation / dense_dropout: dense layers before the output head.
    """
    x = conv1d_stack(
        x,
        filters=filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        activation=activation,
        batch_norm=batch_norm,
        batch_norm_momentum=batch_norm_momentum,
        residual=residual,
        pool_size=pool_size,
        dropout=dropout,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
        kernel_constraint=kernel_constraint,
    )
    x = pool_steps(x, pooling)
    x = dense_stack(x, dense_units, activation=dense_activation, dropout=dense_dropout)
    return output_heads(x, outputs)


def build_conv1d(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    filters: Sequence[int] = (64, 128, 64),
    kernel_size: int | Sequence[int] = (8, 5, 3),
    dilation_rate: int | Sequence[int] = 1,
    activation: Any = "relu",
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.99,
    residual: bool = False,
    pool_size: int = 1,
    dropout: float = 0.0,
    pooling: GlobalPooling = "avg",
    kernel_initializer: Any = "he_uniform",
    kernel_regularizer: Any = None,
    kernel_constraint: Any = None,
    dense_units: Sequence[int] = (),
    dense_activation: Any = "relu",
    dense_dropout: float = 0.0,
    name: str = "conv1d",
) -> keras.Model:
    """A Conv1D network over ``(steps, channels)`` series; arguments as :func:`conv1d_body`.

    Padded steps of variable-length series reach the convolutions as the data's ``pad_value``
    (0 after standard scaling): convolutions do not take a mask.
    """
    input_name, spec = single_input(inputs, "build_conv1d")
    require_series(spec, "build_conv1d")
    x_in = make_input(input_name, spec)
    y = conv1d_body(
        x_in,
        outputs,
        filters=filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        activation=activation,
        batch_norm=batch_norm,
        batch_norm_momentum=batch_norm_momentum,
        residual=residual,
        pool_size=pool_size,
        dropout=dropout,
        pooling=pooling,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
        kernel_constraint=kernel_constraint,
        dense_units=dense_units,
        dense_activation=dense_activation,
        dense_dropout=dense_dropout,
    )
    return keras.Model(x_in, y, name=name)
