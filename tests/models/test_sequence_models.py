"""Sequence and text models: masking, Keras objects from config, refusals, custom layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hydra.utils import instantiate

from kagglekit.models.conv1d import build_conv1d
from kagglekit.models.layers import MaskedGlobalMaxPooling1D
from kagglekit.models.rnn import build_rnn
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.models.text import build_text_cnn, build_text_rnn
from tests.conftest import Compose

BINARY = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]


def copy_weights(source: keras.Model, target: keras.Model) -> None:
    target.set_weights(source.get_weights())


@pytest.mark.parametrize(
    "hparams",
    [
        {"pooling": "last"},
        {"pooling": "avg", "cell": "gru"},
        {"pooling": "max", "bidirectional": True},
    ],
)
def test_padded_steps_do_not_change_an_rnn_prediction(hparams):
    keras.utils.set_random_seed(0)
    padded = build_rnn({"sequence": InputSpec((10, 2), mask_value=0.0)}, BINARY, **hparams)
    assert any(isinstance(layer, keras.layers.Masking) for layer in padded.layers)
    exact = build_rnn({"sequence": InputSpec((6, 2))}, BINARY, **hparams)
    copy_weights(padded, exact)
    series = np.random.default_rng(0).normal(size=(3, 6, 2)).astype("float32")
    with_padding = np.concatenate([series, np.zeros((3, 4, 2), "float32")], axis=1)
    np.testing.assert_allclose(
        padded.predict(with_padding, verbose=0), exact.predict(series, verbose=0), atol=1e-5
    )


def test_masking_follows_the_data_unless_the_config_says_otherwise():
    def has_masking(model: keras.Model) -> bool:
        return any(isinstance(layer, keras.layers.Masking) for layer in model.layers)

    assert not has_masking(build_rnn({"s": InputSpec((5, 1))}, BINARY))
    assert not has_masking(
        build_rnn({"s": InputSpec((5, 1), mask_value=0.0)}, BINARY, masking=False)
    )
    assert has_masking(build_rnn({"s": InputSpec((5, 1))}, BINARY, masking=True))
    assert not has_masking(
        build_rnn({"s": InputSpec((5, 1), mask_value=0.0)}, BINARY, conv_filters=[4])
    )


def test_padding_ids_do_not_change_a_text_rnn_prediction():
    keras.utils.set_random_seed(0)
    long = build_text_rnn({"text": InputSpec((9,), "int32", vocabulary=20)}, BINARY, pooling="max")
    short = build_text_rnn({"text": InputSpec((4,), "int32", vocabulary=20)}, BINARY, pooling="max")
    copy_weights(long, short)
    ids = np.array([[3, 4, 5, 6], [7, 1, 0, 0]], dtype="int32")
    padded = np.concatenate([ids, np.zeros((2, 5), "int32")], axis=1)
    np.testing.assert_allclose(
        long.predict(padded, verbose=0), short.predict(ids, verbose=0), atol=1e-5
    )


def test_stacked_bidirectional_and_cnn_front_end_layers():
    model = build_rnn(
        {"s": InputSpec((16, 3))},
        BINARY,
        units=[8, 4],
        bidirectional=True,
        conv_filters=[6, 6],
        conv_pool_size=2,
    )
    names = [layer.name for layer in model.layers]
    assert (
        names.index("conv0")
        < names.index("conv1")
        < names.index("bilstm_0")
        < names.index("bilstm_1")
    )
    assert model.get_layer("bilstm_0").output.shape == (None, 4, 16)  # two poolings: 16 -> 4 steps
    assert model.get_layer("bilstm_1").output.shape == (None, 8)


def test_keras_objects_by_name_and_by_target(compose_cfg: Compose):
    cfg = compose_cfg(
        "model=lstm",
        "model.activation=gelu",
        "model.kernel_constraint=max_norm",
        "model.recurrent_dropout=0.1",
        "model.recurrent_regularizer={_target_:keras.regularizers.L2,l2:0.001}",
        "model.kernel_initializer={_target_:keras.initializers.GlorotNormal}",
        "model.units=[4,4]",
    )
    model = instantiate(cfg.model, _convert_="all")(inputs={"s": InputSpec((5, 4))}, outputs=BINARY)
    first, second = model.get_layer("lstm_0"), model.get_layer("lstm_1")
    assert first.cell.activation is keras.activations.gelu
    assert isinstance(first.cell.kernel_constraint, keras.constraints.MaxNorm)
    assert isinstance(first.cell.recurrent_regularizer, keras.regularizers.L2)
    assert first.cell.recurrent_regularizer.l2 == pytest.approx(0.001)
    assert first.cell.recurrent_dropout == 0.1
    # one initializer object from the config, but each layer starts from its own values
    assert first.cell.kernel.shape == second.cell.kernel.shape
    assert not np.allclose(first.cell.kernel.numpy(), second.cell.kernel.numpy())


def test_conv1d_residual_and_pooling_options():
    model = build_conv1d(
        {"s": InputSpec((12, 2))},
        BINARY,
        filters=[4, 8],
        kernel_size=[3, 3],
        residual=True,
        pooling="avgmax",
    )
    assert model.get_layer("conv1_proj").output.shape == (None, 12, 8)
    assert model.get_layer("global_avgmax").output.shape == (None, 16)
    with pytest.raises(ValueError, match="kernel_size has 3 values for 2 conv layers"):
        build_conv1d({"s": InputSpec((12, 2))}, BINARY, filters=[4, 8], kernel_size=[3, 3, 3])
    with pytest.raises(ValueError, match="pooling must be"):
        build_conv1d({"s": InputSpec((12, 2))}, BINARY, pooling="median")


def test_factories_refuse_the_wrong_kind_of_input():
    tokens = {"text": InputSpec((8,), "int32", vocabulary=30)}
    series = {"sequence": InputSpec((8, 1))}
    with pytest.raises(ValueError, match="build_rnn needs numeric sequences"):
        build_rnn(tokens, BINARY)
    with pytest.raises(ValueError, match="build_conv1d needs numeric sequences"):
        build_conv1d({"features": InputSpec((8,))}, BINARY)
    with pytest.raises(ValueError, match="build_text_cnn needs integer token ids"):
        build_text_cnn(series, BINARY)
    with pytest.raises(ValueError, match="cell must be one of"):
        build_rnn(series, BINARY, cell="transformer")
    with pytest.raises(ValueError, match="pooling must be 'last', 'avg' or 'max'"):
        build_rnn(series, BINARY, pooling="attention")


def test_masked_max_pooling_ignores_masked_steps_and_saves(tmp_path):
    x = keras.Input((4, 2))
    pooled = MaskedGlobalMaxPooling1D()(keras.layers.Masking(0.0)(x))
    model = keras.Model(x, pooled)
    batch = np.array(
        [[[-1, -2], [-3, -1], [0, 0], [0, 0]], [[0, 0], [0, 0], [0, 0], [0, 0]]], "float32"
    )
    expected = [[-1, -1], [0, 0]]  # padded zeros are not the max; all-masked gives zeros
    np.testing.assert_array_equal(model.predict(batch, verbose=0), expected)
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(reloaded.predict(batch, verbose=0), expected)
