"""keras.applications backbones: by name, no downloads, local weights, freezing, grey input."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kagglekit.models.backbone import architectures, build_backbone, preprocess_function
from kagglekit.models.specs import InputSpec, OutputSpec

OUT = [OutputSpec("output", 2, "softmax", "sparse_categorical_crossentropy")]
GREY = {"image": InputSpec((8, 8, 1))}


def backbone_of(model: keras.Model) -> keras.Model:
    (inner,) = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return inner


@pytest.mark.parametrize("name", ["ResNet50", "EfficientNetB0", "MobileNetV3Small"])
def test_named_architectures_build_on_small_grey_images(name):
    keras.backend.clear_session()
    model = build_backbone(GREY, OUT, architecture=name)
    assert model.output_shape == (None, 2)
    assert model.get_layer("grey_to_rgb") is not None and model.get_layer("upsize") is not None
    assert backbone_of(model).input_shape == (None, 32, 32, 3)
    out = model.predict(np.random.default_rng(0).random((2, 8, 8, 1)), verbose=0)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_rgb_images_of_a_usable_size_go_in_unchanged():
    model = build_backbone({"image": InputSpec((40, 40, 3))}, OUT)
    names = {layer.name for layer in model.layers}
    assert "grey_to_rgb" not in names and "upsize" not in names


def test_unknown_names_and_downloads_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown keras\.applications architecture 'ResNet51'"):
        build_backbone(GREY, OUT, architecture="ResNet51")
    with pytest.raises(ValueError, match="never does"):
        build_backbone(GREY, OUT, weights="imagenet")
    with pytest.raises(FileNotFoundError, match=r"missing\.weights\.h5 not found"):
        build_backbone(GREY, OUT, weights=str(tmp_path / "missing.weights.h5"))
    with pytest.raises(ValueError, match=r"grey \(1\) or RGB \(3\)"):
        build_backbone({"image": InputSpec((8, 8, 2))}, OUT)
    assert "ResNet50" in architectures() and callable(preprocess_function("ResNet50"))


def test_a_local_weights_file_is_loaded(tmp_path):
    keras.utils.set_random_seed(1)
    source = keras.applications.MobileNetV3Small(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    path = tmp_path / "mobilenet_v3_small_notop.weights.h5"
    source.save_weights(path)
    keras.utils.set_random_seed(2)
    model = build_backbone(GREY, OUT, weights=str(path))
    for mine, theirs in zip(backbone_of(model).weights, source.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_freezing():
    frozen = build_backbone(GREY, OUT, freeze=True)
    assert not backbone_of(frozen).trainable
    assert {w.path.split("/")[0] for w in frozen.trainable_weights} == {"output"}
    last_two = build_backbone(GREY, OUT, freeze=2)
    trainable = [layer for layer in backbone_of(last_two).layers if layer.trainable_weights]
    assert 0 < len(trainable) <= 2
    with pytest.raises(ValueError, match="freeze must be"):
        build_backbone(GREY, OUT, freeze=-1)
