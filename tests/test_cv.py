"""Fold assignment: splitter invariants, group/time-series guards, folds.csv round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
)

from kagglekit.cv import (
    FoldsError,
    MultilabelStratifiedKFold,
    assign_folds,
    check_groups_not_split,
    describe,
    fold_indices,
    is_forward_only,
    load_folds,
    n_folds,
    needs_groups,
    save_folds,
)

N_ROWS = 200
K = 5

SPLITTERS = {
    "kfold": KFold(K, shuffle=True, random_state=0),
    "stratified": StratifiedKFold(K, shuffle=True, random_state=0),
    "group": GroupKFold(K),
    "stratified_group": StratifiedGroupKFold(K, shuffle=True, random_state=0),
    "timeseries": TimeSeriesSplit(K),
    "multilabel": MultilabelStratifiedKFold(K, random_state=0),
}


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture(scope="module")
def binary_y(rng: np.random.Generator) -> np.ndarray:
    return (rng.random(N_ROWS) < 0.3).astype(int)


@pytest.fixture(scope="module")
def multilabel_y(rng: np.random.Generator) -> np.ndarray:
    # labels from common to rare, so stratification has something to do
    prevalence = np.array([0.5, 0.25, 0.1, 0.05])
    return (rng.random((N_ROWS, len(prevalence))) < prevalence).astype(int)


@pytest.fixture(scope="module")
def groups() -> np.ndarray:
    # 40 groups of 5 rows, interleaved so that a row-wise splitter would split them
    return np.arange(N_ROWS) % 40


def _folds_for(name: str, binary_y: np.ndarray, multilabel_y: np.ndarray, groups: np.ndarray):
    splitter = SPLITTERS[name]
    y = multilabel_y if name == "multilabel" else binary_y
    g = groups if needs_groups(splitter) else None
    return splitter, assign_folds(splitter, N_ROWS, y=y, groups=g)


@pytest.mark.parametrize("name", list(SPLITTERS))
def test_train_and_valid_of_a_fold_never_overlap(name, binary_y, multilabel_y, groups):
    splitter, folds = _folds_for(name, binary_y, multilabel_y, groups)
    assert n_folds(folds) == K
    for k in range(K):
        train, valid = fold_indices(folds, k, forward_only=is_forward_only(splitter))
        assert len(train) > 0
        assert len(valid) > 0
        assert np.intersect1d(train, valid).size == 0
        assert (folds[valid] == k).all()


@pytest.mark.parametrize("name", [n for n in SPLITTERS if n != "timeseries"])
def test_every_row_is_validated_exactly_once(name, binary_y, multilabel_y, groups):
    _, folds = _folds_for(name, binary_y, multilabel_y, groups)
    assert folds.shape == (N_ROWS,)
    assert set(np.unique(folds)) == set(range(K))
    valids = np.concatenate([fold_indices(folds, k)[1] for k in range(K)])
    assert np.bincount(valids, minlength=N_ROWS).tolist() == [1] * N_ROWS
    for k in range(K):
        train, valid = fold_indices(folds, k)
        assert np.union1d(train, valid).tolist() == list(range(N_ROWS))


def test_timeseries_first_block_is_never_validated(binary_y):
    folds = assign_folds(TimeSeriesSplit(K), N_ROWS, y=binary_y)
    never = np.flatnonzero(folds == -1)
    first_block = N_ROWS - K * (N_ROWS // (K + 1))
    assert never.tolist() == list(range(first_block))
    valids = np.concatenate([fold_indices(folds, k, forward_only=True)[1] for k in range(K)])
    assert np.bincount(valids, minlength=N_ROWS)[first_block:].tolist() == [1] * (
        N_ROWS - first_block
    )


def test_timeseries_folds_are_ordered_in_time(binary_y):
    folds = assign_folds(TimeSeriesSplit(K), N_ROWS, y=binary_y)
    validated = folds[folds >= 0]
    assert (np.diff(validated) >= 0).all()


def test_forward_only_trains_on_the_past_only(binary_y):
    splitter = TimeSeriesSplit(K)
    assert is_forward_only(splitter)
    folds = assign_folds(splitter, N_ROWS, y=binary_y)
    for k in range(K):
        train, valid = fold_indices(folds, k, forward_only=True)
        assert train.max() < valid.min()
        # expanding window: every row before the block trains it
        assert train.tolist() == list(range(valid.min()))


def test_forward_only_excludes_later_folds_even_if_interleaved():
    # rows 0-1 never validated, 2-3 fold 0, 4-5 fold 1, 6-7 fold 2
    folds = np.array([-1, -1, 0, 0, 1, 1, 2, 2])
    train, valid = fold_indices(folds, 1, forward_only=True)
    assert valid.tolist() == [4, 5]
    assert train.tolist() == [0, 1, 2, 3]
    train_all, _ = fold_indices(folds, 1)
    assert train_all.tolist() == [0, 1, 2, 3, 6, 7]


def test_only_time_series_splitters_are_forward_only():
    assert not is_forward_only(KFold(3))
    assert not is_forward_only(MultilabelStratifiedKFold(3))


@pytest.mark.parametrize("name", ["group", "stratified_group"])
def test_group_splitters_never_split_a_group(name, binary_y, multilabel_y, groups):
    _, folds = _folds_for(name, binary_y, multilabel_y, groups)
    check_groups_not_split(folds, groups)
    per_group = pd.Series(folds).groupby(groups).nunique()
    assert (per_group == 1).all()


def test_check_groups_not_split_raises_when_a_group_is_split():
    folds = np.array([0, 0, 1, 1, 2, 2])
    groups = np.array(["ok", "ok", "g_split", "other", "g_split", "other"])
    with pytest.raises(FoldsError, match=r"2 group\(s\)") as info:
        check_groups_not_split(folds, groups)
    assert "g_split" in str(info.value)
    assert "other" in str(info.value)
    assert "'ok'" not in str(info.value)


def test_row_wise_kfold_splits_groups(groups):
    folds = assign_folds(KFold(K, shuffle=True, random_state=0), N_ROWS)
    with pytest.raises(FoldsError, match="more than one fold"):
        check_groups_not_split(folds, groups)


def test_stratified_kfold_keeps_class_balance(binary_y):
    folds = assign_folds(StratifiedKFold(K, shuffle=True, random_state=0), N_ROWS, y=binary_y)
    expected = binary_y.sum() / K
    for k in range(K):
        assert abs(binary_y[folds == k].sum() - expected) <= 1


def test_multilabel_positives_per_fold_near_one_kth(multilabel_y):
    folds = assign_folds(MultilabelStratifiedKFold(K, random_state=0), N_ROWS, y=multilabel_y)
    totals = multilabel_y.sum(axis=0)
    for k in range(K):
        per_label = multilabel_y[folds == k].sum(axis=0)
        assert np.abs(per_label - totals / K).max() <= 1, (k, per_label, totals / K)
        assert abs((folds == k).sum() - N_ROWS / K) <= 2


def test_multilabel_stratification_beats_plain_kfold_on_rare_labels(multilabel_y):
    def worst_deviation(folds: np.ndarray) -> float:
        totals = multilabel_y.sum(axis=0)
        return max(
            float(np.abs(multilabel_y[folds == k].sum(axis=0) - totals / K).max()) for k in range(K)
        )

    stratified = assign_folds(MultilabelStratifiedKFold(K, random_state=1), N_ROWS, y=multilabel_y)
    plain = [assign_folds(KFold(K, shuffle=True, random_state=seed), N_ROWS) for seed in range(5)]
    assert worst_deviation(stratified) < min(worst_deviation(f) for f in plain)


def test_multilabel_split_is_reproducible_and_seed_dependent(multilabel_y):
    def folds_of(seed: int) -> np.ndarray:
        return assign_folds(MultilabelStratifiedKFold(K, random_state=seed), N_ROWS, y=multilabel_y)

    assert np.array_equal(folds_of(3), folds_of(3))
    assert not np.array_equal(folds_of(3), folds_of(4))


def test_multilabel_rows_without_positives_are_spread():
    y = np.zeros((50, 2), dtype=int)
    y[:10, 0] = 1
    folds = assign_folds(MultilabelStratifiedKFold(5, random_state=0), 50, y=y)
    assert np.bincount(folds).tolist() == [10] * 5
    assert np.bincount(folds[:10]).tolist() == [2] * 5


def test_multilabel_splitter_checks_its_arguments():
    with pytest.raises(ValueError, match="n_splits=1"):
        MultilabelStratifiedKFold(1)
    with pytest.raises(ValueError, match="label matrix"):
        list(MultilabelStratifiedKFold(3).split(np.zeros((6, 1))))
    assert repr(MultilabelStratifiedKFold(4, random_state=7)) == (
        "MultilabelStratifiedKFold(n_splits=4, shuffle=True, random_state=7)"
    )
    assert MultilabelStratifiedKFold(4).get_n_splits() == 4


def test_describe_shows_the_configuration():
    text = describe(KFold(3, shuffle=True, random_state=11))
    assert text.startswith("KFold(")
    assert "n_splits=3" in text
    assert "random_state=11" in text


# -- folds.csv --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series([100 + i for i in range(12)]),
        pd.Series([f"row-{i}" for i in range(12)]),
        pd.Series([0.5 * i for i in range(12)]),
        None,
    ],
    ids=["int-ids", "str-ids", "float-ids", "no-ids"],
)
def test_save_and_load_folds_round_trip(tmp_path: Path, ids):
    folds = assign_folds(KFold(3, shuffle=True, random_state=0), 12)
    path = tmp_path / "run" / "folds.csv"
    save_folds(path, folds, ids)
    loaded = load_folds(path, 12, ids)
    assert loaded.dtype == np.int64
    assert np.array_equal(loaded, folds)
    stored = pd.read_csv(path)
    assert list(stored.columns) == (["row", "fold"] if ids is None else ["row", "id", "fold"])


def test_load_folds_round_trips_zero_padded_string_ids(tmp_path: Path):
    # a Parquet training file keeps "007" as text; folds.csv must not turn it into 7
    ids = pd.Series(["001", "007", "010", "100"])
    folds = np.array([0, 1, 0, 1])
    save_folds(tmp_path / "folds.csv", folds, ids)
    assert np.array_equal(load_folds(tmp_path / "folds.csv", 4, ids), folds)


def test_round_trip_keeps_timeseries_never_validated_rows(tmp_path: Path):
    folds = assign_folds(TimeSeriesSplit(3), 20)
    save_folds(tmp_path / "folds.csv", folds, None)
    loaded = load_folds(tmp_path / "folds.csv", 20, None)
    assert np.array_equal(loaded, folds)
    assert (loaded == -1).any()


def test_load_folds_refuses_wrong_row_count(tmp_path: Path):
    path = tmp_path / "folds.csv"
    save_folds(path, np.array([0, 1, 0, 1]), pd.Series([1, 2, 3, 4]))
    with pytest.raises(FoldsError) as info:
        load_folds(path, 5, pd.Series([1, 2, 3, 4, 5]))
    message = str(info.value)
    assert str(path) in message
    assert "4 rows" in message
    assert "has 5" in message


def test_load_folds_refuses_mismatching_ids(tmp_path: Path):
    path = tmp_path / "folds.csv"
    save_folds(path, np.array([0, 1, 0, 1]), pd.Series(["a", "b", "c", "d"]))
    with pytest.raises(FoldsError) as info:
        load_folds(path, 4, pd.Series(["a", "b", "x", "d"]))
    message = str(info.value)
    assert str(path) in message
    assert "1 row(s) differ" in message
    assert "row 2" in message
    assert "'c'" in message
    assert "'x'" in message


def test_load_folds_refuses_a_file_without_fold_column(tmp_path: Path):
    path = tmp_path / "folds.csv"
    pd.DataFrame({"row": [0, 1], "split": [0, 1]}).to_csv(path, index=False)
    with pytest.raises(FoldsError, match="no `fold` column") as info:
        load_folds(path, 2, None)
    assert str(path) in str(info.value)


def test_load_folds_refuses_an_empty_file(tmp_path: Path):
    path = tmp_path / "folds.csv"
    path.write_text("")
    with pytest.raises(FoldsError, match="Cannot read") as info:
        load_folds(path, 2, None)
    assert str(path) in str(info.value)


def test_load_folds_refuses_a_file_that_validates_nothing(tmp_path: Path):
    path = tmp_path / "folds.csv"
    save_folds(path, np.array([-1, -1, -1]), None)
    with pytest.raises(FoldsError, match="validates no row"):
        load_folds(path, 3, None)


# -- assign_folds errors ----------------------------------------------------------------------


@pytest.mark.parametrize("splitter", [GroupKFold(3), StratifiedGroupKFold(3)])
def test_group_splitter_without_groups_says_how_to_fix(splitter):
    with pytest.raises(FoldsError) as info:
        assign_folds(splitter, 30, y=np.arange(30) % 2)
    message = str(info.value)
    assert type(splitter).__name__ in message
    assert "needs groups" in message
    assert "group_column" in message


def test_stratified_kfold_on_continuous_target_suggests_kfold():
    y = np.linspace(0.0, 1.0, 100)
    with pytest.raises(FoldsError) as info:
        assign_folds(StratifiedKFold(5), 100, y=y)
    message = str(info.value)
    assert "StratifiedKFold" in message
    assert "continuous" in message
    assert "100 distinct values" in message
    assert "cv=kfold" in message


def test_stratified_kfold_accepts_float_class_labels():
    y = np.tile([0.0, 1.0, 2.0], 20)
    folds = assign_folds(StratifiedKFold(3), 60, y=y)
    assert np.bincount(folds).tolist() == [20, 20, 20]


def test_stratified_kfold_on_multilabel_target_suggests_multilabel_cv(multilabel_y):
    with pytest.raises(FoldsError, match="cv=multilabel_stratified"):
        assign_folds(StratifiedKFold(K), N_ROWS, y=multilabel_y)


def test_splitter_failure_is_reported_with_the_row_count():
    with pytest.raises(FoldsError, match="KFold could not split 3 rows"):
        assign_folds(KFold(5), 3)


def test_splitter_validating_a_row_twice_is_refused():
    class Overlapping:
        def split(self, X, y=None, groups=None):
            yield np.array([2, 3]), np.array([0, 1])
            yield np.array([0, 3]), np.array([1, 2])

    with pytest.raises(FoldsError, match="more than one fold"):
        assign_folds(Overlapping(), 4)
