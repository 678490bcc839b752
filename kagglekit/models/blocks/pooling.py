"""The pooling block of a composed model: ``(batch, steps, features)`` -> ``(batch, features)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import keras

from kagglekit.errors import ConfigError
from kagglekit.models.layers import MaskedGlobalMaxPooling1D

Mode = Literal["last", "avg", "max", "avgmax", "flatten"]
MODES = ("last", "avg", "max", "avgmax", "flatten")


@dataclass(frozen=True, kw_only=True)
class StepPooling:
    """How the body's steps become one feature vector.

    Args:
        mode: ``last`` (the recurrent body's final state: no pooling layer), ``avg`` or
            ``max`` over the steps (masked steps left out), ``avgmax`` (both, concatenated)
            or ``flatten``.
    """

    mode: Mode = "avg"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(
                f"model.pooling.mode must be one of {', '.join(MODES)}, but got mode={self.mode!r}."
            )

    @property
    def reads_steps(self) -> bool:
        """Whether the body must return every step (``False``: its final state)."""
        return self.mode != "last"

    @property
    def takes_mask(self) -> bool:
        """Whether the pooling leaves masked steps out (a body-less model masks for it)."""
        return self.mode in ("avg", "max", "avgmax")

    def __call__(self, x: Any) -> Any:
        return x if self.mode == "last" else pool_steps(x, self.mode)


def pool_steps(x: Any, mode: str) -> Any:
    """``(batch, steps, features)`` -> ``(batch, features)``; masked steps are left out."""
    if mode == "avg":
        return keras.layers.GlobalAveragePooling1D(name="global_avg")(x)
    if mode == "max":
        return MaskedGlobalMaxPooling1D(name="global_max")(x)
    if mode == "avgmax":
        return keras.layers.Concatenate(name="global_avgmax")(
            [
                keras.layers.GlobalAveragePooling1D(name="global_avg")(x),
                MaskedGlobalMaxPooling1D(name="global_max")(x),
            ]
        )
    if mode == "flatten":
        return keras.layers.Flatten(name="flatten")(x)
    raise ConfigError(f"pooling must be one of {', '.join(MODES[1:])}, but got {mode=}.")
