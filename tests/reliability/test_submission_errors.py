"""11: a submission Kaggle would reject is refused before anything is written (no new file, an
older one kept), with counts and the first offending ids; a test file in shuffled row order
still gives each id its own prediction."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.data import load_competition
from kagglekit.examples.titanic.prepare import prepare
from kagglekit.pipeline import build_parts, load_run_config, make_submission, make_task, predict
from kagglekit.pipeline import train as train_run
from kagglekit.submission import SubmissionError, build_submission, validate_submission
from tests.conftest import compose_config
from tests.reliability.helpers import ROOT, env

OLD = "PassengerId,Survived\n1,0.5\n"  # an older submission that a refusal must leave alone


@pytest.fixture(scope="module")
def titanic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A quick titanic run submitting probabilities (distinct per passenger, unlike labels)."""
    base = tmp_path_factory.mktemp("titanic")
    data_dir, run_dir = prepare(base / "data"), base / "run"
    cfg = compose_config(
        "competition=titanic",
        f"competition.data_dir={data_dir}",
        "competition.submission=probability",
        "cv.n_splits=2",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "model.hidden_units=[16]",
    )
    train_run(cfg, run_dir=run_dir)
    return data_dir, run_dir


def outputs(folder: Path) -> tuple[Path, Path]:
    """An output path that does not exist yet and one that holds an older submission."""
    folder.mkdir()
    old = folder / "old" / "submission.csv"
    old.parent.mkdir()
    old.write_text(OLD)
    return folder / "new" / "submission.csv", old


def assert_nothing_written(new: Path, old: Path) -> None:
    assert not new.exists()
    assert not new.parent.exists() or not any(new.parent.iterdir())
    assert old.read_text() == OLD
    assert [p.name for p in old.parent.iterdir()] == ["submission.csv"]  # no temporary file


def _nan(pred: np.ndarray, rows: list[int]) -> np.ndarray:
    pred[rows] = np.nan
    return pred


def _set(value: float) -> Any:
    def change(pred: np.ndarray, rows: list[int]) -> np.ndarray:
        pred[rows] = value
        return pred

    return change


# name -> (submission kind, change to the test predictions, texts of the message)
BAD_PREDICTIONS = {
    "nan_labels": ("label", _nan, ["2 of 262 test prediction row(s) hold NaN or inf"]),
    "nan_probabilities": ("probability", _nan, ["2 of 262", "NaN or inf"]),
    "inf": ("probability", _set(np.inf), ["2 of 262", "NaN or inf"]),
    "above_one": ("probability", _set(1.5), ["'Survived': 2 probabilities outside [0, 1]"]),
    "below_zero": ("probability", _set(-0.1), ["'Survived': 2 probabilities outside [0, 1]"]),
}


@pytest.mark.parametrize("case", list(BAD_PREDICTIONS))
def test_11_bad_predictions_are_refused_before_writing(
    titanic_run: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    _, run_dir = titanic_run
    kind, change, texts = BAD_PREDICTIONS[case]
    spec = dataclasses.replace(build_parts(load_run_config(run_dir)).spec, submission=kind)
    data = load_competition(spec)
    task = make_task(spec, data)
    rows = [7, 3]
    bad = change(np.load(run_dir / "test_pred.npy", allow_pickle=False), rows)
    assert data.test_ids is not None
    bad_ids = [str(i) for i in data.test_ids.iloc[rows]]
    new, old = outputs(tmp_path / "out")
    for path in (new, old):
        with pytest.raises(SubmissionError) as info:
            make_submission(spec, task, data, bad, path)
        message = str(info.value)
        for text in texts:
            assert text in message, message
        for id_ in bad_ids:  # the first offending ids
            assert id_ in message, message
    assert_nothing_written(new, old)


def _sample_changes() -> dict[str, tuple[Any, list[str]]]:
    def missing_prediction(sample: pd.DataFrame) -> pd.DataFrame:
        extra = pd.DataFrame({"PassengerId": [99999, 99998], "Survived": 0})
        return pd.concat([sample, extra], ignore_index=True)

    def extra_prediction(sample: pd.DataFrame) -> pd.DataFrame:
        return sample.iloc[3:].reset_index(drop=True)

    def duplicated(sample: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([sample, sample.iloc[[5, 9]]], ignore_index=True)

    def header(sample: pd.DataFrame) -> pd.DataFrame:
        return sample.assign(Extra=0)

    return {
        # found when the files are loaded (issue 9), before any prediction is made
        "ids_missing": (missing_prediction, ["2 sample id(s) missing from the test file", "99999"]),
        "ids_extra": (extra_prediction, ["3 test id(s) not in the sample"]),
        "ids_duplicated": (duplicated, ["2 duplicated id(s)"]),
        "header_different": (header, ["2 prediction column(s) ['Survived', 'Extra']"]),
    }


SAMPLE_CHANGES = _sample_changes()


@pytest.mark.parametrize("case", list(SAMPLE_CHANGES))
def test_11_ids_or_header_not_matching_the_sample_are_refused_before_writing(
    titanic_run: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    data_dir, run_dir = titanic_run
    change, texts = SAMPLE_CHANGES[case]
    sample = pd.read_csv(data_dir / "sample_submission.csv")
    changed = change(sample)
    sample_file = tmp_path / "sample_submission.csv"
    changed.to_csv(sample_file, index=False)
    if case == "ids_extra":
        texts = [*texts, str(sample["PassengerId"].iloc[0])]
    if case == "ids_duplicated":
        texts = [*texts, str(sample["PassengerId"].iloc[5])]
    new, old = outputs(tmp_path / "out")
    for path in (new, old):
        with pytest.raises((SubmissionError, ValueError)) as info:
            predict(run_dir, sample_submission=sample_file, output=path)
        for text in texts:
            assert text in str(info.value), str(info.value)
    assert_nothing_written(new, old)


def test_11_header_and_row_count_checks_name_counts_and_ids() -> None:
    """The checks behind every submission, on frames: header, row count (by position), ids."""
    sample = pd.DataFrame({"ImageId": [1, 2, 3, 4], "Label": [0, 0, 0, 0]})
    renamed = sample.rename(columns={"Label": "label"})
    with pytest.raises(SubmissionError, match=r"Header \['ImageId', 'label'\] differs"):
        validate_submission(renamed, sample, kind="label", labels=[0, 1])
    values = pd.DataFrame({"Label": [1, 0, 1]})
    with pytest.raises(SubmissionError, match="Wrong row count: 3 predictions for 4 rows"):
        build_submission(sample, values, kind="label", test_ids=None, labels=[0, 1])
    shifted = sample.assign(ImageId=[1, 2, 5, 6])
    with pytest.raises(SubmissionError, match=r"2 row\(s\), first rows \[2, 3\] \(ids \[5, 6\]\)"):
        validate_submission(shifted, sample, kind="label", labels=[0, 1])
    unknown = sample.assign(Label=[0, 7, 1, 9])
    with pytest.raises(SubmissionError, match=r"2 value\(s\) are not known labels.*ids \[2, 4\]"):
        validate_submission(unknown, sample, kind="label", labels=[0, 1])


def test_11_shuffled_test_file_gives_the_same_prediction_per_id(
    titanic_run: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, run_dir = titanic_run
    test = pd.read_csv(data_dir / "test.csv")
    order = np.random.default_rng(3).permutation(len(test))
    assert (order != np.arange(len(test))).mean() > 0.9
    shuffled = tmp_path / "test_shuffled.csv"
    test.iloc[order].to_csv(shuffled, index=False)
    out = tmp_path / "submission.csv"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "predict.py"),
            str(run_dir),
            "--test",
            str(shuffled),
            "--sample-submission",
            str(data_dir / "sample_submission.csv"),
            "--output",
            str(out),
        ],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    reference = pd.read_csv(run_dir / "submission.csv")
    rebuilt = pd.read_csv(out)
    assert list(rebuilt.columns) == list(reference.columns)
    assert rebuilt["PassengerId"].tolist() == reference["PassengerId"].tolist()  # sample order
    merged = reference.merge(rebuilt, on="PassengerId", suffixes=("", "_rebuilt"))
    assert len(merged) == len(reference) == len(test)
    np.testing.assert_allclose(merged["Survived_rebuilt"], merged["Survived"], atol=1e-6)
    # the check can fail: matching by position would give other passengers' predictions
    permuted = reference["Survived"].to_numpy()[order]
    assert not np.allclose(permuted, reference["Survived"].to_numpy(), atol=1e-3)
