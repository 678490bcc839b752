"""Seed bagging (``trainer.seeds``): every fold trained once per seed, the seeds averaged.

One tiny titanic run (2 folds x seeds [0, 1], 1 epoch) is trained once for the module; each
test reads it, or works on a copy of it.
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import DictConfig

from kagglekit.bundle import check_finished, package, run_dir_of, run_files
from kagglekit.errors import ConfigError
from kagglekit.fingerprint import Fingerprint, compare
from kagglekit.pipeline import predict
from kagglekit.pipeline import train as train_run
from kagglekit.rundir import RunChangedError
from kagglekit.training.fit import TrainerSettings
from kagglekit.tuning.sweep import reuse_finished_folds
from tests.conftest import compose_config

SEEDS = [0, 1]
TINY = [
    "competition=titanic",
    "cv.n_splits=2",
    "trainer.epochs=1",
    "trainer.verbose=0",
    "trainer.progress=false",
    "model.hidden_units=[8]",
]


def config(data_dir: Path, *extra: str) -> DictConfig:
    return compose_config(*TINY, f"competition.data_dir={data_dir}", *extra)


@pytest.fixture(scope="module")
def bagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data folder, run directory) of a finished run with ``trainer.seeds=[0,1]``."""
    base = tmp_path_factory.mktemp("bagging")
    data_dir, run_dir = base / "data", base / "run"
    train_run(config(data_dir, "trainer.seeds=[0,1]"), run_dir=run_dir)
    return data_dir, run_dir


def _scores(run_dir: Path) -> dict:
    return json.loads((run_dir / "scores.json").read_text())


def test_each_fold_and_seed_is_a_unit_and_the_fold_is_their_mean(
    bagged: tuple[Path, Path],
) -> None:
    _, run_dir = bagged
    oof = np.load(run_dir / "oof.npy")
    folds = pd.read_csv(run_dir / "folds.csv")["fold"].to_numpy()
    for k in range(2):
        fold = run_dir / f"fold_{k}"
        assert not (fold / "model.weights.h5").exists()  # the weights are the seeds'
        units = [fold / f"seed_{s}" for s in SEEDS]
        for s, unit in zip(SEEDS, units, strict=True):
            for name in ("model.weights.h5", "preprocessing.json", "oof.npy", "test_pred.npy"):
                assert (unit / name).is_file(), unit / name
            state = json.loads((unit / "state.json").read_text())
            assert state["status"] == "complete"
            assert (state["seed"], state["random_seed"]) == (s, s + k)
            assert not (unit / "backup").exists()
        seed_oof = [np.load(u / "oof.npy") for u in units]
        seed_test = [np.load(u / "test_pred.npy") for u in units]
        assert not np.array_equal(seed_oof[0], seed_oof[1])  # each seed trained its own model
        np.testing.assert_array_equal(np.load(fold / "oof.npy"), np.mean(seed_oof, axis=0))
        np.testing.assert_array_equal(np.load(fold / "test_pred.npy"), np.mean(seed_test, axis=0))
        # the run's OOF rows of fold k are the bagged ones
        rows = np.flatnonzero(folds == k)
        np.testing.assert_array_equal(oof[rows], np.mean(seed_oof, axis=0))
        fold_state = json.loads((fold / "state.json").read_text())
        assert fold_state["seeds"] == SEEDS
    test_pred = np.mean(
        [np.load(run_dir / f"fold_{k}" / "test_pred.npy") for k in range(2)], axis=0
    )
    np.testing.assert_array_equal(np.load(run_dir / "test_pred.npy"), test_pred)


def test_scores_per_seed_and_bagged(bagged: tuple[Path, Path]) -> None:
    _, run_dir = bagged
    scores = _scores(run_dir)
    assert scores["seeds"] == SEEDS
    assert set(scores["seed_cv"]) == {"0", "1"}
    assert scores["bagged_cv"] == scores["cv"]
    assert scores["seed_cv_mean"] == pytest.approx(np.mean(list(scores["seed_cv"].values())))
    for s in SEEDS:
        unit_scores = [
            json.loads((run_dir / f"fold_{k}" / f"seed_{s}" / "state.json").read_text())["score"]
            for k in range(2)
        ]
        assert scores["seed_folds"][str(s)] == unit_scores
    fold_scores = [
        json.loads((run_dir / f"fold_{k}" / "state.json").read_text())["score"] for k in range(2)
    ]
    assert scores["folds"] == fold_scores
    state = json.loads((run_dir / "run_state.json").read_text())
    assert set(state["folds"]["0"]["seeds"]) == {"0", "1"}


def test_the_report_shows_each_seed_and_the_curves(bagged: tuple[Path, Path]) -> None:
    _, run_dir = bagged
    scores = _scores(run_dir)
    html = (run_dir / "report.html").read_text()
    for s in SEEDS:
        assert f"seed {s}: {scores['seed_cv'][str(s)]:.6f}" in html
    assert "Learning curves" in html  # drawn from each fold's first seed


def test_a_failed_trials_retry_copies_the_finished_units(
    bagged: tuple[Path, Path], tmp_path: Path
) -> None:
    _, original = bagged
    failed = tmp_path / "failed"
    shutil.copytree(original, failed)
    # fold 1 did not finish: only its seed 0 is complete
    (failed / "fold_1" / "state.json").unlink()
    (failed / "fold_1" / "seed_1" / "state.json").unlink()
    copied = reuse_finished_folds(failed, tmp_path / "retry")
    assert copied == ["fold_0", "fold_1/seed_0"]
    assert (tmp_path / "retry" / "fold_1" / "seed_0" / "model.weights.h5").is_file()
    assert not (tmp_path / "retry" / "fold_1" / "seed_1").exists()


def test_predict_averages_the_same_models(bagged: tuple[Path, Path], tmp_path: Path) -> None:
    _, run_dir = bagged
    out = tmp_path / "submission.csv"
    predict(run_dir, output=out)
    assert out.read_bytes() == (run_dir / "submission.csv").read_bytes()


def test_a_rerun_reuses_the_finished_units_and_trains_the_missing_one(
    bagged: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir, original = bagged
    run_dir = tmp_path / "run"
    shutil.copytree(original, run_dir)
    # a run killed in fold 1, seed 1: that unit has no state.json, the fold no bagged state
    killed = run_dir / "fold_1" / "seed_1"
    (killed / "state.json").unlink()
    (run_dir / "fold_1" / "state.json").unlink()
    (run_dir / "submission.csv").unlink()
    kept = {p: p.stat().st_mtime_ns for p in run_dir.glob("fold_*/seed_*/model.weights.h5")}
    with caplog.at_level(logging.INFO):
        train_run(config(data_dir, "trainer.seeds=[0,1]"), run_dir=run_dir)
    reused = [r.getMessage() for r in caplog.records if "already complete" in r.getMessage()]
    assert len(reused) == 3
    messages = "\n".join(r.getMessage() for r in caplog.records)
    scores = _scores(run_dir)
    for s in SEEDS:  # the log reports each seed's CV and the bagged one
        assert f"Seed {s}: CV {scores['metric']} = {scores['seed_cv'][str(s)]:.6f}" in messages
    assert f"Bagged CV {scores['metric']} = {scores['cv']:.6f}" in messages
    for path, mtime in kept.items():
        assert (path.stat().st_mtime_ns == mtime) == (path.parent != killed), path
    assert json.loads((killed / "state.json").read_text())["status"] == "complete"
    # the retrained unit (same seed) gives the same models, so the same submission
    assert (run_dir / "submission.csv").read_bytes() == (original / "submission.csv").read_bytes()


def test_other_seeds_refuse_to_reuse_the_run(bagged: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, original = bagged
    run_dir = tmp_path / "run"
    shutil.copytree(original, run_dir)
    for seeds in ("trainer.seeds=[0,2]", "trainer.seeds=null"):
        with pytest.raises(RunChangedError, match=r"trainer\.seeds"):
            train_run(config(data_dir, seeds), run_dir=run_dir)


def test_fingerprint_of_an_older_run_without_the_key_still_matches() -> None:
    old = Fingerprint(config={"trainer.seed": 42})
    same = compare(old, Fingerprint(config={"trainer.seed": 42, "trainer.seeds": None}))
    assert not same.decides_training
    changed = compare(old, Fingerprint(config={"trainer.seed": 42, "trainer.seeds": [0, 1]}))
    assert changed.training == ["trainer.seeds (None -> [0, 1])"]


def test_a_bagged_run_packages_its_seeds(bagged: tuple[Path, Path], tmp_path: Path) -> None:
    _, run_dir = bagged
    assert check_finished(run_dir)["seeds"] == SEEDS
    files = {str(p) for p in run_files(run_dir)}
    for k in range(2):
        for s in SEEDS:
            unit = f"fold_{k}/seed_{s}"
            assert {f"{unit}/model.weights.h5", f"{unit}/preprocessing.json"} <= files
            assert f"{unit}/oof.npy" not in files and f"{unit}/test_pred.npy" not in files
    # the bundle predicts the run's submission (a stand-in wheel: no build here)
    wheel = tmp_path / "kagglekit-0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("kagglekit/conf/config.yaml", "")
    out = tmp_path / "bundle"
    package(run_dir, out, wheel=wheel)
    predicted = tmp_path / "submission.csv"
    predict(run_dir_of(out), output=predicted)
    assert predicted.read_bytes() == (run_dir / "submission.csv").read_bytes()


@pytest.mark.parametrize("seeds", [[], [0, 0], ["a"], [-1], [True]])
def test_bad_seeds_are_config_errors(seeds: list) -> None:
    with pytest.raises(ConfigError, match=r"trainer\.seeds"):
        TrainerSettings(seeds=seeds)
