"""Sequence and text models composed of blocks: masking, Keras objects from config, refusals,
custom layers."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
from hydra.utils import instantiate

from kagglekit.errors import ConfigError
from kagglekit.models.blocks import (
    ConvBody,
    DenseHead,
    RecurrentBody,
    SeriesInput,
    StepPooling,
    TokenEmbedding,
)
from kagglekit.models.composed import build_composed
from kagglekit.models.layers import MaskedGlobalMaxPooling1D
from kagglekit.models.specs import InputSpec, OutputSpec
from tests.conftest import Compose

BINARY = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]


def build_rnn(
    inputs: dict[str, InputSpec],
    *,
    pooling: str = "last",
    masking: bool | None = None,
    front: ConvBody | None = None,
    **body: Any,
) -> keras.Model:
    bodies = [RecurrentBody(**body)] if front is None else [front, RecurrentBody(**body)]
    return build_composed(
        inputs,
        BINARY,
        stem=SeriesInput(),
        body=bodies,
        pooling=StepPooling(mode=pooling),
        masking=masking,
    )


def build_conv1d(inputs: dict[str, InputSpec], *, pooling: str = "avg", **body: Any) -> keras.Model:
    return build_composed(
        inputs,
        BINARY,
        stem=SeriesInput(),
        body=ConvBody(**body),
        pooling=StepPooling(mode=pooling),
    )


def build_text_rnn(inputs: dict[str, InputSpec], *, pooling: str = "last") -> keras.Model:
    return build_composed(
        inputs,
        BINARY,
        stem=TokenEmbedding(),
        body=RecurrentBody(),
        pooling=StepPooling(mode=pooling),
    )


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
    padded = build_rnn({"sequence": InputSpec((10, 2), mask_value=0.0)}, **hparams)
    assert any(isinstance(layer, keras.layers.Masking) for layer in padded.layers)
    exact = build_rnn({"sequence": InputSpec((6, 2))}, **hparams)
    copy_weights(padded, exact)
    series = np.random.default_rng(0).normal(size=(3, 6, 2)).astype("float32")
    with_padding = np.concatenate([series, np.zeros((3, 4, 2), "float32")], axis=1)
    np.testing.assert_allclose(
        padded.predict(with_padding, verbose=0), exact.predict(series, verbose=0), atol=1e-5
    )


def test_masking_follows_the_data_unless_the_config_says_otherwise():
    def has_masking(model: keras.Model) -> bool:
        return any(isinstance(layer, keras.layers.Masking) for layer in model.layers)

    assert has_masking(build_rnn({"s": InputSpec((5, 1), mask_value=0.0)}))
    assert not has_masking(build_rnn({"s": InputSpec((5, 1))}))
    assert not has_masking(build_rnn({"s": InputSpec((5, 1), mask_value=0.0)}, masking=False))
    assert has_masking(build_rnn({"s": InputSpec((5, 1))}, masking=True))
    # a body that starts with convolutions takes no mask, whatever the data or the config say
    front = ConvBody(filters=[4], kernel_size=3)
    assert not has_masking(build_rnn({"s": InputSpec((5, 1), mask_value=0.0)}, front=front))
    assert not has_masking(build_rnn({"s": InputSpec((5, 1))}, masking=True, front=front))


def test_padding_ids_do_not_change_a_text_rnn_prediction():
    keras.utils.set_random_seed(0)
    long = build_text_rnn({"text": InputSpec((9,), "int32", vocabulary=20)}, pooling="max")
    short = build_text_rnn({"text": InputSpec((4,), "int32", vocabulary=20)}, pooling="max")
    copy_weights(long, short)
    ids = np.array([[3, 4, 5, 6], [7, 1, 0, 0]], dtype="int32")
    padded = np.concatenate([ids, np.zeros((2, 5), "int32")], axis=1)
    np.testing.assert_allclose(
        long.predict(padded, verbose=0), short.predict(ids, verbose=0), atol=1e-5
    )


def test_stacked_bidirectional_and_cnn_front_end_layers():
    model = build_rnn(
        {"s": InputSpec((16, 3))},
        units=[8, 4],
        bidirectional=True,
        front=ConvBody(filters=[6, 6], kernel_size=5, pool_size=2),
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
        "model.body.activation=gelu",
        "model.body.kernel_constraint=max_norm",
        "model.body.recurrent_dropout=0.1",
        "model.body.recurrent_regularizer={_target_:keras.regularizers.L2,l2:0.001}",
        "model.body.kernel_initializer={_target_:keras.initializers.GlorotNormal}",
        "model.body.units=[4,4]",
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
        filters=[4, 8],
        kernel_size=[3, 3],
        residual=True,
        pooling="avgmax",
    )
    assert model.get_layer("conv1_proj").output.shape == (None, 12, 8)
    assert model.get_layer("global_avgmax").output.shape == (None, 16)
    with pytest.raises(ConfigError, match="kernel_size has 3 values for 2 conv layers"):
        build_conv1d({"s": InputSpec((12, 2))}, filters=[4, 8], kernel_size=[3, 3, 3])
    with pytest.raises(ConfigError, match=r"model.pooling.mode must be one of"):
        build_conv1d({"s": InputSpec((12, 2))}, pooling="median")
    with pytest.raises(ConfigError, match="ConvBody returns every step"):
        build_conv1d({"s": InputSpec((12, 2))}, pooling="last")


def test_blocks_refuse_the_wrong_kind_of_input():
    tokens = {"text": InputSpec((8,), "int32", vocabulary=30)}
    series = {"sequence": InputSpec((8, 1))}
    with pytest.raises(ConfigError, match=r"model.stem SeriesInput needs numeric sequences"):
        build_rnn(tokens)
    with pytest.raises(ConfigError, match=r"model.stem SeriesInput needs numeric sequences"):
        build_conv1d({"features": InputSpec((8,))})
    with pytest.raises(ConfigError, match=r"model.stem TokenEmbedding needs integer token ids"):
        build_text_rnn(series)
    with pytest.raises(ConfigError, match=r"model.body.cell must be one of"):
        build_rnn(series, cell="transformer")
    with pytest.raises(ConfigError, match=r"model.pooling.mode must be one of"):
        build_rnn(series, pooling="attention")
    with pytest.raises(ValueError, match=r"model.stem SeriesInput takes one input"):
        build_rnn({**series, "other": InputSpec((8, 1))})


def test_a_body_list_and_a_dense_head_from_config(compose_cfg: Compose):
    """cnn_rnn's body is a list (Conv1D front-end, then a GRU), each entry overridable by index;
    text_cnn is conv1d.yaml with a TokenEmbedding stem."""
    cfg = compose_cfg(
        "model=cnn_rnn",
        "model.body.0.filters=[5,7]",
        "model.body.1.units=[3]",
        "model.pooling.mode=max",
        "model.head.units=[6]",
    )
    model = instantiate(cfg.model, _convert_="all")(
        inputs={"s": InputSpec((10, 2), mask_value=0.0)}, outputs=BINARY
    )
    names = [layer.name for layer in model.layers]
    assert "masking" not in names  # the convolutions come first: no mask
    assert model.get_layer("conv1").output.shape == (None, 10, 7)
    assert model.get_layer("gru_0").output.shape == (None, 10, 3)  # every step, for the pooling
    assert model.get_layer("global_max").output.shape == (None, 3)
    assert model.get_layer("dense_0").output.shape == (None, 6)
    assert model.name == "cnn_rnn"
    text = compose_cfg("model=text_cnn", "model.stem.dim=5")
    model = instantiate(text.model, _convert_="all")(
        inputs={"t": InputSpec((9,), "int32", vocabulary=11, mask_value=0)}, outputs=BINARY
    )
    assert model.get_layer("embedding").output.shape == (None, 9, 5)
    assert model.get_layer("embedding").mask_zero is False
    assert isinstance(model.get_layer("embedding_dropout"), keras.layers.SpatialDropout1D)


def test_blocks_are_reusable_across_models():
    """One block object (as Hydra instantiates it once per run) builds fresh layers per fold."""
    body, head = RecurrentBody(units=[3]), DenseHead(units=[2])
    spec = {"s": InputSpec((4, 1))}
    first = build_composed(spec, BINARY, stem=SeriesInput(), body=body, head=head)
    second = build_composed(spec, BINARY, stem=SeriesInput(), body=body, head=head)
    assert first.get_layer("lstm_0") is not second.get_layer("lstm_0")
    assert [w.shape for w in first.weights] == [w.shape for w in second.weights]


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


def test_the_config_check_knows_each_blocks_options():
    """``model.body.<option>`` is checked against the block's own parameters: one it leaves out
    of the YAML is added (``+``), a misspelt one is refused with the block's keys."""
    from kagglekit.config_check import check_overrides
    from tests.conftest import CONF_DIR

    accepted = check_overrides(
        ["model=cnn_rnn", "model.body.1.units=[8]", "model.body.0.dilation_rate=2"], CONF_DIR
    )
    assert accepted == ["model=cnn_rnn", "model.body.1.units=[8]", "+model.body.0.dilation_rate=2"]
    accepted = check_overrides(["model=lstm", "model.body.bias_regularizer=l2"], CONF_DIR)
    assert accepted == ["model=lstm", "+model.body.bias_regularizer=l2"]
    with pytest.raises(ConfigError, match=r"Did you mean 'model\.body\.units'"):
        check_overrides(["model=lstm", "model.body.unitz=[8]"], CONF_DIR)
    # a flat key of before the blocks points to where it lives now
    with pytest.raises(
        ConfigError,
        match=r"'model\.units'\. Did you mean 'model\.body\.units' or 'model\.head\.units'\?",
    ):
        check_overrides(["model=lstm", "model.units=[8]"], CONF_DIR)
    with pytest.raises(
        ConfigError, match=r"Did you mean 'model\.stem\.dropout' or 'model\.body\.dropout'"
    ):
        check_overrides(["model=text_cnn", "model.dropout=0.1"], CONF_DIR)
