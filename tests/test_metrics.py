"""Competition metrics agree with scikit-learn and know their direction."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from kagglekit.competition import Task
from kagglekit.metrics import METRICS, Metric, get_metric
from tests.tasks.helpers import score

Y_BIN = np.array([0, 1, 1, 0, 1, 0])
P_BIN = np.array([0.2, 0.7, 0.4, 0.6, 0.9, 0.1])
LABELS_BIN = np.array([0, 1, 0, 1, 1, 0])  # P_BIN >= 0.5

Y_MC = np.array([0, 2, 1, 2, 0])
P_MC = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.1, 0.3, 0.6],
        [0.2, 0.3, 0.5],
        [0.1, 0.1, 0.8],
        [0.3, 0.4, 0.3],
    ]
)
LABELS_MC = np.array([0, 2, 2, 2, 1])

Y_ML = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
P_ML = np.array([[0.8, 0.3], [0.4, 0.6], [0.7, 0.2], [0.1, 0.9]])

Y_REG = np.array([3.0, 5.0, 2.5, 7.0])
P_REG = np.array([2.5, 5.0, 4.0, 8.0])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accuracy", skm.accuracy_score(Y_BIN, LABELS_BIN)),
        ("balanced_accuracy", skm.balanced_accuracy_score(Y_BIN, LABELS_BIN)),
        ("f1", skm.f1_score(Y_BIN, LABELS_BIN)),
        ("mcc", skm.matthews_corrcoef(Y_BIN, LABELS_BIN)),
        ("roc_auc", skm.roc_auc_score(Y_BIN, P_BIN)),
        ("log_loss", skm.log_loss(Y_BIN, P_BIN)),
    ],
)
def test_binary_metrics_match_sklearn(name, expected):
    assert score(name, Y_BIN, P_BIN, Task.BINARY) == pytest.approx(expected)


def test_hand_computed_binary_values():
    # 4 of 6 right at threshold 0.5
    assert score("accuracy", Y_BIN, P_BIN, Task.BINARY) == pytest.approx(4 / 6)
    # pairs (pos, neg) ranked right: 8 of 9 (only 0.4 < 0.6 is wrong)
    assert score("roc_auc", Y_BIN, P_BIN, Task.BINARY) == pytest.approx(8 / 9)


def test_binary_threshold_is_applied():
    accuracy = get_metric("accuracy")
    # at 0.35 the 0.4 positive becomes right, nothing else changes
    assert score(accuracy, Y_BIN, P_BIN, Task.BINARY, 0.35) == pytest.approx(5 / 6)
    assert score(accuracy, Y_BIN, P_BIN, Task.BINARY, 0.95) == pytest.approx(3 / 6)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accuracy", skm.accuracy_score(Y_MC, LABELS_MC)),
        ("f1_macro", skm.f1_score(Y_MC, LABELS_MC, average="macro")),
        ("f1_micro", skm.f1_score(Y_MC, LABELS_MC, average="micro")),
        ("qwk", skm.cohen_kappa_score(Y_MC, LABELS_MC, weights="quadratic")),
        ("log_loss", skm.log_loss(Y_MC, P_MC)),
        ("roc_auc", skm.roc_auc_score(Y_MC, P_MC, multi_class="ovr")),
    ],
)
def test_multiclass_metrics_match_sklearn(name, expected):
    assert score(name, Y_MC, P_MC, Task.MULTICLASS) == pytest.approx(expected)


def test_multiclass_accuracy_uses_argmax():
    assert score("accuracy", Y_MC, P_MC, Task.MULTICLASS) == pytest.approx(3 / 5)


def test_multiclass_log_loss_renormalises_rows():
    unnormalised = P_MC * 0.5  # rows sum to 0.5
    assert score("log_loss", Y_MC, unnormalised, Task.MULTICLASS) == pytest.approx(
        skm.log_loss(Y_MC, P_MC)
    )


def test_multiclass_log_loss_knows_classes_absent_from_the_truth():
    y = np.array([0, 0, 1])
    p = np.array([[0.6, 0.3, 0.1], [0.5, 0.3, 0.2], [0.2, 0.7, 0.1]])
    expected = skm.log_loss(y, p, labels=[0, 1, 2])
    assert score("log_loss", y, p, Task.MULTICLASS) == pytest.approx(expected)


def test_multilabel_metrics_match_sklearn():
    labels = (P_ML >= 0.5).astype(int)
    assert score("roc_auc", Y_ML, P_ML, Task.MULTILABEL) == pytest.approx(
        skm.roc_auc_score(Y_ML, P_ML, average="macro")
    )
    assert score("f1_macro", Y_ML, P_ML, Task.MULTILABEL) == pytest.approx(
        skm.f1_score(Y_ML, labels, average="macro")
    )
    per_column = [skm.log_loss(Y_ML[:, j], P_ML[:, j]) for j in range(Y_ML.shape[1])]
    assert score("log_loss", Y_ML, P_ML, Task.MULTILABEL) == pytest.approx(np.mean(per_column))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rmse", np.sqrt(skm.mean_squared_error(Y_REG, P_REG))),
        ("mse", skm.mean_squared_error(Y_REG, P_REG)),
        ("mae", skm.mean_absolute_error(Y_REG, P_REG)),
        ("r2", skm.r2_score(Y_REG, P_REG)),
        ("rmsle", np.sqrt(skm.mean_squared_log_error(Y_REG, P_REG))),
    ],
)
def test_regression_metrics_match_sklearn(name, expected):
    assert score(name, Y_REG, P_REG, Task.REGRESSION) == pytest.approx(expected)


def test_hand_computed_rmse():
    # errors 0.5, 0, 1.5, 1 -> mean square 3.5 / 4
    assert score("rmse", Y_REG, P_REG, Task.REGRESSION) == pytest.approx(np.sqrt(0.875))


def test_log_loss_clips_certain_mistakes():
    value = score("log_loss", np.array([1, 0]), np.array([0.0, 1.0]), Task.BINARY)
    assert np.isfinite(value)
    assert value > 30


def test_rmsle_refuses_values_below_minus_one():
    with pytest.raises(ValueError, match="rmsle needs values > -1"):
        score("rmsle", np.array([1.0]), np.array([-2.0]), Task.REGRESSION)


@pytest.mark.parametrize("name", ["accuracy", "f1", "qwk"])
def test_label_metrics_refuse_regression(name):
    with pytest.raises(ValueError, match="regression task has none"):
        score(name, Y_REG, P_REG, Task.REGRESSION)


@pytest.mark.parametrize("name", ["roc_auc", "log_loss"])
def test_probability_metrics_refuse_regression(name):
    with pytest.raises(ValueError, match="needs probabilities"):
        score(name, Y_REG, P_REG, Task.REGRESSION)


MAXIMISED = {
    "accuracy",
    "balanced_accuracy",
    "f1",
    "f1_macro",
    "f1_micro",
    "mcc",
    "qwk",
    "roc_auc",
    "r2",
}
MINIMISED = {"log_loss", "rmse", "rmsle", "mse", "mae"}


def test_every_metric_has_the_right_direction():
    assert set(METRICS) == MAXIMISED | MINIMISED
    for name in MAXIMISED:
        assert METRICS[name].greater_is_better, name
        assert METRICS[name].direction == "maximize"
        assert METRICS[name].is_better(0.9, 0.8)
    for name in MINIMISED:
        assert not METRICS[name].greater_is_better, name
        assert METRICS[name].direction == "minimize"
        assert METRICS[name].is_better(0.1, 0.2)
        assert not METRICS[name].is_better(0.2, 0.2)


def test_better_predictions_score_better_in_the_metrics_direction():
    good = np.where(Y_BIN == 1, 0.9, 0.1)
    for name in ("accuracy", "roc_auc", "log_loss", "mcc"):
        metric = get_metric(name)
        assert metric.is_better(
            score(metric, Y_BIN, good, Task.BINARY), score(metric, Y_BIN, P_BIN, Task.BINARY)
        )


def test_unknown_metric_suggests_close_names():
    with pytest.raises(ValueError) as info:
        get_metric("acuracy")
    message = str(info.value)
    assert "Unknown metric 'acuracy'" in message
    assert "Did you mean ['accuracy'" in message
    assert "Known metrics:" in message
    assert "'rmse'" in message


def test_unknown_metric_without_close_name_gives_no_hint():
    with pytest.raises(ValueError) as info:
        get_metric("zzzzzz")
    assert "Did you mean" not in str(info.value)


def test_a_metric_object_is_passed_through():
    custom = Metric("neg_max_error", lambda y, p: -float(np.max(np.abs(y - p))), True)
    assert get_metric(custom) is custom
    assert score(custom, Y_REG, P_REG, Task.REGRESSION) == pytest.approx(-1.5)
