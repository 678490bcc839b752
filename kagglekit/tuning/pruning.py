"""Pruning at two levels: every epoch inside a fold, and every finished fold.

One trial reports on one step axis, ``STEPS_PER_FOLD`` (1000) steps per fold::

    step = 1000 * fold + epoch      # epoch 1, 2, ... of fold `fold`: the monitored Keras value
    step = 1000 * (fold + 1)        # fold `fold` finished: its competition-metric score

so step 2017 is epoch 17 of fold 2 and step 3000 is "fold 2 done"; every step means the same
thing in every trial (whatever ``trainer.epochs`` is), which is what pruners compare.

Epoch values are the Keras log value ``monitor`` (``val_loss`` by default); when it goes the
other way than the study (``val_loss`` in a study that maximises accuracy) it is reported
negated, so that "better" always points the study's way. Fold values are fold scores.

Optuna's median/percentile pruners compare "the best value this trial reported so far" with
other trials at the same step, which breaks across folds (an easy fold 0 would shield a trial
from every later check) and across the two kinds of values. :class:`FoldScopedPruner` therefore
shows the wrapped pruner only the current fold's epoch values at an epoch step, and only the
fold score at a fold step. Successive halving and Hyperband use the value at the step itself,
so with ``min_resource: 1000`` their rungs fall on fold boundaries (fold-level halving).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import keras
import optuna

from kagglekit.training.crossval import FoldHooks, FoldResult
from kagglekit.tuning.interrupt import Interrupt, InterruptCallback

log = logging.getLogger(__name__)

STEPS_PER_FOLD = 1000


def epoch_step(fold: int, epoch: int) -> int:
    """Step of (1-based) ``epoch`` in ``fold``; epochs past 999 are not reported."""
    return STEPS_PER_FOLD * fold + epoch


def fold_step(fold: int) -> int:
    return STEPS_PER_FOLD * (fold + 1)


def is_fold_step(step: int) -> bool:
    return step > 0 and step % STEPS_PER_FOLD == 0


def fold_of(step: int) -> int:
    """The fold a step belongs to (a fold step belongs to the fold it closes)."""
    return step // STEPS_PER_FOLD - 1 if is_fold_step(step) else step // STEPS_PER_FOLD


_MIN_HINTS = ("loss", "error", "mse", "mae", "rmse", "msle", "crossentropy", "hinge", "poisson")
_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "score")


def monitor_direction(monitor: str, mode: str = "auto") -> str:
    """``minimize`` or ``maximize`` for a Keras log key, like Keras' callbacks in auto mode."""
    if mode in ("min", "max"):
        return "minimize" if mode == "min" else "maximize"
    if mode != "auto":
        raise ValueError(f"pruning.monitor_mode must be auto, min or max, but got {mode!r}.")
    name = monitor.lower()
    if any(h in name for h in _MIN_HINTS):
        return "minimize"
    if any(h in name for h in _MAX_HINTS):
        return "maximize"
    raise ValueError(
        f"Cannot tell whether pruning.monitor={monitor!r} should go up or down: set "
        "hparams_search.pruning.monitor_mode to min or max."
    )


@dataclass(frozen=True)
class PruningSettings:
    """``hparams_search.pruning``: what is reported and when the pruner is asked."""

    monitor: str | None = "val_loss"  # a Keras log key; None: fold scores only
    monitor_mode: str = "auto"
    warmup_epochs: int = 3  # no epoch-level pruning in each fold's first epochs
    interval_epochs: int = 1
    folds: bool = True  # report each fold's score and prune on it

    def sign(self, study_direction: str) -> float:
        if self.monitor is None:
            return 1.0
        return (
            1.0 if monitor_direction(self.monitor, self.monitor_mode) == study_direction else -1.0
        )


class Clock:
    """Seconds spent reporting to the study and asking the pruner (inside the trials' training:
    the overhead benchmark adds them to the sweep's own time)."""

    def __init__(self) -> None:
        self.seconds = 0.0


class PruningCallback(keras.callbacks.Callback):
    """Report ``monitor`` after every epoch of one fold; raise ``TrialPruned`` when told to.

    State is reset in ``on_train_begin`` so one instance can serve several fits.
    """

    def __init__(
        self,
        trial: optuna.Trial,
        fold: int,
        monitor: str,
        *,
        sign: float = 1.0,
        warmup_epochs: int = 0,
        interval_epochs: int = 1,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock or Clock()
        self.trial = trial
        self.fold = fold
        self.monitor = monitor
        self.sign = sign
        self.warmup_epochs = warmup_epochs
        self.interval_epochs = max(1, interval_epochs)
        self.pruned_at: int | None = None

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.pruned_at = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        started = time.perf_counter()
        try:
            self._report(epoch, logs or {})
        finally:
            self.clock.seconds += time.perf_counter() - started

    def _report(self, epoch: int, logs: Mapping[str, Any]) -> None:
        number = epoch + 1
        if number >= STEPS_PER_FOLD:
            return
        if self.monitor not in logs:
            raise ValueError(
                f"pruning.monitor={self.monitor!r} is not in the training logs; available: "
                f"{sorted(logs)}. Set hparams_search.pruning.monitor to one of them (or null)."
            )
        value = float(logs[self.monitor])
        self.trial.report(
            self.sign * value if math.isfinite(value) else math.nan, epoch_step(self.fold, number)
        )
        if number <= self.warmup_epochs or (number - self.warmup_epochs) % self.interval_epochs:
            return
        if self.trial.should_prune():
            self.pruned_at = number
            self.trial.set_user_attr("pruned_at", {"fold": self.fold, "epoch": number})
            raise optuna.TrialPruned(
                f"fold {self.fold}, epoch {number}: {self.monitor} = {value:.6g} is worse than "
                "the other trials' at this epoch."
            )


def fold_end_reporter(trial: optuna.Trial, metric: str, clock: Clock | None = None) -> Any:
    """``on_fold_end`` hook: report the fold score at its fold step, prune when told to."""
    clock = clock or Clock()

    def on_fold_end(result: FoldResult) -> None:
        started = time.perf_counter()
        trial.report(result.score, fold_step(result.fold))
        prune = trial.should_prune()
        clock.seconds += time.perf_counter() - started
        if prune:
            trial.set_user_attr("pruned_at", {"fold": result.fold, "epoch": None})
            raise optuna.TrialPruned(
                f"after fold {result.fold}: {metric} = {result.score:.6g} is worse than the "
                "other trials' on this fold."
            )

    return on_fold_end


def make_hooks(
    trial: optuna.Trial,
    settings: PruningSettings,
    sign: float,
    metric: str,
    interrupt: Interrupt | None = None,
    clock: Clock | None = None,
) -> FoldHooks:
    """The fold hooks of one trial: an epoch-level callback per fold and the fold reporter
    (plus the interrupt check after every epoch and fold)."""

    def callbacks(k: int) -> list[keras.callbacks.Callback]:
        added: list[keras.callbacks.Callback] = []
        if interrupt is not None:
            added.append(InterruptCallback(interrupt))
        if settings.monitor is not None:
            added.append(
                PruningCallback(
                    trial,
                    k,
                    settings.monitor,
                    sign=sign,
                    warmup_epochs=settings.warmup_epochs,
                    interval_epochs=settings.interval_epochs,
                    clock=clock,
                )
            )
        return added

    report = fold_end_reporter(trial, metric, clock) if settings.folds else None

    def on_fold_end(result: FoldResult) -> None:
        if interrupt is not None:
            interrupt.check()
        if report is not None:
            report(result)

    return FoldHooks(callbacks=callbacks, on_fold_end=on_fold_end)


class FoldScopedPruner(optuna.pruners.BasePruner):
    """Show ``pruner`` one level of one fold at a time (see the module docstring)."""

    def __init__(self, pruner: optuna.pruners.BasePruner) -> None:
        self.pruner = pruner

    def __repr__(self) -> str:
        return f"FoldScopedPruner({type(self.pruner).__name__})"

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        values = trial.intermediate_values
        if is_fold_step(step):
            scoped = {step: values[step]}
        else:
            first = STEPS_PER_FOLD * fold_of(step)
            scoped = {s: v for s, v in values.items() if first <= s <= step and not is_fold_step(s)}
        view = copy.copy(trial)
        view.intermediate_values = scoped
        return self.pruner.prune(study, view)
