"""Multi-layer perceptron for tabular features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, make_input
from kagglekit.models.blocks.numeric import embed_numeric
from kagglekit.models.series_blocks import ensemble_heads
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def build_mlp(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    hidden_units: Sequence[int] = (256, 128),
    activation: Any = "relu",
    dropout: float | Sequence[float] = 0.2,
    batch_norm: bool = True,
    input_dropout: float = 0.0,
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    numeric_embedding: Mapping[str, Any] | None = None,
    ensemble: int = 1,
    name: str = "mlp",
) -> keras.Model:
    """Dense layers over one flat feature vector.

    Args:
        hidden_units: width of each hidden layer.
        activation: any Keras activation name or callable (``relu``, ``gelu``, ``swish``...).
        dropout: one rate for every layer or one per layer.
        batch_norm: BatchNormalization after each Dense (before the activation).
        input_dropout: dropout on the input features.
        kernel_initializer / kernel_regularizer: any Keras initializer / regularizer (name,
            dict or object).
        numeric_embedding: ``None``, or the numeric embeddings put in front of the dense layers
            (``{kind: periodic, n_frequencies: 16, dim: 16, sigma: 0.1, lite: false}``, see
            :func:`kagglekit.models.blocks.numeric.embed_numeric`): each numeric feature
            becomes ``dim`` learnt periodic features (Gorishniy et al. 2022).
        ensemble: that many networks (embeddings, dense layers and heads, each from its own
            random start) in one model, their predictions averaged; trained on the average.
    """
    input_name, spec = single_input(inputs, "build_mlp")
    if spec.vocabulary is not None and spec.mask_value is not None:
        raise ValueError(
            f"build_mlp reads numeric features, but input {input_name!r} holds padded token ids "
            "(TextSequences): give it TF-IDF features (kagglekit.data.tfidf.TfidfFeatures, as "
            "competition=foodreviews does) or use a text model (model=text_cnn)."
        )
    x_in = make_input(input_name, spec)
    flat = keras.layers.Flatten(name="flatten")(x_in) if len(spec.shape) > 1 else x_in

    def member(prefix: str) -> Any:
        x = embed_numeric(flat, spec, numeric_embedding, name=f"{prefix}numeric_embedding")
        if input_dropout:
            x = keras.layers.Dropout(input_dropout, name=f"{prefix}input_dropout")(x)
        return dense_stack(
            x,
            hidden_units,
            activation=activation,
            dropout=dropout,
            batch_norm=batch_norm,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            name=f"{prefix}dense",
        )

    return keras.Model(x_in, ensemble_heads(member, outputs, ensemble), name=name)
