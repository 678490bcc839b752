"""Targets: encode them for Keras, and turn predictions back into submission values.

The task decides the output layer, the default loss and how predictions become columns:

============  ===================  ================================  ============================
task          encoded ``y``        predictions                       submission
============  ===================  ================================  ============================
binary        (n,) 0/1 float       (n,) P(positive)                  label or probability
multiclass    (n,) class index     (n, k) class probabilities        label or one column/class
multilabel    (n, k) 0/1 float     (n, k) probabilities              probability or 0/1 labels
regression    (n, t) float         (n, t) values (original scale)    values
============  ===================  ================================  ============================

With ``heads="per_target"`` the model gets one output head per target column, named after the
column (each with its own loss and loss weight, ``trainer.loss: {price: huber}``): the encoded
``y`` is split into a dict per head for fitting (:meth:`TargetCodec.for_heads`) and the heads'
outputs are put back side by side (:meth:`TargetCodec.to_predictions`), so predictions, OOF
files and metrics look the same as with one head.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from kagglekit.competition import SubmissionKind, Task
from kagglekit.errors import KagglekitError
from kagglekit.models.specs import OutputSpec

Heads = Literal["single", "per_target"]


class TargetError(KagglekitError, ValueError):
    """The targets or the sample submission do not fit the task; the message says how."""


@dataclass(frozen=True)
class TargetCodec:
    task: Task
    columns: tuple[str, ...]
    classes: tuple[Any, ...] = ()
    transform: str = "none"
    threshold: float = 0.5
    heads: Heads = "single"

    def __post_init__(self) -> None:
        if self.heads not in ("single", "per_target"):
            raise ValueError(f"heads must be 'single' or 'per_target', but got {self.heads!r}.")

    @classmethod
    def fit(
        cls,
        task: Task,
        targets: pd.DataFrame,
        *,
        positive_label: Any = None,
        transform: str = "none",
        threshold: float = 0.5,
        heads: Heads = "single",
    ) -> TargetCodec:
        columns = tuple(str(c) for c in targets.columns)
        classes: tuple[Any, ...] = ()
        if task in (Task.BINARY, Task.MULTICLASS):
            values = targets.iloc[:, 0]
            uniques = sorted(pd.unique(values).tolist(), key=_sort_key)
            if task is Task.BINARY:
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
            elif len(uniques) < 2:
                raise TargetError(f"Target {columns[0]!r} has a single class: {uniques}.")
            classes = tuple(_plain(u) for u in uniques)
        elif task is Task.MULTILABEL:
            bad = [c for c in columns if not set(pd.unique(targets[c])) <= {0, 1}]
            if bad:
                raise TargetError(
                    f"Multilabel targets must be 0/1; column(s) {bad} hold other values."
                )
        elif transform == "log1p" and (targets.to_numpy(dtype=float) <= -1).any():
            raise TargetError(
                f"target_transform=log1p needs targets > -1; {list(columns)} has smaller values."
            )
        return cls(
            task=task,
            columns=columns,
            classes=classes,
            transform=transform,
            threshold=threshold,
            heads=heads,
        )

    # -- encoding -----------------------------------------------------------------------------
    def encode(self, targets: pd.DataFrame) -> np.ndarray:
        if self.task in (Task.BINARY, Task.MULTICLASS):
            index = {c: i for i, c in enumerate(self.classes)}
            values = targets.iloc[:, 0].map(lambda v: index.get(_plain(v), -1)).to_numpy()
            if (values < 0).any():
                raise TargetError(
                    f"Target {self.columns[0]!r} holds a label outside {self.classes}."
                )
            return values.astype("float32" if self.task is Task.BINARY else "int32")
        array = targets.to_numpy(dtype="float32")
        if self.task is Task.REGRESSION and self.transform == "log1p":
            array = np.log1p(array)
        return array

    def outputs(self, y: np.ndarray | None = None) -> list[OutputSpec]:
        """The output head(s) the task needs: one, or one per target column (``per_target``).

        Given the encoded ``y`` of the fold's training rows, a regression head starts with
        their mean as its bias.
        """
        if self.heads == "per_target":
            return self._per_target_outputs(y)
        if y is not None and self.task is Task.REGRESSION:
            (spec,) = self.outputs()
            return [replace(spec, bias=_column_means(y))]
        if self.task is Task.BINARY:
            return [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
        if self.task is Task.MULTICLASS:
            return [
                OutputSpec(
                    "output", len(self.classes), "softmax", "sparse_categorical_crossentropy"
                )
            ]
        if self.task is Task.MULTILABEL:
            return [OutputSpec("output", len(self.columns), "sigmoid", "binary_crossentropy")]
        return [OutputSpec("output", len(self.columns), "linear", "mean_squared_error")]

    def _per_target_outputs(self, y: np.ndarray | None) -> list[OutputSpec]:
        (single,) = replace(self, heads="single").outputs()
        units = single.units if self.task in (Task.BINARY, Task.MULTICLASS) else 1
        means = _column_means(y) if y is not None and self.task is Task.REGRESSION else None
        return [
            OutputSpec(
                name,
                units,
                single.activation,
                single.loss,
                bias=None if means is None else (means[i],),
            )
            for i, name in enumerate(self.head_names())
        ]

    def head_names(self) -> list[str]:
        """Output names: ``output``, or one per target column (made valid and unique)."""
        if self.heads == "single":
            return ["output"]
        names: list[str] = []
        for column in self.columns:
            name = re.sub(r"\W+", "_", column).strip("_") or "target"
            if name[0].isdigit():
                name = f"t_{name}"
            base, i = name, 1
            while name in names:
                i += 1
                name = f"{base}_{i}"
            names.append(name)
        return names

    def for_heads(self, y: np.ndarray) -> np.ndarray | dict[str, np.ndarray]:
        """Encoded ``y`` as the model is fitted on it: as is, or a dict per output head."""
        if self.heads == "single":
            return y
        if y.ndim == 1:
            return {self.head_names()[0]: y}
        return {name: y[:, [i]] for i, name in enumerate(self.head_names())}

    # -- predictions --------------------------------------------------------------------------
    def to_predictions(self, raw: np.ndarray | Mapping[str, np.ndarray]) -> np.ndarray:
        """Model output -> predictions in the table's layout (original scale for regression).

        A dict of head outputs (multi-output model) is put side by side in target order.
        """
        if isinstance(raw, Mapping):
            raw = self._join_heads(raw)
        raw = np.asarray(raw, dtype="float64")
        if self.task is Task.BINARY:
            return raw.reshape(len(raw), -1)[:, -1]
        raw = raw.reshape(len(raw), -1)
        if self.task is Task.REGRESSION and self.transform == "log1p":
            return np.expm1(raw)
        return raw

    def _join_heads(self, raw: Mapping[str, np.ndarray]) -> np.ndarray:
        names = self.head_names()
        if len(raw) == 1 and len(names) == 1:
            return np.asarray(next(iter(raw.values())))
        missing = [name for name in names if name not in raw]
        if missing:
            raise ValueError(
                f"The model's outputs {sorted(raw)} lack head(s) {missing}: a multi-output model "
                f"must name its heads after the output specs it is given ({names})."
            )
        return np.concatenate(
            [np.asarray(raw[name]).reshape(len(raw[name]), -1) for name in names], axis=1
        )

    def encoded_truth(self, y: np.ndarray) -> np.ndarray:
        """Encoded ``y`` -> the scale predictions live on (original scale for regression)."""
        if self.task is Task.REGRESSION and self.transform == "log1p":
            return np.expm1(y)
        return y

    def labels(self, predictions: np.ndarray) -> np.ndarray:
        """Predictions -> class labels (binary/multiclass) or 0/1 matrix (multilabel)."""
        if self.task is Task.BINARY:
            return np.asarray(self.classes, dtype=object)[
                (predictions >= self.threshold).astype(int)
            ]
        if self.task is Task.MULTICLASS:
            return np.asarray(self.classes, dtype=object)[predictions.argmax(axis=1)]
        if self.task is Task.MULTILABEL:
            return (predictions >= self.threshold).astype(int)
        raise TargetError("A regression task has no labels.")

    def submission_values(
        self,
        predictions: np.ndarray,
        columns: Sequence[str],
        kind: SubmissionKind,
        class_columns: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Predictions -> the sample submission's value columns."""
        columns = list(columns)
        if self.task is Task.REGRESSION:
            _expect_columns(columns, predictions.shape[1], "regression target")
            return pd.DataFrame(predictions, columns=columns)
        if self.task is Task.MULTILABEL:
            _expect_columns(columns, predictions.shape[1], "multilabel target")
            values = self.labels(predictions) if kind == "label" else predictions
            return pd.DataFrame(values, columns=columns)
        if kind == "label":
            _expect_columns(columns, 1, "label")
            return pd.DataFrame({columns[0]: self.labels(predictions)})
        if self.task is Task.BINARY:
            _expect_columns(columns, 1, "probability")
            return pd.DataFrame({columns[0]: predictions})
        # multiclass probabilities: one column per class
        mapping = class_columns or dict(zip(columns, self.classes, strict=False))
        _expect_columns(columns, len(self.classes), "class probability")
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = [v for v in mapping.values() if _plain(v) not in index]
        if unknown:
            raise TargetError(
                f"class_columns maps to unknown class(es) {unknown}; classes: {self.classes}."
            )
        return pd.DataFrame({col: predictions[:, index[_plain(mapping[col])]] for col in columns})


def _column_means(y: np.ndarray) -> tuple[float, ...]:
    values = np.asarray(y, dtype="float64").reshape(len(y), -1)
    return tuple(float(m) for m in np.nanmean(values, axis=0))


def _expect_columns(columns: list[str], n: int, what: str) -> None:
    if len(columns) != n:
        raise TargetError(
            f"The sample submission has {len(columns)} prediction column(s) {columns}, "
            f"but the predictions give {n} {what} column(s)."
        )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float, np.number, bool)):
        return (0, float(value))
    return (1, str(value))
