"""Search spaces from YAML: each parameter is a config key; a trial's values become overrides.

``conf/hparams_search/<name>.yaml`` lists ``params`` in any of three forms::

    params:
      optimizer.learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
      model.block_dropout: {type: float, low: 0.1, high: 0.5, step: 0.05}
      callbacks.early_stopping.patience: {type: int, low: 4, high: 12, step: 2}
      trainer.batch_size: {type: categorical, choices: [32, 64, 128]}
      model.filters: [[16, 32], [32, 64]]          # a list: the categorical choices
      model.dense_dropout: interval(0.2, 0.5)      # Hydra sweeper syntax, as in
      optimizer: choice(adam, adamw)               #   hydra-optuna-sweeper (a group choice too)

Sweeper syntax: ``choice(a, b)`` or ``a,b`` (categorical), ``range(start, stop, step)`` (stop
excluded, int or float with a step), ``interval(low, high)`` (float), ``tag(log, interval(..))``
(log scale), ``tag(int, interval(..))`` (integers). A key may start with ``+``/``++`` to add a
key the config lacks. Categorical choices that are not numbers, strings, booleans or null
(e.g. lists) are shown to Optuna as their override text (``"[32,64]"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import optuna
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep
from omegaconf import DictConfig, ListConfig, OmegaConf

from kagglekit.tuning.overrides import format_value, override, parse_value

_PRIMITIVE = (type(None), bool, int, float, str)


class Param(Protocol):
    """One searched config key."""

    @property
    def key(self) -> str:
        """The config key as written in the override, with a leading ``+``/``++`` if any."""
        ...

    @property
    def name(self) -> str: ...

    def suggest(self, trial: optuna.Trial) -> Any: ...

    def contains(self, value: Any) -> bool: ...

    def to_optuna(self, value: Any) -> Any: ...

    def from_optuna(self, value: Any) -> Any: ...

    def grid(self) -> list[Any]: ...


def _name(key: str) -> str:
    return key.lstrip("+")


@dataclass(frozen=True)
class FloatParam:
    key: str
    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        _check_range(self.key, self.low, self.high, self.log, self.step)

    @property
    def name(self) -> str:
        return _name(self.key)

    def suggest(self, trial: optuna.Trial) -> float:
        return self.from_optuna(
            trial.suggest_float(self.name, self.low, self.high, log=self.log, step=self.step)
        )

    def contains(self, value: Any) -> bool:
        return _is_number(value) and self.low <= value <= self.high

    def to_optuna(self, value: Any) -> float:
        return float(value)

    def from_optuna(self, value: Any) -> float:
        """On a step grid, 0.30000000000000004 is written as 0.3 (the value the trial runs)."""
        return round(float(value), 10) if self.step is not None else float(value)

    def grid(self) -> list[Any]:
        if self.step is None:
            raise ValueError(
                f"The grid sampler needs a finite list of values, but {self.key} is a continuous "
                "float: give it a `step` or `choices`."
            )
        n = math.floor((self.high - self.low) / self.step + 1e-9)
        return [self.low + i * self.step for i in range(n + 1)]


@dataclass(frozen=True)
class IntParam:
    key: str
    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        _check_range(self.key, self.low, self.high, self.log, self.step)

    @property
    def name(self) -> str:
        return _name(self.key)

    def suggest(self, trial: optuna.Trial) -> int:
        return trial.suggest_int(self.name, self.low, self.high, log=self.log, step=self.step)

    def contains(self, value: Any) -> bool:
        return _is_number(value) and float(value).is_integer() and self.low <= value <= self.high

    def to_optuna(self, value: Any) -> int:
        return int(value)

    def from_optuna(self, value: Any) -> int:
        return int(value)

    def grid(self) -> list[Any]:
        return list(range(self.low, self.high + 1, self.step))


@dataclass(frozen=True)
class CategoricalParam:
    key: str
    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError(f"Search space parameter {self.key} has no choices.")
        labels = [self._label(c) for c in self.choices]
        if len(set(map(repr, labels))) != len(labels):
            raise ValueError(f"Search space parameter {self.key} repeats a choice: {labels}.")

    @property
    def name(self) -> str:
        return _name(self.key)

    @staticmethod
    def _label(choice: Any) -> Any:
        return choice if isinstance(choice, _PRIMITIVE) else format_value(choice)

    @property
    def labels(self) -> list[Any]:
        return [self._label(c) for c in self.choices]

    def suggest(self, trial: optuna.Trial) -> Any:
        return self.from_optuna(trial.suggest_categorical(self.name, self.labels))

    def contains(self, value: Any) -> bool:
        return any(_same(choice, value) for choice in self.choices)

    def to_optuna(self, value: Any) -> Any:
        for choice, label in zip(self.choices, self.labels, strict=True):
            if _same(choice, value):
                return label
        raise ValueError(f"{value!r} is not one of the choices of {self.key}: {self.labels}.")

    def from_optuna(self, value: Any) -> Any:
        for choice, label in zip(self.choices, self.labels, strict=True):
            if _same(label, value):
                return choice
        raise ValueError(f"{value!r} is not one of the choices of {self.key}: {self.labels}.")

    def grid(self) -> list[Any]:
        return self.labels


def _same(a: Any, b: Any) -> bool:
    return format_value(a) == format_value(b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_range(key: str, low: float, high: float, log: bool, step: float | None) -> None:
    if not low <= high:
        raise ValueError(
            f"Search space parameter {key}: low must be <= high, but got {low=}, {high=}."
        )
    if log and low <= 0:
        raise ValueError(
            f"Search space parameter {key}: a log scale needs low > 0, but got {low=}."
        )
    if log and step is not None and step != 1:
        raise ValueError(f"Search space parameter {key}: `log` and `step` cannot be combined.")
    if step is not None and step <= 0:
        raise ValueError(f"Search space parameter {key}: step must be > 0, but got {step=}.")


@dataclass(frozen=True)
class SearchSpace:
    params: tuple[Param, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"The search space names a key twice: {names}.")

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Ask the trial for every parameter; returns config values keyed by config key."""
        return {p.name: p.suggest(trial) for p in self.params}

    def overrides(self, values: Mapping[str, Any]) -> list[str]:
        return [override(p.key, values[p.name]) for p in self.params]

    def decode(self, optuna_params: Mapping[str, Any]) -> dict[str, Any]:
        """Optuna's stored params (labels for lists) -> config values."""
        return {p.name: p.from_optuna(optuna_params[p.name]) for p in self.params}

    def encode(self, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """Config values -> Optuna params (for ``enqueue_trial``); None if one is out of range."""
        if not all(p.contains(values.get(p.name)) for p in self.params):
            return None
        return {p.name: p.to_optuna(values[p.name]) for p in self.params}

    def grid(self) -> dict[str, list[Any]]:
        return {p.name: p.grid() for p in self.params}

    def current_values(self, cfg: DictConfig, group_choices: Mapping[str, str]) -> dict[str, Any]:
        """The values the composed config has at every searched key (the 'default' trial)."""
        values = {}
        for p in self.params:
            if p.name in group_choices:
                values[p.name] = group_choices[p.name]
                continue
            node = OmegaConf.select(cfg, p.name, default=None)
            if isinstance(node, DictConfig | ListConfig):
                node = OmegaConf.to_container(node, resolve=True)
            values[p.name] = node
        return values

    @classmethod
    def from_config(cls, params: Mapping[str, Any] | None) -> SearchSpace:
        """Build from the ``params`` mapping of an ``hparams_search`` config."""
        if not params:
            raise ValueError(
                "The search space is empty: list the keys to search under `hparams_search.params` "
                "(see conf/hparams_search/cnn.yaml)."
            )
        if isinstance(params, DictConfig):
            params = OmegaConf.to_container(params, resolve=True)  # type: ignore[assignment]
        assert isinstance(params, Mapping)
        return cls(tuple(make_param(str(key), spec) for key, spec in params.items()))


def make_param(key: str, spec: Any) -> Param:
    """One parameter from its YAML form: a mapping, a list of choices or sweeper syntax."""
    if isinstance(spec, Mapping):
        return _from_mapping(key, dict(spec))
    if isinstance(spec, list | tuple):
        return CategoricalParam(key, tuple(spec))
    if isinstance(spec, str):
        return _from_sweep(key, parse_value(_name(key), spec), spec)
    raise ValueError(
        f"Search space parameter {key}: expected a mapping such as "
        "{type: float, low: 0.1, high: 0.5}, a list of choices, or sweeper syntax such as "
        f"'interval(0.1, 0.5)', but got {spec!r}."
    )


_KINDS = {"float", "int", "categorical"}


def _from_mapping(key: str, spec: dict[str, Any]) -> Param:
    kind = spec.pop("type", None)
    if kind is None:
        kind = "categorical" if "choices" in spec else None
    if kind not in _KINDS:
        raise ValueError(
            f"Search space parameter {key}: `type` must be one of {sorted(_KINDS)}, but got {kind!r}."
        )
    allowed = {"float": {"low", "high", "log", "step"}, "int": {"low", "high", "log", "step"}}
    allowed["categorical"] = {"choices"}
    unknown = set(spec) - allowed[kind]
    if unknown:
        raise ValueError(
            f"Search space parameter {key} ({kind}): unknown field(s) {sorted(unknown)}; "
            f"allowed: {sorted(allowed[kind])}."
        )
    try:
        if kind == "categorical":
            return CategoricalParam(key, tuple(spec["choices"]))
        if kind == "int":
            return IntParam(
                key,
                int(spec["low"]),
                int(spec["high"]),
                bool(spec.get("log", False)),
                int(spec.get("step") or 1),
            )
        step = spec.get("step")
        return FloatParam(
            key,
            float(spec["low"]),
            float(spec["high"]),
            bool(spec.get("log", False)),
            None if step is None else float(step),
        )
    except KeyError as exc:
        raise ValueError(f"Search space parameter {key} ({kind}) needs `{exc.args[0]}`.") from None


def _from_sweep(key: str, sweep: Any, text: str) -> Param:
    if isinstance(sweep, ChoiceSweep):
        return CategoricalParam(key, tuple(sweep.list))
    if isinstance(sweep, RangeSweep):
        start: Any = sweep.start
        stop: Any = sweep.stop
        step: Any = sweep.step
        if start is None or stop is None or step is None or step <= 0:
            raise ValueError(f"Search space parameter {key}: {text!r} needs a positive step.")
        if all(isinstance(v, int) for v in (start, stop, step)):
            last = start + ((stop - 1 - start) // step) * step
            return IntParam(key, int(start), int(last), step=int(step))
        n = math.ceil((stop - start) / step - 1e-9)
        return FloatParam(key, float(start), float(start + (n - 1) * step), step=float(step))
    if isinstance(sweep, IntervalSweep):
        log = "log" in sweep.tags
        low: Any = sweep.start
        high: Any = sweep.end
        if "int" in sweep.tags:
            return IntParam(key, int(low), int(high), log=log)
        return FloatParam(key, float(low), float(high), log=log)
    raise ValueError(
        f"Search space parameter {key}: {text!r} is a single value, not a range. Use "
        "choice(a, b), range(start, stop, step), interval(low, high) or tag(log, interval(..)); "
        "a fixed value goes under `hparams_search.fixed`."
    )
