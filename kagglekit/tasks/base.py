"""The task object: what a task type (binary, multiclass, multilabel, regression) decides.

A task is fitted on the training targets (:func:`kagglekit.tasks.make_task`) and then owns the
whole way of a target through a run:

============  ===================  ================================  ============================
task          encoded ``y``        predictions                       submission
============  ===================  ================================  ============================
binary        (n,) 0/1 float       (n,) P(positive)                  label or probability
multiclass    (n,) class index     (n, k) class probabilities        label or one column/class
multilabel    (n, k) 0/1 float     (n, k) probabilities              probability or 0/1 labels
regression    (n, t) float         (n, t) values (original scale)    values
============  ===================  ================================  ============================

It also gives the output head(s) and their default loss, the names of the prediction columns
(``oof.csv``), what a metric is given (class labels or scores, see :attr:`Metric.needs`), the
score of OOF predictions, and how blends of several runs are made valid predictions again.

With ``heads="per_target"`` the model gets one output head per target column, named after the
column (each with its own loss and loss weight, ``trainer.loss: {price: huber}``): the encoded
``y`` is split into a dict per head for fitting (:meth:`TargetTask.for_heads`) and the heads'
outputs are put back side by side (:meth:`TargetTask.to_predictions`), so predictions, OOF
files and metrics look the same as with one head.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from kagglekit.competition import Heads, SubmissionKind, Task, check_heads
from kagglekit.errors import KagglekitError
from kagglekit.metrics import Metric
from kagglekit.models.specs import OutputSpec

EPS = 1e-15


Diagnostics = Literal["threshold", "argmax", "labels", "values"]


class TargetError(KagglekitError, ValueError):
    """The targets or the sample submission do not fit the task; the message says how."""


@dataclass(frozen=True)
class TargetTask(ABC):
    """One task type, fitted on the training targets (``columns``: the target columns)."""

    kind: ClassVar[Task]
    #: a blend stacks these predictions with a logistic model (else ridge)
    level2: ClassVar[str] = "logistic"
    #: the smooth metric blend weights are optimised on when the competition's is not smooth
    proxy_metric: ClassVar[str] = "log_loss"
    #: which out-of-fold diagnostics the run report shows (``kagglekit.report``): the labels of
    #: one probability and a threshold, of the most probable class, of each 0/1 label, or values
    diagnostics: ClassVar[Diagnostics]

    columns: tuple[str, ...]
    threshold: float = 0.5
    heads: Heads = "single"

    def __post_init__(self) -> None:
        check_heads(self.heads)

    # -- fitting and encoding -----------------------------------------------------------------
    @classmethod
    @abstractmethod
    def fit(
        cls,
        targets: pd.DataFrame,
        *,
        positive_label: Any = None,
        transform: str = "none",
        threshold: float = 0.5,
        heads: Heads = "single",
    ) -> TargetTask:
        """The task fitted on the training targets (classes found, values checked)."""

    @abstractmethod
    def encode(self, targets: pd.DataFrame) -> np.ndarray:
        """Target columns -> the array the model is fitted on."""

    def encoded_truth(self, y: np.ndarray) -> np.ndarray:
        """Encoded ``y`` -> the scale predictions live on (original scale for regression)."""
        return y

    # -- output heads -------------------------------------------------------------------------
    @abstractmethod
    def head(self) -> OutputSpec:
        """The single output head: units, activation and the default loss."""

    def head_units(self) -> int:
        """Units of one head when there is one head per target column."""
        return 1

    def head_bias(self, y: np.ndarray) -> tuple[float, ...] | None:
        """A head's initial bias from the fold's encoded training ``y`` (``None``: default)."""
        return None

    def outputs(self, y: np.ndarray | None = None) -> list[OutputSpec]:
        """The output head(s) the task needs: one, or one per target column (``per_target``).

        Given the encoded ``y`` of the fold's training rows, a regression head starts with
        their mean as its bias.
        """
        single = self.head()
        bias = self.head_bias(y) if y is not None else None
        if self.heads == "single":
            return [replace(single, bias=bias)]
        return [
            OutputSpec(
                name,
                self.head_units(),
                single.activation,
                single.loss,
                bias=None if bias is None else (bias[i],),
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
        return self.from_columns(self.decode(raw.reshape(len(raw), -1)))

    def decode(self, outputs: np.ndarray) -> np.ndarray:
        """2-D model outputs -> the predictions' scale (the inverse of a target transform)."""
        return outputs

    def from_columns(self, columns: np.ndarray) -> np.ndarray:
        """2-D ``(rows, columns)`` predictions (a blend's) -> predictions of the task's shape."""
        return columns

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

    @property
    def n_classes(self) -> int:
        """The number of classes of a binary/multiclass target (0 for the others)."""
        return 0

    @property
    def value_names(self) -> tuple[Any, ...]:
        """What the prediction columns stand for: the classes or the target columns."""
        return self.columns

    def prediction_columns(self) -> list[str]:
        """The column names of ``oof.csv``/``test_pred.csv``."""
        return [f"pred_{c}" for c in self.value_names]

    def dummy_predictions(self, n_rows: int) -> np.ndarray:
        """Predictions of the right shape (uniform probabilities, zero values), to build the
        submission once before training: a submission that cannot be built stops the run then."""
        return np.full((n_rows, len(self.columns)), 0.5)

    # -- submission ---------------------------------------------------------------------------
    def labels(self, predictions: np.ndarray) -> np.ndarray:
        """Predictions -> class labels (binary/multiclass) or 0/1 matrix (multilabel)."""
        raise TargetError(f"A {self.kind.value} task has no labels.")

    @abstractmethod
    def submission_values(
        self,
        predictions: np.ndarray,
        columns: Sequence[str],
        kind: SubmissionKind,
        class_columns: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Predictions -> the sample submission's value columns."""

    def submission_labels(self, kind: SubmissionKind) -> tuple[Any, ...] | None:
        """The values a ``label`` submission may hold (``None``: not a label submission)."""
        return None

    # -- scoring ------------------------------------------------------------------------------
    @abstractmethod
    def metric_inputs(
        self, metric: Metric, truth: np.ndarray, predictions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(truth, predictions)`` as ``metric`` scores them: class labels or scores."""

    def score(self, metric: Metric, truth: np.ndarray, predictions: np.ndarray) -> float:
        """``metric`` of predictions against the truth on the predictions' scale."""
        return metric(*self.metric_inputs(metric, truth, predictions))

    def score_encoded(self, metric: Metric, y: np.ndarray, predictions: np.ndarray) -> float:
        """``metric`` of predictions (a fold's, the OOF rows') against their encoded ``y``."""
        return self.score(metric, self.encoded_truth(y), predictions)

    # -- blending -----------------------------------------------------------------------------
    def truth_columns(self, truth: np.ndarray) -> np.ndarray:
        """The truth as one column per prediction column (what a level-2 model is fitted on)."""
        return truth.reshape(len(truth), -1).astype("float64")

    def valid_blend(self, blend: np.ndarray) -> np.ndarray:
        """A 2-D blend that may leave the predictions' range (ranks, a ridge model) made
        valid predictions again: probabilities clipped to [0, 1]."""
        return np.clip(blend, 0.0, 1.0)

    @property
    def stacks_jointly(self) -> bool:
        """A level-2 logistic model sees every column at once (multiclass), else one per column."""
        return False


def check_columns(columns: Sequence[str], n: int, what: str) -> None:
    if len(columns) != n:
        raise TargetError(
            f"The sample submission has {len(columns)} prediction column(s) {list(columns)}, "
            f"but the predictions give {n} {what} column(s)."
        )


def plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float, np.number, bool)):
        return (0, float(value))
    return (1, str(value))
