"""What a blend is scored on: the encoded truth of the validated rows, the task and the metric.

Predictions inside the ensemble code are always 2-D, ``(rows, columns)``: a binary task's
``(n,)`` probabilities become ``(n, 1)``; :meth:`Problem.score` puts them back in the shape the
competition metric expects (the task's :meth:`~kagglekit.tasks.TargetTask.from_columns`). A
stack of inputs is ``(inputs, rows, columns)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kagglekit.metrics import METRICS, Metric
from kagglekit.tasks import TargetTask

# Metrics whose value changes smoothly with the predictions: weights can be optimised on them
# directly. The others (accuracy, F1, MCC, QWK: piecewise constant in the predictions; AUC: a
# function of their order) are optimised through a smooth proxy, see :func:`proxy_metric`.
SMOOTH_METRICS = frozenset({"log_loss", "rmse", "rmsle", "mse", "mae", "r2"})


def as_2d(predictions: np.ndarray) -> np.ndarray:
    return np.asarray(predictions, dtype="float64").reshape(len(predictions), -1)


def proxy_metric(metric: Metric, task: TargetTask) -> Metric:
    """The metric itself when it is smooth, else the task's smooth proxy (log-loss for
    classification, MSE for regression)."""
    if metric.name in SMOOTH_METRICS:
        return metric
    return METRICS[task.proxy_metric]


@dataclass(frozen=True)
class Problem:
    """The truth of some validated rows and how predictions of them are scored."""

    truth: np.ndarray
    task: TargetTask
    metric: Metric

    @property
    def is_smooth(self) -> bool:
        return self.metric.name in SMOOTH_METRICS

    def score(self, predictions: np.ndarray) -> float:
        """The competition metric of 2-D predictions of these rows."""
        return self.task.score(self.metric, self.truth, self.task.from_columns(predictions))

    def loss(self, predictions: np.ndarray) -> float:
        """The metric turned into something to minimise."""
        value = self.score(predictions)
        return -value if self.metric.greater_is_better else value

    def proxy_loss(self, predictions: np.ndarray) -> float:
        """A smooth loss to minimise: the metric when smooth, else log-loss or MSE."""
        proxy = proxy_metric(self.metric, self.task)
        value = self.task.score(proxy, self.truth, self.task.from_columns(predictions))
        return -value if proxy.greater_is_better else value

    def rows(self, index: np.ndarray) -> Problem:
        return Problem(self.truth[index], self.task, self.metric)
