"""Submission builder/validator: the sample submission is the contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.submission import (
    SubmissionError,
    build_submission,
    validate_submission,
    write_submission,
)

IDS = [892, 893, 894, 895]


@pytest.fixture
def label_sample() -> pd.DataFrame:
    return pd.DataFrame({"PassengerId": IDS, "Survived": [0, 0, 0, 0]})


@pytest.fixture
def proba_sample() -> pd.DataFrame:
    return pd.DataFrame({"id": IDS, "p": [0.5] * 4})


def _proba(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"p": values})


def test_label_submission_matches_the_sample(label_sample):
    values = pd.DataFrame({"Survived": np.array([1, 0, 1, 1], dtype=object)})
    submission = build_submission(
        label_sample, values, kind="label", test_ids=pd.Series(IDS), labels=(0, 1)
    )
    assert list(submission.columns) == ["PassengerId", "Survived"]
    assert submission["PassengerId"].tolist() == IDS
    assert submission["Survived"].tolist() == [1, 0, 1, 1]
    assert submission["Survived"].dtype == np.int64


def test_whole_float_labels_take_the_samples_int_dtype(label_sample):
    values = pd.DataFrame({"Survived": [1.0, 0.0, 1.0, 0.0]})
    submission = build_submission(
        label_sample, values, kind="label", test_ids=pd.Series(IDS), labels=(0, 1)
    )
    assert submission["Survived"].dtype == np.int64
    assert submission["Survived"].tolist() == [1, 0, 1, 0]


def test_shuffled_test_ids_are_matched_by_id(proba_sample):
    test_ids = pd.Series([894, 892, 895, 893])
    values = _proba([0.94, 0.92, 0.95, 0.93])
    submission = build_submission(proba_sample, values, kind="probability", test_ids=test_ids)
    assert submission["id"].tolist() == IDS
    assert submission["p"].tolist() == [0.92, 0.93, 0.94, 0.95]


def test_ids_of_different_types_match_by_text():
    sample = pd.DataFrame({"id": ["1", "2", "3"], "p": [0.0] * 3})
    submission = build_submission(
        sample, _proba([0.3, 0.1, 0.2]), kind="probability", test_ids=pd.Series([3, 1, 2])
    )
    assert submission["id"].tolist() == ["1", "2", "3"]
    assert submission["p"].tolist() == [0.1, 0.2, 0.3]


def test_positional_mode_uses_the_samples_ids(proba_sample):
    submission = build_submission(
        proba_sample, _proba([0.1, 0.2, 0.3, 0.4]), kind="probability", test_ids=None
    )
    assert submission["id"].tolist() == IDS
    assert submission["p"].tolist() == [0.1, 0.2, 0.3, 0.4]


def test_string_labels_are_kept(label_sample):
    sample = pd.DataFrame({"id": [1, 2, 3], "species": ["setosa"] * 3})
    values = pd.DataFrame({"species": np.array(["virginica", "setosa", "versicolor"], object)})
    submission = build_submission(
        sample,
        values,
        kind="label",
        test_ids=pd.Series([1, 2, 3]),
        labels=("setosa", "versicolor", "virginica"),
    )
    assert submission["species"].tolist() == ["virginica", "setosa", "versicolor"]


def test_boolean_labels_stay_booleans():
    # Kaggle's Spaceship Titanic: the sample holds False, the classes are False/True
    sample = pd.DataFrame({"PassengerId": ["0013_01", "0018_01"], "Transported": [False, False]})
    values = pd.DataFrame({"Transported": np.array([True, False], dtype=object)})
    submission = build_submission(
        sample,
        values,
        kind="label",
        test_ids=pd.Series(["0018_01", "0013_01"]),
        labels=(False, True),
    )
    assert submission["Transported"].tolist() == [False, True]
    assert [str(v) for v in submission["Transported"]] == ["False", "True"]


def test_regression_values_may_leave_zero_one():
    sample = pd.DataFrame({"id": [1, 2], "SalePrice": [0.0, 0.0]})
    values = pd.DataFrame({"SalePrice": [181000.5, -3.0]})
    submission = build_submission(sample, values, kind="value", test_ids=pd.Series([1, 2]))
    assert submission["SalePrice"].tolist() == [181000.5, -3.0]


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused_naming_column_and_id(proba_sample, bad):
    values = _proba([0.1, 0.2, bad, 0.4])
    with pytest.raises(SubmissionError) as info:
        build_submission(proba_sample, values, kind="probability", test_ids=pd.Series(IDS))
    message = str(info.value)
    assert "'p'" in message
    assert "NaN, inf" in message
    assert "[894]" in message


def test_nan_in_a_regression_column_is_refused():
    sample = pd.DataFrame({"id": [1, 2], "y": [0.0, 0.0]})
    with pytest.raises(SubmissionError, match=r"Column 'y': 1 value\(s\) are NaN"):
        build_submission(
            sample, pd.DataFrame({"y": [1.0, np.nan]}), kind="value", test_ids=pd.Series([1, 2])
        )


def test_probabilities_outside_zero_one_are_refused(proba_sample):
    values = _proba([1.5, 0.2, 0.3, -0.1])
    with pytest.raises(SubmissionError) as info:
        build_submission(proba_sample, values, kind="probability", test_ids=pd.Series(IDS))
    message = str(info.value)
    assert "'p'" in message
    assert "2 probabilities outside [0, 1]" in message
    assert "[892, 895]" in message


def test_missing_ids_are_refused(proba_sample):
    test_ids = pd.Series([892, 893, 894])
    with pytest.raises(SubmissionError) as info:
        build_submission(
            proba_sample, _proba([0.1, 0.2, 0.3]), kind="probability", test_ids=test_ids
        )
    message = str(info.value)
    assert "'id'" in message
    assert "1 id(s) of the sample have no prediction" in message
    assert "895" in message


def test_extra_ids_are_refused(proba_sample):
    test_ids = pd.Series([*IDS, 999])
    with pytest.raises(SubmissionError) as info:
        build_submission(proba_sample, _proba([0.1] * 5), kind="probability", test_ids=test_ids)
    message = str(info.value)
    assert "1 predicted id(s) are not in the sample" in message
    assert "999" in message


def test_swapped_ids_report_both_sides(proba_sample):
    test_ids = pd.Series([892, 893, 894, 777])
    with pytest.raises(SubmissionError) as info:
        build_submission(proba_sample, _proba([0.1] * 4), kind="probability", test_ids=test_ids)
    assert "895" in str(info.value)
    assert "777" in str(info.value)


def test_duplicated_test_ids_are_refused(proba_sample):
    test_ids = pd.Series([892, 893, 893, 895])
    with pytest.raises(SubmissionError) as info:
        build_submission(proba_sample, _proba([0.1] * 4), kind="probability", test_ids=test_ids)
    assert "1 duplicate(s)" in str(info.value)
    assert "[893]" in str(info.value)


def test_predictions_and_ids_of_different_length_are_refused(proba_sample):
    with pytest.raises(SubmissionError, match="3 prediction rows for 4 test ids"):
        build_submission(
            proba_sample, _proba([0.1] * 3), kind="probability", test_ids=pd.Series(IDS)
        )


def test_wrong_row_count_in_positional_mode(proba_sample):
    with pytest.raises(SubmissionError) as info:
        build_submission(proba_sample, _proba([0.1] * 3), kind="probability", test_ids=None)
    message = str(info.value)
    assert "Wrong row count" in message
    assert "3 predictions for 4 rows" in message


def test_prediction_columns_must_match_the_sample_header(label_sample):
    values = pd.DataFrame({"survived": [0, 1, 0, 1]})
    with pytest.raises(SubmissionError) as info:
        build_submission(label_sample, values, kind="label", test_ids=pd.Series(IDS))
    assert "['survived']" in str(info.value)
    assert "['Survived']" in str(info.value)


def test_id_column_absent_from_the_sample_is_refused(label_sample):
    with pytest.raises(SubmissionError, match="no column 'Id'"):
        build_submission(
            label_sample,
            pd.DataFrame({"Survived": [0] * 4}),
            kind="label",
            test_ids=pd.Series(IDS),
            id_column="Id",
        )


def test_unknown_labels_are_refused(label_sample):
    values = pd.DataFrame({"Survived": [0, 2, 1, 0]})
    with pytest.raises(SubmissionError) as info:
        build_submission(label_sample, values, kind="label", test_ids=pd.Series(IDS), labels=(0, 1))
    message = str(info.value)
    assert "'Survived'" in message
    assert "1 value(s) are not known labels ['0', '1']" in message
    assert "[893]" in message


def test_missing_label_is_refused(label_sample):
    values = pd.DataFrame({"Survived": np.array([0, None, 1, 0], dtype=object)})
    with pytest.raises(SubmissionError, match="not known labels") as info:
        build_submission(label_sample, values, kind="label", test_ids=pd.Series(IDS), labels=(0, 1))
    assert "[893]" in str(info.value)


# -- validate_submission on a finished frame --------------------------------------------------


def test_validate_refuses_a_different_header(label_sample):
    submission = label_sample.rename(columns={"Survived": "Target"})
    with pytest.raises(SubmissionError) as info:
        validate_submission(submission, label_sample, kind="label")
    assert "Header ['PassengerId', 'Target']" in str(info.value)
    assert "['PassengerId', 'Survived']" in str(info.value)


def test_validate_refuses_reordered_columns(label_sample):
    with pytest.raises(SubmissionError, match="Header"):
        validate_submission(label_sample[["Survived", "PassengerId"]], label_sample, kind="label")


def test_validate_refuses_wrong_row_count(label_sample):
    with pytest.raises(SubmissionError, match="3 rows, the sample submission has 4"):
        validate_submission(label_sample.iloc[:3], label_sample, kind="label")


def test_validate_refuses_duplicated_ids(label_sample):
    submission = label_sample.assign(PassengerId=[892, 893, 893, 895])
    with pytest.raises(SubmissionError) as info:
        validate_submission(submission, label_sample, kind="label")
    assert "'PassengerId'" in str(info.value)
    assert "1 duplicated id(s), first: [893]" in str(info.value)


def test_validate_refuses_ids_in_another_order(label_sample):
    submission = label_sample.iloc[[1, 0, 2, 3]].reset_index(drop=True)
    with pytest.raises(SubmissionError) as info:
        validate_submission(submission, label_sample, kind="label")
    assert "differs from the sample submission in 2 row(s)" in str(info.value)
    assert "[0, 1]" in str(info.value)


def test_validate_accepts_the_sample_itself(label_sample, proba_sample):
    validate_submission(label_sample, label_sample, kind="label", labels=(0, 1))
    validate_submission(proba_sample, proba_sample, kind="probability")


def test_write_submission_round_trips(tmp_path: Path, label_sample):
    values = pd.DataFrame({"Survived": [1, 0, 1, 1]})
    submission = build_submission(
        label_sample, values, kind="label", test_ids=pd.Series(IDS), labels=(0, 1)
    )
    path = write_submission(tmp_path / "submission.csv", submission)
    assert path == tmp_path / "submission.csv"
    assert path.read_text().splitlines()[:2] == ["PassengerId,Survived", "892,1"]
    pd.testing.assert_frame_equal(pd.read_csv(path), submission)
