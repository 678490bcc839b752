"""Task objects: one per task type, fitted on the training targets.

``make_task(Task.BINARY, targets, ...)`` (or :func:`task_of` for a competition spec) gives the
object that encodes the targets, names the output heads and their default loss, turns
predictions into submission values and columns, prepares what a metric scores (labels or
scores) and tells blends how to keep their output valid predictions.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kagglekit.competition import CompetitionSpec, Heads, Task
from kagglekit.tasks.base import TargetError, TargetTask
from kagglekit.tasks.binary import BinaryTask
from kagglekit.tasks.multiclass import MulticlassTask
from kagglekit.tasks.multilabel import MultilabelTask
from kagglekit.tasks.regression import RegressionTask
from kagglekit.tasks.single_label import SingleLabelTask

__all__ = [
    "TASKS",
    "BinaryTask",
    "MulticlassTask",
    "MultilabelTask",
    "RegressionTask",
    "SingleLabelTask",
    "TargetError",
    "TargetTask",
    "make_task",
    "task_of",
]

TASKS: dict[Task, type[TargetTask]] = {
    t.kind: t for t in (BinaryTask, MulticlassTask, MultilabelTask, RegressionTask)
}


def make_task(
    kind: Task | str,
    targets: pd.DataFrame,
    *,
    positive_label: Any = None,
    transform: str = "none",
    threshold: float = 0.5,
    heads: Heads = "single",
) -> TargetTask:
    """The task object of ``kind`` fitted on the training ``targets`` (one column per target)."""
    return TASKS[Task.parse(kind)].fit(
        targets,
        positive_label=positive_label,
        transform=transform,
        threshold=threshold,
        heads=heads,
    )


def task_of(spec: CompetitionSpec, targets: pd.DataFrame) -> TargetTask:
    """The competition's task fitted on its training targets."""
    return make_task(
        spec.task,
        targets,
        positive_label=spec.positive_label,
        transform=spec.target_transform,
        threshold=spec.threshold,
        heads=spec.heads,
    )
