"""Hydra override strings: format values, split a command line into train and tune parts.

A trial's parameters become ``key=value`` strings that ``scripts/train.py`` accepts as they are,
so the overrides written to ``best.json`` reproduce the trial exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser

# Top-level keys of conf/tune.yaml that only the sweep reads: never passed to a trial.
TUNE_KEYS = frozenset(
    {"hparams_search", "n_trials", "timeout", "storage", "study_name", "sampler", "pruner", "tune"}
)

_PLAIN = re.compile(r"[A-Za-z_][\w./-]*")
_RESERVED = {"true", "false", "null", "nan", "inf", "none", "yes", "no", "on", "off"}


def format_value(value: Any) -> str:
    """``value`` as Hydra's override grammar reads it back (``[32,64]``, ``0.001``, ``'a b'``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
            return value
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    raise TypeError(
        f"Cannot write {value!r} ({type(value).__name__}) as a Hydra override: use numbers, "
        "strings, booleans, null, lists or mappings."
    )


def override(key: str, value: Any) -> str:
    return f"{key}={format_value(value)}"


def parse_value(key: str, text: str) -> Any:
    """The Python value of ``key=text`` as Hydra reads it (sweeps come back as sweep objects)."""
    return OverridesParser.create().parse_override(f"{key}={text}").value()


def override_key(text: str) -> str:
    """``+model.units=[8]`` -> ``model.units``; ``optimizer=adamw`` -> ``optimizer``."""
    return str(OverridesParser.create().parse_override(text).key_or_group)


def split_overrides(overrides: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split a tune command line into (overrides for every trial, overrides of the sweep itself)."""
    train: list[str] = []
    tune: list[str] = []
    for text in overrides:
        root = override_key(text).split(".")[0].split("/")[0]
        (tune if root in TUNE_KEYS or root == "hydra" else train).append(text)
    return train, tune


def without_group(overrides: Iterable[str], group: str) -> list[str]:
    """Drop the ``group=...`` choice (e.g. ``competition=digits``), keep ``group.key=...``."""
    return [o for o in overrides if override_key(o) != group]
