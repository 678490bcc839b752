"""10: bad data gives one clear error naming the file and column, before any training starts
(no ``fold_*`` folder appears); an unseen test category and a stray index column are handled."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.data import DataError
from kagglekit.pipeline import train
from tests.conftest import compose_config
from tests.reliability.helpers import ROOT, env

# a tiny titanic-like competition (conf/competition/titanic.yaml, nothing prepared)
TINY_TITANIC = [
    "competition=titanic",
    "competition.prepare=null",
    "cv.n_splits=2",
    "trainer.epochs=1",
    "trainer.verbose=0",
    "trainer.batch_size=16",
    "model.hidden_units=[8]",
]
TINY_DIGITS = [
    "competition=digits",
    "competition.prepare=null",
    "cv.n_splits=2",
    "trainer.epochs=1",
    "trainer.verbose=0",
    "model.filters=[4]",
    "model.dense_units=[8]",
]

Frames = dict[str, pd.DataFrame]


def titanic_frames(n_train: int = 40, n_test: int = 12) -> Frames:
    rng = np.random.default_rng(0)
    n = n_train + n_test
    sex = rng.choice(["male", "female"], n)
    frame = pd.DataFrame(
        {
            "PassengerId": np.arange(1, n + 1),
            "Survived": ((sex == "female") ^ (rng.random(n) < 0.2)).astype(int),
            "Pclass": rng.integers(1, 4, n),
            "Sex": sex,
            "Age": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(1, 70, n).round(1)),
            "SibSp": rng.integers(0, 3, n),
            "Parch": rng.integers(0, 3, n),
        }
    )
    train, test = frame.iloc[:n_train].copy(), frame.iloc[n_train:].drop(columns="Survived")
    sample = pd.DataFrame({"PassengerId": test["PassengerId"], "Survived": 0})
    return {"train": train, "test": test.copy(), "sample_submission": sample}


def pixel_frames(side: int = 8, test_side: int = 8, n_train: int = 30, n_test: int = 6) -> Frames:
    rng = np.random.default_rng(1)

    def pixels(n: int, s: int) -> pd.DataFrame:
        return pd.DataFrame(
            rng.integers(0, 17, (n, s * s)), columns=[f"pixel{i}" for i in range(s * s)]
        )

    train = pixels(n_train, side)
    train.insert(0, "label", np.arange(n_train) % 3)
    sample = pd.DataFrame({"ImageId": np.arange(1, n_test + 1), "Label": 0})
    return {"train": train, "test": pixels(n_test, test_side), "sample_submission": sample}


def write(data_dir: Path, frames: Frames, *, index: bool = False) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(data_dir / f"{name}.csv", index=index and name != "sample_submission")
    return data_dir


def fold_dirs(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.glob("fold_*"))


def _drop(name: str, column: str) -> Callable[[Frames], None]:
    def change(frames: Frames) -> None:
        frames[name] = frames[name].drop(columns=column)

    return change


def _nan_targets(frames: Frames) -> None:
    frames["train"].loc[[3, 7, 11], "Survived"] = np.nan


def _duplicate_train_id(frames: Frames) -> None:
    frames["train"].loc[9, "PassengerId"] = 5


def _duplicate_test_id(frames: Frames) -> None:
    frames["test"].iloc[2, 0] = frames["test"].iloc[1, 0]


# name -> (change to the tiny titanic files, file in the message, other texts in the message)
TITANIC_ERRORS: dict[str, tuple[Callable[[Frames], None], str, list[str]]] = {
    "id_column_absent": (
        _drop("train", "PassengerId"),
        "train.csv",
        ["id column(s) ['PassengerId'] not found", "Columns present: ['Survived', 'Pclass'"],
    ),
    "target_column_absent": (
        _drop("train", "Survived"),
        "train.csv",
        ["target column(s) ['Survived'] not found", "Columns present: ['PassengerId', 'Pclass'"],
    ),
    "target_with_nan": (_nan_targets, "train.csv", ["'Survived' has 3 missing", "[3, 7, 11]"]),
    "test_column_missing": (_drop("test", "Age"), "test.csv", ["['Age']", "missing"]),
    "duplicate_train_ids": (_duplicate_train_id, "train.csv", ["1 duplicated id(s)", "['5']"]),
    "duplicate_test_ids": (_duplicate_test_id, "test.csv", ["1 duplicated id(s)", "['42']"]),
}


@pytest.mark.parametrize("case", list(TITANIC_ERRORS))
def test_10_bad_data_is_refused_before_training(tmp_path: Path, case: str) -> None:
    change, file, texts = TITANIC_ERRORS[case]
    frames = titanic_frames()
    change(frames)
    data_dir = write(tmp_path / "data", frames)
    run_dir = tmp_path / "run"
    cfg = compose_config(*TINY_TITANIC, f"competition.data_dir={data_dir}")
    with pytest.raises(DataError) as info:
        train(cfg, run_dir=run_dir)
    message = str(info.value)
    assert str(data_dir / file) in message, message
    for text in texts:
        assert text in message, message
    assert fold_dirs(run_dir) == [] and not (run_dir / "folds.csv").exists()


def _empty(data_dir: Path, name: str) -> None:
    (data_dir / name).write_text("")


def _header_only(data_dir: Path, name: str) -> None:
    path = data_dir / name
    path.write_text(path.read_text().splitlines()[0] + "\n")


@pytest.mark.parametrize(
    ("case", "file", "text"),
    [
        ("missing_folder", "train.csv", "does not exist (looking for train.csv)"),
        ("missing_file", "test.csv", "not found. The folder holds: ['sample_submission.csv'"),
        ("empty_file", "sample_submission.csv", "is empty"),
        ("header_only", "train.csv", "has no rows (columns: ['PassengerId', 'Survived'"),
    ],
)
def test_10_missing_or_empty_file_is_refused_before_training(
    tmp_path: Path, case: str, file: str, text: str
) -> None:
    data_dir = write(tmp_path / "data", titanic_frames())
    if case == "missing_folder":
        shutil.rmtree(data_dir)
    elif case == "missing_file":
        (data_dir / file).unlink()
    elif case == "empty_file":
        _empty(data_dir, file)
    else:
        _header_only(data_dir, file)
    run_dir = tmp_path / "run"
    with pytest.raises(DataError) as info:
        train(compose_config(*TINY_TITANIC, f"competition.data_dir={data_dir}"), run_dir=run_dir)
    assert str(data_dir / file if case != "missing_folder" else data_dir) in str(info.value)
    assert text in str(info.value), str(info.value)
    assert fold_dirs(run_dir) == []


@pytest.mark.parametrize(
    ("train_side", "test_side", "file", "texts"),
    [
        (8, 6, "test.csv", ["36 numbered column(s) pixel0, pixel1", "train.csv has 64"]),
        (8, 10, "test.csv", ["100 numbered column(s) pixel0, pixel1", "train.csv has 64"]),
    ],
    ids=["test_images_smaller", "test_images_larger"],
)
def test_10_wrong_image_size_in_a_pixel_csv_is_refused_before_training(
    tmp_path: Path, train_side: int, test_side: int, file: str, texts: list[str]
) -> None:
    data_dir = write(tmp_path / "data", pixel_frames(train_side, test_side))
    run_dir = tmp_path / "run"
    with pytest.raises(DataError) as info:
        train(compose_config(*TINY_DIGITS, f"competition.data_dir={data_dir}"), run_dir=run_dir)
    message = str(info.value)
    assert str(data_dir / file) in message, message
    for text in texts:
        assert text in message, message
    assert fold_dirs(run_dir) == []


def test_10_non_square_pixel_count_is_refused_before_training(tmp_path: Path) -> None:
    frames = pixel_frames(8, 8)
    frames["train"]["pixel64"] = 0  # 65 pixel columns: not a square image
    frames["test"]["pixel64"] = 0
    data_dir = write(tmp_path / "data", frames)
    run_dir = tmp_path / "run"
    with pytest.raises(DataError) as info:
        train(compose_config(*TINY_DIGITS, f"competition.data_dir={data_dir}"), run_dir=run_dir)
    message = str(info.value)
    assert str(data_dir / "train.csv") in message, message
    assert "65 pixel columns do not make a square image" in message, message
    assert fold_dirs(run_dir) == []


# -- through the real entry point -------------------------------------------------------------


def entry_point(*overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), *overrides],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("case", ["id_column_absent", "test_images_larger"])
def test_10_bad_data_stops_the_entry_point_before_training(tmp_path: Path, case: str) -> None:
    """(A missing data folder through the entry point: test_config_errors.py, case 9.)"""
    run_dir = tmp_path / "run"
    data_dir = tmp_path / "data"
    if case == "id_column_absent":
        frames = titanic_frames()
        frames["test"] = frames["test"].drop(columns="PassengerId")
        write(data_dir, frames)
        overrides = TINY_TITANIC
        texts = [f"{data_dir / 'test.csv'}: id column(s) ['PassengerId'] not found"]
        texts.append("Columns present: ['Pclass', 'Sex', 'Age', 'SibSp', 'Parch']")
    else:
        write(data_dir, pixel_frames(8, 10))
        overrides, texts = TINY_DIGITS, [str(data_dir / "test.csv"), "pixel"]
    proc = entry_point(*overrides, f"competition.data_dir={data_dir}", f"hydra.run.dir={run_dir}")
    assert proc.returncode != 0, proc.stdout[-2000:]
    for text in texts:
        assert text in proc.stderr, proc.stderr[-3000:]
    assert fold_dirs(run_dir) == [] and not (run_dir / "folds.csv").exists()


# -- handled, not a crash ---------------------------------------------------------------------


def test_10_unseen_category_in_test_is_handled(tmp_path: Path) -> None:
    frames = titanic_frames()
    test = frames["test"]
    test.loc[test.index[:3], "Sex"] = "unknown"  # never seen in training
    test.loc[test.index[3], "Pclass"] = 4
    data_dir = write(tmp_path / "data", frames)
    run_dir = tmp_path / "run"
    result = train(
        compose_config(*TINY_TITANIC, f"competition.data_dir={data_dir}"), run_dir=run_dir
    )
    submission = pd.read_csv(result.paths["submission"])
    assert submission["PassengerId"].tolist() == test["PassengerId"].tolist()
    assert set(submission["Survived"]) <= {0, 1}
    assert np.isfinite(np.load(run_dir / "test_pred.npy", allow_pickle=False)).all()
    for k in range(2):
        state = json.loads((run_dir / f"fold_{k}" / "preprocessing.json").read_text())
        assert state["categories"]["Sex"] == ["female", "male"]
        assert state["categories"]["Pclass"] == ["1", "2", "3"]


def test_10_stray_index_column_is_dropped_and_the_run_works(tmp_path: Path) -> None:
    data_dir = write(tmp_path / "data", titanic_frames(), index=True)
    assert pd.read_csv(data_dir / "train.csv").columns[0] == "Unnamed: 0"
    assert pd.read_csv(data_dir / "test.csv").columns[0] == "Unnamed: 0"
    run_dir = tmp_path / "run"
    result = train(
        compose_config(*TINY_TITANIC, f"competition.data_dir={data_dir}"), run_dir=run_dir
    )
    assert json.loads((run_dir / "run_state.json").read_text())["status"] == "complete"
    assert len(pd.read_csv(result.paths["submission"])) == 12
    state = json.loads((run_dir / "fold_0" / "preprocessing.json").read_text())
    assert state["numeric"] == ["Age", "SibSp", "Parch"]  # not the index
