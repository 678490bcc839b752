"""What binary and multiclass tasks share: one target column whose values are classes."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kagglekit.competition import SubmissionKind
from kagglekit.metrics import Metric
from kagglekit.tasks.base import TargetError, TargetTask, plain, sort_key


@dataclass(frozen=True)
class SingleLabelTask(TargetTask):
    """One class column; ``classes`` in the order of the predictions' columns."""

    #: dtype of the encoded ``y``: class indices, or 0/1 floats for a sigmoid head
    encoded_dtype: ClassVar[str] = "int32"

    classes: tuple[Any, ...] = ()

    @staticmethod
    def found_classes(targets: pd.DataFrame) -> list[Any]:
        """The target's classes, numbers in numeric order, then texts."""
        return sorted(pd.unique(targets.iloc[:, 0]).tolist(), key=sort_key)

    def encode(self, targets: pd.DataFrame) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes)}
        values = targets.iloc[:, 0].map(lambda v: index.get(plain(v), -1)).to_numpy()
        if (values < 0).any():
            raise TargetError(f"Target {self.columns[0]!r} holds a label outside {self.classes}.")
        return values.astype(self.encoded_dtype)

    def head_units(self) -> int:
        return self.head().units

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def value_names(self) -> tuple[Any, ...]:
        return self.classes

    @abstractmethod
    def class_indices(self, predictions: np.ndarray) -> np.ndarray:
        """Predictions -> the index of each row's class."""

    def labels(self, predictions: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes, dtype=object)[self.class_indices(predictions)]

    def submission_labels(self, kind: SubmissionKind) -> tuple[Any, ...] | None:
        return self.classes if kind == "label" else None

    def metric_inputs(
        self, metric: Metric, truth: np.ndarray, predictions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if metric.needs == "labels":
            return truth.astype(int), self.class_indices(predictions)
        return truth, predictions
