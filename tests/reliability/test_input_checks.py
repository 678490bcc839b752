"""Issue 9, input checks: hostile-but-realistic inputs end in one clear line before fold 0, or in
a result equal to that of a clean run (never a silently wrong submission).

Cases 4-8 of the issue and its list of late/unclear errors; the files are written under
``tmp_path`` from the tiny titanic-like competition of ``test_data_errors.py``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.data import DataError
from kagglekit.errors import ConfigError, KagglekitError
from kagglekit.pipeline import train
from kagglekit.redact import mask_credentials, mask_url
from kagglekit.tuning.storage import mask_in_text
from tests.conftest import compose_config
from tests.reliability.helpers import ROOT, env
from tests.reliability.test_data_errors import (
    TINY_DIGITS,
    Frames,
    fold_dirs,
    pixel_frames,
    titanic_frames,
    write,
)

TITANIC = [
    "competition=titanic",
    "competition.prepare=null",
    "cv.n_splits=2",
    "trainer.epochs=2",
    "trainer.verbose=0",
    "trainer.batch_size=16",
    "model.hidden_units=[8]",
]


def run_titanic(
    tmp_path: Path, frames: Frames, *overrides: str, name: str = "run"
) -> tuple[Path, Path]:
    data_dir = write(tmp_path / f"data_{name}", frames)
    run_dir = tmp_path / name
    cfg = compose_config(*TITANIC, f"competition.data_dir={data_dir}", *overrides)
    train(cfg, run_dir=run_dir)
    return data_dir, run_dir


def refused(
    tmp_path: Path, frames: Frames, error: type[KagglekitError], *overrides: str
) -> tuple[str, Path]:
    """Train on ``frames``; assert the run stops with ``error`` before fold 0; the message."""
    data_dir = write(tmp_path / "data", frames)
    run_dir = tmp_path / "run"
    cfg = compose_config(*TITANIC, f"competition.data_dir={data_dir}", *overrides)
    with pytest.raises(error) as info:
        train(cfg, run_dir=run_dir)
    message = str(info.value)
    assert "\n" not in message, message
    assert fold_dirs(run_dir) == [], "a fold started before the refusal"
    return message, data_dir


def predictions(run_dir: Path) -> np.ndarray:
    return np.load(run_dir / "test_pred.npy", allow_pickle=False)


# -- case 4: a column all missing or constant in train ------------------------------------------


@pytest.mark.parametrize("kind", ["all_nan", "constant"])
def test_4_uninformative_train_column_is_dropped_with_a_warning(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    clean = titanic_frames()
    _, clean_run = run_titanic(tmp_path, clean, name="clean")

    frames = titanic_frames()
    frames["train"]["Fare"] = np.nan if kind == "all_nan" else 7.25
    frames["test"]["Fare"] = np.linspace(5, 500, len(frames["test"]))  # filled in test
    with caplog.at_level(logging.WARNING, logger="kagglekit"):
        data_dir, run_dir = run_titanic(tmp_path, frames, name="hostile")
    warning = [r.getMessage() for r in caplog.records if "'Fare'" in r.getMessage()]
    assert warning and str(data_dir / "train.csv") in warning[0], caplog.text
    assert "dropped from the features" in warning[0]
    for k in range(2):
        state = (run_dir / f"fold_{k}" / "preprocessing.json").read_text()
        assert '"dropped": [\n    "Fare"' in state or '"dropped": ["Fare"]' in state, state
    # the same model as without the column: the test values of Fare change nothing
    np.testing.assert_allclose(predictions(run_dir), predictions(clean_run), rtol=1e-5, atol=1e-6)


# -- case 5: text cells in a numeric column, decimal commas -------------------------------------


def _unknown_ages(frames: Frames) -> None:
    frames["train"]["Age"] = frames["train"]["Age"].astype(object)
    frames["train"].loc[[2, 5, 8, 13, 21], "Age"] = "unknown"


def test_5_unknown_cells_in_a_numeric_train_column_are_refused(tmp_path: Path) -> None:
    frames = titanic_frames()
    _unknown_ages(frames)
    message, data_dir = refused(tmp_path, frames, DataError)
    assert message.startswith(f"{data_dir / 'train.csv'}: numeric column 'Age'"), message
    assert "5 non-numeric cell(s) ['unknown'] (first rows [2, 5, 8, 13, 21])" in message
    assert "competition.na_values=['unknown']" in message


def test_5_na_values_reads_them_as_missing_like_a_clean_run(tmp_path: Path) -> None:
    clean = titanic_frames()
    clean["train"].loc[[2, 5, 8, 13, 21], "Age"] = np.nan
    _, clean_run = run_titanic(tmp_path, clean, name="clean")
    frames = titanic_frames()
    _unknown_ages(frames)
    _, run_dir = run_titanic(tmp_path, frames, "competition.na_values=[unknown]", name="na")
    np.testing.assert_allclose(predictions(run_dir), predictions(clean_run), rtol=1e-5, atol=1e-6)


def _comma_ages(frames: Frames) -> None:
    age = frames["test"]["Age"]
    frames["test"]["Age"] = [
        "" if pd.isna(v) else f"{v:.1f}".replace(".", ",") for v in age.tolist()
    ]


def test_5_decimal_commas_in_a_numeric_test_column_are_refused(tmp_path: Path) -> None:
    frames = titanic_frames()
    _comma_ages(frames)
    message, data_dir = refused(tmp_path, frames, DataError)
    assert message.startswith(f"{data_dir / 'test.csv'}: column 'Age'"), message
    assert "decimal comma" in message and "competition.decimal=','" in message


def test_5_decimal_option_reads_them_like_a_clean_run(tmp_path: Path) -> None:
    _, clean_run = run_titanic(tmp_path, titanic_frames(), name="clean")
    frames = titanic_frames()
    _comma_ages(frames)
    _, run_dir = run_titanic(tmp_path, frames, "competition.decimal=','", name="comma")
    np.testing.assert_allclose(predictions(run_dir), predictions(clean_run), rtol=1e-5, atol=1e-6)


# -- case 6: ids as text ------------------------------------------------------------------------


def _padded(frames: Frames) -> Frames:
    for frame in frames.values():
        frame["PassengerId"] = [f"{int(i):04d}" for i in frame["PassengerId"]]
    return frames


def test_6_zero_padded_ids_survive_into_the_submission(tmp_path: Path) -> None:
    frames = _padded(titanic_frames())
    frames["sample_submission"] = frames["sample_submission"].iloc[::-1]  # another order
    data_dir, run_dir = run_titanic(tmp_path, frames)
    sample_lines = (data_dir / "sample_submission.csv").read_text().splitlines()
    lines = (run_dir / "submission.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == [s.split(",")[0] for s in sample_lines]
    assert lines[1].startswith("0052,"), lines[:3]
    oof = pd.read_csv(run_dir / "oof.csv", dtype={"PassengerId": str})
    assert oof["PassengerId"].tolist()[:2] == ["0001", "0002"]


def _nan_test_id(frames: Frames) -> None:
    frames["test"]["PassengerId"] = frames["test"]["PassengerId"].astype(float)
    frames["test"].loc[frames["test"].index[3], "PassengerId"] = np.nan


def _float_test_ids(frames: Frames) -> None:
    frames["test"]["PassengerId"] = frames["test"]["PassengerId"].astype(float)


def _duplicate_sample_id(frames: Frames) -> None:
    frames["sample_submission"].iloc[4, 0] = frames["sample_submission"].iloc[3, 0]


def _missing_sample_id(frames: Frames) -> None:
    frames["sample_submission"] = frames["sample_submission"].iloc[1:]


ID_ERRORS: dict[str, tuple[Callable[[Frames], None], str, list[str]]] = {
    "nan_test_id": (_nan_test_id, "test.csv", ["'PassengerId' is empty in 1 row(s)", "[3]"]),
    "float_test_ids_vs_int_sample": (
        _float_test_ids,
        "test.csv",
        ["do not match", "(first: ['41', '42'", "(first: ['41.0', '42.0'", "written differently"],
    ),
    "duplicate_sample_id": (_duplicate_sample_id, "sample_submission.csv", ["['44']"]),
    "sample_lacks_a_test_id": (_missing_sample_id, "test.csv", ["1 test id(s) not in the sample"]),
}


@pytest.mark.parametrize("case", list(ID_ERRORS))
def test_6_id_problems_are_refused_at_load_time(tmp_path: Path, case: str) -> None:
    change, file, texts = ID_ERRORS[case]
    frames = titanic_frames()
    change(frames)
    message, data_dir = refused(tmp_path, frames, DataError)
    assert message.startswith(str(data_dir / file)), message
    for text in texts:
        assert text in message, message


# -- case 7: inf and huge values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "value"), [("train", 1e300), ("train", np.inf), ("test", 1e300), ("test", -np.inf)]
)
def test_7_inf_or_huge_values_are_refused_naming_the_column(
    tmp_path: Path, file: str, value: float
) -> None:
    frames = titanic_frames()
    frames[file].loc[frames[file].index[6], "Age"] = value
    message, data_dir = refused(tmp_path, frames, DataError)
    assert message.startswith(f"{data_dir / f'{file}.csv'}: column 'Age'"), message
    assert "1 infinite or huge value(s)" in message and "(first rows [6])" in message


# -- case 8 and the compatibility list: task, metric, loss, submission kind ---------------------

CONFIG_ERRORS: dict[str, tuple[list[str], list[str]]] = {
    "categorical_loss_for_binary": (
        ["trainer.loss=categorical_crossentropy"],
        [
            "trainer.loss='categorical_crossentropy' does not fit a binary task",
            "binary_crossentropy",
        ],
    ),
    "sparse_loss_for_binary": (
        ["trainer.loss=sparse_categorical_crossentropy"],
        ["does not fit a binary task", "use trainer.loss=binary_crossentropy"],
    ),
    "crossentropy_for_regression": (
        [
            "competition.task=regression",
            "competition.metric=rmse",
            "trainer.loss=binary_crossentropy",
        ],
        ["does not fit a regression task", "mean_squared_error"],
    ),
    "misspelt_loss": (
        ["trainer.loss=binary_crossentropi"],
        ["'binary_crossentropi' is not a Keras loss", "(closest first): ['binary_crossentropy'"],
    ),
    "misspelt_metric": (
        ["competition.metric=acuracy"],
        ["Unknown metric 'acuracy' (competition.metric)", "Known metrics: ['accuracy'"],
    ),
    "accuracy_for_regression": (
        ["competition.task=regression", "competition.metric=accuracy"],
        ["competition.metric='accuracy' does not fit a regression task", "'rmse'"],
    ),
    "refused_spec_value": (
        ["competition.decimal=',,'"],
        ["competition: Competition 'titanic'", "decimal=',,'", "one character"],
    ),
    "no_fold": (["trainer.folds=[]"], ["trainer.folds=[] selects no fold", "[0, 1]"]),
    "fold_5": (["trainer.folds=[5]"], ["names fold(s) [5] that do not exist", "[0, 1]"]),
    "fold_minus_1": (["trainer.folds=[-1]"], ["names fold(s) [-1]", "[0, 1]"]),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_8_mismatched_config_is_refused_before_training(tmp_path: Path, case: str) -> None:
    overrides, texts = CONFIG_ERRORS[case]
    message, _ = refused(tmp_path, titanic_frames(), ConfigError, *overrides)
    for text in texts:
        assert text in message, message


def test_8_metric_for_values_on_a_multiclass_task_is_refused(tmp_path: Path) -> None:
    data_dir = write(tmp_path / "data", pixel_frames())
    run_dir = tmp_path / "run"
    cfg = compose_config(
        *TINY_DIGITS, f"competition.data_dir={data_dir}", "competition.metric=rmse"
    )
    with pytest.raises(ConfigError, match="'rmse' does not fit a multiclass task") as info:
        train(cfg, run_dir=run_dir)
    assert "'accuracy'" in str(info.value) and fold_dirs(run_dir) == []


def test_8_text_labels_where_the_sample_holds_numbers_are_refused(tmp_path: Path) -> None:
    frames = titanic_frames()
    frames["train"]["Survived"] = frames["train"]["Survived"].map({0: "no", 1: "yes"})
    message, data_dir = refused(tmp_path, frames, DataError)
    assert message.startswith(f"{data_dir / 'sample_submission.csv'}: column 'Survived'"), message
    assert "holds numbers (0) but the target 'Survived'" in message
    assert "labels ['no', 'yes']" in message and "'no' -> 0, 'yes' -> 1" in message


# -- separators and headers ---------------------------------------------------------------------


@pytest.mark.parametrize(("sep", "shown"), [(";", "';'"), ("\t", "tabs")])
def test_a_file_with_another_separator_says_which(tmp_path: Path, sep: str, shown: str) -> None:
    frames = titanic_frames()
    data_dir = write(tmp_path / "data", frames)
    frames["train"].to_csv(data_dir / "train.csv", index=False, sep=sep)
    run_dir = tmp_path / "run"
    cfg = compose_config(*TITANIC, f"competition.data_dir={data_dir}")
    with pytest.raises(DataError) as info:
        train(cfg, run_dir=run_dir)
    message = str(info.value)
    assert message.startswith(f"{data_dir / 'train.csv'}: read as a single column"), message
    assert f"seems to be separated by {shown}" in message and "competition.sep=" in message
    assert fold_dirs(run_dir) == []


def test_sep_option_reads_semicolon_files_like_a_clean_run(tmp_path: Path) -> None:
    _, clean_run = run_titanic(tmp_path, titanic_frames(), name="clean")
    data_dir = tmp_path / "data_semicolon"
    data_dir.mkdir()
    for name, frame in titanic_frames().items():
        frame.to_csv(data_dir / f"{name}.csv", index=False, sep=";")
    run_dir = tmp_path / "semicolon"
    cfg = compose_config(*TITANIC, f"competition.data_dir={data_dir}", "competition.sep=';'")
    train(cfg, run_dir=run_dir)
    np.testing.assert_allclose(predictions(run_dir), predictions(clean_run), rtol=1e-5, atol=1e-6)


def test_repeated_header_names_are_refused(tmp_path: Path) -> None:
    frames = titanic_frames()
    data_dir = write(tmp_path / "data", frames)
    train_frame = frames["train"].copy()
    train_frame.insert(len(train_frame.columns), "Age_copy", train_frame["Age"])
    text = train_frame.to_csv(index=False).replace("Age_copy", "Age", 1)
    (data_dir / "train.csv").write_text(text)
    run_dir = tmp_path / "run"
    with pytest.raises(DataError) as info:
        train(compose_config(*TITANIC, f"competition.data_dir={data_dir}"), run_dir=run_dir)
    message = str(info.value)
    assert message.startswith(f"{data_dir / 'train.csv'}: the header repeats"), message
    assert "['Age']" in message and "'Age.1'" in message
    assert fold_dirs(run_dir) == []


# -- one masker for URLs ------------------------------------------------------------------------


def test_passwords_holding_a_slash_are_masked_by_the_one_masker() -> None:
    url = "postgresql://kaggle:s3cr/et@db-host/optuna"
    masked = "postgresql://kaggle:***@db-host/optuna"
    assert mask_url(url) == masked
    assert mask_credentials(f"storage: {url}\nother: 1") == f"storage: {masked}\nother: 1"
    assert mask_in_text(f"Error opening '{url}'", None) == f"Error opening '{masked}'"
    assert mask_credentials("sqlite:////tmp/a/study.db") == "sqlite:////tmp/a/study.db"


# -- through the real entry point: one line, no traceback, exit code 2 or 1 ---------------------


def entry_point(*overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), *overrides],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("case", "code", "text"),
    [
        ("loss", 2, "trainer.loss='categorical_crossentropy' does not fit a binary task"),
        ("data", 1, "numeric column 'Age' holds 5 non-numeric cell(s)"),
    ],
)
def test_the_entry_point_prints_one_line_and_exits_2_for_config_1_for_data(
    tmp_path: Path, case: str, code: int, text: str
) -> None:
    frames = titanic_frames()
    extra = ["trainer.loss=categorical_crossentropy"] if case == "loss" else []
    if case == "data":
        _unknown_ages(frames)
    data_dir = write(tmp_path / "data", frames)
    run_dir = tmp_path / "run"
    proc = entry_point(
        *TITANIC, f"competition.data_dir={data_dir}", f"hydra.run.dir={run_dir}", *extra
    )
    assert proc.returncode == code, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and text in errors[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert fold_dirs(run_dir) == []
