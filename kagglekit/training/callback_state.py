"""What a fold backup keeps of each callback, keyed by a stable name.

A callback's state (early stopping's patience counter and best value, the best checkpoint's
score and the best weights it holds in memory, ReduceLROnPlateau's counters, or whatever a
custom callback returns from ``get_state()``) is stored under the callback's *key*: its class
name, plus its explicit name when it has one (``EarlyStopping:early_stopping``; the fold path
names each configured callback after its key in the callbacks group). A resume gives each
state back to the callback of the same key, wherever it now stands in the list; callbacks
added since start fresh, states of callbacks dropped since are left out (both logged).
Two callbacks of one class without a name are told apart by their order (``ReduceLROnPlateau``,
``ReduceLROnPlateau#2``): name them (:func:`set_name`) to make them independent of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from kagglekit.training.callbacks import AtomicModelCheckpoint

# the attribute holding a callback's explicit name (set_name; the fold path sets the config key)
NAME_ATTRIBUTE = "state_name"


@dataclass(frozen=True)
class CallbackState:
    """One callback's state: JSON-able ``values``, and the weights it holds (early stopping's
    best weights, a deferred checkpoint's best weights), if any."""

    kind: str
    values: dict[str, Any]
    weights: list[np.ndarray] | None = None


def set_name(callback: keras.callbacks.Callback, name: str) -> keras.callbacks.Callback:
    """Give ``callback`` the explicit name its backed-up state is keyed by."""
    setattr(callback, NAME_ATTRIBUTE, name)
    return callback


def state_keys(callbacks: Sequence[keras.callbacks.Callback]) -> list[str]:
    """The key of each callback: ``Class`` or ``Class:name``, ``#2``, ``#3``... added to the
    second and later callbacks of the same key."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for callback in callbacks:
        name = getattr(callback, NAME_ATTRIBUTE, None)
        key = type(callback).__name__ + (f":{name}" if name else "")
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return keys


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _custom_take(callback: Any) -> CallbackState:
    return CallbackState(type(callback).__name__, {"custom": callback.get_state()})


def _custom_put(callback: Any, state: CallbackState) -> None:
    callback.set_state(state.values["custom"])


def _early_take(callback: keras.callbacks.EarlyStopping) -> CallbackState:
    best = callback.best_weights
    return CallbackState(
        type(callback).__name__,
        {
            "wait": callback.wait,
            "stopped_epoch": callback.stopped_epoch,
            "best": _num(callback.best),
            "best_epoch": callback.best_epoch,
        },
        list(best) if best is not None else None,
    )


def _early_put(callback: keras.callbacks.EarlyStopping, state: CallbackState) -> None:
    values = state.values
    callback.wait = values["wait"]
    callback.stopped_epoch = values["stopped_epoch"]
    callback.best = values["best"]
    callback.best_epoch = values["best_epoch"]
    if state.weights is not None:
        callback.best_weights = state.weights


def _checkpoint_take(callback: keras.callbacks.ModelCheckpoint) -> CallbackState:
    values: dict[str, Any] = {"best": _num(callback.best)}
    weights = None
    if isinstance(callback, AtomicModelCheckpoint) and callback.pending is not None:
        values["pending"], weights = callback.pending[0], list(callback.pending[1])
    return CallbackState(type(callback).__name__, values, weights)


def _checkpoint_put(callback: keras.callbacks.ModelCheckpoint, state: CallbackState) -> None:
    callback.best = state.values["best"]
    pending = state.values.get("pending")
    if isinstance(callback, AtomicModelCheckpoint) and pending and state.weights is not None:
        callback.keep_best(pending, state.weights)


def _plateau_take(callback: keras.callbacks.ReduceLROnPlateau) -> CallbackState:
    return CallbackState(
        type(callback).__name__,
        {
            "wait": callback.wait,
            "cooldown_counter": callback.cooldown_counter,
            "best": _num(callback.best),
        },
    )


def _plateau_put(callback: keras.callbacks.ReduceLROnPlateau, state: CallbackState) -> None:
    callback.wait = state.values["wait"]
    callback.cooldown_counter = state.values["cooldown_counter"]
    callback.best = state.values["best"]


Take = Callable[[Any], CallbackState]
Put = Callable[[Any, CallbackState], None]
# (class, take, put, the value keys a backup of the previous format held), first match wins
_KINDS: tuple[tuple[type, Take, Put, frozenset[str]], ...] = (
    (
        keras.callbacks.EarlyStopping,
        _early_take,
        _early_put,
        frozenset({"wait", "stopped_epoch", "best", "best_epoch"}),
    ),
    (keras.callbacks.ModelCheckpoint, _checkpoint_take, _checkpoint_put, frozenset({"best"})),
    (
        keras.callbacks.ReduceLROnPlateau,
        _plateau_take,
        _plateau_put,
        frozenset({"wait", "cooldown_counter", "best"}),
    ),
)


def _custom(callback: keras.callbacks.Callback) -> bool:
    return hasattr(callback, "get_state") and hasattr(callback, "set_state")


def _kind(callback: keras.callbacks.Callback) -> tuple[Take, Put, frozenset[str]] | None:
    if _custom(callback):
        return _custom_take, _custom_put, frozenset({"custom"})
    for cls, take, put, legacy in _KINDS:
        if isinstance(callback, cls):
            return take, put, legacy
    return None


def has_state(callback: keras.callbacks.Callback) -> bool:
    """Whether a backup keeps something of ``callback``."""
    return _kind(callback) is not None


def take_state(callback: keras.callbacks.Callback) -> CallbackState | None:
    """``callback``'s state now (None: nothing to keep)."""
    kind = _kind(callback)
    return kind[0](callback) if kind is not None else None


def put_state(callback: keras.callbacks.Callback, state: CallbackState) -> None:
    """Give ``callback`` a state taken from a callback of the same class."""
    kind = _kind(callback)
    if kind is None or state.kind != type(callback).__name__:
        raise ValueError(f"A {state.kind} state cannot go to a {type(callback).__name__}.")
    kind[1](callback, state)


def from_position(
    callback: keras.callbacks.Callback,
    values: dict[str, Any],
    weights: list[np.ndarray] | None,
) -> CallbackState | None:
    """A state of a backup of the previous format (keyed by list position) for ``callback``,
    or None when its values are not of ``callback``'s kind (the list changed since)."""
    kind = _kind(callback)
    if kind is None or set(values) - {"pending"} != kind[2]:
        return None
    return CallbackState(type(callback).__name__, dict(values), weights)
