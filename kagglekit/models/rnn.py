"""Recurrent networks for sequences: LSTM/GRU, bidirectional, stacked, optional Conv1D front-end."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, make_input, output_heads
from kagglekit.models.sequence_layers import (
    Cell,
    Pooling,
    conv1d_stack,
    mask_padding,
    pool_steps,
    recurrent_stack,
    require_series,
)
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def rnn_body(
    x: Any,
    outputs: ModelOutputs,
    *,
    cell: Cell = "lstm",
    units: Sequence[int] = (64,),
    bidirectional: bool = False,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    activation: Any = "tanh",
    recurrent_activation: Any = "sigmoid",
    kernel_initializer: Any = "glorot_uniform",
    recurrent_initializer: Any = "orthogonal",
    kernel_regularizer: Any = None,
    recurrent_regularizer: Any = None,
    kernel_constraint: Any = None,
    recurrent_constraint: Any = None,
    pooling: Pooling = "last",
    conv_filters: Sequence[int] = (),
    conv_kernel_size: int | Sequence[int] = 5,
    conv_pool_size: int = 1,
    conv_activation: Any = "relu",
    conv_batch_norm: bool = True,
    conv_batch_norm_momentum: float = 0.99,
    dense_units: Sequence[int] = (),
    dense_activation: Any = "relu",
    dense_dropout: float = 0.0,
) -> Any:
    """[Conv1D front-end] -> stacked (bi)LSTM/GRU -> pooling -> dense layers -> output head(s).

    Args:
        cell: ``lstm`` or ``gru``.
        units: width of each recurrent layer; several entries stack layers.
        bidirectional: wrap each recurrent layer in ``Bidirectional`` (outputs concatenated).
        dropout / recurrent_dropout: Keras' input and recurrent-state dropout of each layer.
        activation ... recurrent_constraint: any Keras name, ``{class_name, config}`` dict or
            object (``_target_`` in YAML), passed to every recurrent layer.
        pooling: ``last`` (the final state), ``avg`` or ``max`` over all steps.
        conv_filters: Conv1D layers before the recurrent ones (the CNN+RNN model); empty = none.
        conv_kernel_size / conv_pool_size / conv_activation / conv_batch_norm(_momentum): the
            front-end's kernel width(s), MaxPooling1D size after each conv (1 = none),
            activation, BatchNorm.
        dense_units / dense_activation / dense_dropout: dense layers before the output head.
    """
    if conv_filters:
        x = conv1d_stack(
            x,
            filters=conv_filters,
            kernel_size=conv_kernel_size,
            activation=conv_activation,
            batch_norm=conv_batch_norm,
            batch_norm_momentum=conv_batch_norm_momentum,
            pool_size=conv_pool_size,
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
        )
    if pooling not in ("last", "avg", "max"):
        raise ValueError(f"pooling must be 'last', 'avg' or 'max', but got {pooling=}.")
    x = recurrent_stack(
        x,
        cell=cell,
        units=units,
        bidirectional=bidirectional,
        return_sequences=pooling != "last",
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        activation=activation,
        recurrent_activation=recurrent_activation,
        kernel_initializer=kernel_initializer,
        recurrent_initializer=recurrent_initializer,
        kernel_regularizer=kernel_regularizer,
        recurrent_regularizer=recurrent_regularizer,
        kernel_constraint=kernel_constraint,
        recurrent_constraint=recurrent_constraint,
    )
    if pooling != "last":
        x = pool_steps(x, pooling)
    x = dense_stack(x, dense_units, activation=dense_activation, dropout=dense_dropout)
    return output_heads(x, outputs)


def build_rnn(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    cell: Cell = "lstm",
    units: Sequence[int] = (64,),
    bidirectional: bool = False,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    activation: Any = "tanh",
    recurrent_activation: Any = "sigmoid",
    kernel_initializer: Any = "glorot_uniform",
    recurrent_initializer: Any = "orthogonal",
    kernel_regularizer: Any = None,
    recurrent_regularizer: Any = None,
    kernel_constraint: Any = None,
    recurrent_constraint: Any = None,
    pooling: Pooling = "last",
    conv_filters: Sequence[int] = (),
    conv_kernel_size: int | Sequence[int] = 5,
    conv_pool_size: int = 1,
    conv_activation: Any = "relu",
    conv_batch_norm: bool = True,
    conv_batch_norm_momentum: float = 0.99,
    dense_units: Sequence[int] = (),
    dense_activation: Any = "relu",
    dense_dropout: float = 0.0,
    masking: bool | None = None,
    name: str = "rnn",
) -> keras.Model:
    """A recurrent network over ``(steps, channels)`` series; arguments as :func:`rnn_body`.

    Args:
        masking: skip padded steps (``Masking`` with the data's pad value); ``None`` = when the
            series are padded (variable length). A Conv1D front-end does not carry the mask, so
            with ``conv_filters`` the convolutions see padded steps as ``pad_value``.
    """
    input_name, spec = single_input(inputs, "build_rnn")
    require_series(spec, "build_rnn")
    x_in = make_input(input_name, spec)
    x = x_in if conv_filters else mask_padding(x_in, spec, masking)
    y = rnn_body(
        x,
        outputs,
        cell=cell,
        units=units,
        bidirectional=bidirectional,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        activation=activation,
        recurrent_activation=recurrent_activation,
        kernel_initializer=kernel_initializer,
        recurrent_initializer=recurrent_initializer,
        kernel_regularizer=kernel_regularizer,
        recurrent_regularizer=recurrent_regularizer,
        kernel_constraint=kernel_constraint,
        recurrent_constraint=recurrent_constraint,
        pooling=pooling,
        conv_filters=conv_filters,
        conv_kernel_size=conv_kernel_size,
        conv_pool_size=conv_pool_size,
        conv_activation=conv_activation,
        conv_batch_norm=conv_batch_norm,
        conv_batch_norm_momentum=conv_batch_norm_momentum,
        dense_units=dense_units,
        dense_activation=dense_activation,
        dense_dropout=dense_dropout,
    )
    return keras.Model(x_in, y, name=name)
