"""kagglekit.checks: task/metric/loss/fold cross-checks (fast, no training)."""

from __future__ import annotations

import pytest

from kagglekit.checks import check_fold_selection, check_loss, check_metric, closest_first
from kagglekit.competition import Task
from kagglekit.errors import ConfigError
from kagglekit.metrics import METRICS, get_metric
from kagglekit.models.specs import OutputSpec

SIGMOID = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
SOFTMAX = [OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")]
LINEAR = [OutputSpec("output", 1, "linear", "mean_squared_error")]


@pytest.mark.parametrize(
    ("loss", "outputs", "task"),
    [
        (None, SIGMOID, Task.BINARY),
        ("binary_crossentropy", SIGMOID, Task.BINARY),
        ("binary_focal_crossentropy", SIGMOID, Task.MULTILABEL),
        ("sparse_categorical_crossentropy", SOFTMAX, Task.MULTICLASS),
        ("mse", LINEAR, Task.REGRESSION),
        ("huber", LINEAR, Task.REGRESSION),
        ({"output": "mae"}, LINEAR, Task.REGRESSION),
    ],
)
def test_fitting_losses_pass(loss: object, outputs: list[OutputSpec], task: Task) -> None:
    check_loss(loss, outputs, task)


@pytest.mark.parametrize(
    ("loss", "outputs", "task", "instead"),
    [
        ("categorical_crossentropy", SIGMOID, Task.BINARY, "binary_crossentropy"),
        ("sparse_categorical_crossentropy", SIGMOID, Task.BINARY, "binary_crossentropy"),
        ("categorical_crossentropy", SOFTMAX, Task.MULTICLASS, "sparse_categorical_crossentropy"),
        ("binary_crossentropy", SOFTMAX, Task.MULTICLASS, "sparse_categorical_crossentropy"),
        ("binary_crossentropy", LINEAR, Task.REGRESSION, "mean_squared_error"),
        ({"output": "hinge"}, LINEAR, Task.REGRESSION, "mean_squared_error"),
    ],
)
def test_losses_that_do_not_fit_the_head_are_refused(
    loss: object, outputs: list[OutputSpec], task: Task, instead: str
) -> None:
    with pytest.raises(ConfigError, match=f"does not fit a {task.value} task") as info:
        check_loss(loss, outputs, task)
    assert f"={instead}" in str(info.value)


def test_an_unknown_loss_lists_the_valid_ones_closest_first() -> None:
    with pytest.raises(ConfigError) as info:
        check_loss("mean_sqared_error", LINEAR, Task.REGRESSION)
    message = str(info.value)
    assert "trainer.loss='mean_sqared_error' is not a Keras loss" in message
    assert "(closest first): ['mean_squared_error'" in message and "'huber'" in message


def test_every_metric_names_the_tasks_it_scores() -> None:
    assert all(m.tasks for m in METRICS.values())
    check_metric(get_metric("rmse"), Task.REGRESSION)
    check_metric(get_metric("roc_auc"), Task.MULTILABEL)
    with pytest.raises(ConfigError, match="'f1' does not fit a multiclass task"):
        check_metric(get_metric("f1"), Task.MULTICLASS)


@pytest.mark.parametrize("selected", [None, [0], [1, 0]])
def test_existing_folds_pass(selected: list[int] | None) -> None:
    check_fold_selection(selected, 2)


@pytest.mark.parametrize("selected", [[], [2], [-1], [0, 5]])
def test_folds_that_do_not_exist_are_refused(selected: list[int]) -> None:
    with pytest.raises(ConfigError, match=r"the valid fold numbers are \[0, 1\]"):
        check_fold_selection(selected, 2)


def test_closest_first() -> None:
    assert closest_first("acuracy", ["rmse", "accuracy", "mae"])[0] == "accuracy"
