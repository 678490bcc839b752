"""The reference series networks (FCN, ResNet, InceptionTime) composed: one factory,
:func:`build_series_network`, and a body block per architecture (``model.body``), with padding
masks, masked global average pooling and an averaged ensemble of sub-networks.

Convolutions take no Keras mask, so variable-length series are handled with an explicit
``keep`` tensor, ``(batch, steps, 1)``: 1 on real steps, 0 on padding. Each block's output is
zeroed on padded steps, so a convolution at the end of a short series sees zeros there exactly
as ``same`` padding would show it at the end of an unpadded series, and the global average is
taken over real steps only. In inference the prediction of a padded series therefore equals the
prediction of the same series unpadded. (In training, BatchNormalization's batch statistics
still count the zeroed padded steps.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import keras
from keras import ops

from kagglekit.models.blocks import make_input, output_head, require_series
from kagglekit.models.specs import InputSpec, ModelInputs, ModelOutputs, single_input


@keras.saving.register_keras_serializable(package="kagglekit")
class PaddingMask(keras.layers.Layer):
    """``(batch, steps, channels)`` -> ``(batch, steps, 1)``: 1 where any channel differs from
    ``mask_value`` (a real step), 0 where every channel equals it (padding)."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def call(self, inputs: Any) -> Any:
        real = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.cast(real, inputs.dtype)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}


@keras.saving.register_keras_serializable(package="kagglekit")
class FillPadding(keras.layers.Layer):
    """``[x, keep]`` -> ``x`` with padded steps set to ``value`` (0: as ``same`` padding sees
    beyond the end; a very low value before a max pooling, so padding never wins it)."""

    def __init__(self, value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value = float(value)

    def call(self, inputs: Any) -> Any:
        x, keep = inputs
        return ops.where(ops.greater(keep, 0.5), x, ops.cast(self.value, x.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value": self.value}


@keras.saving.register_keras_serializable(package="kagglekit")
class MaskedGlobalAverage1D(keras.layers.Layer):
    """``[x, keep]`` -> the mean of ``x`` over real steps, ``(batch, features)`` (zeros for a
    series without any real step)."""

    def call(self, inputs: Any) -> Any:
        x, keep = inputs
        total = ops.sum(x * keep, axis=1)
        count = ops.maximum(ops.sum(keep, axis=1), ops.cast(1.0, x.dtype))
        return total / count

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = input_shape[0]
        return (shape[0], shape[2])


class Padding:
    """The padding of one network's input: ``keep`` when the series are padded, else ``None``.

    Args:
        x: the model input; spec: its :class:`InputSpec`.
        masking: ``None`` = mask when the data says its series are padded (``spec.mask_value``);
            ``True``/``False`` forces it (``True`` with no ``mask_value`` masks zeros).
    """

    def __init__(self, x: Any, spec: InputSpec, masking: bool | None) -> None:
        use = spec.mask_value is not None if masking is None else masking
        self.keep: Any = None
        if use:
            value = spec.mask_value if spec.mask_value is not None else 0.0
            self.keep = PaddingMask(value, name="padding_mask")(x)

    def zero(self, x: Any, name: str) -> Any:
        """``x`` with padded steps set to 0 (unchanged when nothing is padded)."""
        return x if self.keep is None else FillPadding(0.0, name=name)([x, self.keep])

    def lowest(self, x: Any, name: str) -> Any:
        """``x`` with padded steps set very low, ahead of a max pooling."""
        return x if self.keep is None else FillPadding(-1e9, name=name)([x, self.keep])

    def average(self, x: Any, name: str) -> Any:
        """Global average over the real steps."""
        if self.keep is None:
            return keras.layers.GlobalAveragePooling1D(name=name)(x)
        return MaskedGlobalAverage1D(name=name)([x, self.keep])


Member = Callable[[str], Any]


def ensemble_heads(member: Member, outputs: ModelOutputs, ensemble: int) -> Any:
    """``ensemble`` sub-networks, each its own output head(s), averaged per head.

    ``member(prefix)`` builds one network's features with layer names starting with ``prefix``
    (``""`` for a single network). Each member starts from its own random weights (drawn from
    the run's seed, so the whole ensemble is reproducible); the model is trained on the
    averaged prediction.
    """
    if ensemble < 1:
        raise ValueError(f"ensemble must be at least 1 (one network), but got {ensemble=}.")
    if ensemble == 1:
        features = member("")
        heads = {o.name: output_head(features, o) for o in outputs}
    else:
        per_member = []
        for i in range(ensemble):
            features = member(f"m{i}_")
            per_member.append(
                {
                    o.name: output_head(features, dataclasses.replace(o, name=f"m{i}_{o.name}"))
                    for o in outputs
                }
            )
        heads = {
            o.name: keras.layers.Average(name=o.name)([m[o.name] for m in per_member])
            for o in outputs
        }
    return next(iter(heads.values())) if len(heads) == 1 else heads


class SeriesBody(Protocol):
    """A body of a reference series network: ``(x, padding, prefix) -> (batch, steps, features)``,
    its layer names starting with ``prefix``, each block's output zeroed on padded steps."""

    def __call__(self, x: Any, padding: Padding, prefix: str) -> Any: ...


def build_series_network(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    body: SeriesBody,
    dropout: float = 0.0,
    masking: bool | None = None,
    ensemble: int = 1,
    name: str = "series_network",
) -> keras.Model:
    """``(steps, channels)`` series -> ``body`` -> global average over the real steps ->
    dropout -> output head(s), ``ensemble`` times averaged.

    Args:
        body: :class:`~kagglekit.models.fcn.FCNBody`, :class:`~kagglekit.models.fcn.ResNet1DBody`
            or :class:`~kagglekit.models.inception_time.InceptionTimeBody`.
        dropout: before the output head (the papers use none).
        masking: ``None`` = padded steps of variable-length series (``InputSpec.mask_value``)
            are left out of every block and of the pooling; ``False`` treats them as data.
        ensemble: sub-networks averaged in one model (1 = a single network).
    """
    input_name, spec = single_input(inputs, "build_series_network")
    require_series(spec, f"model.body {type(body).__name__}")
    x_in = make_input(input_name, spec)
    padding = Padding(x_in, spec, masking)

    def member(prefix: str) -> Any:
        x = padding.zero(x_in, f"{prefix}input_padding")
        x = body(x, padding, prefix)
        x = padding.average(x, f"{prefix}global_avg")
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{prefix}dropout")(x)
        return x

    return keras.Model(x_in, ensemble_heads(member, outputs, ensemble), name=name)
