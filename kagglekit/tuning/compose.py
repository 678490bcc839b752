"""Compose a trial's train config fast: the shared part once, the trial's keys on top.

A full Hydra ``compose`` costs ~0.1 s (0.2 s on a loaded machine), a noticeable share of a
short trial. Every trial shares the base overrides; only config-group choices among the
parameters (``optimizer=adamw``) change what is loaded. So the config of base + group choices
is composed once and cached, and the trial's key overrides are applied to a copy with the
function Hydra itself applies command-line key overrides with: the result is the config
``scripts/train.py`` composes from the same overrides (checked in tests/tuning/test_compose.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from omegaconf import DictConfig

from kagglekit.tuning.overrides import override_key

Compose = Callable[..., DictConfig]

try:  # Hydra's own "apply key overrides" step; without it, every trial is composed in full
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser
except ImportError:  # pragma: no cover - another Hydra layout
    ConfigLoaderImpl = None  # type: ignore[assignment,misc]


class TrialComposer:
    """``compose(base + params)`` with the base (and group choices) composed once."""

    def __init__(self, compose: Compose, base: Sequence[str], groups: set[str]) -> None:
        self.compose = compose
        self.base = list(base)
        self.groups = groups
        self._cache: dict[tuple[str, ...], DictConfig] = {}

    def __call__(self, params: Sequence[str]) -> DictConfig:
        if ConfigLoaderImpl is None:
            return self.compose([*self.base, *params])
        choices = tuple(p for p in params if override_key(p) in self.groups)
        keys = [p for p in params if override_key(p) not in self.groups]
        if choices not in self._cache:
            self._cache[choices] = self.compose([*self.base, *choices])
        cfg = copy.deepcopy(self._cache[choices])
        ConfigLoaderImpl._apply_overrides_to_config(
            OverridesParser.create().parse_overrides(keys), cfg
        )
        return cfg
