"""Multiclass classification: one column of k classes, predictions are (n, k) probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kagglekit.competition import Heads, SubmissionKind, Task
from kagglekit.models.specs import OutputSpec
from kagglekit.tasks.base import EPS, Diagnostics, TargetError, check_columns, plain
from kagglekit.tasks.single_label import SingleLabelTask


@dataclass(frozen=True)
class MulticlassTask(SingleLabelTask):
    """``classes`` sorted; the encoded ``y`` is each row's class index."""

    kind: ClassVar[Task] = Task.MULTICLASS
    diagnostics: ClassVar[Diagnostics] = "argmax"

    @classmethod
    def fit(
        cls,
        targets: pd.DataFrame,
        *,
        positive_label: Any = None,
        transform: str = "none",
        threshold: float = 0.5,
        heads: Heads = "single",
    ) -> MulticlassTask:
        columns = tuple(str(c) for c in targets.columns)
        uniques = cls.found_classes(targets)
        if len(uniques) < 2:
            raise TargetError(f"Target {columns[0]!r} has a single class: {uniques}.")
        classes = tuple(plain(u) for u in uniques)
        return cls(columns=columns, threshold=threshold, heads=heads, classes=classes)

    def head(self) -> OutputSpec:
        return OutputSpec("output", len(self.classes), "softmax", "sparse_categorical_crossentropy")

    def dummy_predictions(self, n_rows: int) -> np.ndarray:
        return np.full((n_rows, len(self.classes)), 1.0 / len(self.classes))

    def class_indices(self, predictions: np.ndarray) -> np.ndarray:
        return np.asarray(predictions.argmax(axis=1))

    def submission_values(
        self,
        predictions: np.ndarray,
        columns: Sequence[str],
        kind: SubmissionKind,
        class_columns: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        columns = list(columns)
        if kind == "label":
            check_columns(columns, 1, "label")
            return pd.DataFrame({columns[0]: self.labels(predictions)})
        # probabilities: one column per class
        mapping = class_columns or dict(zip(columns, self.classes, strict=False))
        check_columns(columns, len(self.classes), "class probability")
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = [v for v in mapping.values() if plain(v) not in index]
        if unknown:
            raise TargetError(
                f"class_columns maps to unknown class(es) {unknown}; classes: {self.classes}."
            )
        return pd.DataFrame({col: predictions[:, index[plain(mapping[col])]] for col in columns})

    # -- blending -----------------------------------------------------------------------------
    def truth_columns(self, truth: np.ndarray) -> np.ndarray:
        """One indicator column per class."""
        return np.eye(len(self.classes))[truth.astype(int)]

    def valid_blend(self, blend: np.ndarray) -> np.ndarray:
        """Probabilities in (0, 1], each row rescaled to sum to 1."""
        out = np.clip(blend, EPS, 1.0)
        return out / out.sum(axis=1, keepdims=True)

    @property
    def stacks_jointly(self) -> bool:
        return True
