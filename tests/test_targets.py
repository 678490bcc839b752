"""Task objects: targets -> Keras arrays -> predictions -> submission columns, per task."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kagglekit.competition import Task
from kagglekit.tasks import TargetTask, make_task

# -- binary -----------------------------------------------------------------------------------


def test_binary_string_labels_with_positive_label():
    targets = pd.DataFrame({"Transported": ["yes", "no", "no", "yes"]})
    task = make_task(Task.BINARY, targets, positive_label="no")
    # the positive label is class 1, whatever its sort order
    assert task.classes == ("yes", "no")
    y = task.encode(targets)
    assert y.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert y.dtype == np.float32
    (head,) = task.outputs()
    assert (head.units, head.activation, head.loss) == (1, "sigmoid", "binary_crossentropy")

    predictions = task.to_predictions(np.array([[0.9], [0.2], [0.5]]))
    assert predictions.shape == (3,)
    assert task.labels(predictions).tolist() == ["no", "yes", "no"]
    labels = task.submission_values(predictions, ["Transported"], "label")
    assert labels["Transported"].tolist() == ["no", "yes", "no"]
    probabilities = task.submission_values(predictions, ["Transported"], "probability")
    assert probabilities["Transported"].tolist() == [0.9, 0.2, 0.5]


def test_binary_default_positive_is_the_larger_label():
    targets = pd.DataFrame({"Survived": [1, 0, 1]})
    task = make_task(Task.BINARY, targets)
    assert task.classes == (0, 1)
    assert task.encode(targets).tolist() == [1.0, 0.0, 1.0]
    assert all(type(c) is int for c in task.classes)


def test_binary_threshold_moves_labels():
    task = make_task(Task.BINARY, pd.DataFrame({"y": [0, 1]}), threshold=0.8)
    assert task.labels(np.array([0.7, 0.8, 0.9])).tolist() == [0, 1, 1]


def test_binary_booleans():
    targets = pd.DataFrame({"Transported": [True, False, True]})
    task = make_task(Task.BINARY, targets)
    assert task.classes == (False, True)
    assert task.encode(targets).tolist() == [1.0, 0.0, 1.0]
    assert task.labels(np.array([0.9, 0.1])).tolist() == [True, False]


def test_binary_needs_two_classes():
    with pytest.raises(ValueError, match="must have 2 classes, found 3"):
        make_task(Task.BINARY, pd.DataFrame({"y": [0, 1, 2]}))


def test_positive_label_must_be_a_target_value():
    with pytest.raises(ValueError, match="positive_label='maybe' is not a value of target 'y'"):
        make_task(Task.BINARY, pd.DataFrame({"y": ["yes", "no"]}), positive_label="maybe")


def test_encoding_an_unknown_label_is_refused():
    task = make_task(Task.BINARY, pd.DataFrame({"y": ["a", "b"]}))
    with pytest.raises(ValueError, match="label outside"):
        task.encode(pd.DataFrame({"y": ["a", "c"]}))


# -- multiclass -------------------------------------------------------------------------------


@pytest.fixture
def multiclass() -> tuple[TargetTask, pd.DataFrame]:
    targets = pd.DataFrame({"species": ["virginica", "setosa", "versicolor", "setosa"]})
    return make_task(Task.MULTICLASS, targets), targets


P3 = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])


def test_multiclass_encoding_and_head(multiclass):
    task, targets = multiclass
    assert task.classes == ("setosa", "versicolor", "virginica")
    y = task.encode(targets)
    assert y.tolist() == [2, 0, 1, 0]
    assert y.dtype == np.int32
    (head,) = task.outputs()
    assert (head.units, head.activation, head.loss) == (
        3,
        "softmax",
        "sparse_categorical_crossentropy",
    )


def test_multiclass_integer_classes_sort_numerically():
    task = make_task(Task.MULTICLASS, pd.DataFrame({"digit": [10, 2, 1, 2]}))
    assert task.classes == (1, 2, 10)


def test_multiclass_labels_are_the_argmax_class(multiclass):
    task, _ = multiclass
    assert task.labels(P3).tolist() == ["virginica", "setosa"]
    values = task.submission_values(P3, ["species"], "label")
    assert values["species"].tolist() == ["virginica", "setosa"]


def test_multiclass_probability_columns_follow_sorted_classes(multiclass):
    task, _ = multiclass
    values = task.submission_values(P3, ["Class_1", "Class_2", "Class_3"], "probability")
    assert list(values.columns) == ["Class_1", "Class_2", "Class_3"]
    assert values.to_numpy().tolist() == P3.tolist()


def test_multiclass_class_columns_map_columns_to_classes(multiclass):
    task, _ = multiclass
    mapping = {"v": "virginica", "s": "setosa", "c": "versicolor"}
    values = task.submission_values(P3, ["v", "s", "c"], "probability", class_columns=mapping)
    assert values["v"].tolist() == [0.7, 0.1]
    assert values["s"].tolist() == [0.1, 0.8]
    assert values["c"].tolist() == [0.2, 0.1]


def test_multiclass_class_columns_with_unknown_class_are_refused(multiclass):
    task, _ = multiclass
    mapping = {"a": "setosa", "b": "versicolor", "c": "rose"}
    with pytest.raises(ValueError, match=r"unknown class\(es\) \['rose'\]"):
        task.submission_values(P3, ["a", "b", "c"], "probability", class_columns=mapping)


def test_multiclass_probability_column_count_must_match(multiclass):
    task, _ = multiclass
    with pytest.raises(ValueError, match=r"2 prediction column\(s\).*3 class probability"):
        task.submission_values(P3, ["a", "b"], "probability")


def test_multiclass_needs_two_classes():
    with pytest.raises(ValueError, match="single class"):
        make_task(Task.MULTICLASS, pd.DataFrame({"y": ["a", "a"]}))


# -- multilabel -------------------------------------------------------------------------------


def test_multilabel_round_trip():
    targets = pd.DataFrame({"toxic": [0, 1, 1], "insult": [1, 0, 1]})
    task = make_task(Task.MULTILABEL, targets, threshold=0.6)
    assert task.columns == ("toxic", "insult")
    y = task.encode(targets)
    assert y.tolist() == [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y.dtype == np.float32
    (head,) = task.outputs()
    assert (head.units, head.activation, head.loss) == (2, "sigmoid", "binary_crossentropy")

    predictions = task.to_predictions(np.array([[0.7, 0.5], [0.1, 0.95]]))
    assert task.labels(predictions).tolist() == [[1, 0], [0, 1]]
    labels = task.submission_values(predictions, ["toxic", "insult"], "label")
    assert labels.to_numpy().tolist() == [[1, 0], [0, 1]]
    probabilities = task.submission_values(predictions, ["toxic", "insult"], "probability")
    assert probabilities.to_numpy().tolist() == [[0.7, 0.5], [0.1, 0.95]]


def test_multilabel_targets_must_be_zero_one():
    with pytest.raises(ValueError, match=r"column\(s\) \['b'\]"):
        make_task(Task.MULTILABEL, pd.DataFrame({"a": [0, 1], "b": [0, 2]}))


def test_multilabel_submission_column_count_must_match():
    task = make_task(Task.MULTILABEL, pd.DataFrame({"a": [0, 1], "b": [1, 0]}))
    with pytest.raises(ValueError, match="multilabel target"):
        task.submission_values(np.zeros((1, 2)), ["a"], "probability")


# -- regression -------------------------------------------------------------------------------


def test_regression_log1p_round_trip():
    targets = pd.DataFrame({"SalePrice": [0.0, 9.0, 99.0, 181500.0]})
    task = make_task(Task.REGRESSION, targets, transform="log1p")
    y = task.encode(targets)
    assert y.shape == (4, 1)
    assert y[:, 0] == pytest.approx(np.log1p(targets["SalePrice"].to_numpy()), rel=1e-6)
    # a perfect model predicts y; predictions come back on the original scale
    predictions = task.to_predictions(y)
    assert predictions[:, 0] == pytest.approx(targets["SalePrice"].to_numpy(), rel=1e-5)
    assert task.encoded_truth(y)[:, 0] == pytest.approx(targets["SalePrice"].to_numpy(), rel=1e-5)
    values = task.submission_values(predictions, ["SalePrice"], "value")
    assert values["SalePrice"].to_numpy() == pytest.approx([0.0, 9.0, 99.0, 181500.0], rel=1e-5)
    (head,) = task.outputs()
    assert (head.units, head.activation, head.loss) == (1, "linear", "mean_squared_error")


def test_regression_without_transform_is_identity():
    targets = pd.DataFrame({"a": [1.5, -2.0], "b": [3.0, 4.0]})
    task = make_task(Task.REGRESSION, targets)
    y = task.encode(targets)
    assert y.tolist() == [[1.5, 3.0], [-2.0, 4.0]]
    assert task.to_predictions(y).tolist() == y.tolist()
    assert task.outputs()[0].units == 2
    assert task.n_classes == 0


def test_log1p_refuses_targets_at_or_below_minus_one():
    with pytest.raises(ValueError, match="log1p needs targets > -1"):
        make_task(Task.REGRESSION, pd.DataFrame({"y": [1.0, -1.0]}), transform="log1p")


def test_regression_has_no_labels():
    task = make_task(Task.REGRESSION, pd.DataFrame({"y": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="no labels"):
        task.labels(np.array([[1.0]]))


def test_regression_submission_column_count_must_match():
    task = make_task(Task.REGRESSION, pd.DataFrame({"y": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="regression target"):
        task.submission_values(np.zeros((2, 1)), ["y", "z"], "value")
