"""Regression: t value columns, optionally trained on log1p(target)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from kagglekit.competition import Heads, SubmissionKind, Task
from kagglekit.metrics import Metric
from kagglekit.models.specs import OutputSpec
from kagglekit.tasks.base import Diagnostics, TargetError, TargetTask, check_columns


@dataclass(frozen=True)
class RegressionTask(TargetTask):
    """``transform="log1p"`` fits the model on log1p(target); predictions are on the original
    scale (expm1 of the model's outputs)."""

    kind: ClassVar[Task] = Task.REGRESSION
    diagnostics: ClassVar[Diagnostics] = "values"
    level2: ClassVar[str] = "ridge"
    proxy_metric: ClassVar[str] = "mse"

    transform: Literal["none", "log1p"] = "none"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.transform not in ("none", "log1p"):
            raise ValueError(f"target_transform={self.transform!r}; expected 'none' or 'log1p'.")

    @classmethod
    def fit(
        cls,
        targets: pd.DataFrame,
        *,
        positive_label: Any = None,
        transform: str = "none",
        threshold: float = 0.5,
        heads: Heads = "single",
    ) -> RegressionTask:
        columns = tuple(str(c) for c in targets.columns)
        if transform == "log1p" and (targets.to_numpy(dtype=float) <= -1).any():
            raise TargetError(
                f"target_transform=log1p needs targets > -1; {list(columns)} has smaller values."
            )
        return cls(
            columns=columns,
            threshold=threshold,
            heads=heads,
            transform=transform,  # type: ignore[arg-type]
        )

    def encode(self, targets: pd.DataFrame) -> np.ndarray:
        array = targets.to_numpy(dtype="float32")
        return np.log1p(array) if self.transform == "log1p" else array

    def encoded_truth(self, y: np.ndarray) -> np.ndarray:
        return np.expm1(y) if self.transform == "log1p" else y

    def head(self) -> OutputSpec:
        return OutputSpec("output", len(self.columns), "linear", "mean_squared_error")

    def head_bias(self, y: np.ndarray) -> tuple[float, ...] | None:
        """The mean encoded target of each column: training starts at the right level."""
        values = np.asarray(y, dtype="float64").reshape(len(y), -1)
        return tuple(float(m) for m in np.nanmean(values, axis=0))

    def decode(self, outputs: np.ndarray) -> np.ndarray:
        return np.expm1(outputs) if self.transform == "log1p" else outputs

    def dummy_predictions(self, n_rows: int) -> np.ndarray:
        return np.zeros((n_rows, len(self.columns)))

    def submission_values(
        self,
        predictions: np.ndarray,
        columns: Sequence[str],
        kind: SubmissionKind,
        class_columns: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        check_columns(columns, predictions.shape[1], "regression target")
        return pd.DataFrame(predictions, columns=list(columns))

    def metric_inputs(
        self, metric: Metric, truth: np.ndarray, predictions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if metric.needs != "values":
            what = "class labels" if metric.needs == "labels" else "probabilities"
            raise ValueError(f"{metric.name} needs {what}; a regression task has none.")
        return truth, predictions

    def valid_blend(self, blend: np.ndarray) -> np.ndarray:
        return blend
