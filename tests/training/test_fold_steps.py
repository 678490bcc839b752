"""One fold, step by step: each step of FOLD_STEPS adds its part to the FoldContext."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from kagglekit import cv as cvlib
from kagglekit.data.loading import ensure_prepared, load_competition
from kagglekit.parts import RunParts
from kagglekit.pipeline import build_parts, make_task
from kagglekit.rundir import RunDir
from kagglekit.training import fold as steps
from kagglekit.training.callback_state import state_keys
from kagglekit.training.fold import FOLD_STEPS, CVData, FoldContext
from kagglekit.training.nan_guard import NonFiniteLossError
from tests.conftest import Compose


@pytest.fixture
def titanic(compose_cfg: Compose, shared_data_dir: Path, tmp_path: Path) -> tuple[RunParts, CVData]:
    cfg = compose_cfg(
        "competition=titanic",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "cv.n_splits=3",
        f"competition.data_dir={shared_data_dir / 'titanic'}",
    )
    parts = build_parts(cfg)
    ensure_prepared(parts.spec)
    data = load_competition(parts.spec)
    task = make_task(parts.spec, data)
    y = task.encode(data.targets)
    folds = cvlib.assign_folds(parts.splitter, data.n_train, y=y)
    return parts, CVData(data.train, y, task, data.test, folds, tmp_path / "run")


def _context(parts: RunParts, data: CVData, k: int = 0) -> FoldContext:
    rows = cvlib.fold_indices(data.folds, k)
    return FoldContext(k, parts, data, *rows, RunDir(data.run_dir).fold(k))


def test_each_step_adds_its_part(titanic: tuple[RunParts, CVData]) -> None:
    parts, data = titanic
    ctx = _context(parts, data)
    assert [s.__name__ for s in FOLD_STEPS] == [
        "start",
        "preprocess",
        "build",
        "add_callbacks",
        "restore_backup",
        "fit",
        "apply_nan_policy",
        "choose_weights",
        "predict_fold",
        "score",
        "save",
    ]
    steps.start(ctx)
    assert ctx.folder.path.is_dir()
    steps.preprocess(ctx)
    assert ctx.folder.preprocessing.exists()
    assert len(next(iter(ctx.x_train.values()))) == len(ctx.train_rows)
    assert len(next(iter(ctx.x_valid.values()))) == len(ctx.valid_rows)
    assert len(next(iter(ctx.x_test.values()))) == len(data.test)
    steps.build(ctx)
    assert ctx.model.optimizer is not None
    steps.add_callbacks(ctx)
    # the configured callbacks are named after their keys; the guard and the backup come last
    keys = state_keys(ctx.callbacks)
    assert "EarlyStopping:early_stopping" in keys
    assert "AtomicModelCheckpoint:model_checkpoint" in keys
    assert keys[-2:] == ["NanGuard", "FoldBackup"]
    steps.restore_backup(ctx)
    assert ctx.initial_epoch == 0
    steps.fit(ctx)
    assert len(ctx.history.epoch) == 2 and ctx.folder.history.exists()
    steps.apply_nan_policy(ctx)
    steps.choose_weights(ctx)
    assert ctx.weights == ctx.folder.weights and ctx.weights.exists()
    steps.predict_fold(ctx)
    assert len(ctx.oof) == len(ctx.valid_rows) and len(ctx.test) == len(data.test)
    steps.score(ctx)
    assert 0.0 <= ctx.score <= 1.0
    steps.save(ctx)
    assert ctx.state["status"] == "complete" and ctx.state["score"] == ctx.score
    assert ctx.folder.state.exists() and not ctx.folder.backup.exists()
    np.testing.assert_array_equal(np.load(ctx.folder.oof), ctx.oof)
    result = ctx.result()
    assert (result.fold, result.score) == (0, ctx.score)


def test_the_nan_policy_step(titanic: tuple[RunParts, CVData]) -> None:
    parts, data = titanic
    ctx = _context(parts, data)
    steps.add_callbacks(ctx)
    ctx.guard.tripped = (1, 3, float("nan"))
    with pytest.raises(NonFiniteLossError, match="Fold 0: the loss became nan at epoch 2"):
        steps.apply_nan_policy(ctx)  # on_nan=error
    stop = dataclasses.replace(parts, settings=dataclasses.replace(parts.settings, on_nan="stop"))
    ctx.parts = stop
    with pytest.raises(NonFiniteLossError):
        steps.apply_nan_policy(ctx)  # on_nan=stop, but no good checkpoint to keep
    ctx.folder.path.mkdir(parents=True)
    ctx.folder.weights.write_bytes(b"a checkpoint")
    steps.apply_nan_policy(ctx)  # on_nan=stop keeps the last good checkpoint
