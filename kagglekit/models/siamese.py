"""Siamese network: one encoder (shared layers, one set of weights) applied to both inputs of
a pair; the two encodings are compared and a head predicts from the comparison.

For pair tasks: duplicate questions, same-person images, matching products.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, make_input, output_heads
from kagglekit.models.branches import input_branch
from kagglekit.models.specs import InputSpec, ModelInputs, ModelOutputs


def build_encoder(
    spec: InputSpec,
    *,
    units: Sequence[int] = (64,),
    activation: Any = "relu",
    embedding_dim: int | str = "auto",
    conv_filters: Sequence[int] = (32, 64),
    kernel_initializer: Any = "he_normal",
    name: str = "encoder",
) -> keras.Model:
    """The shared encoder: the input's branch (:mod:`kagglekit.models.branches`) + Dense layers."""
    x_in = make_input(f"{name}_input", spec)
    x = input_branch(
        x_in,
        name,
        spec,
        embedding_dim=embedding_dim,
        conv_filters=conv_filters,
        activation=activation,
        kernel_initializer=kernel_initializer,
    )
    x = dense_stack(
        x, units, activation=activation, kernel_initializer=kernel_initializer, name=f"{name}_dense"
    )
    return keras.Model(x_in, x, name=name)


def build_siamese(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    encoder_units: Sequence[int] = (64,),
    hidden_units: Sequence[int] = (64,),
    activation: Any = "relu",
    dropout: float = 0.1,
    embedding_dim: int | str = "auto",
    conv_filters: Sequence[int] = (32, 64),
    kernel_initializer: Any = "he_normal",
    name: str = "siamese",
) -> keras.Model:
    """Two inputs of the same spec -> the same encoder -> ``[|a - b|, a * b]`` -> dense head.

    The comparison is symmetric, so swapping the pair gives the same prediction.
    """
    if len(inputs) != 2:
        raise ValueError(
            f"build_siamese compares a pair of inputs, but the data provides {len(inputs)}: "
            f"{sorted(inputs)}."
        )
    (left_name, left), (right_name, right) = inputs.items()
    if left != right:
        raise ValueError(
            f"build_siamese needs both inputs alike, but {left_name!r} is {left} and "
            f"{right_name!r} is {right}."
        )
    encoder = build_encoder(
        left,
        units=encoder_units,
        activation=activation,
        embedding_dim=embedding_dim,
        conv_filters=conv_filters,
        kernel_initializer=kernel_initializer,
    )
    a_in, b_in = make_input(left_name, left), make_input(right_name, right)
    a, b = encoder(a_in), encoder(b_in)  # one layer instance, shared weights
    difference = keras.layers.Subtract(name="difference")([a, b])
    distance = keras.ops.abs(difference)
    product = keras.layers.Multiply(name="product")([a, b])
    x = keras.layers.Concatenate(name="compare")([distance, product])
    x = dense_stack(
        x,
        hidden_units,
        activation=activation,
        dropout=dropout,
        kernel_initializer=kernel_initializer,
    )
    return keras.Model({left_name: a_in, right_name: b_in}, output_heads(x, outputs), name=name)
