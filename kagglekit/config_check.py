"""Check command-line overrides and the composed config before anything runs.

Hydra's own messages for a misspelt key (``trainer.epoch=5``) or option (``model=cnnn``) do
not say what was meant; these checks name the key, suggest the closest valid ones, and name
the expected type of a wrongly typed value (``trainer.epochs=abc``).
"""

from __future__ import annotations

import difflib
import inspect
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, ListConfig, OmegaConf

from kagglekit.errors import ConfigError
from kagglekit.search_path import CONF_DIR

__all__ = ["ConfigError", "check_complete", "check_overrides", "missing_keys"]


def missing_keys(cfg: DictConfig) -> list[str]:
    """Every mandatory value left as ``???``, as dotted keys."""
    return sorted(OmegaConf.missing_keys(cfg))


def check_complete(cfg: DictConfig) -> None:
    missing = missing_keys(cfg)
    if missing:
        listed = "\n  ".join(missing)
        raise ConfigError(
            f"{len(missing)} mandatory config value(s) are not set (???):\n  {listed}\n"
            "Set them in the config files or on the command line, e.g. " + f"{missing[0]}=<value>."
        )


def _options(group: str) -> list[str]:
    """The options of a config group over the whole search path (the user's folders too)."""
    loader = GlobalHydra.instance().config_loader()
    return sorted(set(loader.get_group_options(group)))


def _groups() -> list[str]:
    loader = GlobalHydra.instance().config_loader()
    return sorted(g for g in loader.list_groups("") if not g.startswith("."))


def _dotted_keys(node: Any, prefix: str = "") -> list[str]:
    keys: list[str] = []
    if isinstance(node, DictConfig):
        for key in node:
            dotted = f"{prefix}{key!s}"
            keys.append(dotted)
            child = node._get_node(key)
            if isinstance(child, DictConfig):
                keys += _dotted_keys(child, dotted + ".")
    return keys


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


_TYPE_NAMES = {
    bool: "a boolean (true/false)",
    int: "an integer",
    float: "a number",
    str: "a string",
}


def _type_error(key: str, default: Any, value: Any) -> str | None:
    if default is None or value is None:
        return None
    if isinstance(value, str) and (value == "???" or "${" in value):
        return None  # a mandatory marker or an interpolation: its type is known later
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, (list, ListConfig)):
        ok = isinstance(value, list)
    elif isinstance(default, (dict, DictConfig)):
        ok = isinstance(value, dict)
    else:
        return None
    if ok:
        return None
    expected = _TYPE_NAMES.get(
        type(default), "a list" if isinstance(default, (list, ListConfig)) else "a mapping"
    )
    return f"{key} expects {expected} (default {default!r}), but got {value!r}."


def _target_parameters(node: DictConfig) -> set[str]:
    """Keyword parameters of the callable a node names with ``_target_`` (none if unknown)."""
    target = node.get("_target_") if "_target_" in node else None
    if not isinstance(target, str):
        return set()
    try:
        from hydra.utils import get_object

        signature = inspect.signature(get_object(target))
    except Exception:
        return set()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {name for name, p in signature.parameters.items() if p.kind in kinds}


def _takes_text(node: Any, leaf: str) -> bool:
    """Does the parameter ``leaf`` of the ``_target_`` that ``node`` names accept a string?"""
    if not isinstance(node, DictConfig) or not isinstance(node.get("_target_"), str):
        return False
    try:
        from hydra.utils import get_object

        parameter = inspect.signature(get_object(node["_target_"])).parameters.get(leaf)
    except Exception:
        return False
    if parameter is None:
        return False
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return "str" in text.replace(" ", "").split("|")


def check_overrides(
    overrides: list[str], conf_dir: Path = CONF_DIR, config_name: str = "config"
) -> list[str]:
    """Raise :class:`ConfigError` for unknown keys/options or wrongly typed values.

    Config groups and options are looked up on Hydra's search path: for kagglekit's own
    ``conf_dir`` that is the user's config folders first (see :mod:`kagglekit.search_path`).

    Returns the overrides to pass on to Hydra: a parameter of a ``_target_`` that its YAML file
    leaves out (``competition.group_column=patient``, ``model.name=big``) is accepted and turned
    into Hydra's ``+key=value`` form, so any argument of the object a node builds can be set.
    """
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
            return _check_overrides(overrides, config_name)
    finally:
        GlobalHydra.instance().clear()


def _check_overrides(overrides: list[str], config_name: str) -> list[str]:
    rewritten = list(overrides)
    parsed = OverridesParser.create().parse_overrides(overrides)
    groups = _groups()
    choices: list[str] = []
    problems: list[str] = []
    values: list[tuple[str, Any, Override]] = []
    for override in parsed:
        key = override.key_or_group
        if (
            key.startswith("hydra")
            or override.is_delete()
            or override.is_add()
            or override.is_force_add()
        ):
            if override.key_or_group in groups:
                choices.append(override.input_line or "")
            continue
        if key in groups:
            value = override.value()
            names = value if isinstance(value, list) else [value]
            known = _options(key)
            for name in names:
                if str(name) not in known and name is not None:
                    problems.append(
                        f"{key}={name}: no option {name!r} in conf/{key}/.{_suggest(str(name), known)} "
                        f"Options: {', '.join(known)}."
                    )
            if not problems:
                choices.append(override.input_line or f"{key}={value}")
            continue
        values.append((key, override.value(), override))
    if problems:
        raise ConfigError("\n".join(problems))
    if not values:
        return rewritten
    base = compose(config_name, overrides=choices)
    all_keys = _dotted_keys(base)
    for key, value, override in values:
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(base, parent) if parent else base
        if isinstance(node, DictConfig) and leaf not in node and leaf in _target_parameters(node):
            line = override.input_line or ""
            rewritten = [f"+{line}" if o == line else o for o in rewritten]
            continue
        if not isinstance(node, DictConfig) or leaf not in node:
            siblings = (
                [f"{parent}.{k!s}" if parent else str(k) for k in node]
                if isinstance(node, DictConfig)
                else []
            )
            # a key that moved into a part (model.units -> model.body.units) is named first
            nested = [k for k in all_keys if parent and k.startswith(f"{parent}.")]
            moved = [k for k in nested if k.endswith(f".{leaf}")][:3]
            hint = (
                f" Did you mean {' or '.join(repr(k) for k in moved)}?"
                if moved
                else _suggest(key, siblings or all_keys)
            )
            listed = (
                f" Keys under {parent}: {', '.join(sorted(str(k) for k in node))}."
                if siblings
                else ""
            )
            problems.append(
                f"Unknown config key {key!r}.{hint}{listed} To add a new key, write +{key}=..."
            )
            continue
        if override.is_sweep_override():
            continue  # `a=1,2` / `range(...)`: Hydra's multirun checks each value
        default = OmegaConf.select(base, key, throw_on_missing=False)
        message = _type_error(key, default, value)
        if message and isinstance(value, str) and _takes_text(node, leaf):
            message = None  # e.g. TabularPreprocessor(scale: bool | str): scale=quantile
        if message:
            problems.append(message)
    if problems:
        raise ConfigError("\n".join(problems))
    return rewritten
