"""Multi-output network: a shared trunk, then a tower and an output head per output spec.

Each head is named after its spec (one per target column with ``competition.heads:
per_target``), so each can have its own loss and loss weight
(``trainer.loss: {price: huber}``, ``trainer.loss_weights: {price: 1.0, area: 0.3}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, output_head
from kagglekit.models.branches import encode_inputs, model_inputs
from kagglekit.models.specs import ModelInputs, ModelOutputs


def build_multi_output(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    shared_units: Sequence[int] = (128,),
    head_units: Sequence[int] = (64,),
    activation: Any = "relu",
    dropout: float = 0.1,
    batch_norm: bool = True,
    embedding_dim: int | str = "auto",
    conv_filters: Sequence[int] = (32, 64),
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    name: str = "multi_output",
) -> keras.Model:
    """Inputs (any mix, see :mod:`kagglekit.models.branches`) -> shared Dense layers ->
    per output: its own Dense layers (``head_units``) and output layer.

    Returns a model with a dict of outputs keyed by head name (one tensor for one head).
    """
    if not outputs:
        raise ValueError("build_multi_output got no output spec.")
    tensors, x = encode_inputs(
        inputs,
        embedding_dim=embedding_dim,
        conv_filters=conv_filters,
        activation=activation,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
    )
    shared = dense_stack(
        x,
        shared_units,
        activation=activation,
        dropout=dropout,
        batch_norm=batch_norm,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
        name="shared",
    )
    heads = {}
    for spec in outputs:
        tower = dense_stack(
            shared,
            head_units,
            activation=activation,
            dropout=dropout,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            name=f"{spec.name}_tower",
        )
        heads[spec.name] = output_head(tower, spec)
    out = next(iter(heads.values())) if len(heads) == 1 else heads
    return keras.Model(model_inputs(tensors), out, name=name)
