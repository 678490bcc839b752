"""One task object per task type: encoding round trips, submission columns, scoring, blending."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from kagglekit.competition import HEADS, Task, check_heads
from kagglekit.metrics import get_metric
from kagglekit.tasks import (
    TASKS,
    BinaryTask,
    MulticlassTask,
    MultilabelTask,
    RegressionTask,
    make_task,
)


def test_every_task_type_has_its_class():
    assert set(TASKS) == set(Task)
    for kind, cls in TASKS.items():
        assert cls.kind is kind


def test_make_task_names_the_valid_kinds():
    with pytest.raises(ValueError, match="Unknown task 'ranking'; expected one of: binary"):
        make_task("ranking", pd.DataFrame({"y": [0, 1]}))


def test_heads_are_checked_in_one_place():
    assert HEADS == ("single", "per_target")
    with pytest.raises(ValueError, match="heads='many'; expected 'single'"):
        check_heads("many")
    with pytest.raises(ValueError, match="heads='many'; expected 'single'"):
        RegressionTask(columns=("y",), heads="many")  # type: ignore[arg-type]


# -- binary -----------------------------------------------------------------------------------

BINARY = pd.DataFrame({"Survived": ["no", "yes", "yes", "no", "yes"]})


def test_binary_round_trip_and_files():
    task = make_task(Task.BINARY, BINARY, threshold=0.5)
    assert isinstance(task, BinaryTask)
    y = task.encode(BINARY)
    # the model's perfect (n, 1) output comes back as the same labels
    predictions = task.to_predictions(y.reshape(-1, 1))
    assert predictions.shape == (5,)
    assert task.labels(predictions).tolist() == BINARY["Survived"].tolist()
    assert task.prediction_columns() == ["pred_yes"]
    assert task.dummy_predictions(3).shape == (3,)
    assert task.submission_labels("label") == ("no", "yes")
    assert task.submission_labels("probability") is None
    values = task.submission_values(np.array([0.2, 0.7]), ["Survived"], "label")
    assert values["Survived"].tolist() == ["no", "yes"]


def test_binary_metrics_get_labels_or_scores():
    task = BinaryTask(columns=("y",), threshold=0.3, classes=(0, 1))
    y, p = np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.1, 0.35, 0.8, 0.6])
    truth, labels = task.metric_inputs(get_metric("accuracy"), y, p)
    assert labels.tolist() == [0, 1, 1, 1]  # the threshold, not 0.5
    assert truth.dtype.kind == "i"
    assert task.score(get_metric("accuracy"), y, p) == pytest.approx(0.75)
    assert task.score(get_metric("roc_auc"), y, p) == pytest.approx(skm.roc_auc_score(y, p))


def test_binary_blends_stay_probabilities():
    task = BinaryTask(columns=("y",), classes=(0, 1))
    blend = np.array([[-0.2], [0.4], [1.3]])
    assert task.valid_blend(blend)[:, 0].tolist() == [0.0, 0.4, 1.0]
    assert task.from_columns(blend).shape == (3,)
    assert (task.level2, task.proxy_metric, task.stacks_jointly) == ("logistic", "log_loss", False)


# -- multiclass -------------------------------------------------------------------------------

MULTICLASS = pd.DataFrame({"digit": [3, 1, 2, 1, 3]})


def test_multiclass_round_trip_and_files():
    task = make_task(Task.MULTICLASS, MULTICLASS)
    assert isinstance(task, MulticlassTask)
    y = task.encode(MULTICLASS)
    one_hot = np.eye(3)[y]
    assert task.labels(task.to_predictions(one_hot)).tolist() == MULTICLASS["digit"].tolist()
    assert task.prediction_columns() == ["pred_1", "pred_2", "pred_3"]
    dummy = task.dummy_predictions(2)
    assert dummy.shape == (2, 3)
    assert dummy.sum(axis=1) == pytest.approx([1.0, 1.0])
    values = task.submission_values(one_hot, ["c1", "c2", "c3"], "probability")
    assert values.to_numpy().tolist() == one_hot.tolist()


def test_multiclass_metrics_score_argmax_or_probabilities():
    task = MulticlassTask(columns=("y",), classes=(0, 1, 2))
    y = np.array([0, 2, 1])
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1]])
    assert task.score(get_metric("accuracy"), y, p) == pytest.approx(2 / 3)
    assert task.score(get_metric("log_loss"), y, p) == pytest.approx(skm.log_loss(y, p))


def test_multiclass_blends_are_rows_of_probabilities():
    task = MulticlassTask(columns=("y",), classes=("a", "b", "c"))
    blend = np.array([[0.5, 0.5, 0.5], [1.2, -0.1, 0.0]])
    valid = task.valid_blend(blend)
    assert valid.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert (valid > 0).all()
    assert valid[0] == pytest.approx([1 / 3] * 3)
    assert task.truth_columns(np.array([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert task.stacks_jointly


# -- multilabel -------------------------------------------------------------------------------

MULTILABEL = pd.DataFrame({"toxic": [1, 0, 1], "insult": [0, 0, 1]})


def test_multilabel_round_trip_and_files():
    task = make_task(Task.MULTILABEL, MULTILABEL, threshold=0.5)
    assert isinstance(task, MultilabelTask)
    y = task.encode(MULTILABEL)
    assert task.labels(task.to_predictions(y)).tolist() == MULTILABEL.to_numpy().tolist()
    assert task.prediction_columns() == ["pred_toxic", "pred_insult"]
    assert task.submission_labels("label") == (0, 1)
    assert task.dummy_predictions(4).shape == (4, 2)


def test_multilabel_metrics_score_each_label():
    task = MultilabelTask(columns=("a", "b"))
    y = np.array([[1, 0], [0, 1], [1, 1]])
    p = np.array([[0.9, 0.2], [0.4, 0.6], [0.7, 0.3]])
    f1 = skm.f1_score(y, (p >= 0.5).astype(int), average="micro")
    assert task.score(get_metric("f1_micro"), y, p) == pytest.approx(f1)
    assert task.score(get_metric("roc_auc"), y, p) == pytest.approx(
        skm.roc_auc_score(y, p, average="macro")
    )


def test_multilabel_blends_are_clipped_per_label():
    task = MultilabelTask(columns=("a", "b"))
    assert task.valid_blend(np.array([[1.5, -0.5]])).tolist() == [[1.0, 0.0]]
    assert not task.stacks_jointly


# -- regression -------------------------------------------------------------------------------

PRICES = pd.DataFrame({"price": [100.0, 250.0, 80.0]})


def test_regression_log1p_round_trip_and_files():
    task = make_task(Task.REGRESSION, PRICES, transform="log1p")
    assert isinstance(task, RegressionTask)
    y = task.encode(PRICES)
    assert y[:, 0] == pytest.approx(np.log1p(PRICES["price"]))
    # the model predicts on the log scale; predictions and submission are prices again
    predictions = task.to_predictions(y)
    assert predictions[:, 0] == pytest.approx(PRICES["price"], rel=1e-5)
    values = task.submission_values(predictions, ["SalePrice"], "value")
    assert list(values.columns) == ["SalePrice"]
    assert task.prediction_columns() == ["pred_price"]
    assert task.submission_labels("value") is None
    (head,) = task.outputs(y)
    assert head.bias == pytest.approx((float(np.mean(y)),))


def test_regression_oof_is_scored_on_the_original_scale():
    task = make_task(Task.REGRESSION, PRICES, transform="log1p")
    y = task.encode(PRICES)
    predictions = PRICES.to_numpy() + 10.0
    rmse = task.score_encoded(get_metric("rmse"), y, predictions)
    assert rmse == pytest.approx(10.0, rel=1e-5)


def test_regression_refuses_label_and_probability_metrics():
    task = RegressionTask(columns=("y",))
    y = p = np.ones((2, 1))
    with pytest.raises(ValueError, match="accuracy needs class labels; a regression task has none"):
        task.score(get_metric("accuracy"), y, p)
    with pytest.raises(ValueError, match="log_loss needs probabilities"):
        task.score(get_metric("log_loss"), y, p)


def test_regression_blends_are_left_as_they_are():
    task = RegressionTask(columns=("y",), transform="log1p")
    blend = np.array([[-3.0], [1e6]])
    assert task.valid_blend(blend).tolist() == blend.tolist()
    assert task.from_columns(blend).tolist() == blend.tolist()  # no second expm1
    assert (task.level2, task.proxy_metric) == ("ridge", "mse")
