"""Binary classification: one 0/1 column, predictions are P(positive class)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kagglekit.competition import Heads, SubmissionKind, Task
from kagglekit.models.specs import OutputSpec
from kagglekit.tasks.base import Diagnostics, TargetError, check_columns, plain
from kagglekit.tasks.single_label import SingleLabelTask


@dataclass(frozen=True)
class BinaryTask(SingleLabelTask):
    """``classes`` is ``(negative, positive)``; predictions are ``(n,)`` P(positive)."""

    kind: ClassVar[Task] = Task.BINARY
    diagnostics: ClassVar[Diagnostics] = "threshold"
    encoded_dtype: ClassVar[str] = "float32"

    @classmethod
    def fit(
        cls,
        targets: pd.DataFrame,
        *,
        positive_label: Any = None,
        transform: str = "none",
        threshold: float = 0.5,
        heads: Heads = "single",
    ) -> BinaryTask:
        columns = tuple(str(c) for c in targets.columns)
        uniques = cls.found_classes(targets)
        if len(uniques) != 2:
            raise TargetError(
                f"Target {columns[0]!r} of a binary task must have 2 classes, "
                f"found {len(uniques)}: {uniques[:10]}."
            )
        if positive_label is not None:
            if positive_label not in uniques:
                raise TargetError(
                    f"positive_label={positive_label!r} is not a value of target "
                    f"{columns[0]!r}: {uniques}."
                )
            uniques = [u for u in uniques if u != positive_label] + [positive_label]
        classes = tuple(plain(u) for u in uniques)
        return cls(columns=columns, threshold=threshold, heads=heads, classes=classes)

    def head(self) -> OutputSpec:
        return OutputSpec("output", 1, "sigmoid", "binary_crossentropy")

    def from_columns(self, columns: np.ndarray) -> np.ndarray:
        return columns[:, -1]

    def prediction_columns(self) -> list[str]:
        return [f"pred_{self.classes[-1]}"]

    def dummy_predictions(self, n_rows: int) -> np.ndarray:
        return np.full(n_rows, 0.5)

    def class_indices(self, predictions: np.ndarray) -> np.ndarray:
        return (predictions >= self.threshold).astype(int)

    def submission_values(
        self,
        predictions: np.ndarray,
        columns: Sequence[str],
        kind: SubmissionKind,
        class_columns: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        column = list(columns)
        check_columns(column, 1, "label" if kind == "label" else "probability")
        values = self.labels(predictions) if kind == "label" else predictions
        return pd.DataFrame({column[0]: values})
