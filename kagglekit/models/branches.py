"""One branch per model input, by the kind of data it holds; the branches' outputs joined.

=========================================  ==============================================
input spec                                 branch
=========================================  ==============================================
integer, ``vocabulary``, shape ``(1,)``    Embedding (a categorical column)
integer, ``vocabulary``, shape ``(L,)``    Embedding + mean over L (``mask_value: 0``: 0 pads, masked)
float ``(features,)``                      optional Dense layers (a numeric block)
float ``(steps, channels)``                Conv1D layers + global average pooling; with a
                                           ``mask_value``: Masking, Dense per step, masked mean
float ``(height, width, channels)``        Conv2D layers + global average pooling
=========================================  ==============================================

Used by the functional-API factories (multi-output, residual MLP, siamese) and, as the stem
block :class:`InputBranches`, by composed models (``multi_input``), so that each accepts any
mix of numeric, categorical, token and image inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, make_input
from kagglekit.models.blocks.numeric import embed_numeric
from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.specs import InputSpec, ModelInputs


def embedding_size(vocabulary: int, max_dim: int = 50) -> int:
    """fast.ai's rule of thumb for an embedding width: ``round(1.6 * vocabulary ** 0.56)``."""
    return max(1, min(max_dim, round(1.6 * vocabulary**0.56)))


def is_integer(spec: InputSpec) -> bool:
    return spec.dtype.startswith(("int", "uint"))


def input_branch(
    x: Any,
    name: str,
    spec: InputSpec,
    *,
    embedding_dim: int | str = "auto",
    max_embedding_dim: int = 50,
    numeric_units: Sequence[int] = (),
    conv_filters: Sequence[int] = (32, 64),
    activation: Any = "relu",
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    numeric_embedding: Mapping[str, Any] | None = None,
) -> Any:
    """The features of one input (see the module table), a ``(batch, features)`` tensor.

    ``numeric_embedding``: embeddings of a numeric block's numeric columns (see
    :func:`kagglekit.models.blocks.numeric.embed_numeric`), before its Dense layers."""
    shape = spec.shape
    if spec.vocabulary is not None:
        if not is_integer(spec):
            raise ValueError(
                f"Input {name!r} has a vocabulary ({spec.vocabulary}) but dtype {spec.dtype}; "
                "categorical codes and tokens are integers."
            )
        if embedding_dim == "auto":
            dim = embedding_size(spec.vocabulary, max_embedding_dim)
        elif isinstance(embedding_dim, int) and embedding_dim > 0:
            dim = embedding_dim
        else:
            raise ValueError(
                f"embedding_dim must be 'auto' or a positive int, but got {embedding_dim!r}."
            )
        tokens = shape != (1,)
        x = keras.layers.Embedding(
            spec.vocabulary,
            dim,
            mask_zero=tokens and spec.mask_value == 0,
            embeddings_regularizer=keras.regularizers.get(kernel_regularizer),
            name=f"{name}_embedding",
        )(x)
        if tokens:
            return keras.layers.GlobalAveragePooling1D(name=f"{name}_mean")(x)
        return keras.layers.Flatten(name=f"{name}_flatten")(x)
    if len(shape) == 1:
        x = embed_numeric(x, spec, numeric_embedding, name=f"{name}_numeric_embedding")
        if not numeric_units:
            return x
        return dense_stack(
            x,
            numeric_units,
            activation=activation,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            name=f"{name}_dense",
        )
    if len(shape) == 2 and spec.mask_value is not None:  # padded variable-length series
        x = keras.layers.Masking(spec.mask_value, name=f"{name}_masking")(x)
        x = keras.layers.Dense(
            conv_filters[-1] if conv_filters else shape[-1] or 1,
            activation=activation,
            kernel_initializer=fresh_initializer(kernel_initializer),
            kernel_regularizer=keras.regularizers.get(kernel_regularizer),
            name=f"{name}_steps",
        )(x)  # per step; the mask passes through to the pooling
        return keras.layers.GlobalAveragePooling1D(name=f"{name}_pool")(x)
    if len(shape) in (2, 3):
        conv = keras.layers.Conv1D if len(shape) == 2 else keras.layers.Conv2D
        pool = (
            keras.layers.GlobalAveragePooling1D
            if len(shape) == 2
            else keras.layers.GlobalAveragePooling2D
        )
        for i, filters in enumerate(conv_filters):
            x = conv(
                filters,
                3,
                padding="same",
                activation=activation,
                kernel_initializer=fresh_initializer(kernel_initializer),
                kernel_regularizer=keras.regularizers.get(kernel_regularizer),
                name=f"{name}_conv{i}",
            )(x)
        return pool(name=f"{name}_pool")(x)
    raise ValueError(
        f"Input {name!r} has shape {shape}: no branch for rank {len(shape)} "
        "(expected (features,), (steps, channels) or (height, width, channels))."
    )


def encode_inputs(
    inputs: ModelInputs, **branch_options: Any
) -> tuple[dict[str, keras.KerasTensor], Any]:
    """A ``keras.Input`` per input spec and the concatenation of their branches."""
    if not inputs:
        raise ValueError("The model got no inputs.")
    tensors = {name: make_input(name, spec) for name, spec in inputs.items()}
    features = [
        input_branch(tensors[name], name, spec, **branch_options) for name, spec in inputs.items()
    ]
    joined = (
        features[0]
        if len(features) == 1
        else keras.layers.Concatenate(name="concatenate_inputs")(features)
    )
    return tensors, joined


def model_inputs(tensors: dict[str, keras.KerasTensor]) -> Any:
    """What ``keras.Model`` takes: one input as is, several as the dict by name."""
    return next(iter(tensors.values())) if len(tensors) == 1 else tensors


@dataclass(frozen=True, kw_only=True)
class InputBranches:
    """Stem of a composed model over any mix of inputs: one branch per input (see the module
    table), concatenated, then optional dropout (the entity-embedding approach for tables, Guo
    & Berkhahn, 2016, and image + tabular models alike).

    Args:
        embedding_dim: width of each categorical embedding; ``auto``: ``1.6 * n ** 0.56`` for
            a vocabulary of ``n``, capped at ``max_embedding_dim``.
        numeric_units: Dense layers applied to each numeric block before joining.
        numeric_embedding: ``None``, or numeric embeddings of each numeric block
            (``{kind: periodic, n_frequencies: 16, dim: 16}``, as ``model.numeric_embedding``
            of the ``mlp``).
        conv_filters: Conv2D (images) / Conv1D (sequences) layers of the image branches.
        activation / kernel_initializer / kernel_regularizer: of every branch layer.
        dropout: on the joined features.
    """

    embedding_dim: int | str = "auto"
    max_embedding_dim: int = 50
    numeric_units: Sequence[int] = ()
    conv_filters: Sequence[int] = (32, 64)
    activation: Any = "relu"
    kernel_initializer: Any = "he_normal"
    kernel_regularizer: Any = None
    dropout: float = 0.0
    numeric_embedding: Mapping[str, Any] | None = None

    def __call__(self, inputs: ModelInputs, *, mask: bool | None) -> tuple[Any, Any]:
        tensors, x = encode_inputs(
            inputs,
            embedding_dim=self.embedding_dim,
            max_embedding_dim=self.max_embedding_dim,
            numeric_units=self.numeric_units,
            conv_filters=self.conv_filters,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            numeric_embedding=self.numeric_embedding,
        )
        if self.dropout:
            x = keras.layers.Dropout(self.dropout, name="joined_dropout")(x)
        return model_inputs(tensors), x
