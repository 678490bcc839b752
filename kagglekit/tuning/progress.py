"""One log line per finished trial: number, state, value, best so far, time, parameters.

    trial 7 COMPLETE accuracy=0.993322 | best 0.993322 (trial 7) | 8/12 done | 85.3s | optimizer.learning_rate=0.0012 ...
    trial 8 PRUNED at fold 0 epoch 6 | best 0.993322 (trial 7) | 9/12 done | 4.1s | ...

Plain lines (no progress bar), so a log file reads the same as the console.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import optuna
from optuna.trial import FrozenTrial, TrialState

from kagglekit.tuning.results import best_trial

log = logging.getLogger(__name__)


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class ProgressLog:
    """An ``optimize`` callback that logs one line per trial and then calls ``after``."""

    def __init__(self, n_trials: int, metric: str, after: Callable[[], None] | None = None) -> None:
        self.n_trials = n_trials
        self.metric = metric
        self.after = after

    def line(self, study: optuna.Study, trial: FrozenTrial) -> str:
        state = trial.state.name
        if trial.state == TrialState.COMPLETE:
            what = f"{state} {self.metric}={trial.value:.6f}"
        elif trial.state == TrialState.PRUNED:
            where = trial.user_attrs.get("pruned_at") or {}
            if where.get("epoch") is not None:
                what = f"{state} at fold {where['fold']} epoch {where['epoch']}"
            elif where:
                what = f"{state} after fold {where['fold']}"
            else:
                what = state
        else:
            what = f"{state} ({trial.user_attrs.get('error') or 'see the log'})"
        if "duplicate_of" in trial.user_attrs:
            what += f" (same params as trial {trial.user_attrs['duplicate_of']})"
        best = best_trial(study)
        best_text = (
            f"best {best.value:.6f} (trial {best.number})" if best else "no complete trial yet"
        )
        finished = len(
            study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        )
        seconds = f"{trial.duration.total_seconds():.1f}s" if trial.duration else "-"
        params = " ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
        return f"trial {trial.number} {what} | {best_text} | {finished}/{self.n_trials} done | {seconds} | {params}"

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if trial.user_attrs.get("surplus"):
            return
        log.info(self.line(study, trial))
        if self.after is not None:
            self.after()
