"""``train(cfg)`` and ``predict(run_dir)``: the only place that reads the config.

The config is turned into typed objects here (:class:`~kagglekit.parts.RunParts`); everything
below takes explicit arguments. ``train`` returns the scores and the paths it wrote, so tests
and the tuner call it directly.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from kagglekit import cv as cvlib
from kagglekit.backend import enable_op_determinism
from kagglekit.checks import check_fold_selection, check_run
from kagglekit.competition import CompetitionSpec
from kagglekit.config_check import ConfigError, check_complete
from kagglekit.data.loading import (
    CompetitionData,
    check_features,
    ensure_prepared,
    load_competition,
)
from kagglekit.data.state import has_preprocessing, load_preprocessing
from kagglekit.errors import KagglekitError
from kagglekit.files import remove_stale_temporaries, save_array, write_csv, write_json, write_text
from kagglekit.fingerprint import (
    TRAINING_FILES,
    Changes,
    Fingerprint,
    compare,
    folds_digest,
    make_fingerprint,
)
from kagglekit.inference import (
    InferenceInfo,
    TestSide,
    load_test_side,
    predict_fold,
    read_inference_info,
    write_inference_info,
)
from kagglekit.metrics import Metric, get_metric
from kagglekit.parts import FoldHooks, RunParts
from kagglekit.redact import install_log_filter, mask_credentials, mask_files
from kagglekit.rundir import CONFIG_FILE, FoldDir, RunChangedError, RunDir, check_rerun, hold
from kagglekit.submission import build_submission, check_finite_predictions, write_submission
from kagglekit.tasks import TargetTask, task_of
from kagglekit.tracking import RunLogger, SafeLogger, flatten
from kagglekit.training.crossval import (
    CVData,
    CVResult,
    bag_predictions,
    cross_validate,
    predict_from_weights,
)
from kagglekit.training.fold import FoldResult

log = logging.getLogger(__name__)

__all__ = ["CONFIG_FILE", "RunParts", "RunResult", "predict", "train"]


@dataclass(frozen=True)
class RunResult:
    """What ``train`` returns: the CV score (what a sweep optimises) and the files written."""

    run_dir: Path
    metric: str
    greater_is_better: bool
    cv_score: float
    fold_scores: list[float]
    paths: dict[str, Path] = field(default_factory=dict)


def _build(node: Any, key: str) -> Any:
    """``instantiate(node)``; a value the object refuses (its ``ValueError``) is a config error
    naming the key, not a Hydra traceback."""
    from hydra.errors import InstantiationException

    try:
        return instantiate(node, _convert_="all")
    except InstantiationException as exc:
        if isinstance(exc.__cause__, ValueError):
            raise ConfigError(f"{key}: {exc.__cause__}") from exc
        raise


def build_parts(cfg: DictConfig) -> RunParts:
    spec = _build(cfg.competition, "competition")
    settings = _build(cfg.trainer, "trainer")
    callbacks = {}
    for name, node in cfg.callbacks.items():
        if node is None:
            continue
        if "_target_" not in node:
            raise ConfigError(
                f"callbacks.{name} has no _target_: it sets options of a callback that the chosen "
                f"callbacks group does not have. Drop it (~callbacks.{name}) or give it a _target_."
            )
        callbacks[str(name)] = _build(node, f"callbacks.{name}")
    return RunParts(
        spec=spec,
        splitter=_build(cfg.cv, "cv"),
        settings=settings,
        make_model=_build(cfg.model, "model"),
        make_optimizer=_build(cfg.optimizer, "optimizer"),
        callbacks=callbacks,
        metric=get_metric(spec.metric),
        logger=_build(cfg.logger, "logger") if cfg.get("logger") is not None else RunLogger(),
    )


def hydra_run_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def train(
    cfg: DictConfig, run_dir: Path | None = None, hooks: FoldHooks | None = None
) -> RunResult:
    """Run the whole pipeline for one config; ``run_dir`` defaults to Hydra's run directory.

    ``hooks`` lets a caller (the tuner) add per-fold callbacks and watch finished folds.
    The run directory is locked for the whole run; a re-run whose config or training data
    differ from those that trained its folds is refused before anything is written
    (``restart=true`` moves the earlier run aside instead).
    """
    check_complete(cfg)
    run_dir = Path(run_dir) if run_dir is not None else hydra_run_dir()
    install_log_filter()
    with hold(run_dir) as rundir:
        parts = build_parts(cfg)
        tracker = SafeLogger(parts.logger)
        tracker.check()  # a missing package stops the run before training
        ensure_prepared(parts.spec)
        fingerprint = make_fingerprint(
            cfg, run_files(parts.spec), previous=rundir.read_fingerprint()
        )
        changes, legacy = check_rerun(rundir, fingerprint, restart=bool(cfg.get("restart", False)))
        if changes is not None:  # a re-run of the same setup: resume
            stored = rundir.read_fingerprint()
            fingerprint.folds = stored.folds if stored is not None else None
            report_changes(changes, legacy, rundir)
        mask_files(rundir.hydra_dir)
        write_text(rundir.config, mask_credentials(OmegaConf.to_yaml(cfg, resolve=True)))
        rundir.write_fingerprint(fingerprint)
        params = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(params, dict)
        tracker.start(rundir.path, parts.spec.name, flatten(params))
        try:
            result = run(parts, rundir.path, with_tracking(hooks, tracker), fingerprint=fingerprint)
            if parts.settings.baseline:  # the classical baseline on the same folds
                from kagglekit.baselines import baseline_next_to

                config_text = rundir.config.read_text()
                baseline = instantiate(cfg.baseline, _convert_="all")
                baseline_next_to(rundir.path, parts, baseline, config_text)
            track_result(tracker, result)
            tracker.close()
            return result
        except BaseException as exc:
            rundir.mark_failed(exc)
            tracker.close(failed=True)
            raise


def with_tracking(hooks: FoldHooks | None, tracker: SafeLogger) -> FoldHooks:
    """``hooks`` with the tracker's per-fold callback added (before the caller's, so that a
    pruning callback that stops a fold does not hide that epoch from the tracker)."""
    extra = hooks.callbacks if hooks is not None else None

    def callbacks(k: int) -> list[Any]:
        return [*tracker.fold_callbacks(k), *(extra(k) if extra is not None else [])]

    return FoldHooks(callbacks=callbacks, on_fold_end=hooks.on_fold_end if hooks else None)


def track_result(tracker: SafeLogger, result: RunResult) -> None:
    """Send the scores and the run's main files (submission, scores, report) to the tracker."""
    import json

    scores_path = result.paths.get("scores", result.run_dir / "scores.json")
    try:
        scores = json.loads(Path(scores_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        scores = {"metric": result.metric, "cv": result.cv_score, "folds": result.fold_scores}
    names = ["submission.csv", "scores.json", "report.html"]
    artifacts = [result.run_dir / n for n in names if (result.run_dir / n).is_file()]
    tracker.finish(scores, artifacts)


def run_files(spec: CompetitionSpec) -> dict[str, Path | None]:
    """The data files of a run, by role (what the fingerprint hashes)."""
    return {
        "train": spec.train_path,
        "targets": spec.targets_path,
        "test": spec.test_path,
        "sample_submission": spec.sample_submission_path,
    }


def report_changes(changes: Changes, legacy: bool, rundir: RunDir) -> None:
    if legacy:
        log.warning(
            "%s has no fingerprint.json (made by an older kagglekit): its config matches, but "
            "its data files cannot be verified; resuming.",
            rundir.path,
        )
    if changes.test:
        log.warning(
            "Since the last run in %s, the test side changed: %s. The finished folds keep their "
            "weights; their test predictions are recomputed from the fold checkpoints (no "
            "retraining).",
            rundir.path,
            ", ".join(changes.test),
        )


def baseline(cfg: DictConfig, run_dir: Path | None = None) -> Any:
    """``kagglekit baseline``: the classical baseline for the competition's kind of data on the
    run's folds, written like a deep run. In the directory of a deep run it goes to
    ``<run_dir>/baseline/`` on that run's ``folds.csv`` and adds the comparison to its scores."""
    from kagglekit.baselines import baseline_next_to, holds_deep_run, run_baseline

    check_complete(cfg)
    run_dir = Path(run_dir) if run_dir is not None else hydra_run_dir()
    install_log_filter()
    with hold(run_dir) as rundir:
        mask_files(rundir.hydra_dir)
        config_text = mask_credentials(OmegaConf.to_yaml(cfg, resolve=True))
        settings = instantiate(cfg.baseline, _convert_="all")
        if holds_deep_run(run_dir):
            return baseline_next_to(run_dir, build_parts(cfg), settings, config_text)
        write_text(rundir.config, config_text)
        return run_baseline(build_parts(cfg), settings, run_dir)


def make_task(spec: CompetitionSpec, data: CompetitionData) -> TargetTask:
    """The competition's task object, fitted on the training targets."""
    return task_of(spec, data.targets)


def make_folds(
    parts: RunParts,
    data: CompetitionData,
    y: np.ndarray,
    run_dir: Path,
    fingerprint: Fingerprint | None = None,
) -> np.ndarray:
    """Reuse ``folds.csv`` when the run directory has one (checked against the data), else split.

    With a ``fingerprint`` whose fold assignment is known, other folds are refused before
    ``folds.csv`` is written; an unknown one is recorded in it.
    """
    path = RunDir(run_dir).folds
    reused = path.exists()
    if reused:
        folds = cvlib.load_folds(path, data.n_train, data.train_ids)
        log.info("Reusing the folds in %s.", path)
    else:
        folds = cvlib.assign_folds(parts.splitter, data.n_train, y=y, groups=data.groups)
    if fingerprint is not None:
        digest = folds_digest(folds)
        if fingerprint.folds is not None and fingerprint.folds != digest:
            raise RunChangedError(
                f"{path} does not hold the fold assignment that trained the folds of {run_dir} "
                f"(edited, or made again by a splitter without a fixed random_state). Restore "
                f"it, or start afresh: {ways_on_short(run_dir)}"
            )
        if fingerprint.folds is None:
            fingerprint.folds = digest
            RunDir(run_dir).write_fingerprint(fingerprint)
    if not reused:
        cvlib.save_folds(path, folds, data.train_ids)
        log.info("Folds: %s -> %s.", cvlib.describe(parts.splitter), path)
    if data.groups is not None:
        cvlib.check_groups_not_split(folds, data.groups)
    return folds


def ways_on_short(run_dir: Path) -> str:
    return f"a new hydra.run.dir, or restart=true (moves {run_dir} aside)."


def prediction_frame(
    predictions: np.ndarray, task: TargetTask, ids: pd.Series | None, id_name: str
) -> pd.DataFrame:
    frame = pd.DataFrame(
        predictions.reshape(len(predictions), -1), columns=task.prediction_columns()
    )
    frame.insert(0, id_name, ids.to_numpy() if ids is not None else np.arange(len(frame)))
    return frame


def run(
    parts: RunParts,
    run_dir: Path,
    hooks: FoldHooks | None = None,
    *,
    fingerprint: Fingerprint | None = None,
) -> RunResult:
    started = time.perf_counter()
    spec = parts.spec
    remove_stale_temporaries(run_dir)
    if parts.settings.deterministic:
        log.info("Deterministic kernels requested on the %s backend.", enable_op_determinism())
    RunDir(run_dir).mark("running", competition=spec.name, pid=os.getpid())
    data = load_competition(spec)
    check_features(spec, data)
    task = make_task(spec, data)
    check_run(spec, task, parts.metric, parts.settings.loss, data.sample_submission, data.train)
    submission_frame(spec, task, data, task.dummy_predictions(len(data.test)))  # a dry run
    write_inference_info(run_dir, spec, task, data)  # predict without the training data
    y = task.encode(data.targets)
    folds = make_folds(parts, data, y, run_dir, fingerprint)
    check_fold_selection(parts.settings.folds, cvlib.n_folds(folds))
    result = cross_validate(
        parts if hooks is None else dataclasses.replace(parts, hooks=hooks),
        CVData(
            train=data.train,
            y=y,
            task=task,
            test=data.test,
            folds=folds,
            run_dir=run_dir,
            test_key=fingerprint.test_key() if fingerprint is not None else None,
        ),
    )

    scores = score_oof(result, task, parts.metric, y)
    paths = write_predictions(
        run_dir, result.oof, result.test_pred, task, data, folds, spec.id_column or "row"
    )
    scores.update(
        competition=spec.name,
        task=spec.task.value,
        splitter=cvlib.describe(parts.splitter),
        epochs=[f.info.get("epochs_run") for f in result.folds],
        elapsed_s=round(time.perf_counter() - started, 2),
    )
    paths["scores"] = write_json(run_dir / "scores.json", scores)
    log.info(
        "CV %s = %.6f (folds: %s)%s",
        parts.metric.name,
        scores["cv"],
        ", ".join(f"{s:.4f}" for s in scores["folds"]),
        f", bagged over {len(result.by_seed)} seeds" if result.by_seed else "",
    )
    for seed, seed_cv in scores.get("seed_cv", {}).items():
        log.info("Seed %s: CV %s = %.6f", seed, parts.metric.name, seed_cv)
    if result.by_seed:
        log.info(
            "Bagged CV %s = %.6f vs mean of the seeds' CVs %.6f",
            parts.metric.name,
            scores["cv"],
            scores["seed_cv_mean"],
        )
    paths["submission"] = make_submission(
        spec, task, data, result.test_pred, run_dir / "submission.csv"
    )
    write_json(
        RunDir(run_dir).state,
        {
            "status": "complete",
            "competition": spec.name,
            "cv": scores["cv"],
            "submission": "submission.csv",
            "folds": {str(f.fold): fold_status(f) for f in result.folds},
        },
    )
    log.info("Submission: %s", paths["submission"])
    from kagglekit.report.html import write_report_safely

    write_report_safely(run_dir, task=task, encoded_truth=task.encoded_truth(y))
    return RunResult(
        run_dir=run_dir,
        metric=parts.metric.name,
        greater_is_better=parts.metric.greater_is_better,
        cv_score=float(scores["cv"]),
        fold_scores=[float(s) for s in scores["folds"]],
        paths=paths,
    )


def fold_status(result: FoldResult) -> dict[str, Any]:
    """A finished fold in ``run_state.json`` (with its seeds' scores when bagged)."""
    status: dict[str, Any] = {"status": "complete", "score": result.score}
    if result.units:
        status["seeds"] = {str(u.seed): u.score for u in result.units}
    return status


def score_oof(result: CVResult, task: TargetTask, metric: Metric, y: np.ndarray) -> dict[str, Any]:
    """``scores.json``'s scores: the CV of the OOF predictions and the fold scores; with seed
    bagging ``cv`` is the bagged CV, and ``seed_cv``/``seed_folds`` give each seed's own."""
    scores = score_folds(result, task, metric, y)
    if result.by_seed:
        per_seed = {
            str(seed): score_folds(seed_result, task, metric, y)
            for seed, seed_result in result.by_seed.items()
        }
        scores["seeds"] = list(result.by_seed)
        scores["seed_cv"] = {seed: s["cv"] for seed, s in per_seed.items()}
        scores["seed_folds"] = {seed: s["folds"] for seed, s in per_seed.items()}
        scores["seed_cv_mean"] = float(np.mean(list(scores["seed_cv"].values())))
        scores["bagged_cv"] = scores["cv"]
    return scores


def score_folds(
    result: CVResult, task: TargetTask, metric: Metric, y: np.ndarray
) -> dict[str, Any]:
    validated = np.concatenate([f.valid_rows for f in result.folds])
    validated.sort()
    cv_score = task.score_encoded(metric, y[validated], result.oof[validated])
    fold_scores = result.fold_scores
    return {
        "metric": metric.name,
        "greater_is_better": metric.greater_is_better,
        "cv": cv_score,
        "folds": fold_scores,
        "fold_mean": float(np.mean(fold_scores)),
        "fold_std": float(np.std(fold_scores)),
        "n_folds": len(fold_scores),
        "oof_rows": len(validated),
    }


def write_predictions(
    run_dir: Path,
    oof: np.ndarray,
    test_pred: np.ndarray,
    task: TargetTask,
    data: CompetitionData,
    folds: np.ndarray,
    id_name: str,
) -> dict[str, Path]:
    """``oof.npy``/``oof.csv`` (with each row's fold) and ``test_pred.npy``/``test_pred.csv``."""
    oof_frame = prediction_frame(oof, task, data.train_ids, id_name)
    oof_frame.insert(1, "fold", folds)
    return {
        "oof": save_array(run_dir / "oof.npy", oof),
        "oof_csv": write_csv(run_dir / "oof.csv", oof_frame),
        "test_pred": save_array(run_dir / "test_pred.npy", test_pred),
        "test_pred_csv": write_csv(
            run_dir / "test_pred.csv",
            prediction_frame(test_pred, task, data.test_ids, id_name),
        ),
    }


def make_submission(
    spec: CompetitionSpec,
    task: TargetTask,
    data: CompetitionData | TestSide,
    test_pred: np.ndarray,
    path: Path,
) -> Path:
    return write_submission(path, submission_frame(spec, task, data, test_pred))


def submission_frame(
    spec: CompetitionSpec,
    task: TargetTask,
    data: CompetitionData | TestSide,
    test_pred: np.ndarray,
) -> pd.DataFrame:
    """The checked submission (the sample's ids, columns and value types) of ``test_pred``."""
    sample = data.sample_submission
    id_column = spec.submission_id_column or str(sample.columns[0])
    value_columns = [c for c in sample.columns if c != id_column]
    ids = data.test_ids if data.test_ids is not None else sample[id_column]
    check_finite_predictions(test_pred, ids)
    values = task.submission_values(test_pred, value_columns, spec.submission, spec.class_columns)
    return build_submission(
        sample,
        values,
        kind=spec.submission,
        test_ids=data.test_ids,
        id_column=id_column,
        labels=task.submission_labels(spec.submission),
    )


class RunDirError(KagglekitError, FileNotFoundError):
    """The folder is not a (finished) kagglekit run directory."""


def load_run_config(run_dir: Path) -> DictConfig:
    path = RunDir(run_dir).config
    if not path.exists():
        raise RunDirError(f"{path} not found: {run_dir} is not a kagglekit run directory.")
    cfg = OmegaConf.load(path)
    assert isinstance(cfg, DictConfig)
    return cfg


def check_checkpoints_match(
    rundir: RunDir,
    cfg: DictConfig,
    spec: CompetitionSpec,
    folds: np.ndarray | None = None,
    *,
    training_files: bool = True,
) -> None:
    """Refuse to predict with a config or training data other than those that trained the
    checkpoints (``fingerprint.json``); the test side may differ (that is what predict is for).

    ``training_files=False``: the folds' preprocessing is stored, so the training files (and
    the fold assignment) play no part in the predictions and are not read.
    """
    stored = rundir.read_fingerprint()
    if stored is None:
        log.warning(
            "%s has no fingerprint.json (made by an older kagglekit): the config and training "
            "data cannot be checked against the checkpoints.",
            rundir.path,
        )
        return
    if training_files:
        current = make_fingerprint(cfg, run_files(spec), previous=stored)
        current.folds = folds_digest(folds) if folds is not None else None
    else:
        current = Fingerprint(config=make_fingerprint(cfg, {}).config)
        current.files = {r: stored.files[r] for r in TRAINING_FILES if r in stored.files}
        current.files.update({r: v for r, v in stored.files.items() if r not in TRAINING_FILES})
    changes = compare(stored, current)
    if changes.decides_training:
        data = " and the training data" if training_files else ""
        raise RunChangedError(
            f"The checkpoints of {rundir.path} were trained with another setup than the one "
            f"predict would use; changed: {', '.join(changes.training)}. Restore "
            f"{rundir.config}{data} as they were, or train a new run."
        )


def predict(
    run_dir: Path,
    *,
    test_file: Path | None = None,
    sample_submission: Path | None = None,
    output: Path | None = None,
) -> Path:
    """Rebuild the submission of a finished run from its fold checkpoints, without training.

    Each fold's fitted preprocessing is loaded from ``fold_<k>/preprocessing.{json,npz}`` and the
    target encoding from ``inference.json``, so neither the training files nor the config's
    ``data_dir`` are needed: ``test_file`` (with its ``sample_submission``, or one built from the
    test ids and the stored header) predicts another test file of the same layout, e.g. a code
    competition's hidden test set. The run's config.yaml is checked against ``fingerprint.json``
    first. A run trained before the preprocessing was stored refits it on each fold's training
    rows (which needs the training data, checked against the fingerprint).
    """
    out = Path(output) if output is not None else RunDir(Path(run_dir)).submission
    made = predict_test(run_dir, test_file=test_file, sample_submission=sample_submission)
    return make_submission(made.spec, made.task, made.side, made.test_pred, out)


@dataclass(frozen=True)
class Predicted:
    """A run's (or blend's) test predictions and what turns them into its submission."""

    test_pred: np.ndarray
    spec: CompetitionSpec
    task: TargetTask
    side: CompetitionData | TestSide


def predict_test(
    run_dir: Path, *, test_file: Path | None = None, sample_submission: Path | None = None
) -> Predicted:
    """The test predictions :func:`predict` writes the submission of: a run's from its fold
    checkpoints, a blend's (``blend.json``) from its inputs' (:mod:`kagglekit.ensemble.predict`)."""
    from kagglekit.ensemble.record import is_blend_dir

    if is_blend_dir(Path(run_dir)):
        from kagglekit.ensemble.predict import predict_blend

        return predict_blend(
            Path(run_dir), test_file=test_file, sample_submission=sample_submission
        )
    rundir = RunDir(Path(run_dir))
    cfg = load_run_config(rundir.path)
    parts = build_parts(cfg)
    spec = parts.spec
    if test_file is not None:
        spec = dataclasses.replace(spec, test_file=str(Path(test_file).resolve()))
    if sample_submission is not None:
        spec = dataclasses.replace(
            spec, sample_submission_file=str(Path(sample_submission).resolve())
        )
    info = read_inference_info(rundir.path)
    seeds = parts.settings.seeds
    folds = trained_folds(rundir, parts.settings.folds, seeds)
    units = [u for k in folds for u in fold_units(rundir, k, seeds)]
    if info is None or not all(has_preprocessing(u.path) for u in units):
        log.info(
            "%s holds no stored preprocessing (trained by an older kagglekit, or features "
            "without load_state): refitting each fold's preprocessing on its training rows, "
            "from %s.",
            rundir.path,
            parts.spec.train_path,
        )
        return predict_by_refitting(rundir, cfg, parts, spec)
    check_checkpoints_match(rundir, cfg, parts.spec, training_files=False)
    return predict_from_stored(rundir, parts, spec, info, folds, sample_submission is not None)


def fold_units(rundir: RunDir, k: int, seeds: Sequence[int] | None) -> list[FoldDir]:
    """The folders fold ``k`` was trained in: ``fold_<k>/``, or one per seed of
    ``trainer.seeds`` (``fold_<k>/seed_<s>/``), in the order training averaged them."""
    if seeds is None:
        return [rundir.fold(k)]
    return [rundir.fold(k).seed(s) for s in seeds]


def missing_weights(rundir: RunDir, k: int, seeds: Sequence[int] | None) -> Path | None:
    """The first checkpoint of fold ``k`` (of one of its seeds) that is not there, if any."""
    for unit in fold_units(rundir, k, seeds):
        if not unit.weights.is_file():
            return unit.weights
    return None


def trained_folds(
    rundir: RunDir, selected: Sequence[int] | None, seeds: Sequence[int] | None = None
) -> list[int]:
    """The folds with a checkpoint (one per seed of ``seeds`` when bagging), in fold order
    (``selected``: ``trainer.folds``)."""
    found = sorted(
        int(d.path.name.removeprefix("fold_"))
        for d in rundir.fold_dirs()
        if d.path.name.removeprefix("fold_").isdigit()
        and missing_weights(rundir, int(d.path.name.removeprefix("fold_")), seeds) is None
    )

    def refuse(k: int) -> RunDirError:
        weights = missing_weights(rundir, k, seeds) or rundir.fold(k).weights
        return RunDirError(
            f"{weights} not found: fold {k} of {rundir.path} has no checkpoint"
            f"{' for this seed' if seeds is not None else ''}. Train it first."
        )

    if selected is not None:
        absent = [k for k in selected if k not in found]
        if absent:
            raise refuse(absent[0])
        found = list(selected)  # in the order training averaged them
    else:
        expected = recorded_folds(rundir)
        absent = [k for k in expected if k not in found]
        if absent:
            raise refuse(absent[0])
    if not found:
        raise RunDirError(f"No fold checkpoint found in {rundir.path}.")
    return found


def recorded_folds(rundir: RunDir) -> list[int]:
    """The folds of ``folds.csv`` (none when a bundle left it out)."""
    if not rundir.folds.is_file():
        return []
    try:
        folds = pd.read_csv(rundir.folds, usecols=["fold"])["fold"].to_numpy()
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{rundir.folds} is unreadable ({exc}).") from exc
    return list(range(cvlib.n_folds(folds)))


def predict_from_stored(
    rundir: RunDir,
    parts: RunParts,
    spec: CompetitionSpec,
    info: InferenceInfo,
    folds: Sequence[int],
    sample_given: bool,
) -> Predicted:
    """Test predictions of every fold (of each of its seeds) from its stored preprocessing and
    weights, averaged as training averaged them (over the seeds, then over the folds)."""
    test_side = load_test_side(spec, info, sample_given=sample_given)
    task = info.task
    submission_frame(spec, task, test_side, task.dummy_predictions(len(test_side.test)))
    seeds = parts.settings.seeds
    predictions = []
    for k in folds:
        unit_predictions = []
        for folder in fold_units(rundir, k, seeds):
            preprocessor = load_preprocessing(folder.path, spec.features)
            search_test_folder(preprocessor, spec.test_path.parent)
            (test,) = predict_fold(parts, task, folder.weights, preprocessor, [test_side.test])
            unit_predictions.append(test)
            log.info(
                "Fold %d: test predictions from %s and its stored preprocessing.",
                k,
                folder.weights,
            )
        predictions.append(bag_fold_predictions(unit_predictions, seeds))
    return Predicted(np.mean(predictions, axis=0), spec, task, test_side)


def bag_fold_predictions(
    predictions: Sequence[np.ndarray], seeds: Sequence[int] | None
) -> np.ndarray:
    """One fold's test predictions: its only model's, or the mean over its seeds (as
    training bagged them)."""
    return predictions[0] if seeds is None else bag_predictions(predictions)


def search_test_folder(preprocessor: Any, folder: Path) -> None:
    """Let image inputs find the test file's images beside it (see ``ImageFolder.search_also``)."""
    parts = getattr(preprocessor, "parts", None)
    for part in parts.values() if isinstance(parts, dict) else [preprocessor]:
        search = getattr(part, "search_also", None)
        if search is not None:
            search(folder)


def predict_by_refitting(
    rundir: RunDir, cfg: DictConfig, parts: RunParts, spec: CompetitionSpec
) -> Predicted:
    """The predictions of a run without stored preprocessing: each fold's preprocessing is
    refitted on that fold's training rows (deterministic, so the statistics of training)."""
    check_checkpoints_match(rundir, cfg, parts.spec)
    data = load_competition(spec)
    task = make_task(spec, data)
    folds = cvlib.load_folds(rundir.folds, data.n_train, data.train_ids)
    check_checkpoints_match(rundir, cfg, parts.spec, folds)
    seeds = parts.settings.seeds
    predictions = []
    for k in range(cvlib.n_folds(folds)):
        absent = missing_weights(rundir, k, seeds)
        if absent is not None:
            if parts.settings.folds is not None and k not in parts.settings.folds:
                continue
            raise RunDirError(
                f"{absent} not found: fold {k} of {rundir.path} has no checkpoint. Train it first."
            )
        train_rows, _ = cvlib.fold_indices(folds, k, forward_only=parts.forward_only)
        unit_predictions = []
        unit_seeds: list[int | None] = list(seeds) if seeds is not None else [None]
        for unit, seed in zip(fold_units(rundir, k, seeds), unit_seeds, strict=True):
            (test,) = predict_from_weights(
                parts, task, unit.weights, data.train, train_rows, [data.test], seed
            )
            unit_predictions.append(test)
            log.info("Fold %d: test predictions from %s.", k, unit.weights)
        predictions.append(bag_fold_predictions(unit_predictions, seeds))
    if not predictions:
        raise RunDirError(f"No fold checkpoint found in {rundir.path}.")
    return Predicted(np.mean(predictions, axis=0), spec, task, data)
