"""Samplers seeded per trial, so that several workers (and resumed runs) never replay one sequence.

A sampler built with a fixed seed in each of four workers draws the same random start-up
parameters four times. :class:`PerTrialSeedSampler` instead builds the sampler for trial N with
the seed ``(seed, N)``: a sweep stays reproducible trial by trial, and no two trials share a
random stream, whichever worker or run asks for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

SamplerFactory = Callable[[int | None], optuna.samplers.BaseSampler]


def trial_seed(seed: int, number: int) -> int:
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


class PerTrialSeedSampler(optuna.samplers.BaseSampler):
    """Delegate every call about trial N to ``make(trial_seed(seed, N))``."""

    def __init__(self, make: SamplerFactory, seed: int) -> None:
        self._make = make
        self._seed = seed
        self._current: tuple[int, optuna.samplers.BaseSampler] | None = None
        self._base = make(seed)

    def __str__(self) -> str:
        return f"{type(self._base).__name__}(seed={self._seed}, per trial)"

    def _for(self, trial: FrozenTrial) -> optuna.samplers.BaseSampler:
        if self._current is None or self._current[0] != trial.number:
            self._current = (trial.number, self._make(trial_seed(self._seed, trial.number)))
        return self._current[1]

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._for(trial).before_trial(study, trial)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Nothing to do: every trial has its own seed."""


def seeded(make: SamplerFactory, seed: int | None) -> optuna.samplers.BaseSampler:
    """The sampler to use: per-trial seeds when a seed is given (QMC keeps its own sequence)."""
    sampler = make(seed)
    if seed is None or isinstance(sampler, optuna.samplers.QMCSampler):
        return sampler
    return PerTrialSeedSampler(make, seed)
