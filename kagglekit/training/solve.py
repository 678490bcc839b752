"""Fit a model whose output layers are solved in closed form (:class:`ClosedFormHead`), such as
``model=rocket_ridge`` (:mod:`kagglekit.models.ridge`), in place of gradient epochs.

:func:`solve_model` is one "epoch": each closed-form head solves on the fold's training rows
(its input features computed by the model), then the model is evaluated on the training and
validation rows, and the fold's callbacks see that epoch as they see one of ``fit`` (best-model
checkpoint, early stopping, the progress line, the NaN guard, backups), so the history, the
checkpoint and the fold's ``state.json`` look as after a one-epoch ``fit``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import keras
import numpy as np

from kagglekit.data.lazy import InputValue, Targets, is_lazy
from kagglekit.errors import ConfigError
from kagglekit.training.fit import TrainerSettings, as_model_input

log = logging.getLogger(__name__)


@runtime_checkable
class ClosedFormHead(Protocol):
    """An output layer that sets its own weights from its input features and the head's
    encoded targets (returns what it chose, for the log)."""

    name: str

    def solve(self, features: np.ndarray, y: np.ndarray) -> dict[str, float]: ...


def closed_form_heads(model: keras.Model) -> list[Any]:
    """The model's output layers that are :class:`ClosedFormHead` (empty: a gradient model)."""
    names = getattr(model, "output_names", None) or []
    layers = [model.get_layer(name) for name in names if _has_layer(model, name)]
    return [layer for layer in layers if isinstance(layer, ClosedFormHead)]


def _has_layer(model: keras.Model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)


def solves_in_closed_form(model: keras.Model) -> bool:
    """Whether every output of ``model`` is a closed-form head (``fit`` is then a solve)."""
    heads = closed_form_heads(model)
    return bool(heads) and len(heads) == len(model.output_names)


def solve_model(
    model: keras.Model,
    train: tuple[dict[str, InputValue], Targets],
    valid: tuple[dict[str, InputValue], Targets],
    *,
    settings: TrainerSettings,
    callbacks: Sequence[keras.callbacks.Callback],
) -> keras.callbacks.History:
    """Solve every closed-form head on ``train``, then run ``callbacks`` over one epoch whose
    logs are the model's training and validation loss and metrics; returns that history."""
    x_train, y_train = train
    x_valid, y_valid = valid
    if is_lazy(x_train) or is_lazy(x_valid):
        raise ConfigError(
            f"model {model.name!r} is solved in closed form on in-memory features, but the "
            "inputs are read from files batch by batch: use a gradient-trained model instead."
        )
    history = keras.callbacks.History()
    steps = max(1, -(-len(next(iter(x_train.values()))) // settings.batch_size))
    chain = keras.callbacks.CallbackList(
        [*callbacks, history],
        add_history=False,
        add_progbar=False,
        model=model,
        epochs=1,
        steps=steps,
        verbose=0,
    )
    chain.on_train_begin()
    chain.on_epoch_begin(0)
    x = as_model_input(x_train)
    for head in closed_form_heads(model):
        features = _features(model, head, x, settings.predict_batch_size)
        target = y_train[head.name] if isinstance(y_train, dict) else y_train
        chosen = head.solve(features, np.asarray(target))
        log.info("%s: solved head %r: %s", model.name, head.name, _describe(chosen))
    batch = settings.predict_batch_size
    logs = model.evaluate(x, y_train, batch_size=batch, verbose=0, return_dict=True)
    val = model.evaluate(
        as_model_input(x_valid), y_valid, batch_size=batch, verbose=0, return_dict=True
    )
    logs = {**logs, **{f"val_{k}": v for k, v in val.items()}}
    chain.on_epoch_end(0, logs)
    chain.on_train_end(logs)
    return history


def _features(model: keras.Model, head: Any, x: Any, batch_size: int) -> np.ndarray:
    """What ``head`` reads, for the rows ``x``: the model's input itself, or the output of the
    layers below the head (computed by a sub-model)."""
    source = head.input
    inputs = keras.tree.flatten(model.inputs)
    if len(inputs) == 1 and source is inputs[0]:
        return np.asarray(next(iter(keras.tree.flatten(x))))
    below = keras.Model(model.inputs, source)
    return np.asarray(below.predict(x, batch_size=batch_size, verbose=0))


def _describe(chosen: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in chosen.items())
