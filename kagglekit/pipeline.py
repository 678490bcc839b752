"""``train(cfg)`` and ``predict(run_dir)``: the only place that reads the config.

The config is turned into typed objects here (:class:`RunParts`); everything below takes
explicit arguments. ``train`` returns the scores and the paths it wrote, so tests and the tuner
call it directly.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from kagglekit import cv as cvlib
from kagglekit.backend import enable_op_determinism
from kagglekit.competition import CompetitionSpec, Task
from kagglekit.config_check import ConfigError, check_complete
from kagglekit.data.loading import CompetitionData, check_features, load_competition
from kagglekit.errors import KagglekitError
from kagglekit.files import remove_stale_temporaries, save_array, write_csv, write_json, write_text
from kagglekit.metrics import Metric, get_metric
from kagglekit.redact import install_log_filter, mask_credentials, mask_files
from kagglekit.submission import build_submission, check_finite_predictions, write_submission
from kagglekit.targets import TargetCodec
from kagglekit.training.crossval import (
    WEIGHTS_FILE,
    CVResult,
    FoldHooks,
    FoldRecipe,
    cross_validate,
    fold_dir,
    predict_from_weights,
)
from kagglekit.training.fit import TrainerSettings

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"


@dataclass(frozen=True)
class RunParts:
    """The typed objects one run is made of, built from the config."""

    spec: CompetitionSpec
    splitter: cvlib.Splitter
    settings: TrainerSettings
    make_model: Any
    make_optimizer: Any
    callbacks: list[Any]
    metric: Metric


@dataclass(frozen=True)
class RunResult:
    """What ``train`` returns: the CV score (what a sweep optimises) and the files written."""

    run_dir: Path
    metric: str
    greater_is_better: bool
    cv_score: float
    fold_scores: list[float]
    paths: dict[str, Path] = field(default_factory=dict)


def build_parts(cfg: DictConfig) -> RunParts:
    spec = instantiate(cfg.competition, _convert_="all")
    settings = instantiate(cfg.trainer, _convert_="all")
    callbacks = []
    for name, node in cfg.callbacks.items():
        if node is None:
            continue
        if "_target_" not in node:
            raise ConfigError(
                f"callbacks.{name} has no _target_: it sets options of a callback that the chosen "
                f"callbacks group does not have. Drop it (~callbacks.{name}) or give it a _target_."
            )
        callbacks.append(instantiate(node, _convert_="all"))
    return RunParts(
        spec=spec,
        splitter=instantiate(cfg.cv, _convert_="all"),
        settings=settings,
        make_model=instantiate(cfg.model, _convert_="all"),
        make_optimizer=instantiate(cfg.optimizer, _convert_="all"),
        callbacks=callbacks,
        metric=get_metric(spec.metric),
    )


def hydra_run_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def train(
    cfg: DictConfig, run_dir: Path | None = None, hooks: FoldHooks | None = None
) -> RunResult:
    """Run the whole pipeline for one config; ``run_dir`` defaults to Hydra's run directory.

    ``hooks`` lets a caller (the tuner) add per-fold callbacks and watch finished folds.
    """
    check_complete(cfg)
    run_dir = Path(run_dir) if run_dir is not None else hydra_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    install_log_filter()
    mask_files(run_dir / ".hydra")
    write_text(run_dir / CONFIG_FILE, mask_credentials(OmegaConf.to_yaml(cfg, resolve=True)))
    return run(build_parts(cfg), run_dir, hooks)


def make_codec(spec: CompetitionSpec, data: CompetitionData) -> TargetCodec:
    return TargetCodec.fit(
        spec.task,
        data.targets,
        positive_label=spec.positive_label,
        transform=spec.target_transform,
        threshold=spec.threshold,
        heads=spec.heads,
    )


def make_folds(parts: RunParts, data: CompetitionData, y: np.ndarray, run_dir: Path) -> np.ndarray:
    """Reuse ``folds.csv`` when the run directory has one (checked against the data), else split."""
    path = run_dir / "folds.csv"
    if path.exists():
        folds = cvlib.load_folds(path, data.n_train, data.train_ids)
        log.info("Reusing the folds in %s.", path)
    else:
        folds = cvlib.assign_folds(parts.splitter, data.n_train, y=y, groups=data.groups)
        cvlib.save_folds(path, folds, data.train_ids)
        log.info("Folds: %s -> %s.", cvlib.describe(parts.splitter), path)
    if data.groups is not None:
        cvlib.check_groups_not_split(folds, data.groups)
    return folds


def recipe_for(parts: RunParts, codec: TargetCodec, hooks: FoldHooks | None = None) -> FoldRecipe:
    return FoldRecipe(
        make_preprocessor=parts.spec.features,
        make_model=parts.make_model,
        make_optimizer=parts.make_optimizer,
        callbacks=parts.callbacks,
        settings=parts.settings,
        codec=codec,
        metric=parts.metric,
        forward_only=cvlib.is_forward_only(parts.splitter),
        hooks=hooks,
    )


def prediction_columns(codec: TargetCodec) -> list[str]:
    if codec.task is Task.BINARY:
        return [f"pred_{codec.classes[-1]}"]
    if codec.task is Task.MULTICLASS:
        return [f"pred_{c}" for c in codec.classes]
    return [f"pred_{c}" for c in codec.columns]


def prediction_frame(
    predictions: np.ndarray, codec: TargetCodec, ids: pd.Series | None, id_name: str
) -> pd.DataFrame:
    frame = pd.DataFrame(
        predictions.reshape(len(predictions), -1), columns=prediction_columns(codec)
    )
    frame.insert(0, id_name, ids.to_numpy() if ids is not None else np.arange(len(frame)))
    return frame


def run(parts: RunParts, run_dir: Path, hooks: FoldHooks | None = None) -> RunResult:
    started = time.perf_counter()
    spec = parts.spec
    remove_stale_temporaries(run_dir)
    if parts.settings.deterministic:
        log.info("Deterministic kernels requested on the %s backend.", enable_op_determinism())
    write_json(run_dir / "run_state.json", {"status": "running", "competition": spec.name})
    data = load_competition(spec)
    check_features(spec, data)
    codec = make_codec(spec, data)
    y = codec.encode(data.targets)
    folds = make_folds(parts, data, y, run_dir)
    result = cross_validate(
        recipe_for(parts, codec, hooks), data.train, y, data.test, folds, run_dir
    )

    scores = score_oof(result, codec, parts.metric, y)
    id_name = spec.id_column or "row"
    oof_frame = prediction_frame(result.oof, codec, data.train_ids, id_name)
    oof_frame.insert(1, "fold", folds)
    paths = {
        "oof": save_array(run_dir / "oof.npy", result.oof),
        "oof_csv": write_csv(run_dir / "oof.csv", oof_frame),
        "test_pred": save_array(run_dir / "test_pred.npy", result.test_pred),
        "test_pred_csv": write_csv(
            run_dir / "test_pred.csv",
            prediction_frame(result.test_pred, codec, data.test_ids, id_name),
        ),
    }
    scores.update(
        competition=spec.name,
        task=spec.task.value,
        splitter=cvlib.describe(parts.splitter),
        epochs=[f.info.get("epochs_run") for f in result.folds],
        elapsed_s=round(time.perf_counter() - started, 2),
    )
    paths["scores"] = write_json(run_dir / "scores.json", scores)
    log.info(
        "CV %s = %.6f (folds: %s)",
        parts.metric.name,
        scores["cv"],
        ", ".join(f"{s:.4f}" for s in scores["folds"]),
    )
    paths["submission"] = make_submission(
        spec, codec, data, result.test_pred, run_dir / "submission.csv"
    )
    write_json(
        run_dir / "run_state.json",
        {
            "status": "complete",
            "competition": spec.name,
            "cv": scores["cv"],
            "submission": "submission.csv",
            "folds": {str(f.fold): {"status": "complete", "score": f.score} for f in result.folds},
        },
    )
    log.info("Submission: %s", paths["submission"])
    from kagglekit.report.html import write_report_safely

    write_report_safely(run_dir, codec=codec, encoded_truth=codec.encoded_truth(y))
    return RunResult(
        run_dir=run_dir,
        metric=parts.metric.name,
        greater_is_better=parts.metric.greater_is_better,
        cv_score=float(scores["cv"]),
        fold_scores=[float(s) for s in scores["folds"]],
        paths=paths,
    )


def score_oof(
    result: CVResult, codec: TargetCodec, metric: Metric, y: np.ndarray
) -> dict[str, Any]:
    validated = np.concatenate([f.valid_rows for f in result.folds])
    validated.sort()
    truth = codec.encoded_truth(y[validated])
    cv_score = metric(truth, result.oof[validated], codec.task, codec.threshold)
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


def make_submission(
    spec: CompetitionSpec,
    codec: TargetCodec,
    data: CompetitionData,
    test_pred: np.ndarray,
    path: Path,
) -> Path:
    sample = data.sample_submission
    id_column = spec.submission_id_column or str(sample.columns[0])
    value_columns = [c for c in sample.columns if c != id_column]
    ids = data.test_ids if data.test_ids is not None else sample[id_column]
    check_finite_predictions(test_pred, ids)
    values = codec.submission_values(test_pred, value_columns, spec.submission, spec.class_columns)
    labels = (
        codec.classes if spec.submission == "label" and codec.task is not Task.MULTILABEL else None
    )
    if codec.task is Task.MULTILABEL and spec.submission == "label":
        labels = (0, 1)
    submission = build_submission(
        sample,
        values,
        kind=spec.submission,
        test_ids=data.test_ids,
        id_column=id_column,
        labels=labels,
    )
    return write_submission(path, submission)


class RunDirError(KagglekitError, FileNotFoundError):
    """The folder is not a (finished) kagglekit run directory."""


def load_run_config(run_dir: Path) -> DictConfig:
    path = Path(run_dir) / CONFIG_FILE
    if not path.exists():
        raise RunDirError(f"{path} not found: {run_dir} is not a kagglekit run directory.")
    cfg = OmegaConf.load(path)
    assert isinstance(cfg, DictConfig)
    return cfg


def predict(
    run_dir: Path,
    *,
    test_file: Path | None = None,
    sample_submission: Path | None = None,
    output: Path | None = None,
) -> Path:
    """Rebuild the submission of a finished run from its fold checkpoints, without training.

    Each fold's preprocessing is refitted on that fold's training rows (deterministic, so the
    same statistics as in training), its weights are loaded, and the test predictions are
    averaged over folds. ``test_file`` (with its ``sample_submission``) predicts another test
    file of the same layout, e.g. a code competition's hidden test set.
    """
    run_dir = Path(run_dir)
    parts = build_parts(load_run_config(run_dir))
    spec = parts.spec
    if test_file is not None:
        spec = dataclasses.replace(spec, test_file=str(Path(test_file).resolve()))
    if sample_submission is not None:
        spec = dataclasses.replace(
            spec, sample_submission_file=str(Path(sample_submission).resolve())
        )
    data = load_competition(spec)
    codec = make_codec(spec, data)
    folds = cvlib.load_folds(run_dir / "folds.csv", data.n_train, data.train_ids)
    recipe = recipe_for(parts, codec)
    predictions = []
    for k in range(cvlib.n_folds(folds)):
        weights = fold_dir(run_dir, k) / WEIGHTS_FILE
        if not weights.exists():
            if parts.settings.folds is not None and k not in parts.settings.folds:
                continue
            raise RunDirError(
                f"{weights} not found: fold {k} of {run_dir} has no checkpoint. Train it first."
            )
        train_rows, _ = cvlib.fold_indices(folds, k, forward_only=recipe.forward_only)
        (test,) = predict_from_weights(recipe, weights, data.train, train_rows, [data.test])
        predictions.append(test)
        log.info("Fold %d: test predictions from %s.", k, weights)
    if not predictions:
        raise RunDirError(f"No fold checkpoint found in {run_dir}.")
    test_pred = np.mean(predictions, axis=0)
    out = Path(output) if output is not None else run_dir / "submission.csv"
    return make_submission(spec, codec, data, test_pred, out)
