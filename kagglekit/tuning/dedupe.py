"""Never train one parameter set twice: reuse a finished twin, wait for a running one.

Samplers repeat themselves on small categorical spaces, and two workers may draw the same
parameters at once. After its parameters are stored, a trial looks for twins (other trials with
the same parameters):

* a COMPLETE twin: reuse its value (no training); a PRUNED twin: prune as well;
* a RUNNING twin with a lower number, or one already marked as training: wait for it, then
  look again (its result is reused; if it failed, this trial trains);
* a RUNNING twin with a higher number that is not training yet: give it ``settle`` seconds to
  mark itself (it may have decided before seeing this trial), then train.

A trial marks itself (user attribute ``training``) once it decides to train, so two workers
never train one parameter set at the same time: trials wait only for lower numbers or for
trials already training, which cannot form a cycle.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

log = logging.getLogger(__name__)

TRAINING = "training"
DUPLICATE_OF = "duplicate_of"


def find_twins(study: optuna.Study, number: int, params: Mapping[str, Any]) -> list[FrozenTrial]:
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    return [
        t
        for t in study.get_trials(deepcopy=False, states=states)
        if t.number != number and t.params == params
    ]


def fail_stale(study: optuna.Study) -> None:
    """Mark the trials of dead workers FAIL (they are then retried by the storage callback)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def resolve_twin(
    study: optuna.Study, trial: optuna.Trial, *, poll: float = 1.0, settle: float = 1.0
) -> FrozenTrial | None:
    """A finished twin whose outcome this trial takes, or None when this trial should train."""
    params = dict(trial.params)
    settled = False
    waiting_for: int | None = None
    while True:
        twins = find_twins(study, trial.number, params)
        finished = [t for t in twins if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        if finished:
            return min(finished, key=lambda t: t.number)
        running = [t for t in twins if t.state == TrialState.RUNNING]
        blocking = [t for t in running if t.number < trial.number or t.user_attrs.get(TRAINING)]
        if blocking:
            first = min(blocking, key=lambda t: t.number).number
            if first != waiting_for:
                log.info(
                    "Trial %d has the parameters of running trial %d: waiting for its result.",
                    trial.number,
                    first,
                )
                waiting_for = first
            time.sleep(poll)
            fail_stale(study)
            continue
        if running and not settled:
            settled = True
            time.sleep(settle)
            continue
        trial.set_user_attr(TRAINING, True)
        return None


def original_of(twin: FrozenTrial) -> int:
    return int(twin.user_attrs.get(DUPLICATE_OF, twin.number))
