"""Loading a competition's files: every refusal names the file and the column."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.competition import CompetitionSpec
from kagglekit.data import DataError, load_competition, read_table


def make_spec(data_dir: Path, **overrides: Any) -> CompetitionSpec:
    settings: dict[str, Any] = {
        "name": "toy",
        "task": "binary",
        "target": "Survived",
        "metric": "accuracy",
        "features": lambda: None,
        "data_dir": data_dir,
        "id_column": "PassengerId",
    }
    settings.update(overrides)
    return CompetitionSpec(**settings)


def write_files(
    data_dir: Path,
    *,
    train: pd.DataFrame | None = None,
    test: pd.DataFrame | None = None,
    sample: pd.DataFrame | None = None,
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    if train is None:
        train = pd.DataFrame(
            {
                "PassengerId": [1, 2, 3, 4],
                "Pclass": [3, 1, 3, 2],
                "Sex": ["male", "female", "female", "male"],
                "Survived": [0, 1, 1, 0],
            }
        )
    if test is None:
        test = pd.DataFrame(
            {"PassengerId": [10, 11, 12], "Pclass": [1, 2, 3], "Sex": ["male", "male", "female"]}
        )
    if sample is None:
        sample = pd.DataFrame({"PassengerId": [10, 11, 12], "Survived": [0, 0, 0]})
    train.to_csv(data_dir / "train.csv", index=False)
    test.to_csv(data_dir / "test.csv", index=False)
    sample.to_csv(data_dir / "sample_submission.csv", index=False)


def test_loads_features_targets_and_ids(tmp_path: Path):
    write_files(tmp_path)
    data = load_competition(make_spec(tmp_path))
    assert list(data.train.columns) == ["Pclass", "Sex"]
    assert list(data.test.columns) == ["Pclass", "Sex"]
    assert data.targets["Survived"].tolist() == [0, 1, 1, 0]
    assert data.train_ids.tolist() == ["1", "2", "3", "4"]  # ids are text, as written
    assert data.test_ids.tolist() == ["10", "11", "12"]
    assert list(data.sample_submission.columns) == ["PassengerId", "Survived"]
    assert data.groups is None
    assert data.n_train == 4


def test_without_id_column_rows_line_up_by_position(tmp_path: Path):
    write_files(
        tmp_path,
        train=pd.DataFrame({"label": [0, 1, 0], "pixel0": [1, 2, 3]}),
        test=pd.DataFrame({"pixel0": [4, 5]}),
        sample=pd.DataFrame({"ImageId": [1, 2], "Label": [0, 0]}),
    )
    data = load_competition(make_spec(tmp_path, id_column=None, target="label"))
    assert data.train_ids is None
    assert data.test_ids is None
    assert list(data.test.columns) == ["pixel0"]


def test_missing_data_folder_names_the_folder(tmp_path: Path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as info:
        load_competition(make_spec(missing))
    message = str(info.value)
    assert f"Data folder {missing} does not exist" in message
    assert "train.csv" in message


def test_missing_file_names_the_path_and_lists_the_folder(tmp_path: Path):
    write_files(tmp_path)
    (tmp_path / "test.csv").unlink()
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path))
    message = str(info.value)
    assert f"File {tmp_path / 'test.csv'} not found" in message
    assert "['sample_submission.csv', 'train.csv']" in message


def test_prepare_runs_when_files_are_missing(tmp_path: Path):
    calls: list[Path] = []

    def prepare(data_dir: Path) -> None:
        calls.append(data_dir)
        write_files(data_dir)

    data = load_competition(make_spec(tmp_path / "toy", prepare=prepare))
    assert calls == [tmp_path / "toy"]
    assert data.n_train == 4
    load_competition(make_spec(tmp_path / "toy", prepare=prepare))
    assert len(calls) == 1


def test_missing_target_lists_columns_and_suggests_close_names(tmp_path: Path):
    write_files(tmp_path)
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path, target="survived"))
    message = str(info.value)
    assert str(tmp_path / "train.csv") in message
    assert "target column(s) ['survived'] not found" in message
    assert "did you mean ['Survived']" in message
    assert "Columns present: ['PassengerId', 'Pclass', 'Sex', 'Survived']" in message


def test_missing_id_column_lists_columns_and_suggests_close_names(tmp_path: Path):
    write_files(tmp_path)
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path, id_column="PassengerID"))
    message = str(info.value)
    assert "id column(s) ['PassengerID'] not found" in message
    assert "did you mean ['PassengerId']" in message
    assert "Columns present:" in message


def test_missing_column_without_a_close_name_gives_no_hint(tmp_path: Path):
    write_files(tmp_path)
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path, target="zzz"))
    assert "did you mean" not in str(info.value)
    assert "Columns present" in str(info.value)


def test_missing_id_in_test_file_names_the_test_file(tmp_path: Path):
    write_files(tmp_path, test=pd.DataFrame({"Pclass": [1], "Sex": ["male"]}))
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path))
    assert str(tmp_path / "test.csv") in str(info.value)
    assert "['PassengerId']" in str(info.value)


def test_nan_in_target_names_the_column_and_rows(tmp_path: Path):
    train = pd.DataFrame(
        {"PassengerId": [1, 2, 3], "Pclass": [1, 2, 3], "Sex": ["m", "f", "m"]}
    ).assign(Survived=[0, np.nan, 1])
    write_files(tmp_path, train=train)
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path))
    message = str(info.value)
    assert "target column 'Survived' has 1 missing value(s)" in message
    assert "first rows: [1]" in message
    assert str(tmp_path / "train.csv") in message


@pytest.mark.parametrize("which", ["train", "test"])
def test_duplicate_ids_are_refused(tmp_path: Path, which: str):
    if which == "train":
        train = pd.DataFrame(
            {
                "PassengerId": [1, 2, 2],
                "Pclass": [1, 2, 3],
                "Sex": ["m", "f", "m"],
                "Survived": [0, 1, 0],
            }
        )
        write_files(tmp_path, train=train)
    else:
        test = pd.DataFrame({"PassengerId": [10, 10, 12], "Pclass": [1, 2, 3], "Sex": ["m"] * 3})
        write_files(tmp_path, test=test)
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path))
    message = str(info.value)
    assert str(tmp_path / f"{which}.csv") in message
    assert "'PassengerId' has 1 duplicated id(s)" in message
    assert ("['2']" if which == "train" else "['10']") in message  # ids are text


def test_test_file_missing_a_feature_column_is_refused(tmp_path: Path):
    write_files(tmp_path, test=pd.DataFrame({"PassengerId": [10], "Pclass": [1]}))
    with pytest.raises(DataError) as info:
        load_competition(make_spec(tmp_path))
    message = str(info.value)
    assert str(tmp_path / "test.csv") in message
    assert "['Sex']" in message
    assert "drop_columns" in message


def test_drop_columns_are_not_features(tmp_path: Path):
    write_files(
        tmp_path,
        test=pd.DataFrame({"PassengerId": [10], "Pclass": [1]}),
        sample=pd.DataFrame({"PassengerId": [10], "Survived": [0]}),
    )
    data = load_competition(make_spec(tmp_path, drop_columns=("Sex",)))
    assert list(data.train.columns) == ["Pclass"]


def test_extra_test_columns_are_ignored_with_a_warning(tmp_path: Path, caplog):
    test = pd.DataFrame({"PassengerId": [10], "Pclass": [1], "Sex": ["m"], "Leak": [1]})
    write_files(tmp_path, test=test, sample=pd.DataFrame({"PassengerId": [10], "Survived": [0]}))
    with caplog.at_level(logging.WARNING, logger="kagglekit.data.loading"):
        data = load_competition(make_spec(tmp_path))
    assert list(data.test.columns) == ["Pclass", "Sex"]
    assert "Leak" in caplog.text


def test_group_column_becomes_groups_and_not_a_feature(tmp_path: Path):
    train = pd.DataFrame(
        {
            "PassengerId": [1, 2, 3, 4],
            "family": ["a", "a", "b", "c"],
            "Pclass": [3, 1, 3, 2],
            "Sex": ["m", "f", "f", "m"],
            "Survived": [0, 1, 1, 0],
        }
    )
    write_files(tmp_path, train=train)
    data = load_competition(make_spec(tmp_path, group_column="family"))
    assert data.groups.tolist() == ["a", "a", "b", "c"]
    assert "family" not in data.train.columns


def test_stray_index_column_is_dropped(tmp_path: Path, caplog):
    write_files(tmp_path)
    frame = pd.read_csv(tmp_path / "train.csv")
    frame.to_csv(tmp_path / "train.csv")  # with its index: an "Unnamed: 0" column
    assert pd.read_csv(tmp_path / "train.csv").columns[0] == "Unnamed: 0"
    with caplog.at_level(logging.WARNING, logger="kagglekit.data.loading"):
        data = load_competition(make_spec(tmp_path))
    assert list(data.train.columns) == ["Pclass", "Sex"]
    assert "Unnamed: 0" in caplog.text


def test_empty_file_is_refused(tmp_path: Path):
    path = tmp_path / "train.csv"
    path.write_text("")
    with pytest.raises(DataError, match="is empty") as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_header_only_file_is_refused(tmp_path: Path):
    path = tmp_path / "train.csv"
    path.write_text("PassengerId,Survived\n")
    with pytest.raises(DataError, match="has no rows") as info:
        read_table(path)
    assert str(path) in str(info.value)
    assert "['PassengerId', 'Survived']" in str(info.value)


def test_blank_lines_only_file_is_refused(tmp_path: Path):
    path = tmp_path / "train.csv"
    path.write_text("\n\n")
    with pytest.raises(DataError, match="is empty") as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_unparseable_file_names_the_path(tmp_path: Path):
    path = tmp_path / "train.parquet"
    path.write_text("this is not parquet")
    with pytest.raises(DataError, match="Cannot read") as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_parquet_files_are_read(tmp_path: Path):
    write_files(tmp_path)
    train = pd.read_csv(tmp_path / "train.csv")
    train["PassengerId"] = [f"{i:04d}" for i in train["PassengerId"]]
    train.to_parquet(tmp_path / "train.parquet")
    (tmp_path / "train.csv").unlink()
    test = pd.read_csv(tmp_path / "test.csv")
    test.to_parquet(tmp_path / "test.pq")
    data = load_competition(make_spec(tmp_path, train_file="train.parquet", test_file="test.pq"))
    assert data.train_ids.tolist() == ["0001", "0002", "0003", "0004"]
    assert data.targets["Survived"].tolist() == [0, 1, 1, 0]
    assert list(data.test.columns) == ["Pclass", "Sex"]
    assert data.test["Sex"].tolist() == ["male", "male", "female"]
