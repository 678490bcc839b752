"""The cross-validation loop: every fold -> out-of-fold and test predictions.

Each fold writes its own folder (``fold_<k>/``): weights, history, preprocessing statistics,
validation and test predictions, and ``state.json`` last (:mod:`kagglekit.training.fold`
trains one fold, step by step). A rerun over the same run directory skips the folds whose
``state.json`` says complete and reuses their predictions; when the test file changed since a
fold was trained (its ``state.json`` records which test file it predicted), the fold's test
predictions are recomputed from its checkpoint, without retraining.

Seed bagging (``trainer.seeds``): each fold is trained once per seed, each (fold, seed) a unit of
its own in ``fold_<k>/seed_<s>/`` (resumed and reused like an unbagged fold); the fold's OOF and
test predictions are the mean over its seeds (``fold_<k>/oof.npy``, ``test_pred.npy`` and a
``state.json`` with the bagged score, written once every seed of the fold is complete).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    unit_label,
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
    "bag_fold",
    "bag_predictions",
    "cross_validate",
    "fold_callbacks",
    "fold_dir",
    "predict_from_weights",
    "run_fold",
    "write_checkpoints",
]


@dataclass(frozen=True)
class CVResult:
    """Every fold's OOF predictions (training-row order) and the averaged test predictions.

    With seed bagging ``folds`` are the bagged folds and ``by_seed`` holds, for each seed, the
    same result of that seed's units alone.
    """

    oof: np.ndarray
    test_pred: np.ndarray
    folds: list[FoldResult]
    by_seed: dict[int, CVResult] = field(default_factory=dict)

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
    seed: int | None = None,
) -> list[np.ndarray]:
    """Refit the fold's preprocessing (deterministic; ``seed``: the unit's bag seed), load
    ``weights`` and predict ``frames`` (under the run's precision and distribution, as in
    training)."""
    with fold_scope(parts.settings):
        preprocessor = fit_preprocessor(parts, train_frame.iloc[train_rows], seed)
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
    k: int,
    parts: RunParts,
    data: CVData,
    progress: FoldProgress | None = None,
    seed: int | None = None,
) -> FoldResult:
    """Train fold ``k`` (its unit of bagging seed ``seed``), or reuse it when it is complete.

    A finished fold that predicted another test file than ``data.test_key`` names gets its
    test predictions recomputed from its checkpoint (no retraining).
    """
    rows = fold_indices(data.folds, k, forward_only=parts.forward_only)
    state = _read_finished(RunDir(data.run_dir).unit(k, seed).path)
    if state is not None:
        return reuse_fold(k, parts, data, rows, state, seed=seed)
    return train_fold(k, parts, data, rows, progress, seed=seed)


def reuse_fold(
    k: int,
    parts: RunParts,
    data: CVData,
    rows: tuple[np.ndarray, np.ndarray],
    state: dict[str, Any],
    seed: int | None = None,
) -> FoldResult:
    """A complete fold's (unit's) stored predictions, rebuilt from its checkpoint when
    unusable."""
    folder = RunDir(data.run_dir).unit(k, seed)
    label = unit_label(k, seed)
    train_rows, valid_rows = rows
    test_key = data.test_key
    weights = Path(state.get("weights") or folder.weights)
    stale_test = test_key is not None and state.get("test_key") != test_key
    oof = _load_rows(folder.oof, len(valid_rows))
    test = None if stale_test else _load_rows(folder.test_pred, len(data.test))

    def predict_frames(frames: list[pd.DataFrame]) -> list[np.ndarray]:
        return predict_from_weights(parts, data.task, weights, data.train, train_rows, frames, seed)

    if oof is None:
        log.warning("%s: rebuilding its predictions from %s.", label, weights)
        oof, test = predict_frames([data.train.iloc[valid_rows], data.test])
        save_array(folder.oof, oof)
        save_array(folder.test_pred, test)
    elif test is None:
        (test,) = predict_frames([data.test])
        save_array(folder.test_pred, test)
        log.warning(
            "%s: %s: its test predictions were recomputed from %s (no retraining).",
            label,
            "the test file changed since this fold was trained"
            if stale_test
            else "its stored test predictions were unusable",
            weights,
        )
    if stale_test:
        state = {**state, "test_key": test_key}
        write_json(folder.state, state)
    log.info("%s: already complete (score %.6f), reusing its predictions.", label, state["score"])
    return FoldResult(k, float(state["score"]), valid_rows, oof, test, state, seed=seed)


def bag_predictions(predictions: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of the seeds' predictions of one fold (training and ``predict`` alike)."""
    return np.mean(predictions, axis=0)


def bag_fold(parts: RunParts, data: CVData, units: Sequence[FoldResult]) -> FoldResult:
    """Fold ``k`` from its (fold, seed) units: predictions averaged over the seeds, scored by
    the metric, written to ``fold_<k>/`` (``oof.npy``, ``test_pred.npy``, ``state.json``)."""
    first = units[0]
    k = first.fold
    oof = bag_predictions([u.oof for u in units])
    test = bag_predictions([u.test_pred for u in units])
    score = data.task.score_encoded(parts.metric, data.y[first.valid_rows], oof)
    folder = RunDir(data.run_dir).fold(k)
    save_array(folder.oof, oof)
    save_array(folder.test_pred, test)
    state: dict[str, Any] = {
        "status": "complete",
        "fold": k,
        "score": float(score),
        "seeds": [u.seed for u in units],
        "seed_scores": {str(u.seed): u.score for u in units},
        "n_train": first.info.get("n_train"),
        "n_valid": len(first.valid_rows),
        "epochs_run": [u.info.get("epochs_run") for u in units],
        "seconds": round(sum(float(u.info.get("seconds", 0.0)) for u in units), 3),
    }
    if data.test_key is not None:
        state["test_key"] = data.test_key
    write_json(folder.state, state)
    log.info(
        "Fold %d: %s = %.6f bagged over %d seeds (seeds: %s).",
        k,
        parts.metric.name,
        score,
        len(units),
        ", ".join(f"{u.seed}: {u.score:.4f}" for u in units),
    )
    return FoldResult(k, float(score), first.valid_rows, oof, test, state, units=tuple(units))


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
    seeds: list[int | None] = list(settings.seeds) if settings.seeds is not None else [None]
    progress = RunProgress(
        len(selected) * len(seeds), settings.epochs, terminal=None if settings.progress else False
    )
    position = 0
    with progress:
        for k in selected:
            units = []
            for seed in seeds:
                position += 1
                line = progress.fold(k, position, seed) if settings.progress else None
                units.append(run_fold(k, parts, data, line, seed=seed))
            result = units[0] if settings.seeds is None else bag_fold(parts, data, units)
            results.append(result)
            parts.fold_done(result)
    cv = gather(results, len(data.train))
    if settings.seeds is None:
        return cv
    by_seed = {
        seed: gather([fold.units[i] for fold in results], len(data.train))
        for i, seed in enumerate(settings.seeds)
    }
    return CVResult(cv.oof, cv.test_pred, cv.folds, by_seed)


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
