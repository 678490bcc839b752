"""TargetCodec: targets -> Keras arrays -> predictions -> submission columns, per task."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kagglekit.competition import Task
from kagglekit.targets import TargetCodec

# -- binary -----------------------------------------------------------------------------------


def test_binary_string_labels_with_positive_label():
    targets = pd.DataFrame({"Transported": ["yes", "no", "no", "yes"]})
    codec = TargetCodec.fit(Task.BINARY, targets, positive_label="no")
    # the positive label is class 1, whatever its sort order
    assert codec.classes == ("yes", "no")
    y = codec.encode(targets)
    assert y.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert y.dtype == np.float32
    (head,) = codec.outputs()
    assert (head.units, head.activation, head.loss) == (1, "sigmoid", "binary_crossentropy")

    predictions = codec.to_predictions(np.array([[0.9], [0.2], [0.5]]))
    assert predictions.shape == (3,)
    assert codec.labels(predictions).tolist() == ["no", "yes", "no"]
    labels = codec.submission_values(predictions, ["Transported"], "label")
    assert labels["Transported"].tolist() == ["no", "yes", "no"]
    probabilities = codec.submission_values(predictions, ["Transported"], "probability")
    assert probabilities["Transported"].tolist() == [0.9, 0.2, 0.5]


def test_binary_default_positive_is_the_larger_label():
    targets = pd.DataFrame({"Survived": [1, 0, 1]})
    codec = TargetCodec.fit(Task.BINARY, targets)
    assert codec.classes == (0, 1)
    assert codec.encode(targets).tolist() == [1.0, 0.0, 1.0]
    assert all(type(c) is int for c in codec.classes)


def test_binary_threshold_moves_labels():
    codec = TargetCodec.fit(Task.BINARY, pd.DataFrame({"y": [0, 1]}), threshold=0.8)
    assert codec.labels(np.array([0.7, 0.8, 0.9])).tolist() == [0, 1, 1]


def test_binary_booleans():
    targets = pd.DataFrame({"Transported": [True, False, True]})
    codec = TargetCodec.fit(Task.BINARY, targets)
    assert codec.classes == (False, True)
    assert codec.encode(targets).tolist() == [1.0, 0.0, 1.0]
    assert codec.labels(np.array([0.9, 0.1])).tolist() == [True, False]


def test_binary_needs_two_classes():
    with pytest.raises(ValueError, match="must have 2 classes, found 3"):
        TargetCodec.fit(Task.BINARY, pd.DataFrame({"y": [0, 1, 2]}))


def test_positive_label_must_be_a_target_value():
    with pytest.raises(ValueError, match="positive_label='maybe' is not a value of target 'y'"):
        TargetCodec.fit(Task.BINARY, pd.DataFrame({"y": ["yes", "no"]}), positive_label="maybe")


def test_encoding_an_unknown_label_is_refused():
    codec = TargetCodec.fit(Task.BINARY, pd.DataFrame({"y": ["a", "b"]}))
    with pytest.raises(ValueError, match="label outside"):
        codec.encode(pd.DataFrame({"y": ["a", "c"]}))


# -- multiclass -------------------------------------------------------------------------------


@pytest.fixture
def multiclass() -> tuple[TargetCodec, pd.DataFrame]:
    targets = pd.DataFrame({"species": ["virginica", "setosa", "versicolor", "setosa"]})
    return TargetCodec.fit(Task.MULTICLASS, targets), targets


P3 = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])


def test_multiclass_encoding_and_head(multiclass):
    codec, targets = multiclass
    assert codec.classes == ("setosa", "versicolor", "virginica")
    y = codec.encode(targets)
    assert y.tolist() == [2, 0, 1, 0]
    assert y.dtype == np.int32
    (head,) = codec.outputs()
    assert (head.units, head.activation, head.loss) == (
        3,
        "softmax",
        "sparse_categorical_crossentropy",
    )


def test_multiclass_integer_classes_sort_numerically():
    codec = TargetCodec.fit(Task.MULTICLASS, pd.DataFrame({"digit": [10, 2, 1, 2]}))
    assert codec.classes == (1, 2, 10)


def test_multiclass_labels_are_the_argmax_class(multiclass):
    codec, _ = multiclass
    assert codec.labels(P3).tolist() == ["virginica", "setosa"]
    values = codec.submission_values(P3, ["species"], "label")
    assert values["species"].tolist() == ["virginica", "setosa"]


def test_multiclass_probability_columns_follow_sorted_classes(multiclass):
    codec, _ = multiclass
    values = codec.submission_values(P3, ["Class_1", "Class_2", "Class_3"], "probability")
    assert list(values.columns) == ["Class_1", "Class_2", "Class_3"]
    assert values.to_numpy().tolist() == P3.tolist()


def test_multiclass_class_columns_map_columns_to_classes(multiclass):
    codec, _ = multiclass
    mapping = {"v": "virginica", "s": "setosa", "c": "versicolor"}
    values = codec.submission_values(P3, ["v", "s", "c"], "probability", class_columns=mapping)
    assert values["v"].tolist() == [0.7, 0.1]
    assert values["s"].tolist() == [0.1, 0.8]
    assert values["c"].tolist() == [0.2, 0.1]


def test_multiclass_class_columns_with_unknown_class_are_refused(multiclass):
    codec, _ = multiclass
    mapping = {"a": "setosa", "b": "versicolor", "c": "rose"}
    with pytest.raises(ValueError, match=r"unknown class\(es\) \['rose'\]"):
        codec.submission_values(P3, ["a", "b", "c"], "probability", class_columns=mapping)


def test_multiclass_probability_column_count_must_match(multiclass):
    codec, _ = multiclass
    with pytest.raises(ValueError, match=r"2 prediction column\(s\).*3 class probability"):
        codec.submission_values(P3, ["a", "b"], "probability")


def test_multiclass_needs_two_classes():
    with pytest.raises(ValueError, match="single class"):
        TargetCodec.fit(Task.MULTICLASS, pd.DataFrame({"y": ["a", "a"]}))


# -- multilabel -------------------------------------------------------------------------------


def test_multilabel_round_trip():
    targets = pd.DataFrame({"toxic": [0, 1, 1], "insult": [1, 0, 1]})
    codec = TargetCodec.fit(Task.MULTILABEL, targets, threshold=0.6)
    assert codec.columns == ("toxic", "insult")
    y = codec.encode(targets)
    assert y.tolist() == [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y.dtype == np.float32
    (head,) = codec.outputs()
    assert (head.units, head.activation, head.loss) == (2, "sigmoid", "binary_crossentropy")

    predictions = codec.to_predictions(np.array([[0.7, 0.5], [0.1, 0.95]]))
    assert codec.labels(predictions).tolist() == [[1, 0], [0, 1]]
    labels = codec.submission_values(predictions, ["toxic", "insult"], "label")
    assert labels.to_numpy().tolist() == [[1, 0], [0, 1]]
    probabilities = codec.submission_values(predictions, ["toxic", "insult"], "probability")
    assert probabilities.to_numpy().tolist() == [[0.7, 0.5], [0.1, 0.95]]


def test_multilabel_targets_must_be_zero_one():
    with pytest.raises(ValueError, match=r"column\(s\) \['b'\]"):
        TargetCodec.fit(Task.MULTILABEL, pd.DataFrame({"a": [0, 1], "b": [0, 2]}))


def test_multilabel_submission_column_count_must_match():
    codec = TargetCodec.fit(Task.MULTILABEL, pd.DataFrame({"a": [0, 1], "b": [1, 0]}))
    with pytest.raises(ValueError, match="multilabel target"):
        codec.submission_values(np.zeros((1, 2)), ["a"], "probability")


# -- regression -------------------------------------------------------------------------------


def test_regression_log1p_round_trip():
    targets = pd.DataFrame({"SalePrice": [0.0, 9.0, 99.0, 181500.0]})
    codec = TargetCodec.fit(Task.REGRESSION, targets, transform="log1p")
    y = codec.encode(targets)
    assert y.shape == (4, 1)
    assert y[:, 0] == pytest.approx(np.log1p(targets["SalePrice"].to_numpy()), rel=1e-6)
    # a perfect model predicts y; predictions come back on the original scale
    predictions = codec.to_predictions(y)
    assert predictions[:, 0] == pytest.approx(targets["SalePrice"].to_numpy(), rel=1e-5)
    assert codec.encoded_truth(y)[:, 0] == pytest.approx(targets["SalePrice"].to_numpy(), rel=1e-5)
    values = codec.submission_values(predictions, ["SalePrice"], "value")
    assert values["SalePrice"].to_numpy() == pytest.approx([0.0, 9.0, 99.0, 181500.0], rel=1e-5)
    (head,) = codec.outputs()
    assert (head.units, head.activation, head.loss) == (1, "linear", "mean_squared_error")


def test_regression_without_transform_is_identity():
    targets = pd.DataFrame({"a": [1.5, -2.0], "b": [3.0, 4.0]})
    codec = TargetCodec.fit(Task.REGRESSION, targets)
    y = codec.encode(targets)
    assert y.tolist() == [[1.5, 3.0], [-2.0, 4.0]]
    assert codec.to_predictions(y).tolist() == y.tolist()
    assert codec.outputs()[0].units == 2
    assert codec.classes == ()


def test_log1p_refuses_targets_at_or_below_minus_one():
    with pytest.raises(ValueError, match="log1p needs targets > -1"):
        TargetCodec.fit(Task.REGRESSION, pd.DataFrame({"y": [1.0, -1.0]}), transform="log1p")


def test_regression_has_no_labels():
    codec = TargetCodec.fit(Task.REGRESSION, pd.DataFrame({"y": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="no labels"):
        codec.labels(np.array([[1.0]]))


def test_regression_submission_column_count_must_match():
    codec = TargetCodec.fit(Task.REGRESSION, pd.DataFrame({"y": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="regression target"):
        codec.submission_values(np.zeros((2, 1)), ["y", "z"], "value")
