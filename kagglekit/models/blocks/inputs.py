"""Model inputs from specs, and the stems of a composed model (its input -> first features).

A stem is called with the model's input specs and ``mask``: whether to mask padding for the
body (``False`` when the first body block takes no Keras mask, else the model's ``masking``:
``None`` lets the stem decide from the data). It returns what ``keras.Model`` takes as inputs
(one ``keras.Input``, or a dict of them) and the tensor the body reads. These stems read one
input; :class:`kagglekit.models.branches.InputBranches` reads any mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from kagglekit.errors import ConfigError
from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.specs import InputSpec, ModelInputs, single_input


def make_inputs(inputs: ModelInputs) -> dict[str, keras.KerasTensor]:
    return {
        name: keras.Input(shape=spec.shape, dtype=spec.dtype, name=name)
        for name, spec in inputs.items()
    }


def make_input(name: str, spec: InputSpec) -> keras.KerasTensor:
    return keras.Input(shape=spec.shape, dtype=spec.dtype, name=name)


def require_series(spec: InputSpec, factory: str) -> None:
    """A numeric ``(steps, channels)`` input, as :class:`~kagglekit.data.sequences.NumericSequences` gives."""
    if len(spec.shape) != 2 or spec.vocabulary is not None:
        raise ConfigError(
            f"{factory} needs numeric sequences of shape (steps, channels) "
            f"(kagglekit.data.sequences.NumericSequences), got shape {spec.shape} "
            f"dtype {spec.dtype}. Token ids go to the text_* models."
        )


def require_tokens(spec: InputSpec, factory: str) -> int:
    """Integer token ids with a known vocabulary size, as :class:`~kagglekit.data.text.TextSequences` gives."""
    if len(spec.shape) != 1 or not spec.vocabulary or "int" not in spec.dtype:
        raise ConfigError(
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


@dataclass(frozen=True, kw_only=True)
class SeriesInput:
    """Stem for numeric ``(steps, channels)`` series: the input, masked when ``mask`` says so.

    ``mask``: ``None`` = mask padded steps when the data says its series are padded
    (``spec.mask_value``), ``True`` forces it (zeros when there is no pad value), ``False``
    leaves them in.
    """

    def __call__(self, inputs: ModelInputs, *, mask: bool | None) -> tuple[Any, Any]:
        name, spec = single_input(inputs, "model.stem SeriesInput")
        require_series(spec, "model.stem SeriesInput")
        x_in = make_input(name, spec)
        return x_in, mask_padding(x_in, spec, mask)


@dataclass(frozen=True, kw_only=True)
class TokenEmbedding:
    """Stem for integer token ids (:class:`~kagglekit.data.text.TextSequences`): an Embedding
    (id 0 is padding, masked unless ``mask`` is ``False``), then optional SpatialDropout1D.

    Args:
        dim: size of each token's vector.
        initializer / regularizer / constraint: of the embeddings; any Keras name,
            ``{class_name, config}`` dict or object (``_target_`` in YAML).
        dropout: SpatialDropout1D rate on the embedded sequence (drops whole channels).
    """

    dim: int = 64
    initializer: Any = "uniform"
    regularizer: Any = None
    constraint: Any = None
    dropout: float = 0.0

    def __call__(self, inputs: ModelInputs, *, mask: bool | None) -> tuple[Any, Any]:
        name, spec = single_input(inputs, "model.stem TokenEmbedding")
        vocabulary = require_tokens(spec, "model.stem TokenEmbedding")
        x_in = make_input(name, spec)
        x = keras.layers.Embedding(
            vocabulary,
            self.dim,
            embeddings_initializer=fresh_initializer(self.initializer),
            embeddings_regularizer=self.regularizer,
            embeddings_constraint=self.constraint,
            mask_zero=mask is not False,
            name="embedding",
        )(x_in)
        if self.dropout:
            x = keras.layers.SpatialDropout1D(self.dropout, name="embedding_dropout")(x)
        return x_in, x
