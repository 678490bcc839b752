"""Convolutional networks for images: conv blocks, optional residual paths, dense head."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import keras

from kagglekit.models.blocks import dense_stack, make_input, output_heads
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def conv_block(
    x: Any,
    filters: int,
    *,
    convs: int = 2,
    kernel_size: int = 3,
    activation: Any = "relu",
    batch_norm: bool = True,
    residual: bool = False,
    pool: Literal["max", "avg", "none"] = "max",
    dropout: float = 0.0,
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    name: str = "block",
) -> Any:
    """``convs`` x (Conv2D -> [BN] -> act), an optional residual add, pooling, dropout."""
    shortcut = x
    for i in range(convs):
        x = keras.layers.Conv2D(
            filters,
            kernel_size,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=keras.regularizers.get(kernel_regularizer),
            name=f"{name}_conv{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        if residual and i == convs - 1:
            if shortcut.shape[-1] != filters:
                shortcut = keras.layers.Conv2D(filters, 1, padding="same", name=f"{name}_proj")(
                    shortcut
                )
            x = keras.layers.Add(name=f"{name}_add")([x, shortcut])
        x = keras.layers.Activation(activation, name=f"{name}_act{i}")(x)
    if pool == "max":
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"{name}_pool")(x)
    elif pool == "avg":
        x = keras.layers.AveragePooling2D(2, padding="same", name=f"{name}_pool")(x)
    elif pool != "none":
        raise ValueError(f"pool must be 'max', 'avg' or 'none', but got {pool=}.")
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def build_cnn(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    filters: Sequence[int] = (32, 64),
    convs_per_block: int = 2,
    kernel_size: int = 3,
    activation: Any = "relu",
    batch_norm: bool = True,
    residual: bool = False,
    pool: Literal["max", "avg", "none"] = "max",
    block_dropout: float = 0.25,
    head: Literal["flatten", "global_avg", "global_max"] = "flatten",
    dense_units: Sequence[int] = (128,),
    dense_dropout: float = 0.5,
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    name: str = "cnn",
) -> keras.Model:
    """A stack of conv blocks (one per entry of ``filters``) and a dense head.

    Args:
        filters: filters of each block; each block halves the spatial size when ``pool`` is set.
        convs_per_block: Conv2D layers per block.
        residual: add a shortcut (1x1 projection when widths differ) around each block.
        head: ``flatten``, ``global_avg`` or ``global_max`` before the dense layers.
    """
    input_name, spec = single_input(inputs, "build_cnn")
    if len(spec.shape) != 3:
        raise ValueError(
            f"build_cnn needs (height, width, channels) images, got shape {spec.shape}."
        )
    x_in = make_input(input_name, spec)
    x = x_in
    for b, n in enumerate(filters):
        x = conv_block(
            x,
            n,
            convs=convs_per_block,
            kernel_size=kernel_size,
            activation=activation,
            batch_norm=batch_norm,
            residual=residual,
            pool=pool,
            dropout=block_dropout,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            name=f"block{b}",
        )
    if head == "flatten":
        x = keras.layers.Flatten(name="flatten")(x)
    elif head == "global_avg":
        x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    elif head == "global_max":
        x = keras.layers.GlobalMaxPooling2D(name="gmp")(x)
    else:
        raise ValueError(f"head must be 'flatten', 'global_avg' or 'global_max', but got {head=}.")
    x = dense_stack(
        x,
        dense_units,
        activation=activation,
        dropout=dense_dropout,
        kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer,
        name="head",
    )
    return keras.Model(x_in, output_heads(x, outputs), name=name)
