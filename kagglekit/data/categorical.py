"""Categorical columns as integer codes for Embedding layers, one model input per column.

The vocabulary of each column is fitted on the fold's training rows only. Code 0 is reserved
for values the fold never saw in training (and for rare ones, below ``min_count``); seen values
get 1..n in sorted order, a missing value is a category of its own (``__missing__``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import (
    MISSING,
    ModelData,
    NotFittedError,
    _as_category,
    _is_numeric,
)
from kagglekit.models.specs import InputSpec, ModelInputs

UNSEEN = 0


def input_name_for(prefix: str, column: str) -> str:
    """A valid Keras input name for a column: ``cat_`` + the column, non-word characters as ``_``."""
    return prefix + (re.sub(r"\W+", "_", str(column)).strip("_") or "column")


class CategoricalCodes:
    """Integer-code categorical columns, each as its own ``(n, 1)`` int32 model input.

    Args:
        columns: the categorical columns; ``None`` = every non-numeric column.
        min_count: values seen fewer times in the training fold share the unseen code 0.
        max_categories: keep at most this many of the most frequent values per column.
        prefix: each input is named ``<prefix><column>`` (``cat_Neighborhood``).
    """

    def __init__(
        self,
        *,
        columns: Sequence[str] | None = None,
        min_count: int = 1,
        max_categories: int | None = None,
        prefix: str = "cat_",
    ) -> None:
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, but got {min_count=}.")
        if max_categories is not None and max_categories < 1:
            raise ValueError(f"max_categories must be positive or null, but got {max_categories=}.")
        self.columns = list(columns) if columns is not None else None
        self.min_count = min_count
        self.max_categories = max_categories
        self.prefix = prefix
        self._vocabularies: dict[str, list[str]] | None = None

    def fit(self, frame: pd.DataFrame) -> Self:
        columns = self.columns
        if columns is None:
            columns = [c for c in frame.columns if not _is_numeric(frame[c])]
        unknown = [c for c in columns if c not in frame.columns]
        if unknown:
            raise KeyError(
                f"Categorical column(s) {unknown} absent from the data; columns: {list(frame.columns)}."
            )
        names = [input_name_for(self.prefix, c) for c in columns]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ValueError(
                f"Categorical columns {columns} give clashing input names {clashes}; rename them."
            )
        vocabularies: dict[str, list[str]] = {}
        for column in columns:
            counts = _as_category(frame[column]).value_counts()
            counts = counts[counts >= self.min_count]
            if self.max_categories is not None:
                counts = counts.iloc[: self.max_categories]
            vocabularies[column] = sorted(counts.index.tolist())
        self._vocabularies = vocabularies
        return self

    def _fitted(self) -> dict[str, list[str]]:
        if self._vocabularies is None:
            raise NotFittedError("CategoricalCodes.fit must be called before transform.")
        return self._vocabularies

    def vocabulary(self, column: str) -> list[str]:
        """The values of ``column`` with codes 1..n (code 0: unseen or rare)."""
        return list(self._fitted()[column])

    def transform(self, frame: pd.DataFrame) -> ModelData:
        vocabularies = self._fitted()
        missing = [c for c in vocabularies if c not in frame.columns]
        if missing:
            raise KeyError(
                f"Categorical column(s) {missing} seen in training are missing from the frame to transform."
            )
        out: ModelData = {}
        for column, values in vocabularies.items():
            index = {v: i + 1 for i, v in enumerate(values)}
            codes = _as_category(frame[column]).map(lambda v, index=index: index.get(v, UNSEEN))
            out[input_name_for(self.prefix, column)] = codes.to_numpy(dtype="int32").reshape(-1, 1)
        return out

    def input_specs(self) -> ModelInputs:
        return {
            input_name_for(self.prefix, column): InputSpec(
                shape=(1,), dtype="int32", vocabulary=len(values) + 1
            )
            for column, values in self._fitted().items()
        }

    def state(self) -> dict[str, Any]:
        return {
            "unseen_code": UNSEEN,
            "missing_value": MISSING,
            "vocabularies": {column: values for column, values in self._fitted().items()},
        }

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the vocabularies of :meth:`state` (see :mod:`kagglekit.data.state`)."""
        del arrays
        if state.get("unseen_code", UNSEEN) != UNSEEN or state.get("missing_value") != MISSING:
            raise ValueError("the stored codes use another unseen code or missing marker")
        self._vocabularies = {
            str(c): [str(v) for v in vs] for c, vs in state["vocabularies"].items()
        }
        return self


def unseen_share(codes: np.ndarray) -> float:
    """The share of rows coded as unseen (a quick check of a fold's vocabulary coverage)."""
    return float(np.mean(codes == UNSEEN)) if codes.size else 0.0
