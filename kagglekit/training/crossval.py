"""The cross-validation loop: every fold -> out-of-fold and test predictions.

Each fold writes its own folder (``fold_<k>/``): weights, history, preprocessing statistics,
validation and test predictions, and ``state.json`` last (:mod:`kagglekit.training.fold`
trains one fold, step by step). A rerun over the same run directory skips the folds whose
``state.json`` says complete and reuses their predictions; when the test file changed since a
fold was trained (its ``state.json`` records which test file it predicted), the fold's test
predictions are recomputed from its checkpoint, without retraining.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kagglekit.cv import fold_indices, n_folds
from kagglekit.errors import ConfigError, KagglekitError
from kagglekit.files import load_array, read_json, save_array, write_json
from kagglekit.parts import FoldHooks, RunParts
from kagglekit.rundir import WEIGHTS_FILE, FoldDir, RunDir
from kagglekit.tasks import TargetTask
from kagglekit.training.fit import predict
from kagglekit.training.fold import (
    CVData,
    FoldResult,
    NonFinitePredictionsError,
    build_fold_model,
    fit_preprocessor,
    fold_callbacks,
    fold_scope,
    train_fold,
    write_checkpoints,
)
from kagglekit.training.progress import FoldProgress, RunProgress

log = logging.getLogger(__name__)

__all__ = [
    "WEIGHTS_FILE",
    "CVData",
    "CVResult",
    "FoldHooks",
    "FoldResult",
    "NonFinitePredictionsError",
    "cross_validate",
    "fold_callbacks",
    "fold_dir",
    "predict_from_weights",
    "run_fold",
    "write_checkpoints",
]


@dataclass(frozen=True)
class CVResult:
    oof: np.ndarray
    test_pred: np.ndarray
    folds: list[FoldResult]

    @property
    def fold_scores(self) -> list[float]:
        return [f.score for f in self.folds]


def fold_dir(run_dir: Path, k: int) -> Path:
    return RunDir(run_dir).fold(k).path


class FoldStateError(KagglekitError, RuntimeError):
    """A finished fold's files are unreadable and cannot be rebuilt; the message says what to do."""


def _read_finished(directory: Path) -> dict[str, Any] | None:
    state_file = FoldDir(directory).state
    if not state_file.exists():
        return None
    try:
        state = read_json(state_file)
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); the fold will be trained again.", state_file, exc)
        return None
    return state if state.get("status") == "complete" else None


def _load_rows(path: Path, n_rows: int) -> np.ndarray | None:
    """A fold's stored predictions, or None when unreadable or of another row count."""
    try:
        values = load_array(path)
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s).", path, exc)
        return None
    if len(values) != n_rows:
        log.warning("%s holds %d rows, the data %d.", path, len(values), n_rows)
        return None
    return values


def predict_from_weights(
    parts: RunParts,
    task: TargetTask,
    weights: Path,
    train_frame: pd.DataFrame,
    train_rows: np.ndarray,
    frames: Sequence[pd.DataFrame],
) -> list[np.ndarray]:
    """Refit the fold's preprocessing (deterministic), load ``weights`` and predict ``frames``
    (under the run's precision and distribution, as in training)."""
    with fold_scope(parts.settings):
        preprocessor = fit_preprocessor(parts, train_frame.iloc[train_rows])
        model = build_fold_model(parts, task, preprocessor)
        model.optimizer.build(model.trainable_variables)  # checkpoints hold the optimizer state
        try:
            model.load_weights(str(weights))
        except (OSError, ValueError) as exc:
            raise FoldStateError(
                f"Cannot load {weights} ({exc}). Delete {weights.parent} to train this fold again."
            ) from exc
        batch = parts.settings.predict_batch_size
        return [
            task.to_predictions(predict(model, preprocessor.transform(f), batch)) for f in frames
        ]


def run_fold(
    k: int, parts: RunParts, data: CVData, progress: FoldProgress | None = None
) -> FoldResult:
    """Train fold ``k``, or reuse it when it is complete.

    A finished fold that predicted another test file than ``data.test_key`` names gets its
    test predictions recomputed from its checkpoint (no retraining).
    """
    rows = fold_indices(data.folds, k, forward_only=parts.forward_only)
    state = _read_finished(RunDir(data.run_dir).fold(k).path)
    if state is not None:
        return reuse_fold(k, parts, data, rows, state)
    return train_fold(k, parts, data, rows, progress)


def reuse_fold(
    k: int,
    parts: RunParts,
    data: CVData,
    rows: tuple[np.ndarray, np.ndarray],
    state: dict[str, Any],
) -> FoldResult:
    """A complete fold's stored predictions, rebuilt from its checkpoint when unusable."""
    folder = RunDir(data.run_dir).fold(k)
    train_rows, valid_rows = rows
    test_key = data.test_key
    weights = Path(state.get("weights") or folder.weights)
    stale_test = test_key is not None and state.get("test_key") != test_key
    oof = _load_rows(folder.oof, len(valid_rows))
    test = None if stale_test else _load_rows(folder.test_pred, len(data.test))

    def predict_frames(frames: list[pd.DataFrame]) -> list[np.ndarray]:
        return predict_from_weights(parts, data.task, weights, data.train, train_rows, frames)

    if oof is None:
        log.warning("Fold %d: rebuilding its predictions from %s.", k, weights)
        oof, test = predict_frames([data.train.iloc[valid_rows], data.test])
        save_array(folder.oof, oof)
        save_array(folder.test_pred, test)
    elif test is None:
        (test,) = predict_frames([data.test])
        save_array(folder.test_pred, test)
        log.warning(
            "Fold %d: %s: its test predictions were recomputed from %s (no retraining).",
            k,
            "the test file changed since this fold was trained"
            if stale_test
            else "its stored test predictions were unusable",
            weights,
        )
    if stale_test:
        state = {**state, "test_key": test_key}
        write_json(folder.state, state)
    log.info("Fold %d: already complete (score %.6f), reusing its predictions.", k, state["score"])
    return FoldResult(k, float(state["score"]), valid_rows, oof, test, state)


class FoldSelectionError(ConfigError):
    """``trainer.folds`` names folds the fold assignment does not have."""


def cross_validate(parts: RunParts, data: CVData) -> CVResult:
    """Train every fold (or ``settings.folds`` only) and gather OOF and averaged test
    predictions; the hooks of ``parts`` see each finished fold."""
    count = n_folds(data.folds)
    selected = (
        list(parts.settings.folds) if parts.settings.folds is not None else list(range(count))
    )
    unknown = [k for k in selected if not 0 <= k < count]
    if unknown:
        raise FoldSelectionError(
            f"trainer.folds names fold(s) {unknown}, but there are {count} folds "
            f"(0 to {count - 1}): pick some of those, or trainer.folds=null for all."
        )
    results = []
    settings = parts.settings
    progress = RunProgress(
        len(selected), settings.epochs, terminal=None if settings.progress else False
    )
    with progress:
        for position, k in enumerate(selected, start=1):
            line = progress.fold(k, position) if settings.progress else None
            result = run_fold(k, parts, data, line)
            results.append(result)
            parts.fold_done(result)
    return gather(results, len(data.train))


def gather(results: list[FoldResult], n_rows: int) -> CVResult:
    """The folds' OOF predictions in training-row order (NaN where a row was never validated)
    and their test predictions averaged."""
    width = results[0].oof.reshape(len(results[0].oof), -1).shape[1]
    oof = np.full((n_rows, width), np.nan)
    for result in results:
        oof[result.valid_rows] = result.oof.reshape(len(result.oof), -1)
    test_pred = np.mean([r.test_pred for r in results], axis=0)
    if results[0].oof.ndim == 1:
        oof = oof[:, 0]
    return CVResult(oof=oof, test_pred=test_pred, folds=results)
