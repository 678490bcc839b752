"""Text models: an Embedding front-end over token ids, then a recurrent or Conv1D body."""

from __future__ import annotations

from typing import Any

import keras

from kagglekit.models.blocks import make_input
from kagglekit.models.conv1d import conv1d_body
from kagglekit.models.rnn import rnn_body
from kagglekit.models.sequence_layers import embed_tokens, require_tokens
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
    name: str = "text_rnn",
    **hparams: Any,
) -> keras.Model:
    """Embedding (padding id 0 masked) -> :func:`~kagglekit.models.rnn.rnn_body` (``hparams``)."""
    input_name, spec = single_input(inputs, "build_text_rnn")
    vocabulary = require_tokens(spec, "build_text_rnn")
    x_in = make_input(input_name, spec)
    x = embed_tokens(
        x_in,
        vocabulary,
        embedding_dim=embedding_dim,
        mask_zero=not hparams.get("conv_filters"),
        embeddings_initializer=embeddings_initializer,
        embeddings_regularizer=embeddings_regularizer,
        embeddings_constraint=embeddings_constraint,
        embedding_dropout=embedding_dropout,
    )
    return keras.Model(x_in, rnn_body(x, outputs, **hparams), name=name)


def build_text_cnn(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    embedding_dim: int = 64,
    embeddings_initializer: Any = "uniform",
    embeddings_regularizer: Any = None,
    embeddings_constraint: Any = None,
    embedding_dropout: float = 0.0,
    name: str = "text_cnn",
    **hparams: Any,
) -> keras.Model:
    """Embedding -> :func:`~kagglekit.models.conv1d.conv1d_body` (``hparams``), typically with
    global max pooling. Padding ids are embedded like any token (convolutions take no mask)."""
    input_name, spec = single_input(inputs, "build_text_cnn")
    vocabulary = require_tokens(spec, "build_text_cnn")
    x_in = make_input(input_name, spec)
    x = embed_tokens(
        x_in,
        vocabulary,
        embedding_dim=embedding_dim,
        mask_zero=False,
        embeddings_initializer=embeddings_initializer,
        embeddings_regularizer=embeddings_regularizer,
        embeddings_constraint=embeddings_constraint,
        embedding_dropout=embedding_dropout,
    )
    return keras.Model(x_in, conv1d_body(x, outputs, **hparams), name=name)
