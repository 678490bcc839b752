"""Competition metrics: scikit-learn underneath, each with its direction and its inputs.

A metric scores ``(truth, predictions)`` as the task prepares them (see
:meth:`kagglekit.tasks.TargetTask.score`): ``needs="labels"`` gets class indices (binary,
multiclass) or a 0/1 matrix (multilabel) for both; ``needs="scores"`` gets the encoded truth and
the probabilities; ``needs="values"`` gets the truth and the predictions as they are.
``greater_is_better`` tells sweeps and model selection which way is good.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn import metrics as skm

from kagglekit.competition import Task
from kagglekit.errors import ConfigError

ScoreFn = Callable[[np.ndarray, np.ndarray], float]
Needs = Literal["labels", "scores", "values"]


@dataclass(frozen=True)
class Metric:
    """A named score; ``tasks`` are the task types it can score (``None``: any), ``needs``
    what it is given: class ``labels``, probability ``scores`` or the predicted ``values``."""

    name: str
    fn: ScoreFn
    greater_is_better: bool
    tasks: frozenset[Task] | None = None
    needs: Needs = "values"

    def __post_init__(self) -> None:
        if self.needs not in ("labels", "scores", "values"):
            raise ValueError(
                f"Metric {self.name!r}: needs={self.needs!r}; expected 'labels', 'scores' or "
                "'values'."
            )

    @property
    def direction(self) -> str:
        return "maximize" if self.greater_is_better else "minimize"

    def __call__(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        """The score of inputs already in the form ``needs`` says (the task prepares them)."""
        return float(self.fn(y_true, predictions))

    def is_better(self, a: float, b: float) -> bool:
        return a > b if self.greater_is_better else a < b


def _clip(p: np.ndarray) -> np.ndarray:
    return np.clip(p, 1e-15, 1 - 1e-15)


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Binary ``(n,)`` P(positive); class probabilities ``(n, k)`` of ``(n,)`` class indices;
    or independent labels (``y`` and ``p`` both ``(n, k)``: the mean binary log-loss)."""
    p = _clip(np.asarray(p, dtype="float64"))
    if p.ndim == 1:
        return float(skm.log_loss(y, p, labels=[0, 1]))
    if np.ndim(y) == 2:
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    p = p / p.sum(axis=1, keepdims=True)
    return float(skm.log_loss(y.astype(int), p, labels=list(range(p.shape[1]))))


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Binary; one-vs-rest over the classes of ``(n,)`` class indices; or the macro mean over
    independent labels."""
    if np.ndim(p) == 2 and np.ndim(y) == 1:
        return float(
            skm.roc_auc_score(y.astype(int), p, multi_class="ovr", labels=list(range(p.shape[1])))
        )
    return float(skm.roc_auc_score(y, p, average="macro"))


def _rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def _rmsle(y: np.ndarray, p: np.ndarray) -> float:
    y, p = np.asarray(y, float), np.asarray(p, float)
    if (p <= -1).any() or (y <= -1).any():
        raise ValueError("rmsle needs values > -1.")
    return _rmse(np.log1p(y), np.log1p(p))


def _sklearn(fn: Callable[..., float], **kwargs: object) -> ScoreFn:
    def score(y: np.ndarray, p: np.ndarray) -> float:
        return float(fn(y, p, **kwargs))

    return score


_B, _MC, _ML, _R = Task.BINARY, Task.MULTICLASS, Task.MULTILABEL, Task.REGRESSION
LABELS = frozenset({_B, _MC, _ML})
SINGLE_LABEL = frozenset({_B, _MC})
VALUES = frozenset({_R})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", _sklearn(skm.accuracy_score), True, LABELS, "labels"),
        Metric(
            "balanced_accuracy",
            _sklearn(skm.balanced_accuracy_score),
            True,
            SINGLE_LABEL,
            "labels",
        ),
        Metric("f1", _sklearn(skm.f1_score), True, frozenset({_B}), "labels"),
        Metric("f1_macro", _sklearn(skm.f1_score, average="macro"), True, LABELS, "labels"),
        Metric("f1_micro", _sklearn(skm.f1_score, average="micro"), True, LABELS, "labels"),
        Metric("mcc", _sklearn(skm.matthews_corrcoef), True, SINGLE_LABEL, "labels"),
        Metric(
            "qwk",
            _sklearn(skm.cohen_kappa_score, weights="quadratic"),
            True,
            SINGLE_LABEL,
            "labels",
        ),
        Metric("log_loss", _log_loss, False, LABELS, "scores"),
        Metric("roc_auc", _roc_auc, True, LABELS, "scores"),
        Metric("rmse", _rmse, False, VALUES),
        Metric("rmsle", _rmsle, False, VALUES),
        Metric("mse", _sklearn(skm.mean_squared_error), False, VALUES),
        Metric("mae", _sklearn(skm.mean_absolute_error), False, VALUES),
        Metric("r2", _sklearn(skm.r2_score), True, VALUES),
    ]
}


def get_metric(name: str | Metric) -> Metric:
    """A metric by name (or a :class:`Metric` built from config with ``_target_``)."""
    if isinstance(name, Metric):
        return name
    try:
        return METRICS[name]
    except KeyError:
        valid = sorted(
            METRICS,
            key=lambda m: (-difflib.SequenceMatcher(None, str(name).lower(), m).ratio(), m),
        )
        close = difflib.get_close_matches(str(name), list(METRICS), n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise ConfigError(
            f"Unknown metric {name!r} (competition.metric).{hint} Known metrics: {valid} "
            "(closest first). A custom metric is a `kagglekit.metrics.Metric` built with `_target_`."
        ) from None
