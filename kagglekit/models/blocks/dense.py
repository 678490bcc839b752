"""Dense stacks and output heads, and :class:`DenseHead`, the head block of a composed model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from kagglekit.models.keras_objects import fresh_initializer
from kagglekit.models.specs import ModelOutputs, OutputSpec


def dense_stack(
    x: Any,
    units: Sequence[int],
    *,
    activation: Any = "relu",
    dropout: float | Sequence[float] = 0.0,
    batch_norm: bool = False,
    kernel_initializer: Any = "glorot_uniform",
    kernel_regularizer: Any = None,
    name: str = "dense",
) -> Any:
    """Dense -> [BatchNorm] -> Activation -> [Dropout], once per entry of ``units``."""
    rates = list(dropout) if isinstance(dropout, Sequence) else [dropout] * len(units)
    if len(rates) != len(units):
        raise ValueError(
            f"dropout has {len(rates)} rates for {len(units)} dense layers; give one or one each."
        )
    for i, (n, rate) in enumerate(zip(units, rates, strict=True)):
        x = keras.layers.Dense(
            n,
            use_bias=not batch_norm,
            kernel_initializer=fresh_initializer(kernel_initializer),
            kernel_regularizer=keras.regularizers.get(kernel_regularizer),
            name=f"{name}_{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_{i}_bn")(x)
        x = keras.layers.Activation(activation, name=f"{name}_{i}_act")(x)
        if rate:
            x = keras.layers.Dropout(rate, name=f"{name}_{i}_dropout")(x)
    return x


def output_heads(
    x: Any, outputs: ModelOutputs, *, kernel_initializer: Any = "glorot_uniform"
) -> Any:
    """One Dense head per output spec (a single tensor when there is one head)."""
    heads = {o.name: output_head(x, o, kernel_initializer=kernel_initializer) for o in outputs}
    return next(iter(heads.values())) if len(heads) == 1 else heads


def output_head(
    x: Any,
    spec: OutputSpec,
    *,
    kernel_initializer: Any = "glorot_uniform",
    kernel_regularizer: Any = None,
) -> Any:
    """The Dense output layer of one spec, its bias set to ``spec.bias`` when given.

    The head computes in float32 whatever the dtype policy (mixed precision keeps outputs,
    probabilities and losses in float32, where bfloat16/float16 would round them).
    """
    layer = keras.layers.Dense(
        spec.units,
        activation=spec.activation,
        kernel_initializer=fresh_initializer(kernel_initializer),
        kernel_regularizer=keras.regularizers.get(kernel_regularizer),
        dtype="float32",
        name=spec.name,
    )
    y = layer(x)
    if spec.bias is not None:
        if len(spec.bias) != spec.units:
            raise ValueError(
                f"Output {spec.name!r} has {spec.units} unit(s) but {len(spec.bias)} bias value(s)."
            )
        layer.bias.assign(np.asarray(spec.bias, dtype=layer.bias.dtype))
    return y


@dataclass(frozen=True, kw_only=True)
class DenseHead:
    """The head of a composed model: Dense layers (``units``, empty = none), then one output
    layer per output spec (:func:`output_heads`).

    Args:
        units / activation / dropout / batch_norm / kernel_*: as :func:`dense_stack`.
    """

    units: Sequence[int] = ()
    activation: Any = "relu"
    dropout: float | Sequence[float] = 0.0
    batch_norm: bool = False
    kernel_initializer: Any = "glorot_uniform"
    kernel_regularizer: Any = None

    def __call__(self, x: Any, outputs: ModelOutputs) -> Any:
        x = dense_stack(
            x,
            self.units,
            activation=self.activation,
            dropout=self.dropout,
            batch_norm=self.batch_norm,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
        )
        return output_heads(x, outputs)
