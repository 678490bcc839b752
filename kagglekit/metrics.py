"""Competition metrics: scikit-learn underneath, each with its direction.

A metric takes the encoded truth and the predictions (see :mod:`kagglekit.targets`) and
returns a float. ``greater_is_better`` tells sweeps and model selection which way is good.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from kagglekit.competition import Task
from kagglekit.errors import ConfigError

ScoreFn = Callable[[np.ndarray, np.ndarray, Task, float], float]


@dataclass(frozen=True)
class Metric:
    """A named score; ``tasks`` are the task types it can score (``None``: any)."""

    name: str
    fn: ScoreFn
    greater_is_better: bool
    tasks: frozenset[Task] | None = None

    @property
    def direction(self) -> str:
        return "maximize" if self.greater_is_better else "minimize"

    def __call__(
        self, y_true: np.ndarray, predictions: np.ndarray, task: Task, threshold: float = 0.5
    ) -> float:
        return float(self.fn(y_true, predictions, task, threshold))

    def is_better(self, a: float, b: float) -> bool:
        return a > b if self.greater_is_better else a < b


def _labels(y: np.ndarray, p: np.ndarray, task: Task, thr: float) -> tuple[np.ndarray, np.ndarray]:
    if task is Task.BINARY:
        return y.astype(int), (p >= thr).astype(int)
    if task is Task.MULTICLASS:
        return y.astype(int), p.argmax(axis=1)
    if task is Task.MULTILABEL:
        return y.astype(int), (p >= thr).astype(int)
    raise ValueError("This metric needs class labels; a regression task has none.")


def _probs(y: np.ndarray, p: np.ndarray, task: Task) -> tuple[np.ndarray, np.ndarray]:
    if task is Task.REGRESSION:
        raise ValueError("This metric needs probabilities; a regression task has none.")
    return y, p


def _clip(p: np.ndarray) -> np.ndarray:
    return np.clip(p, 1e-15, 1 - 1e-15)


def _log_loss(y: np.ndarray, p: np.ndarray, task: Task, _: float) -> float:
    y, p = _probs(y, p, task)
    if task is Task.MULTILABEL:
        p = _clip(p)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    if task is Task.BINARY:
        return float(skm.log_loss(y, _clip(p), labels=[0, 1]))
    p = _clip(p)
    p = p / p.sum(axis=1, keepdims=True)
    return float(skm.log_loss(y.astype(int), p, labels=list(range(p.shape[1]))))


def _roc_auc(y: np.ndarray, p: np.ndarray, task: Task, _: float) -> float:
    y, p = _probs(y, p, task)
    if task is Task.MULTICLASS:
        return float(
            skm.roc_auc_score(y.astype(int), p, multi_class="ovr", labels=list(range(p.shape[1])))
        )
    return float(skm.roc_auc_score(y, p, average="macro"))


def _rmse(y: np.ndarray, p: np.ndarray, task: Task, _: float) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def _rmsle(y: np.ndarray, p: np.ndarray, task: Task, _: float) -> float:
    y, p = np.asarray(y, float), np.asarray(p, float)
    if (p <= -1).any() or (y <= -1).any():
        raise ValueError("rmsle needs values > -1.")
    return _rmse(np.log1p(y), np.log1p(p), task, 0.0)


def _label_metric(fn: Callable[..., float], **kwargs: object) -> ScoreFn:
    def score(y: np.ndarray, p: np.ndarray, task: Task, thr: float) -> float:
        yt, yp = _labels(y, p, task, thr)
        return float(fn(yt, yp, **kwargs))

    return score


def _value_metric(fn: Callable[..., float]) -> ScoreFn:
    def score(y: np.ndarray, p: np.ndarray, task: Task, _: float) -> float:
        return float(fn(y, p))

    return score


_B, _MC, _ML, _R = Task.BINARY, Task.MULTICLASS, Task.MULTILABEL, Task.REGRESSION
LABELS = frozenset({_B, _MC, _ML})
SINGLE_LABEL = frozenset({_B, _MC})
VALUES = frozenset({_R})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", _label_metric(skm.accuracy_score), True, LABELS),
        Metric("balanced_accuracy", _label_metric(skm.balanced_accuracy_score), True, SINGLE_LABEL),
        Metric("f1", _label_metric(skm.f1_score), True, frozenset({_B})),
        Metric("f1_macro", _label_metric(skm.f1_score, average="macro"), True, LABELS),
        Metric("f1_micro", _label_metric(skm.f1_score, average="micro"), True, LABELS),
        Metric("mcc", _label_metric(skm.matthews_corrcoef), True, SINGLE_LABEL),
        Metric(
            "qwk", _label_metric(skm.cohen_kappa_score, weights="quadratic"), True, SINGLE_LABEL
        ),
        Metric("log_loss", _log_loss, False, LABELS),
        Metric("roc_auc", _roc_auc, True, LABELS),
        Metric("rmse", _rmse, False, VALUES),
        Metric("rmsle", _rmsle, False, VALUES),
        Metric("mse", _value_metric(skm.mean_squared_error), False, VALUES),
        Metric("mae", _value_metric(skm.mean_absolute_error), False, VALUES),
        Metric("r2", _value_metric(skm.r2_score), True, VALUES),
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
