"""Building blocks of the sequence models: masking, recurrent and Conv1D stacks, pooling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import keras

from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.layers import MaskedGlobalMaxPooling1D
from kagglekit.models.specs import InputSpec

Cell = Literal["lstm", "gru"]
Pooling = Literal["last", "avg", "max"]
GlobalPooling = Literal["avg", "max", "avgmax", "flatten"]

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def require_series(spec: InputSpec, factory: str) -> None:
    """A numeric ``(steps, channels)`` input, as :class:`~kagglekit.data.sequences.NumericSequences` gives."""
    if len(spec.shape) != 2 or spec.vocabulary is not None:
        raise ValueError(
            f"{factory} needs numeric sequences of shape (steps, channels) "
            f"(kagglekit.data.sequences.NumericSequences), got shape {spec.shape} "
            f"dtype {spec.dtype}. Token ids go to the text_* models."
        )


def require_tokens(spec: InputSpec, factory: str) -> int:
    """Integer token ids with a known vocabulary size, as :class:`~kagglekit.data.text.TextSequences` gives."""
    if len(spec.shape) != 1 or not spec.vocabulary or "int" not in spec.dtype:
        raise ValueError(
            f"{factory} needs integer token ids with a vocabulary (kagglekit.data.text."
            f"TextSequences), got shape {spec.shape} dtype {spec.dtype} "
            f"vocabulary {spec.vocabulary}."
        )
    return spec.vocabulary


def mask_padding(x: Any, spec: InputSpec, masking: bool | None) -> Any:
    """A Masking layer when asked, or (``None``) when the data says its series are padded."""
    use = spec.mask_value is not None if masking is None else masking
    if not use:
        return x
    value = spec.mask_value if spec.mask_value is not None else 0.0
    return keras.layers.Masking(mask_value=value, name="masking")(x)


def embed_tokens(
    x: Any,
    vocabulary: int,
    *,
    embedding_dim: int,
    mask_zero: bool,
    embeddings_initializer: Any = "uniform",
    embeddings_regularizer: Any = None,
    embeddings_constraint: Any = None,
    embedding_dropout: float = 0.0,
) -> Any:
    """Token ids -> vectors (id 0 is padding, masked when ``mask_zero``), optional SpatialDropout."""
    x = keras.layers.Embedding(
        vocabulary,
        embedding_dim,
        embeddings_initializer=fresh_initializer(embeddings_initializer),
        embeddings_regularizer=embeddings_regularizer,
        embeddings_constraint=embeddings_constraint,
        mask_zero=mask_zero,
        name="embedding",
    )(x)
    if embedding_dropout:
        x = keras.layers.SpatialDropout1D(embedding_dropout, name="embedding_dropout")(x)
    return x


def recurrent_stack(
    x: Any,
    *,
    cell: Cell = "lstm",
    units: Sequence[int] = (64,),
    bidirectional: bool = False,
    merge_mode: str = "concat",
    return_sequences: bool = False,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    activation: Any = "tanh",
    recurrent_activation: Any = "sigmoid",
    kernel_initializer: Any = "glorot_uniform",
    recurrent_initializer: Any = "orthogonal",
    kernel_regularizer: Any = None,
    recurrent_regularizer: Any = None,
    bias_regularizer: Any = None,
    kernel_constraint: Any = None,
    recurrent_constraint: Any = None,
) -> Any:
    """One LSTM/GRU layer per entry of ``units`` (stacked); the last returns sequences only
    when ``return_sequences``."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, but got {cell=}.")
    if not units:
        raise ValueError("units is empty: give the width of at least one recurrent layer.")
    for i, n in enumerate(units):
        layer = CELLS[cell](
            n,
            activation=activation,
            recurrent_activation=recurrent_activation,
            kernel_initializer=fresh_initializer(kernel_initializer),
            recurrent_initializer=fresh_initializer(recurrent_initializer),
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences or i < len(units) - 1,
            name=f"{cell}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, merge_mode=merge_mode, name=f"bi{cell}_{i}")
        x = layer(x)
    return x


def conv1d_stack(
    x: Any,
    *,
    filters: Sequence[int] = (64, 64),
    kernel_size: int | Sequence[int] = 5,
    dilation_rate: int | Sequence[int] = 1,
    activation: Any = "relu",
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.99,
    residual: bool = False,
    pool_size: int = 1,
    dropout: float = 0.0,
    kernel_initializer: Any = "he_uniform",
    kernel_regularizer: Any = None,
    kernel_constraint: Any = None,
    name: str = "conv",
) -> Any:
    """Conv1D -> [BN] -> activation per entry of ``filters`` (``same`` padding), each followed by
    MaxPooling1D when ``pool_size`` > 1 and dropout; ``residual`` adds the block input back.
    A lower ``batch_norm_momentum`` (0.9) lets BatchNorm's moving statistics settle within the
    few steps per epoch of a small data set."""
    sizes = _per_layer(kernel_size, len(filters), "kernel_size")
    dilations = _per_layer(dilation_rate, len(filters), "dilation_rate")
    for i, (n, size, dilation) in enumerate(zip(filters, sizes, dilations, strict=True)):
        shortcut = x
        x = keras.layers.Conv1D(
            n,
            size,
            padding="same",
            dilation_rate=dilation,
            use_bias=not batch_norm,
            kernel_initializer=fresh_initializer(kernel_initializer),
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
            name=f"{name}{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(momentum=batch_norm_momentum, name=f"{name}{i}_bn")(
                x
            )
        if residual:
            if shortcut.shape[-1] != n:
                shortcut = keras.layers.Conv1D(n, 1, padding="same", name=f"{name}{i}_proj")(
                    shortcut
                )
            x = keras.layers.Add(name=f"{name}{i}_add")([x, shortcut])
        x = keras.layers.Activation(activation, name=f"{name}{i}_act")(x)
        if pool_size > 1:
            x = keras.layers.MaxPooling1D(pool_size, padding="same", name=f"{name}{i}_pool")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{name}{i}_dropout")(x)
    return x


def pool_steps(x: Any, pooling: GlobalPooling) -> Any:
    """``(batch, steps, features)`` -> ``(batch, features)``; masked steps are left out."""
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling1D(name="global_avg")(x)
    if pooling == "max":
        return MaskedGlobalMaxPooling1D(name="global_max")(x)
    if pooling == "avgmax":
        return keras.layers.Concatenate(name="global_avgmax")(
            [
                keras.layers.GlobalAveragePooling1D(name="global_avg")(x),
                MaskedGlobalMaxPooling1D(name="global_max")(x),
            ]
        )
    if pooling == "flatten":
        return keras.layers.Flatten(name="flatten")(x)
    raise ValueError(f"pooling must be 'avg', 'max', 'avgmax' or 'flatten', but got {pooling=}.")


def _per_layer(value: int | Sequence[int], n: int, name: str) -> list[int]:
    values = [value] * n if isinstance(value, int) else list(value)
    if len(values) != n:
        raise ValueError(
            f"{name} has {len(values)} values for {n} conv layers; give one or one each."
        )
    return values
