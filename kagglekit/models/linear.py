"""A linear model trained by Keras: one Dense output layer per output over flat features."""

from __future__ import annotations

import math

import keras
import numpy as np

from kagglekit.models.blocks import make_input
from kagglekit.models.blocks.dense import output_head
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input


def build_linear(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    l2: float = 1e-3,
    reference_width: int | None = 100,
    input_dropout: float = 0.0,
    kernel_initializer: str = "zeros",
    name: str = "linear",
) -> keras.Model:
    """Logistic regression (softmax/sigmoid heads) or ridge (linear head) on one flat input.

    The classical head of many-feature transforms (MiniRocket features, TF-IDF): with
    standardised features and an L2 penalty it is RidgeClassifierCV's counterpart, trained
    with the run's optimizer, early stopping and checkpointing.

    Args:
        l2: L2 penalty on the weights (``l2 * sum(w**2)`` added to the mean loss; bigger =
            smoother, for fewer training rows).
        reference_width: multiply the input by ``sqrt(reference_width / width)``: the logits
            of thousands of standardised features then move per optimizer step as those of
            ``reference_width`` features do, so Adam's default learning rate (1e-3) fits
            (``None``: no scaling).
        input_dropout: dropout on the input features (0: none).
        kernel_initializer: start of the weights (``zeros``: the convex problem's usual start).
    """
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, but got {l2=}.")
    if not 0 <= input_dropout < 1:
        raise ValueError(f"input_dropout must be in [0, 1), but got {input_dropout=}.")
    input_name, spec = single_input(inputs, "build_linear")
    if spec.vocabulary is not None:
        raise ValueError(
            f"build_linear reads numeric features, but input {input_name!r} holds token ids: give "
            "it TF-IDF features (kagglekit.data.tfidf.TfidfFeatures) instead."
        )
    x_in = make_input(input_name, spec)
    x = keras.layers.Flatten(name="flatten")(x_in) if len(spec.shape) > 1 else x_in
    if reference_width is not None:
        width = math.prod(int(d or 1) for d in spec.shape)
        scale = float(np.sqrt(reference_width / width))
        x = keras.layers.Rescaling(scale, name="scale_by_width")(x)
    if input_dropout:
        x = keras.layers.Dropout(input_dropout, name="input_dropout")(x)
    heads = {
        o.name: output_head(
            x,
            o,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
        )
        for o in outputs
    }
    return keras.Model(x_in, next(iter(heads.values())) if len(heads) == 1 else heads, name=name)
