"""Functional-API factories: input branches, shared layers, residual paths, several heads."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kagglekit.models.blocks import DenseHead
from kagglekit.models.branches import InputBranches, embedding_size, encode_inputs
from kagglekit.models.composed import build_composed
from kagglekit.models.residual_mlp import build_residual_mlp
from kagglekit.models.siamese import build_siamese
from kagglekit.models.specs import InputSpec, OutputSpec

ONE = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]


def test_each_kind_of_input_gets_its_branch():
    inputs = {
        "numeric": InputSpec((4,)),
        "cat_town": InputSpec((1,), dtype="int32", vocabulary=30),
        "tokens": InputSpec((7,), dtype="int32", vocabulary=100, mask_value=0),
        "series": InputSpec((12, 2)),
        "padded": InputSpec((9, 2), mask_value=0.0),
        "image": InputSpec((8, 8, 1)),
    }
    tensors, joined = encode_inputs(inputs, numeric_units=[3], conv_filters=[5])
    model = keras.Model(tensors, joined)
    names = {layer.name for layer in model.layers}
    assert {"cat_town_embedding", "tokens_embedding", "series_conv0", "image_conv0"} <= names
    assert model.get_layer("cat_town_embedding").output_dim == embedding_size(30)
    assert model.get_layer("tokens_embedding").mask_zero
    assert not model.get_layer("cat_town_embedding").mask_zero
    assert "padded_masking" in names and "padded_conv0" not in names
    assert joined.shape[-1] == 3 + embedding_size(30) + embedding_size(100) + 5 + 5 + 5


def test_padded_steps_do_not_change_the_pooled_features():
    keras.utils.set_random_seed(0)
    tensors, joined = encode_inputs({"padded": InputSpec((6, 2), mask_value=0.0)})
    model = keras.Model(tensors, joined)
    series = np.random.default_rng(0).normal(size=(1, 3, 2)).astype("float32")
    padded = np.concatenate([series, np.zeros_like(series)], axis=1)
    twice = np.concatenate([series, series], axis=1)
    # the mean over the 3 real steps equals the mean over the same steps twice
    np.testing.assert_allclose(
        model.predict(padded, verbose=0), model.predict(twice, verbose=0), rtol=1e-5
    )


def test_entity_embedding_model_has_one_embedding_per_categorical_input():
    inputs = {
        "numeric": InputSpec((3,)),
        **{f"cat_{c}": InputSpec((1,), dtype="int32", vocabulary=5) for c in "abc"},
    }
    stem, head = InputBranches(embedding_dim=4, dropout=0.1), DenseHead(units=[8])
    model = build_composed(inputs, ONE, stem=stem, head=head)
    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    assert len(embeddings) == 3 and all(e.output_dim == 4 for e in embeddings)
    assert sorted(model.input) == sorted(inputs)  # a dict of inputs by name
    assert model.get_layer("joined_dropout").rate == 0.1
    assert model.get_layer("dense_0").output.shape == (None, 8)
    with pytest.raises(ValueError, match="vocabulary"):  # float with a vocabulary
        build_composed({"x": InputSpec((1,), vocabulary=3)}, ONE, stem=stem)


def test_siamese_shares_one_encoder_and_is_symmetric():
    keras.utils.set_random_seed(0)
    spec = InputSpec((6,))
    model = build_siamese({"left": spec, "right": spec}, ONE)
    encoders = [layer for layer in model.layers if layer.name == "encoder"]
    assert len(encoders) == 1  # one layer instance used on both inputs
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    ab = model.predict({"left": a, "right": b}, verbose=0)
    ba = model.predict({"left": b, "right": a}, verbose=0)
    np.testing.assert_allclose(ab, ba, rtol=1e-5)
    with pytest.raises(ValueError, match="pair"):
        build_siamese({"left": spec}, ONE)
    with pytest.raises(ValueError, match="alike"):
        build_siamese({"left": spec, "right": InputSpec((5,))}, ONE)


def test_residual_mlp_adds_identity_shortcuts():
    model = build_residual_mlp({"features": InputSpec((10,))}, ONE, width=16, blocks=2)
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 2
    stem = model.get_layer("stem").output
    assert adds[0].input[0] is stem  # the shortcut carries the block's input unchanged
    with pytest.raises(ValueError, match="norm must be"):
        build_residual_mlp({"features": InputSpec((10,))}, ONE, norm="group")
