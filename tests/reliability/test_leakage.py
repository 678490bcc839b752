"""12: leakage guards. Each fold's preprocessing statistics are those of its training rows, a
group is never in both the training and the validation rows of a fold, and a ``folds.csv`` that
does not match the data is refused before any fold starts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from kagglekit.cv import FoldsError
from kagglekit.examples.titanic.prepare import prepare
from kagglekit.pipeline import train
from tests.conftest import compose_config
from tests.reliability.helpers import ROOT, env
from tests.reliability.test_data_errors import TINY_TITANIC, fold_dirs, titanic_frames, write

NUMERIC = ["Age", "SibSp", "Parch"]  # titanic.yaml declares Pclass and Sex categorical


@pytest.fixture(scope="module")
def titanic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("titanic")
    data_dir, run_dir = prepare(base / "data"), base / "run"
    cfg = compose_config(
        "competition=titanic",
        f"competition.data_dir={data_dir}",
        "cv.n_splits=3",
        "trainer.epochs=1",
        "trainer.verbose=0",
        "model.hidden_units=[8]",
    )
    train(cfg, run_dir=run_dir)
    return data_dir, run_dir


def test_12_preprocessing_statistics_are_the_training_folds(
    titanic_run: tuple[Path, Path],
) -> None:
    data_dir, run_dir = titanic_run
    data = pd.read_csv(data_dir / "train.csv")
    folds = pd.read_csv(run_dir / "folds.csv")
    assert folds["row"].tolist() == list(range(len(data)))
    assert folds["id"].tolist() == data["PassengerId"].tolist()
    full_means = data[NUMERIC].fillna(data[NUMERIC].median()).mean()
    differs_from_all_rows = False
    for k in sorted(folds["fold"].unique()):
        rows = data[(folds["fold"] != k).to_numpy()]
        state = json.loads((run_dir / f"fold_{k}" / "preprocessing.json").read_text())
        assert state["n_rows"] == len(rows) < len(data)
        assert state["numeric"] == NUMERIC
        assert state["missing_indicators"] == [c for c in NUMERIC if rows[c].isna().any()]
        for column in NUMERIC:
            median = rows[column].median()
            filled = rows[column].fillna(median)
            assert state["median"][column] == pytest.approx(median, rel=1e-12)
            assert state["mean"][column] == pytest.approx(filled.mean(), rel=1e-12)
            assert state["std"][column] == pytest.approx(filled.std(ddof=0), rel=1e-12)
            differs_from_all_rows |= abs(state["mean"][column] - full_means[column]) > 1e-6
        assert state["categories"] == {
            "Pclass": sorted(rows["Pclass"].astype(str).unique()),
            "Sex": sorted(rows["Sex"].unique()),
        }
    # the comparison can tell the fold's statistics from statistics over every row
    assert differs_from_all_rows


def group_frames() -> dict[str, pd.DataFrame]:
    frames = titanic_frames(n_train=60, n_test=12)
    families = np.random.default_rng(4).permutation(np.arange(60) // 4)  # 15 groups of 4 rows
    frames["train"].insert(1, "family", [f"fam{g:02d}" for g in families])
    frames["test"].insert(1, "family", "famXX")
    return frames


GROUP_CV = ["cv=group", "+competition.group_column=family", "cv.n_splits=3"]


@pytest.fixture(scope="module")
def group_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("groups")
    data_dir, run_dir = write(base / "data", group_frames()), base / "run"
    cfg = compose_config(
        *TINY_TITANIC, *GROUP_CV, f"competition.data_dir={data_dir}", "trainer.folds=[0]"
    )
    train(cfg, run_dir=run_dir)
    return data_dir, run_dir


def test_12_group_ids_never_in_both_train_and_validation(group_run: tuple[Path, Path]) -> None:
    data_dir, run_dir = group_run
    groups = pd.read_csv(data_dir / "train.csv")["family"].to_numpy()
    folds = pd.read_csv(run_dir / "folds.csv")["fold"].to_numpy()
    assert sorted(set(folds)) == [0, 1, 2]
    for k in range(3):
        assert not set(groups[folds == k]) & set(groups[folds != k]), f"fold {k} shares a group"
    state = json.loads((run_dir / "fold_0" / "preprocessing.json").read_text())
    assert state["n_rows"] == int((folds != 0).sum())
    assert "family" not in state["numeric"] + state["categorical"]
    # the check can fail: a plain k-fold over the same rows puts a group on both sides
    plain = np.empty(len(groups), dtype=int)
    for k, (_, valid) in enumerate(KFold(3, shuffle=True, random_state=42).split(groups)):
        plain[valid] = k
    assert any(set(groups[plain == k]) & set(groups[plain != k]) for k in range(3))


def _edit_id(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[10, "id"] = 999_999
    return frame


def _drop_last(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:-1]


@pytest.mark.parametrize(
    ("case", "texts"),
    [
        ("other_data", ["assigns folds to 1047 rows but the training data has 40"]),
        ("edited_id", ["1 row(s) differ, first at row 10", "'999999' in the file"]),
        ("row_missing", ["assigns folds to 1046 rows but the training data has 1047"]),
    ],
)
def test_12_folds_csv_not_matching_the_data_is_refused(
    titanic_run: tuple[Path, Path], tmp_path: Path, case: str, texts: list[str]
) -> None:
    titanic_data, titanic_dir = titanic_run
    folds = pd.read_csv(titanic_dir / "folds.csv")
    data_dir = titanic_data
    if case == "other_data":
        data_dir = write(tmp_path / "data", titanic_frames())
    else:
        folds = _edit_id(folds) if case == "edited_id" else _drop_last(folds)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    folds.to_csv(run_dir / "folds.csv", index=False)
    before = (run_dir / "folds.csv").read_bytes()
    cfg = compose_config(*TINY_TITANIC, f"competition.data_dir={data_dir}")
    with pytest.raises(FoldsError) as info:
        train(cfg, run_dir=run_dir)
    message = str(info.value)
    assert str(run_dir / "folds.csv") in message, message
    for text in texts:
        assert text in message, message
    assert fold_dirs(run_dir) == []
    assert (run_dir / "folds.csv").read_bytes() == before  # refused, not replaced


def test_12_folds_csv_splitting_a_group_is_refused(
    group_run: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, group_dir = group_run
    groups = pd.read_csv(data_dir / "train.csv")["family"]
    folds = pd.read_csv(group_dir / "folds.csv")
    rows = np.flatnonzero(groups == groups.iloc[0])
    folds.loc[rows[0], "fold"] = (folds.loc[rows[1], "fold"] + 1) % 3  # split one family
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    folds.to_csv(run_dir / "folds.csv", index=False)
    cfg = compose_config(*TINY_TITANIC, *GROUP_CV, f"competition.data_dir={data_dir}")
    with pytest.raises(FoldsError) as info:
        train(cfg, run_dir=run_dir)
    message = str(info.value)
    assert "1 group(s) are validated in more than one fold" in message, message
    assert groups.iloc[0] in message
    assert fold_dirs(run_dir) == []


def test_12_folds_csv_of_other_data_stops_the_entry_point(
    titanic_run: tuple[Path, Path], tmp_path: Path
) -> None:
    _, titanic_dir = titanic_run
    data_dir = write(tmp_path / "data", titanic_frames())
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(titanic_dir / "folds.csv", run_dir / "folds.csv")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "train.py"),
            *TINY_TITANIC,
            f"competition.data_dir={data_dir}",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert f"{run_dir / 'folds.csv'} assigns folds to 1047 rows" in proc.stderr, proc.stderr
    assert fold_dirs(run_dir) == []
