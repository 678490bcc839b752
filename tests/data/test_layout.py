"""Long layout (one row per time step) and separate targets files -> one row per id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.competition import CompetitionSpec
from kagglekit.data import load_competition
from kagglekit.data.layout import LayoutError, attach_targets, to_series_rows


def long_frame() -> pd.DataFrame:
    """Series 7 (3 steps) and 3 (2 steps), rows shuffled; label repeated on every row."""
    return pd.DataFrame(
        {
            "series_id": [7, 3, 7, 3, 7],
            "step": [2, 1, 0, 0, 1],
            "a": [7.2, 3.1, 7.0, 3.0, 7.1],
            "b": [-7.2, -3.1, -7.0, -3.0, -7.1],
            "label": ["x", "y", "x", "y", "x"],
        }
    )


def test_rows_become_one_row_per_series_in_step_order():
    series = to_series_rows(
        long_frame(), id_column="series_id", step_column="step", per_series=["label"]
    )
    assert series["series_id"].tolist() == [7, 3]  # order of first appearance
    assert series["label"].tolist() == ["x", "y"]
    assert list(series.columns[2:]) == ["a_t0", "a_t1", "a_t2", "b_t0", "b_t1", "b_t2"]
    np.testing.assert_array_equal(series.loc[0, ["a_t0", "a_t1", "a_t2"]], [7.0, 7.1, 7.2])
    np.testing.assert_array_equal(series.loc[1, ["b_t0", "b_t1"]], [-3.0, -3.1])
    assert series.loc[1, ["a_t2", "b_t2"]].isna().all()  # the shorter series is padded


def test_n_steps_pads_every_series():
    series = to_series_rows(
        long_frame(), id_column="series_id", step_column="step", drop=["label"], n_steps=5
    )
    assert series.filter(like="a_t").shape[1] == 5


def test_long_layout_refusals_name_the_problem():
    frame = long_frame()
    varying = frame.assign(label=["x", "y", "z", "y", "x"])
    with pytest.raises(
        LayoutError, match=r"'label' takes several values within a series \(id\(s\) \[7\]\)"
    ):
        to_series_rows(varying, id_column="series_id", step_column="step", per_series=["label"])
    with pytest.raises(LayoutError, match=r"channel column\(s\) \['label'\] are not numeric"):
        to_series_rows(frame, id_column="series_id", step_column="step")
    repeated = pd.concat([frame, frame.iloc[:1]])
    with pytest.raises(LayoutError, match="repeat an"):
        to_series_rows(repeated, id_column="series_id", step_column="step", drop=["label"])
    with pytest.raises(LayoutError, match=r"column\(s\) \['time'\] not found"):
        to_series_rows(frame, id_column="series_id", step_column="time")


def test_targets_join_by_id():
    rows = pd.DataFrame({"series_id": [5, 1, 3], "v_t0": [0.5, 0.1, 0.3]})
    targets = pd.DataFrame({"series_id": [1, 3, 5, 9], "label": ["a", "c", "e", "i"]})
    joined = attach_targets(rows, targets, id_column="series_id", target=["label"])
    assert joined["label"].tolist() == ["e", "a", "c"]
    with pytest.raises(LayoutError, match=r"no target for 1 id\(s\).*\[5\]"):
        attach_targets(rows, targets.iloc[:2], id_column="series_id", target=["label"])
    with pytest.raises(LayoutError, match="more than once"):
        attach_targets(rows, pd.concat([targets, targets]), id_column="series_id", target=["label"])
    with pytest.raises(LayoutError, match="both in the train file"):
        attach_targets(joined, targets, id_column="series_id", target=["label"])


def make_spec(data_dir: Path, **overrides: Any) -> CompetitionSpec:
    settings: dict[str, Any] = {
        "name": "toy",
        "task": "binary",
        "target": "label",
        "metric": "accuracy",
        "features": lambda: None,
        "data_dir": data_dir,
        "id_column": "series_id",
        "step_column": "step",
        "targets_file": "train_labels.csv",
    }
    settings.update(overrides)
    return CompetitionSpec(**settings)


def test_a_long_layout_competition_loads_one_row_per_series(tmp_path: Path):
    train = long_frame().drop(columns=["label"])
    # the test series are longer than every training series: both get the same columns
    test = pd.DataFrame(
        {"series_id": [20] * 4 + [10] * 4, "step": [0, 1, 2, 3] * 2, "a": 1.0, "b": 2.0}
    )
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    pd.DataFrame({"series_id": [3, 7], "label": ["y", "x"]}).to_csv(
        tmp_path / "train_labels.csv", index=False
    )
    pd.DataFrame({"series_id": [10, 20], "label": "x"}).to_csv(
        tmp_path / "sample_submission.csv", index=False
    )
    data = load_competition(make_spec(tmp_path))
    assert data.n_train == 2 and data.train_ids.tolist() == ["7", "3"]
    assert data.targets["label"].tolist() == ["x", "y"]
    assert data.test_ids.tolist() == ["20", "10"]
    assert list(data.train.columns) == list(data.test.columns)
    assert list(data.train.columns) == [f"{c}_t{i}" for c in "ab" for i in range(4)]
    assert data.train[["a_t3", "b_t3"]].isna().all().all()


def test_the_target_may_repeat_on_every_long_row(tmp_path: Path):
    long_frame().to_csv(tmp_path / "train.csv", index=False)
    long_frame().drop(columns=["label"]).to_csv(tmp_path / "test.csv", index=False)
    pd.DataFrame({"series_id": [7, 3], "label": "x"}).to_csv(
        tmp_path / "sample_submission.csv", index=False
    )
    data = load_competition(make_spec(tmp_path, targets_file=None))
    assert data.targets["label"].tolist() == ["x", "y"]
    assert "label" not in data.test.columns


def test_step_column_needs_an_id_column(tmp_path: Path):
    with pytest.raises(ValueError, match="step_column needs `id_column`"):
        make_spec(tmp_path, id_column=None)
    with pytest.raises(ValueError, match="targets_file needs `id_column`"):
        make_spec(tmp_path, id_column=None, step_column=None)
