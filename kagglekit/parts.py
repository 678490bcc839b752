"""The typed objects one run is made of, built from the config by ``pipeline.build_parts``.

Everything below the pipeline (the cross-validation loop, each fold's steps, the baseline, the
tuner's hooks) takes these objects, never the config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import keras

from kagglekit import cv as cvlib
from kagglekit.competition import CompetitionSpec
from kagglekit.metrics import Metric
from kagglekit.tracking import RunLogger
from kagglekit.training.callbacks import CallbackFactory
from kagglekit.training.fit import ModelFactory, OptimizerFactory, TrainerSettings

if TYPE_CHECKING:
    from kagglekit.data.preprocessing import Preprocessor
    from kagglekit.training.fold import FoldResult


@dataclass(frozen=True)
class FoldHooks:
    """Extension points for callers such as the tuner (no config involved).

    ``callbacks(k)`` adds callbacks to fold ``k`` (e.g. an Optuna pruning callback);
    ``on_fold_end(result)`` sees each finished fold and may raise to stop the run
    (e.g. ``optuna.TrialPruned`` after a bad fold).
    """

    callbacks: Callable[[int], Sequence[keras.callbacks.Callback]] | None = None
    on_fold_end: Callable[[FoldResult], None] | None = None


@dataclass(frozen=True)
class RunParts:
    """The typed objects one run is made of.

    ``callbacks`` maps each configured callback's name (its key in the callbacks group) to its
    factory; a fold's backup keys the callback's state by that name.
    """

    spec: CompetitionSpec
    splitter: cvlib.Splitter
    settings: TrainerSettings
    make_model: ModelFactory
    make_optimizer: OptimizerFactory
    callbacks: Mapping[str, CallbackFactory]
    metric: Metric
    logger: RunLogger = field(default_factory=RunLogger)
    hooks: FoldHooks | None = None

    def make_preprocessor(self) -> Preprocessor:
        """A fresh, unfitted preprocessor of the competition's features."""
        preprocessor: Preprocessor = self.spec.features()
        return preprocessor

    @property
    def forward_only(self) -> bool:
        """Whether each fold trains on earlier rows only (time-series splitters)."""
        return cvlib.is_forward_only(self.splitter)

    def fold_callbacks(self, k: int) -> list[keras.callbacks.Callback]:
        """The callbacks the hooks add to fold ``k`` (none without hooks)."""
        if self.hooks is None or self.hooks.callbacks is None:
            return []
        return list(self.hooks.callbacks(k))

    def fold_done(self, result: FoldResult) -> None:
        """Tell the hooks that a fold finished (they may raise to stop the run)."""
        if self.hooks is not None and self.hooks.on_fold_end is not None:
            self.hooks.on_fold_end(result)
