"""Create or resume a study, and queue the config's own values as its first trial."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from kagglekit.tuning.pruning import FoldScopedPruner
from kagglekit.tuning.space import SearchSpace

log = logging.getLogger(__name__)

BASE_OVERRIDES = "base_overrides"
DEFAULT_TRIAL_NOTE = "the config's own values"


def open_study(
    *,
    storage: optuna.storages.BaseStorage,
    study_name: str,
    direction: str,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    base_overrides: Sequence[str],
) -> optuna.Study:
    """Create the study, or load it if it exists (the same command resumes it).

    A study keeps the overrides every trial shares; resuming it with other ones would mix
    trials of two different setups, so that is refused.
    """
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=optuna.study.StudyDirection[direction.upper()],
        sampler=sampler,
        pruner=FoldScopedPruner(pruner),
        load_if_exists=True,
    )
    if study.direction.name.lower() != direction:
        raise ValueError(
            f"Study {study_name!r} exists and {study.direction.name.lower()}s, but this run "
            f"{direction}s. Use another study_name (or hydra.run.dir) for a new study."
        )
    stored = study.user_attrs.get(BASE_OVERRIDES)
    if stored is None:
        try:
            study.set_user_attr(BASE_OVERRIDES, list(base_overrides))
        except Exception:  # another worker wrote it at the same moment: compare with theirs
            stored = study.user_attrs.get(BASE_OVERRIDES)
            if stored is None:
                raise
    if stored is not None and list(stored) != list(base_overrides):
        raise ValueError(
            f"Study {study_name!r} was started with the trial overrides {stored}, but this run "
            f"has {list(base_overrides)}: its trials would not be comparable. Re-run with the "
            "same overrides to resume it, or give a new study_name (or hydra.run.dir)."
        )
    return study


def enqueue_defaults(
    study: optuna.Study, space: SearchSpace, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Queue the config's current values as the first trial of a new study.

    The sweep then never ends below the untuned config (same seed -> same score). Values that
    lie outside the search space cannot be queued: a warning says which.
    """
    if study.get_trials(deepcopy=False):
        return None
    params = space.encode(values)
    if params is None:
        outside = {k: v for k, v in values.items() if not _contains(space, k, v)}
        log.warning(
            "The config's own values are not all in the search space (%s): not queued as trial 0.",
            outside,
        )
        return None
    study.enqueue_trial(params, user_attrs={"note": DEFAULT_TRIAL_NOTE}, skip_if_exists=True)
    return params


def _contains(space: SearchSpace, name: str, value: Any) -> bool:
    return any(p.name == name and p.contains(value) for p in space.params)
