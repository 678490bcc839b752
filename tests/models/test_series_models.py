"""FCN, ResNet and InceptionTime: padded steps leave predictions unchanged, ensembles, layouts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest

from kagglekit.errors import ConfigError
from kagglekit.models.fcn import FCNBody, ResNet1DBody
from kagglekit.models.inception_time import InceptionTimeBody
from kagglekit.models.series_blocks import (
    MaskedGlobalAverage1D,
    PaddingMask,
    build_series_network,
)
from kagglekit.models.specs import InputSpec, OutputSpec

CLASSES = [OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")]


def network(body: type[Any]) -> Callable[..., keras.Model]:
    """``build(inputs, outputs, masking=..., ensemble=..., **body options)``."""

    def build(inputs: Any, outputs: Any, *, masking: Any = None, ensemble: int = 1, **options: Any):
        return build_series_network(
            inputs, outputs, body=body(**options), masking=masking, ensemble=ensemble
        )

    return build


build_fcn, build_resnet1d = network(FCNBody), network(ResNet1DBody)
build_inception_time = network(InceptionTimeBody)
SMALL: dict[str, tuple[Callable[..., keras.Model], dict[str, Any]]] = {
    "fcn": (build_fcn, {"filters": [4, 6, 4]}),
    "resnet1d": (build_resnet1d, {"filters": [4, 6, 6]}),
    "inception_time": (
        build_inception_time,
        {"depth": 3, "filters": 2, "kernel_sizes": [7, 4, 2], "bottleneck": 3},
    ),
}


def copy_by_name(source: keras.Model, target: keras.Model) -> None:
    for layer in target.layers:
        layer.set_weights(source.get_layer(layer.name).get_weights())


@pytest.mark.parametrize("name", sorted(SMALL))
def test_padded_steps_do_not_change_a_prediction(name: str) -> None:
    """A series padded to 20 steps is predicted exactly as the same series alone (7 steps),
    even when its real values are negative (the max-pooling branch) and after training moved
    the BatchNorm statistics."""
    build, hparams = SMALL[name]
    keras.utils.set_random_seed(0)
    padded = build({"s": InputSpec((20, 2), mask_value=0.0)}, CLASSES, **hparams)
    exact = build({"s": InputSpec((7, 2))}, CLASSES, **hparams)
    rng = np.random.default_rng(0)
    train = rng.normal(size=(16, 20, 2)).astype("float32")
    train[:8, 10:] = 0.0
    padded.compile("adam", "sparse_categorical_crossentropy")
    padded.fit(train, rng.integers(0, 3, 16), epochs=2, batch_size=8, verbose=0)
    copy_by_name(padded, exact)
    series = rng.normal(size=(3, 7, 2)).astype("float32") - 2.0
    with_padding = np.concatenate([series, np.zeros((3, 13, 2), "float32")], axis=1)
    np.testing.assert_allclose(
        padded.predict(with_padding, verbose=0), exact.predict(series, verbose=0), atol=1e-5
    )
    unmasked = build({"s": InputSpec((20, 2), mask_value=0.0)}, CLASSES, masking=False, **hparams)
    copy_by_name(padded, unmasked)
    assert not np.allclose(
        unmasked.predict(with_padding, verbose=0), exact.predict(series, verbose=0), atol=1e-3
    ), "without masking the padding should change the prediction (the test would be vacuous)"


def test_reference_layouts() -> None:
    fcn = build_fcn({"s": InputSpec((50, 1))}, CLASSES)
    assert [fcn.get_layer(f"conv{i}").output.shape[-1] for i in range(3)] == [128, 256, 128]
    assert [fcn.get_layer(f"conv{i}").kernel.shape[0] for i in range(3)] == [8, 5, 3]
    resnet = build_resnet1d({"s": InputSpec((50, 3))}, CLASSES)
    assert [resnet.get_layer(f"block{b}_add").output.shape[-1] for b in range(3)] == [64, 128, 128]
    assert resnet.get_layer("block0_shortcut").kernel.shape == (1, 3, 64)
    assert resnet.get_layer("block2_shortcut_bn") is not None  # same width: BN only
    inception = build_inception_time({"s": InputSpec((50, 1))}, CLASSES)
    assert inception.get_layer("inception5_concat").output.shape == (None, 50, 128)
    assert inception.get_layer("inception0_conv40").kernel.shape == (40, 1, 32)
    names = [layer.name for layer in inception.layers]
    assert "inception0_bottleneck" not in names  # one input channel: no bottleneck
    assert inception.get_layer("inception1_bottleneck").kernel.shape == (1, 128, 32)
    assert [n for n in names if n.endswith("_add")] == ["shortcut2_add", "shortcut5_add"]
    assert not any(isinstance(layer, PaddingMask) for layer in inception.layers)


def test_an_ensemble_averages_its_members() -> None:
    keras.utils.set_random_seed(0)
    model = build_fcn({"s": InputSpec((10, 1))}, CLASSES, filters=[4, 4, 4], ensemble=3)
    x = np.random.default_rng(1).normal(size=(5, 10, 1)).astype("float32")
    members = keras.Model(model.inputs, [model.get_layer(f"m{i}_output").output for i in range(3)])
    each = [np.asarray(p) for p in members.predict(x, verbose=0)]
    assert not np.allclose(each[0], each[1])  # different random starting weights
    np.testing.assert_allclose(model.predict(x, verbose=0), np.mean(each, axis=0), atol=1e-6)
    assert model.output.shape == (None, 3) and model.output_names == ["output"]
    with pytest.raises(ValueError, match="ensemble must be at least 1"):
        build_fcn({"s": InputSpec((10, 1))}, CLASSES, ensemble=0)


def test_refusals() -> None:
    with pytest.raises(ConfigError, match="InceptionTimeBody needs numeric sequences"):
        build_inception_time({"f": InputSpec((8,))}, CLASSES)
    with pytest.raises(ConfigError, match="kernel_size has 2 values for 3 conv blocks"):
        build_fcn({"s": InputSpec((8, 1))}, CLASSES, kernel_size=[3, 3])
    with pytest.raises(ConfigError, match="depth must be at least 1"):
        InceptionTimeBody(depth=0)


def test_masked_average_saves_and_reloads(tmp_path) -> None:
    x = keras.Input((4, 1))
    keep = PaddingMask(0.0)(x)
    model = keras.Model(x, MaskedGlobalAverage1D()([x, keep]))
    batch = np.array([[[2], [4], [0], [0]], [[0], [0], [0], [0]]], "float32")
    np.testing.assert_allclose(model.predict(batch, verbose=0), [[3], [0]])
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded.predict(batch, verbose=0), [[3], [0]])
