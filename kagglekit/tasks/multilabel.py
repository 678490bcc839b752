"""Multilabel classification: k 0/1 columns, predictions are (n, k) independent probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kagglekit.competition import Heads, SubmissionKind, Task
from kagglekit.metrics import Metric
from kagglekit.models.specs import OutputSpec
from kagglekit.tasks.base import Diagnostics, TargetError, TargetTask, check_columns


@dataclass(frozen=True)
class MultilabelTask(TargetTask):
    """One sigmoid unit per target column; a label is 1 when its probability >= threshold."""

    kind: ClassVar[Task] = Task.MULTILABEL
    diagnostics: ClassVar[Diagnostics] = "labels"

    @classmethod
    def fit(
        cls,
        targets: pd.DataFrame,
        *,
        positive_label: Any = None,
        transform: str = "none",
        threshold: float = 0.5,
        heads: Heads = "single",
    ) -> MultilabelTask:
        columns = tuple(str(c) for c in targets.columns)
        bad = [c for c in columns if not set(pd.unique(targets[c])) <= {0, 1}]
        if bad:
            raise TargetError(f"Multilabel targets must be 0/1; column(s) {bad} hold other values.")
        return cls(columns=columns, threshold=threshold, heads=heads)

    def encode(self, targets: pd.DataFrame) -> np.ndarray:
        return targets.to_numpy(dtype="float32")

    def head(self) -> OutputSpec:
        return OutputSpec("output", len(self.columns), "sigmoid", "binary_crossentropy")

    def labels(self, predictions: np.ndarray) -> np.ndarray:
        return (predictions >= self.threshold).astype(int)

    def submission_values(
        self,
        predictions: np.ndarray,
        columns: Sequence[str],
        kind: SubmissionKind,
        class_columns: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        check_columns(columns, predictions.shape[1], "multilabel target")
        values = self.labels(predictions) if kind == "label" else predictions
        return pd.DataFrame(values, columns=list(columns))

    def submission_labels(self, kind: SubmissionKind) -> tuple[Any, ...] | None:
        return (0, 1) if kind == "label" else None

    def metric_inputs(
        self, metric: Metric, truth: np.ndarray, predictions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if metric.needs == "labels":
            return truth.astype(int), self.labels(predictions)
        return truth, predictions
