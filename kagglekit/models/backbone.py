"""A ``keras.applications`` network (ResNet50, EfficientNetB0, MobileNetV3Small, ...) as the
feature extractor of an image model, with a new head for the competition's outputs.

Weights are never downloaded: ``weights`` is ``null`` (random initialisation) or the path of a
local weights file without the top layers (``..._notop.h5``, as Keras distributes them).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras

from kagglekit.models.blocks import dense_stack, make_input, output_heads
from kagglekit.models.specs import ModelInputs, ModelOutputs, single_input

MIN_SIZE = 32  # the smallest input side keras.applications networks accept


def architectures() -> list[str]:
    """Names of the networks in ``keras.applications``."""
    return sorted(n for n in dir(keras.applications) if n[:1].isupper())


def application(name: str) -> Callable[..., keras.Model]:
    if name not in architectures():
        raise ValueError(
            f"Unknown keras.applications architecture {name!r}; available: {architectures()}."
        )
    constructor: Callable[..., keras.Model] = getattr(keras.applications, name)
    return constructor


def preprocess_function(name: str) -> Callable[[Any], Any]:
    """The ``preprocess_input`` of the module defining ``name`` (pixels in [0, 255] in)."""
    constructor = application(name)
    for module_name in dir(keras.applications):
        module = getattr(keras.applications, module_name)
        if module_name.islower() and getattr(module, name, None) is constructor:
            fn: Callable[[Any], Any] = module.preprocess_input
            return fn
    module = importlib.import_module(constructor.__module__)
    fn = module.preprocess_input
    return fn


def check_weights(weights: str | None) -> str | None:
    if weights is None:
        return None
    if weights == "imagenet":
        raise ValueError(
            "weights='imagenet' would download the weights, which kagglekit never does. Download "
            "the no-top weights file once yourself and give its path, e.g. "
            "model.weights=/data/weights/mobilenet_v3_small_notop.h5, or use weights=null."
        )
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"Backbone weights file {path} not found. Give the path of a local weights file "
            "(without the top layers), or weights=null to start from random weights."
        )
    return str(path)


def freeze_layers(backbone: keras.Model, freeze: bool | int) -> None:
    """``True``: freeze the whole backbone; ``n`` > 0: all but its last ``n`` layers."""
    if freeze is True:
        backbone.trainable = False
    elif freeze is False or freeze == 0:
        backbone.trainable = True
    elif isinstance(freeze, int) and freeze > 0:
        for layer in backbone.layers[:-freeze]:
            layer.trainable = False
    else:
        raise ValueError(
            f"freeze must be true, false or a number of trainable last layers, but got {freeze!r}."
        )


def build_backbone(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    architecture: str = "MobileNetV3Small",
    weights: str | None = None,
    freeze: bool | int = False,
    pixel_scale: float = 255.0,
    min_size: int = MIN_SIZE,
    pooling: str = "avg",
    dense_units: Sequence[int] = (),
    dropout: float = 0.2,
    activation: Any = "relu",
    name: str = "backbone",
) -> keras.Model:
    """Image -> (grey to RGB) -> (upsize) -> the network's preprocessing -> backbone ->
    global pooling -> dropout -> optional Dense layers -> output head(s).

    Args:
        architecture: a ``keras.applications`` name (``ResNet50``, ``EfficientNetB0``,
            ``MobileNetV3Small``, ``ConvNeXtTiny``...).
        weights: ``null`` or the path of a local no-top weights file (never downloaded).
        freeze: ``true`` freezes the backbone (and runs its BatchNorm in inference mode);
            a number ``n`` keeps only its last ``n`` layers trainable.
        pixel_scale: inputs arrive scaled to [0, 1] (``scale: 255`` in the loader) and are
            multiplied by this before the network's own preprocessing, which expects [0, 255].
        min_size: smaller images are resized up to this side first.
        pooling: ``avg`` or ``max`` global pooling of the backbone's feature map.
    """
    input_name, spec = single_input(inputs, "build_backbone")
    if len(spec.shape) != 3:
        raise ValueError(
            f"build_backbone needs (height, width, channels) images, got shape {spec.shape}."
        )
    height, width, channels = spec.shape
    if channels not in (1, 3):
        raise ValueError(
            f"build_backbone takes grey (1) or RGB (3) images, got {channels} channels."
        )
    if pooling not in ("avg", "max"):
        raise ValueError(f"pooling must be 'avg' or 'max', but got {pooling=}.")
    x_in = make_input(input_name, spec)
    x = x_in
    if channels == 1:  # the pretrained filters expect three colour channels
        x = keras.layers.Concatenate(name="grey_to_rgb")([x, x, x])
    size = (max(int(height or min_size), min_size), max(int(width or min_size), min_size))
    if size != (height, width):
        x = keras.layers.Resizing(*size, name="upsize")(x)
    if pixel_scale != 1.0:
        x = keras.layers.Rescaling(pixel_scale, name="to_pixels")(x)
    x = preprocess_function(architecture)(x)
    backbone = application(architecture)(
        include_top=False, weights=check_weights(weights), input_shape=(*size, 3)
    )
    freeze_layers(backbone, freeze)
    x = backbone(x, training=False) if freeze is True else backbone(x)
    pool = (
        keras.layers.GlobalAveragePooling2D if pooling == "avg" else keras.layers.GlobalMaxPooling2D
    )
    x = pool(name="pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = dense_stack(x, dense_units, activation=activation, name="head")
    return keras.Model(x_in, output_heads(x, outputs), name=name)
