"""Residual MLP: dense blocks with identity shortcuts (``x + f(x)``), pre-normalised."""

from __future__ import annotations

from typing import Any, Literal

import keras

from kagglekit.models.blocks import output_heads
from kagglekit.models.branches import encode_inputs, model_inputs
from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.specs import ModelInputs, ModelOutputs


def residual_block(
    x: Any,
    width: int,
    *,
    expansion: int = 2,
    activation: Any = "relu",
    dropout: float = 0.1,
    norm: Literal["layer", "batch", "none"] = "layer",
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    name: str = "block",
) -> Any:
    """``x + Dense(Dropout(act(Dense(norm(x)))))``: the shortcut carries ``x`` unchanged."""
    h = _norm(x, norm, f"{name}_norm")
    h = keras.layers.Dense(
        width * expansion,
        activation=activation,
        kernel_initializer=fresh_initializer(kernel_initializer),
        kernel_regularizer=keras.regularizers.get(kernel_regularizer),
        name=f"{name}_expand",
    )(h)
    if dropout:
        h = keras.layers.Dropout(dropout, name=f"{name}_dropout")(h)
    h = keras.layers.Dense(
        width,
        kernel_initializer=fresh_initializer(kernel_initializer),
        kernel_regularizer=keras.regularizers.get(kernel_regularizer),
        name=f"{name}_project",
    )(h)
    return keras.layers.Add(name=f"{name}_add")([x, h])


def _norm(x: Any, norm: str, name: str) -> Any:
    if norm == "layer":
        return keras.layers.LayerNormalization(name=name)(x)
    if norm == "batch":
        return keras.layers.BatchNormalization(name=name)(x)
    if norm == "none":
        return x
    raise ValueError(f"norm must be 'layer', 'batch' or 'none', but got {norm=}.")


def build_residual_mlp(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    width: int = 128,
    blocks: int = 3,
    expansion: int = 2,
    activation: Any = "relu",
    dropout: float = 0.1,
    norm: Literal["layer", "batch", "none"] = "layer",
    embedding_dim: int | str = "auto",
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    name: str = "residual_mlp",
) -> keras.Model:
    """Inputs (any mix, see :mod:`kagglekit.models.branches`) -> Dense(width) -> ``blocks``
    residual blocks -> norm -> activation -> output head(s).

    Args:
        width: width of the residual stream.
        blocks: number of residual blocks.
        expansion: hidden width of each block, as a multiple of ``width``.
        norm: ``layer``, ``batch`` or ``none`` normalisation at the start of each block.
    """
    if blocks < 1 or width < 1 or expansion < 1:
        raise ValueError(
            f"blocks, width and expansion must be positive, but got {blocks=}, {width=}, {expansion=}."
        )
    tensors, x = encode_inputs(
        inputs,
        embedding_dim=embedding_dim,
        activation=activation,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
    )
    if len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(
        width, kernel_initializer=fresh_initializer(kernel_initializer), name="stem"
    )(x)
    for b in range(blocks):
        x = residual_block(
            x,
            width,
            expansion=expansion,
            activation=activation,
            dropout=dropout,
            norm=norm,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            name=f"block{b}",
        )
    x = _norm(x, norm, "final_norm")
    x = keras.layers.Activation(activation, name="final_act")(x)
    return keras.Model(model_inputs(tensors), output_heads(x, outputs), name=name)
