"""Task objects for encoded truth made up in a test (no target frame to fit them on)."""

from __future__ import annotations

import numpy as np

from kagglekit.competition import Task
from kagglekit.metrics import Metric, get_metric
from kagglekit.tasks import (
    BinaryTask,
    MulticlassTask,
    MultilabelTask,
    RegressionTask,
    TargetTask,
)


def task_for(kind: Task, y: np.ndarray, threshold: float = 0.5, n_classes: int = 0) -> TargetTask:
    """The task of ``kind`` whose encoded truth looks like ``y`` (classes ``0..k-1``)."""
    width = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    columns = tuple(f"t{j}" for j in range(width))
    if kind is Task.BINARY:
        return BinaryTask(columns=columns, threshold=threshold, classes=(0, 1))
    if kind is Task.MULTICLASS:
        k = max(n_classes, int(np.max(y)) + 1)
        return MulticlassTask(columns=columns, threshold=threshold, classes=tuple(range(k)))
    if kind is Task.MULTILABEL:
        return MultilabelTask(columns=columns, threshold=threshold)
    return RegressionTask(columns=columns, threshold=threshold)


def score(
    metric: str | Metric, y: np.ndarray, p: np.ndarray, kind: Task, threshold: float = 0.5
) -> float:
    """``metric`` of ``p`` as the task of ``kind`` scores it."""
    n_classes = np.shape(p)[1] if kind is Task.MULTICLASS else 0
    task = task_for(kind, y, threshold, n_classes)
    return task.score(get_metric(metric), y, p)
