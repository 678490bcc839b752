"""One fold, step by step.

:func:`train_fold` runs :data:`FOLD_STEPS` in order on a :class:`FoldContext`; each step is a
small function that reads what the earlier ones put into the context and adds its own part:

``start`` (folder, seed) -> ``preprocess`` (fit on the training rows, transform) -> ``build``
(compiled model, model report) -> ``add_callbacks`` -> ``restore_backup`` (where a killed fold
stopped) -> ``fit`` -> ``apply_nan_policy`` -> ``choose_weights`` (best checkpoint or last
weights) -> ``predict_fold`` (validation and test rows) -> ``score`` -> ``save`` (predictions,
``state.json`` last).

With seed bagging (``trainer.seeds``) each (fold, seed) is such a unit of its own, trained in
``fold_<k>/seed_<s>/`` with seed ``s + k``; :mod:`kagglekit.training.crossval` averages them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from kagglekit.data.lazy import InputValue
from kagglekit.data.preprocessing import Preprocessor, SeededPreprocessor
from kagglekit.data.state import save_preprocessing
from kagglekit.errors import KagglekitError
from kagglekit.files import save_array, write_json
from kagglekit.parts import RunParts
from kagglekit.report import describe_model, plot_history
from kagglekit.rundir import FoldDir, RunDir
from kagglekit.tasks import TargetTask
from kagglekit.training.backup import FoldBackup
from kagglekit.training.callback_state import set_name
from kagglekit.training.callbacks import (
    AtomicModelCheckpoint,
    CallbackFactory,
    checkpoint_path,
    for_fold,
    save_weights,
)
from kagglekit.training.devices import device_distribution
from kagglekit.training.fit import TrainerSettings, build_model, fit_model, predict, take_rows
from kagglekit.training.nan_guard import NanGuard, NonFiniteLossError
from kagglekit.training.precision import dtype_policy
from kagglekit.training.progress import FoldProgress
from kagglekit.training.solve import solve_model, solves_in_closed_form

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CVData:
    """What the folds train on, and where they are written.

    ``y`` holds the training targets encoded by ``task``; ``folds`` the fold id of every
    training row; ``test_key`` names the test file's content (see ``crossval.run_fold``).
    """

    train: pd.DataFrame
    y: np.ndarray
    task: TargetTask
    test: pd.DataFrame
    folds: np.ndarray
    run_dir: Path
    test_key: str | None = None


@dataclass(frozen=True)
class FoldResult:
    """A finished fold: its score, validation rows and predictions, and its ``state.json``.

    ``seed`` is the bagging seed of a (fold, seed) unit (``None`` otherwise); a bagged fold
    holds its ``units`` (one per seed) and their averaged predictions.
    """

    fold: int
    score: float
    valid_rows: np.ndarray
    oof: np.ndarray
    test_pred: np.ndarray
    info: dict[str, Any]
    seed: int | None = None
    units: tuple[FoldResult, ...] = ()


def unit_label(k: int, seed: int | None) -> str:
    """How the log names a fold, or one seed of it: "Fold 2", "Fold 2 seed 1"."""
    return f"Fold {k}" if seed is None else f"Fold {k} seed {seed}"


@dataclass
class FoldContext:
    """One fold while it trains: its inputs, and what each step adds (in step order)."""

    k: int
    parts: RunParts
    data: CVData
    train_rows: np.ndarray
    valid_rows: np.ndarray
    folder: FoldDir
    progress: FoldProgress | None = None  # the fold/epoch/ETA line (trainer.progress)
    seed: int | None = None  # the bagging seed of this (fold, seed) unit (trainer.seeds)
    started: float = field(default_factory=time.perf_counter)
    # preprocess
    preprocessor: Preprocessor = field(init=False)
    x_train: dict[str, InputValue] = field(init=False)
    x_valid: dict[str, InputValue] = field(init=False)
    x_test: dict[str, InputValue] = field(init=False)
    # build
    model: keras.Model = field(init=False)
    # add_callbacks
    callbacks: list[keras.callbacks.Callback] = field(init=False)
    guard: NanGuard = field(init=False)
    backup: FoldBackup | None = field(init=False)
    # restore_backup, fit
    initial_epoch: int = 0
    history: keras.callbacks.History = field(init=False)
    # choose_weights: the file the fold's predictions come from
    weights: Path = field(init=False)
    # predict_fold, score
    oof: np.ndarray = field(init=False)
    test: np.ndarray = field(init=False)
    score: float = field(init=False)
    # save
    state: dict[str, Any] = field(init=False)

    @property
    def settings(self) -> TrainerSettings:
        return self.parts.settings

    @property
    def task(self) -> TargetTask:
        return self.data.task

    @property
    def label(self) -> str:
        return unit_label(self.k, self.seed)

    @property
    def random_seed(self) -> int:
        """``trainer.seed + k``; with seed bagging, ``s + k`` for the unit's seed ``s``."""
        return (self.settings.seed if self.seed is None else self.seed) + self.k

    def best_checkpoint(self) -> Path | None:
        """The best-model checkpoint ``fit`` wrote, if the fold has one and it exists."""
        best = checkpoint_path(self.callbacks)
        return best if best is not None and best.exists() else None

    def result(self) -> FoldResult:
        return FoldResult(
            self.k, self.score, self.valid_rows, self.oof, self.test, self.state, seed=self.seed
        )


# -- the steps --------------------------------------------------------------------------------
def start(ctx: FoldContext) -> None:
    """The fold's folder, and its random seed (``trainer.seed + k``, or ``s + k`` for seed
    ``s`` of ``trainer.seeds``)."""
    ctx.folder.path.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(ctx.random_seed)


def preprocess(ctx: FoldContext) -> None:
    """Fit the preprocessing on the training rows only (stored as ``preprocessing.json`` +
    ``.npz``: predict restores it, data/state.py), then transform the training and test frames."""
    ctx.preprocessor = fit_preprocessor(ctx.parts, ctx.data.train.iloc[ctx.train_rows], ctx.seed)
    save_preprocessing(ctx.folder.path, ctx.preprocessor)
    x_all = ctx.preprocessor.transform(ctx.data.train)
    ctx.x_test = ctx.preprocessor.transform(ctx.data.test)
    ctx.x_train, ctx.x_valid = take_rows(x_all, ctx.train_rows), take_rows(x_all, ctx.valid_rows)


def build(ctx: FoldContext) -> None:
    """The compiled model; ``model.png`` and ``model_summary.txt`` once per run."""
    ctx.model = build_fold_model(ctx.parts, ctx.task, ctx.preprocessor, ctx.data.y[ctx.train_rows])
    describe_model(ctx.model, ctx.data.run_dir)


def add_callbacks(ctx: FoldContext) -> None:
    """The configured callbacks, the hooks' ones, the progress line, the NaN guard and the
    backup (last)."""
    extra = list(ctx.parts.fold_callbacks(ctx.k))
    if ctx.progress is not None:
        extra.append(ctx.progress)
    ctx.callbacks, ctx.guard, ctx.backup = fold_callbacks(
        ctx.parts.callbacks, ctx.settings, ctx.folder.path, extra
    )


def restore_backup(ctx: FoldContext) -> None:
    """Resume after the last backed-up epoch of a killed fold (the backup puts the state back
    when ``fit`` begins)."""
    ctx.initial_epoch = ctx.backup.restore(ctx.model) if ctx.backup is not None else 0
    log.info(
        "%s: %d training rows, %d validation rows%s.",
        ctx.label,
        len(ctx.train_rows),
        len(ctx.valid_rows),
        f", resuming after epoch {ctx.initial_epoch}" if ctx.initial_epoch else "",
    )


def fit(ctx: FoldContext) -> None:
    """Train (a model of closed-form heads, ``model=rocket_ridge``, is solved instead: one
    "epoch", :mod:`kagglekit.training.solve`); then write the best weights the checkpoint held
    in memory, and the curves."""
    y, task = ctx.data.y, ctx.task
    train = (ctx.x_train, task.for_heads(y[ctx.train_rows]))
    valid = (ctx.x_valid, task.for_heads(y[ctx.valid_rows]))
    if solves_in_closed_form(ctx.model):
        ctx.initial_epoch = 0  # a solve is whole: nothing to resume
        ctx.history = solve_model(
            ctx.model, train, valid, settings=ctx.settings, callbacks=ctx.callbacks
        )
    else:
        ctx.history = fit_model(
            ctx.model,
            train,
            valid,
            settings=ctx.settings,
            callbacks=ctx.callbacks,
            initial_epoch=ctx.initial_epoch,
        )
    write_checkpoints(ctx.callbacks)
    plot_history(ctx.folder.history_plot, ctx.history.history, csv=ctx.folder.history)


def apply_nan_policy(ctx: FoldContext) -> None:
    """A loss that became NaN/inf stops the run (``on_nan=error``), or the fold goes on with
    its last good checkpoint (``on_nan=stop``; an error too when there is none)."""
    if ctx.guard.tripped is None:
        return
    if ctx.settings.on_nan == "error" or ctx.best_checkpoint() is None:
        raise NonFiniteLossError(ctx.guard.message(ctx.k))


def choose_weights(ctx: FoldContext) -> None:
    """Predict with the best checkpoint when there is one, else save the last weights."""
    best = ctx.best_checkpoint()
    if best is not None:
        ctx.model.load_weights(str(best))
        ctx.weights = best
    else:
        ctx.weights = save_weights(ctx.model, ctx.folder.weights)


def predict_fold(ctx: FoldContext) -> None:
    """Predictions of the validation rows (OOF) and of the test rows; NaN/inf stops the run."""
    batch = ctx.settings.predict_batch_size
    ctx.oof = ctx.task.to_predictions(predict(ctx.model, ctx.x_valid, batch))
    ctx.test = ctx.task.to_predictions(predict(ctx.model, ctx.x_test, batch))
    _check_finite(ctx.oof, f"{ctx.label.lower()} validation predictions")
    _check_finite(ctx.test, f"{ctx.label.lower()} test predictions")


def score(ctx: FoldContext) -> None:
    """The competition metric of the fold's validation predictions."""
    ctx.score = ctx.task.score_encoded(ctx.parts.metric, ctx.data.y[ctx.valid_rows], ctx.oof)


def save(ctx: FoldContext) -> None:
    """The fold's predictions, then ``state.json`` (the fold is complete once it is there);
    the backups go."""
    folder = ctx.folder
    save_array(folder.oof, ctx.oof)
    save_array(folder.test_pred, ctx.test)
    backup = ctx.backup
    state = {
        "status": "complete",
        "fold": ctx.k,
        **({"seed": ctx.seed, "random_seed": ctx.random_seed} if ctx.seed is not None else {}),
        "score": ctx.score,
        "n_train": len(ctx.train_rows),
        "n_valid": len(ctx.valid_rows),
        "epochs_run": ctx.initial_epoch + len(ctx.history.epoch),
        "resumed_from_epoch": ctx.initial_epoch,
        "best_epoch": _best_epoch(ctx.callbacks),
        "stopped_on_nan": ctx.guard.tripped is not None,
        "weights": str(ctx.weights),
        "seconds": round(time.perf_counter() - ctx.started, 3),
        # time the training thread spent on backups (the files are written by a worker)
        "backup_seconds": round(backup.seconds_saving, 3) if backup is not None else 0.0,
    }
    if ctx.data.test_key is not None:
        state["test_key"] = ctx.data.test_key
    write_json(folder.state, state)
    ctx.state = state
    if backup is not None:
        backup.discard()
    log.info(
        "%s: %s = %.6f (%d epochs, %.1fs).",
        ctx.label,
        ctx.parts.metric.name,
        ctx.score,
        state["epochs_run"],
        state["seconds"],
    )


Step = Callable[[FoldContext], None]
FOLD_STEPS: tuple[Step, ...] = (
    start,
    preprocess,
    build,
    add_callbacks,
    restore_backup,
    fit,
    apply_nan_policy,
    choose_weights,
    predict_fold,
    score,
    save,
)


def train_fold(
    k: int,
    parts: RunParts,
    data: CVData,
    rows: tuple[np.ndarray, np.ndarray],
    progress: FoldProgress | None = None,
    seed: int | None = None,
) -> FoldResult:
    """Train fold ``k`` (or its unit of bagging seed ``seed``) on its (training, validation)
    ``rows``: every step of :data:`FOLD_STEPS`, in a fresh Keras session, under
    :func:`fold_scope`."""
    folder = RunDir(data.run_dir).unit(k, seed)
    ctx = FoldContext(k, parts, data, *rows, folder, progress=progress, seed=seed)
    keras.backend.clear_session()  # before the scope: it resets Keras' global dtype policy
    with fold_scope(parts.settings):
        for step in FOLD_STEPS:
            step(ctx)
    return ctx.result()


# -- what the steps (and the reuse of finished folds) are made of ------------------------------
@contextmanager
def fold_scope(settings: TrainerSettings) -> Iterator[None]:
    """The dtype policy and device distribution a fold's model is built, trained and used
    under; both are reset on exit so nothing leaks into the next fold, run or test."""
    with (
        device_distribution(settings.distribution, settings.batch_size),
        dtype_policy(settings.precision),
    ):
        yield


def fit_preprocessor(parts: RunParts, train: pd.DataFrame, seed: int | None = None) -> Preprocessor:
    """The competition's features fitted on ``train``. Under seed bagging ``seed`` is the
    unit's bag seed: features that draw at random (MiniRocket's biases) draw with it unless
    the config pins their seed, so the bag averages several feature draws."""
    preprocessor = parts.make_preprocessor()
    if seed is not None and isinstance(preprocessor, SeededPreprocessor):
        preprocessor = preprocessor.with_seed(seed)
    return preprocessor.fit(train)


def build_fold_model(
    parts: RunParts,
    task: TargetTask,
    preprocessor: Preprocessor,
    y_train: np.ndarray | None = None,
) -> keras.Model:
    """The fold's compiled model; ``y_train`` (the fold's encoded training targets) sets the
    initial bias of regression heads."""
    settings = parts.settings
    return build_model(
        parts.make_model,
        preprocessor.input_specs(),
        task.outputs(y_train),
        make_optimizer=parts.make_optimizer,
        loss=settings.loss,
        metrics=settings.metrics,
        loss_weights=settings.loss_weights,
        jit_compile=settings.jit_compile,
        steps_per_execution=settings.steps_per_execution,
    )


def fold_callbacks(
    factories: Mapping[str, CallbackFactory] | Sequence[CallbackFactory],
    settings: TrainerSettings,
    directory: Path,
    extra: Sequence[keras.callbacks.Callback] = (),
) -> tuple[list[keras.callbacks.Callback], NanGuard, FoldBackup | None]:
    """A fold's callbacks: the configured ones for ``directory`` (named after their keys when
    ``factories`` is a mapping), ``extra``, the NaN guard and (``settings.backup``) the fold's
    backup, last. Returns (all of them, guard, backup).

    Best-model checkpoints keep the best weights in memory during ``fit``; call
    :func:`write_checkpoints` after it. With such a checkpoint, early stopping does not
    restore its best weights at the end of ``fit`` (the fold loads the best checkpoint)."""
    named = (
        list(factories.items())
        if isinstance(factories, Mapping)
        else [(None, factory) for factory in factories]
    )
    callbacks = []
    for name, factory in named:
        callback = for_fold(factory, directory)
        callbacks.append(set_name(callback, name) if name is not None else callback)
    callbacks += list(extra)
    best_checkpoint = False
    for callback in callbacks:
        if isinstance(callback, AtomicModelCheckpoint):
            callback.defer = True  # best weights in memory; written after fit
            best_checkpoint = best_checkpoint or callback.defers()
    if best_checkpoint:
        # the fold predicts with the best checkpoint (choose_weights): early stopping need not
        # copy the best weights at every improvement nor put them back after fit
        for callback in callbacks:
            if isinstance(callback, keras.callbacks.EarlyStopping):
                callback.restore_best_weights = False
    guard = NanGuard()
    callbacks.append(guard)
    backup = None
    if settings.backup:
        # the last backup is written while the fold writes its checkpoint and predicts;
        # backup.discard() (the save step) joins it
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
