"""Compose a trial's train config fast: the shared part once, the trial's keys on top.

A full Hydra ``compose`` costs ~0.1 s (0.2 s on a loaded machine), a noticeable share of a
short trial. Every trial shares the base overrides; only config-group choices among the
parameters (``optimizer=adamw``) change what is loaded. So the config of base + group choices
is composed once and cached, and the trial's key overrides are applied to a copy the way Hydra
applies command-line key overrides (``key=v``, ``+key=v``, ``++key=v``, ``~key``; public OmegaConf
calls only): the result is the config ``scripts/train.py`` composes from the same overrides
(checked in tests/tuning/test_compose.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from kagglekit.errors import ConfigError
from kagglekit.tuning.overrides import override_key

Compose = Callable[..., DictConfig]


class OverrideError(ConfigError):
    """A trial's key override does not fit the config (as Hydra would refuse it)."""


def apply_key_overrides(cfg: DictConfig, overrides: Sequence[str]) -> None:
    """Apply command-line key overrides to ``cfg`` in place, with Hydra's rules: ``key=v``
    needs an existing key, ``+key=v`` adds one, ``++key=v`` adds or sets, ``~key`` deletes."""
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        key, value, line = override.key_or_group, override.value(), override.input_line
        if override.package is not None:
            raise OverrideError(f"{line}: a package (@) is only allowed on config groups.")
        try:
            if override.is_delete():
                _delete(cfg, key, value, line)
            elif override.is_add():
                current = OmegaConf.select(cfg, key, throw_on_missing=False)
                if current is not None and not isinstance(value, (dict, list)):
                    raise OverrideError(
                        f"Could not append to config: an item is already at '{key}'. "
                        f"Remove the + ({str(line)[1:]}) or write ++ (+{line})."
                    )
                OmegaConf.update(cfg, key, value, merge=True, force_add=True)
            elif override.is_force_add():
                OmegaConf.update(cfg, key, value, merge=True, force_add=True)
            else:
                try:
                    OmegaConf.update(cfg, key, value, merge=True)
                except (ConfigAttributeError, ConfigKeyError) as exc:
                    raise OverrideError(
                        f"Could not override '{key}': no such key. To add it, write +{line}"
                    ) from exc
        except OmegaConfBaseException as exc:
            raise OverrideError(f"Error merging override {line}: {exc}") from exc


def _delete(cfg: DictConfig, key: str, value: Any, line: str | None) -> None:
    current = OmegaConf.select(cfg, key, throw_on_missing=False)
    if current is None:
        raise OverrideError(f"Could not delete from config: '{key}' does not exist ({line}).")
    if value is not None and value != current:
        raise OverrideError(
            f"Could not delete from config: the value of '{key}' is {current}, not {value}."
        )
    parent, _, last = key.rpartition(".")
    with open_dict(cfg):
        node = OmegaConf.select(cfg, parent) if parent else cfg
        del node[last]


class TrialComposer:
    """``compose(base + params)`` with the base (and group choices) composed once."""

    def __init__(self, compose: Compose, base: Sequence[str], groups: set[str]) -> None:
        self.compose = compose
        self.base = list(base)
        self.groups = groups
        self._cache: dict[tuple[str, ...], DictConfig] = {}

    def __call__(self, params: Sequence[str]) -> DictConfig:
        choices = tuple(p for p in params if override_key(p) in self.groups)
        keys = [p for p in params if override_key(p) not in self.groups]
        if choices not in self._cache:
            self._cache[choices] = self.compose([*self.base, *choices])
        cfg = copy.deepcopy(self._cache[choices])
        apply_key_overrides(cfg, keys)
        return cfg
