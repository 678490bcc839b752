"""The cross-validation loop: every fold -> out-of-fold and test predictions.

Each fold writes its own folder (``fold_<k>/``): weights, history, preprocessing statistics,
validation and test predictions, and ``state.json`` last. A rerun over the same run directory
skips the folds whose ``state.json`` says complete and reuses their predictions; when the test
file changed since a fold was trained (its ``state.json`` records which test file it predicted),
the fold's test predictions are recomputed from its checkpoint, without retraining.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from kagglekit.cv import fold_indices, n_folds
from kagglekit.data.preprocessing import Preprocessor
from kagglekit.errors import KagglekitError
from kagglekit.files import load_array, read_json, save_array, write_json
from kagglekit.metrics import Metric
from kagglekit.report import describe_model, plot_history
from kagglekit.rundir import WEIGHTS_FILE, FoldDir, RunDir
from kagglekit.targets import TargetCodec
from kagglekit.training.backup import FoldBackup
from kagglekit.training.callbacks import (
    AtomicModelCheckpoint,
    CallbackFactory,
    checkpoint_path,
    for_fold,
    save_weights,
)
from kagglekit.training.devices import device_distribution
from kagglekit.training.fit import (
    ModelFactory,
    OptimizerFactory,
    TrainerSettings,
    build_model,
    fit_model,
    predict,
    take_rows,
)
from kagglekit.training.nan_guard import NanGuard, NonFiniteLossError
from kagglekit.training.precision import dtype_policy

log = logging.getLogger(__name__)

__all__ = ["WEIGHTS_FILE", "cross_validate", "fold_dir", "predict_from_weights"]


@dataclass(frozen=True)
class FoldRecipe:
    """Everything needed to train any fold, as typed objects (no config past this point)."""

    make_preprocessor: Callable[[], Preprocessor]
    make_model: ModelFactory
    make_optimizer: OptimizerFactory
    callbacks: Sequence[CallbackFactory]
    settings: TrainerSettings
    codec: TargetCodec
    metric: Metric
    forward_only: bool = False
    hooks: FoldHooks | None = None


@dataclass(frozen=True)
class FoldHooks:
    """Extension points for callers such as the tuner (no config involved).

    ``callbacks(k)`` adds callbacks to fold ``k`` (e.g. an Optuna pruning callback);
    ``on_fold_end(result)`` sees each finished fold and may raise to stop the run
    (e.g. ``optuna.TrialPruned`` after a bad fold).
    """

    callbacks: Callable[[int], Sequence[keras.callbacks.Callback]] | None = None
    on_fold_end: Callable[[FoldResult], None] | None = None


@dataclass(frozen=True)
class FoldResult:
    fold: int
    score: float
    valid_rows: np.ndarray
    oof: np.ndarray
    test_pred: np.ndarray
    info: dict[str, Any]


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


def fit_preprocessor(recipe: FoldRecipe, train: pd.DataFrame) -> Preprocessor:
    return recipe.make_preprocessor().fit(train)


def build_fold_model(
    recipe: FoldRecipe, preprocessor: Preprocessor, y_train: np.ndarray | None = None
) -> keras.Model:
    """The fold's compiled model; ``y_train`` (the fold's encoded training targets) sets the
    initial bias of regression heads."""
    return build_model(
        recipe.make_model,
        preprocessor.input_specs(),
        recipe.codec.outputs(y_train),
        make_optimizer=recipe.make_optimizer,
        loss=recipe.settings.loss,
        metrics=recipe.settings.metrics,
        loss_weights=recipe.settings.loss_weights,
        jit_compile=recipe.settings.jit_compile,
        steps_per_execution=recipe.settings.steps_per_execution,
    )


@contextmanager
def fold_scope(settings: TrainerSettings) -> Iterator[None]:
    """The dtype policy and device distribution a fold's model is built, trained and used
    under; both are reset on exit so nothing leaks into the next fold, run or test."""
    with (
        device_distribution(settings.distribution, settings.batch_size),
        dtype_policy(settings.precision),
    ):
        yield


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
    recipe: FoldRecipe,
    weights: Path,
    train_frame: pd.DataFrame,
    train_rows: np.ndarray,
    frames: Sequence[pd.DataFrame],
) -> list[np.ndarray]:
    """Refit the fold's preprocessing (deterministic), load ``weights`` and predict ``frames``
    (under the run's precision and distribution, as in training)."""
    with fold_scope(recipe.settings):
        return _predict_from_weights(recipe, weights, train_frame, train_rows, frames)


def _predict_from_weights(
    recipe: FoldRecipe,
    weights: Path,
    train_frame: pd.DataFrame,
    train_rows: np.ndarray,
    frames: Sequence[pd.DataFrame],
) -> list[np.ndarray]:
    preprocessor = fit_preprocessor(recipe, train_frame.iloc[train_rows])
    model = build_fold_model(recipe, preprocessor)
    model.optimizer.build(model.trainable_variables)  # checkpoints hold the optimizer state too
    try:
        model.load_weights(str(weights))
    except (OSError, ValueError) as exc:
        raise FoldStateError(
            f"Cannot load {weights} ({exc}). Delete {weights.parent} to train this fold again."
        ) from exc
    batch = recipe.settings.predict_batch_size
    return [
        recipe.codec.to_predictions(predict(model, preprocessor.transform(f), batch))
        for f in frames
    ]


def run_fold(
    k: int,
    recipe: FoldRecipe,
    train_frame: pd.DataFrame,
    y: np.ndarray,
    test_frame: pd.DataFrame,
    folds: np.ndarray,
    run_dir: Path,
    test_key: str | None = None,
) -> FoldResult:
    """Train fold ``k``, or reuse it when it is complete.

    ``test_key`` names the test file's content; a finished fold that predicted another test
    file gets its test predictions recomputed from its checkpoint (no retraining).
    """
    folder = RunDir(run_dir).fold(k)
    directory = folder.path
    train_rows, valid_rows = fold_indices(folds, k, forward_only=recipe.forward_only)
    state = _read_finished(directory)
    if state is not None:
        weights = Path(state.get("weights") or folder.weights)
        stale_test = test_key is not None and state.get("test_key") != test_key
        oof = _load_rows(folder.oof, len(valid_rows))
        test = None if stale_test else _load_rows(folder.test_pred, len(test_frame))
        if oof is None:
            log.warning("Fold %d: rebuilding its predictions from %s.", k, weights)
            oof, test = predict_from_weights(
                recipe, weights, train_frame, train_rows, [train_frame.iloc[valid_rows], test_frame]
            )
            save_array(folder.oof, oof)
            save_array(folder.test_pred, test)
        elif test is None:
            (test,) = predict_from_weights(recipe, weights, train_frame, train_rows, [test_frame])
            save_array(folder.test_pred, test)
            log.warning(
                "Fold %d: %s: its test predictions were recomputed from %s (no retraining).",
                k,
                "the test file changed since this fold was trained"
                if stale_test
                else "its stored test predictions were unusable",
                weights,
            )
        if test_key is not None and state.get("test_key") != test_key:
            state = {**state, "test_key": test_key}
            write_json(folder.state, state)
        log.info(
            "Fold %d: already complete (score %.6f), reusing its predictions.", k, state["score"]
        )
        return FoldResult(k, float(state["score"]), valid_rows, oof, test, state)
    keras.backend.clear_session()  # before the scope: it resets Keras' global dtype policy
    with fold_scope(recipe.settings):
        return train_fold(
            k, recipe, train_frame, y, test_frame, (train_rows, valid_rows), directory, test_key
        )


def fold_callbacks(
    factories: Sequence[CallbackFactory],
    settings: TrainerSettings,
    directory: Path,
    extra: Sequence[keras.callbacks.Callback] = (),
) -> tuple[list[keras.callbacks.Callback], NanGuard, FoldBackup | None]:
    """A fold's callbacks: the configured ones for ``directory``, ``extra``, the NaN guard and
    (``settings.backup``) the fold's backup, last. Returns (all of them, guard, backup).

    Best-model checkpoints keep the best weights in memory during ``fit``; call
    :func:`write_checkpoints` after it."""
    callbacks = [for_fold(factory, directory) for factory in factories]
    callbacks += list(extra)
    for callback in callbacks:
        if isinstance(callback, AtomicModelCheckpoint):
            callback.defer = True  # best weights in memory; train_fold writes them after fit
    guard = NanGuard()
    callbacks.append(guard)
    backup = None
    if settings.backup:
        # the last backup is written while the fold writes its checkpoint and predicts;
        # backup.discard() joins it
        backup = FoldBackup(
            FoldDir(directory).backup,
            callbacks,
            every_s=settings.backup_every_s,
            wait_at_end=False,
        )
        callbacks.append(backup)
    return callbacks, guard, backup


def write_checkpoints(callbacks: Sequence[keras.callbacks.Callback]) -> None:
    """Write the best weights the fold's checkpoints hold in memory (after ``fit``)."""
    for callback in callbacks:
        if isinstance(callback, AtomicModelCheckpoint):
            callback.flush()


def train_fold(
    k: int,
    recipe: FoldRecipe,
    train_frame: pd.DataFrame,
    y: np.ndarray,
    test_frame: pd.DataFrame,
    rows: tuple[np.ndarray, np.ndarray],
    directory: Path,
    test_key: str | None = None,
) -> FoldResult:
    train_rows, valid_rows = rows
    folder = FoldDir(directory)
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(recipe.settings.seed + k)

    preprocessor = fit_preprocessor(recipe, train_frame.iloc[train_rows])
    write_json(folder.preprocessing, preprocessor.state())
    x_all = preprocessor.transform(train_frame)
    x_test = preprocessor.transform(test_frame)
    x_train, x_valid = take_rows(x_all, train_rows), take_rows(x_all, valid_rows)

    model = build_fold_model(recipe, preprocessor, y[train_rows])
    describe_model(model, directory.parent)  # model.png + model_summary.txt, once per run
    extra = (
        list(recipe.hooks.callbacks(k))
        if recipe.hooks is not None and recipe.hooks.callbacks is not None
        else []
    )
    callbacks, guard, backup = fold_callbacks(recipe.callbacks, recipe.settings, folder.path, extra)
    initial_epoch = backup.restore(model) if backup is not None else 0
    log.info(
        "Fold %d: %d training rows, %d validation rows%s.",
        k,
        len(train_rows),
        len(valid_rows),
        f", resuming after epoch {initial_epoch}" if initial_epoch else "",
    )
    history = fit_model(
        model,
        (x_train, recipe.codec.for_heads(y[train_rows])),
        (x_valid, recipe.codec.for_heads(y[valid_rows])),
        settings=recipe.settings,
        callbacks=callbacks,
        initial_epoch=initial_epoch,
    )
    write_checkpoints(callbacks)
    plot_history(folder.history_plot, history.history, csv=folder.history)

    weights = folder.weights
    best = checkpoint_path(callbacks)
    has_best = best is not None and best.exists()
    if guard.tripped is not None and (recipe.settings.on_nan == "error" or not has_best):
        raise NonFiniteLossError(guard.message(k))
    if best is not None and has_best:
        model.load_weights(str(best))
    else:
        save_weights(model, weights)

    batch = recipe.settings.predict_batch_size
    oof = recipe.codec.to_predictions(predict(model, x_valid, batch))
    test = recipe.codec.to_predictions(predict(model, x_test, batch))
    _check_finite(oof, f"fold {k} validation predictions")
    _check_finite(test, f"fold {k} test predictions")
    truth = recipe.codec.encoded_truth(y[valid_rows])
    score = recipe.metric(truth, oof, recipe.codec.task, recipe.codec.threshold)

    save_array(folder.oof, oof)
    save_array(folder.test_pred, test)
    state = {
        "status": "complete",
        "fold": k,
        "score": score,
        "n_train": len(train_rows),
        "n_valid": len(valid_rows),
        "epochs_run": initial_epoch + len(history.epoch),
        "resumed_from_epoch": initial_epoch,
        "best_epoch": _best_epoch(callbacks),
        "stopped_on_nan": guard.tripped is not None,
        "weights": str(best if best is not None and has_best else weights),
        "seconds": round(time.perf_counter() - started, 3),
        # time the training thread spent on backups (the files are written by a worker)
        "backup_seconds": round(backup.seconds_saving, 3) if backup is not None else 0.0,
    }
    if test_key is not None:
        state["test_key"] = test_key
    write_json(folder.state, state)
    if backup is not None:
        backup.discard()
    log.info(
        "Fold %d: %s = %.6f (%d epochs, %.1fs).",
        k,
        recipe.metric.name,
        score,
        state["epochs_run"],
        state["seconds"],
    )
    return FoldResult(k, score, valid_rows, oof, test, state)


def cross_validate(
    recipe: FoldRecipe,
    train_frame: pd.DataFrame,
    y: np.ndarray,
    test_frame: pd.DataFrame,
    folds: np.ndarray,
    run_dir: Path,
    *,
    test_key: str | None = None,
) -> CVResult:
    """Train every fold (or ``settings.folds`` only) and gather OOF and averaged test predictions.

    ``test_key`` identifies the test file (see :func:`run_fold`)."""
    selected = (
        list(recipe.settings.folds)
        if recipe.settings.folds is not None
        else list(range(n_folds(folds)))
    )
    unknown = [k for k in selected if not 0 <= k < n_folds(folds)]
    if unknown:
        raise ValueError(
            f"trainer.folds names fold(s) {unknown}, but there are {n_folds(folds)} folds."
        )
    results = []
    for k in selected:
        result = run_fold(k, recipe, train_frame, y, test_frame, folds, run_dir, test_key)
        results.append(result)
        if recipe.hooks is not None and recipe.hooks.on_fold_end is not None:
            recipe.hooks.on_fold_end(result)
    width = results[0].oof.reshape(len(results[0].oof), -1).shape[1]
    oof = np.full((len(train_frame), width), np.nan)
    for result in results:
        oof[result.valid_rows] = result.oof.reshape(len(result.oof), -1)
    test_pred = np.mean([r.test_pred for r in results], axis=0)
    if results[0].oof.ndim == 1:
        oof = oof[:, 0]
    return CVResult(oof=oof, test_pred=test_pred, folds=results)


def _best_epoch(callbacks: list[keras.callbacks.Callback]) -> int | None:
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.best_epoch is not None:
            return int(callback.best_epoch) + 1
    return None


class NonFinitePredictionsError(KagglekitError, ValueError):
    """The model predicted NaN/inf; nothing of the fold is saved as complete."""


def _check_finite(values: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise NonFinitePredictionsError(
            f"The model gave NaN/inf for {int(bad.sum())} row(s) of the {what} (first rows: {rows}). "
            "Training probably diverged: lower the learning rate or check the inputs for NaN/inf."
        )
