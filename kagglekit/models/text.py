"""Text models: an Embedding front-end over token ids, then a recurrent or Conv1D body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import make_input
from kagglekit.models.conv1d import conv1d_body
from kagglekit.models.rnn import rnn_body
from kagglekit.models.sequence_layers import (
    Cell,
    GlobalPooling,
    Pooling,
    embed_tokens,
    require_tokens,
)
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def build_text_rnn(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    embedding_dim: int = 64,
    embeddings_initializer: Any = "uniform",
    embeddings_regularizer: Any = None,
    embeddings_constraint: Any = None,
    embedding_dropout: float = 0.0,
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
    name: str = "text_rnn",
) -> keras.Model:
    """Embedding (padding id 0 masked) -> :func:`~kagglekit.models.rnn.rnn_body`.

    Args:
        embedding_dim: size of each token's vector.
        embeddings_initializer / _regularizer / _constraint: any Keras name, dict or object.
        embedding_dropout: SpatialDropout1D rate on the embedded sequence (whole channels).
        others: as :func:`~kagglekit.models.rnn.rnn_body`.
    """
    input_name, spec = single_input(inputs, "build_text_rnn")
    vocabulary = require_tokens(spec, "build_text_rnn")
    x_in = make_input(input_name, spec)
    x = embed_tokens(
        x_in,
        vocabulary,
        mask_zero=not conv_filters,
        embedding_dim=embedding_dim,
        embeddings_initializer=embeddings_initializer,
        embeddings_regularizer=embeddings_regularizer,
        embeddings_constraint=embeddings_constraint,
        embedding_dropout=embedding_dropout,
    )
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


def build_text_cnn(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    embedding_dim: int = 64,
    embeddings_initializer: Any = "uniform",
    embeddings_regularizer: Any = None,
    embeddings_constraint: Any = None,
    embedding_dropout: float = 0.0,
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
    name: str = "text_cnn",
) -> keras.Model:
    """Embedding -> :func:`~kagglekit.models.conv1d.conv1d_body`, typically with global max
    pooling. Padding ids are embedded like any token (convolutions take no mask).

    Args:
        embedding_*: as :func:`build_text_rnn`; others as :func:`~kagglekit.models.conv1d.conv1d_body`.
    """
    input_name, spec = single_input(inputs, "build_text_cnn")
    vocabulary = require_tokens(spec, "build_text_cnn")
    x_in = make_input(input_name, spec)
    x = embed_tokens(
        x_in,
        vocabulary,
        mask_zero=False,
        embedding_dim=embedding_dim,
        embeddings_initializer=embeddings_initializer,
        embeddings_regularizer=embeddings_regularizer,
        embeddings_constraint=embeddings_constraint,
        embedding_dropout=embedding_dropout,
    )
    y = conv1d_body(
        x,
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
