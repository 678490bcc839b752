"""Multi-input network: one branch per input (an Embedding per categorical column, a numeric
block, an image...), concatenated, then dense layers — the entity-embedding approach for
tabular data (Guo & Berkhahn, 2016) and image + tabular models alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, output_heads
from kagglekit.models.branches import encode_inputs, model_inputs
from kagglekit.models.specs import ModelInputs, ModelOutputs


def build_multi_input(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    embedding_dim: int | str = "auto",
    max_embedding_dim: int = 50,
    embedding_dropout: float = 0.0,
    numeric_units: Sequence[int] = (),
    conv_filters: Sequence[int] = (32, 64),
    hidden_units: Sequence[int] = (256, 128),
    activation: Any = "relu",
    dropout: float | Sequence[float] = 0.2,
    batch_norm: bool = True,
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    name: str = "multi_input",
) -> keras.Model:
    """Branches per input (:mod:`kagglekit.models.branches`), joined, then dense layers.

    Args:
        embedding_dim: width of each categorical embedding; ``auto``: ``1.6 * n ** 0.56`` for
            a vocabulary of ``n``, capped at ``max_embedding_dim``.
        embedding_dropout: dropout on the joined branch features.
        numeric_units: Dense layers applied to each numeric block before joining.
        conv_filters: Conv2D (images) / Conv1D (sequences) layers of the image branches.
        hidden_units / dropout / batch_norm: the dense layers after joining.
    """
    tensors, x = encode_inputs(
        inputs,
        embedding_dim=embedding_dim,
        max_embedding_dim=max_embedding_dim,
        numeric_units=numeric_units,
        conv_filters=conv_filters,
        activation=activation,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
    )
    if embedding_dropout:
        x = keras.layers.Dropout(embedding_dropout, name="joined_dropout")(x)
    x = dense_stack(
        x,
        hidden_units,
        activation=activation,
        dropout=dropout,
        batch_norm=batch_norm,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
    )
    return keras.Model(model_inputs(tensors), output_heads(x, outputs), name=name)
