"""A model composed of blocks: ``stem -> body -> pooling -> head`` (:mod:`kagglekit.models.blocks`).

``conf/model/lstm.yaml``, ``conv1d.yaml``, ``text_rnn.yaml``... all name this factory and differ
in their blocks::

    _target_: kagglekit.models.composed.build_composed
    _partial_: true
    stem: {_target_: kagglekit.models.blocks.SeriesInput}
    body: {_target_: kagglekit.models.blocks.RecurrentBody, cell: gru, units: [64]}
    pooling: {_target_: kagglekit.models.blocks.StepPooling, mode: last}
    head: {_target_: kagglekit.models.blocks.DenseHead, units: []}
    masking: null
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import keras

from kagglekit.models.blocks import DenseHead
from kagglekit.models.specs import ModelInputs, ModelOutputs


class Stem(Protocol):
    def __call__(self, inputs: ModelInputs, *, mask: bool | None) -> tuple[Any, Any]: ...


class Body(Protocol):
    @property
    def takes_mask(self) -> bool: ...

    def __call__(self, x: Any, *, sequences: bool) -> Any: ...


class Pooling(Protocol):
    @property
    def reads_steps(self) -> bool: ...

    @property
    def takes_mask(self) -> bool: ...

    def __call__(self, x: Any) -> Any: ...


class Head(Protocol):
    def __call__(self, x: Any, outputs: ModelOutputs) -> Any: ...


def build_composed(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    stem: Stem,
    body: Body | Sequence[Body] = (),
    pooling: Pooling | None = None,
    head: Head | None = None,
    masking: bool | None = None,
    name: str = "model",
) -> keras.Model:
    """Inputs -> ``stem`` -> ``body`` (one block, several applied in order, or none) ->
    ``pooling`` -> ``head`` (default: :class:`~kagglekit.models.blocks.DenseHead`, no hidden
    layers). Every body block but the last returns every step; the last returns its final
    state when there is no pooling or the pooling is ``last``.

    Args:
        masking: skip padded steps (series: ``Masking`` with the data's pad value; tokens: id
            0) in a body that takes a mask; ``None`` = when the data is padded (token ids: id
            0 always). Recurrent layers take a mask; convolutions do not (they see padding as
            the data's ``pad_value``), so a body that starts with them is never masked. With
            no body the stem's output goes straight to the pooling, masked when the pooling
            takes a mask (``avg``, ``max``, ``avgmax``: a bag of embeddings, fastText style).
    """
    bodies = list(body) if isinstance(body, Sequence) else [body]
    first_takes_mask = (
        bodies[0].takes_mask if bodies else pooling is not None and pooling.takes_mask
    )
    x_in, x = stem(inputs, mask=masking if first_takes_mask else False)
    keep_steps = pooling is not None and pooling.reads_steps
    for i, block in enumerate(bodies):
        x = block(x, sequences=keep_steps or i < len(bodies) - 1)
    if pooling is not None:
        x = pooling(x)
    y = (head or DenseHead())(x, outputs)
    return keras.Model(x_in, y, name=name)
