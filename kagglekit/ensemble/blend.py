"""``blend(paths)``: blend finished runs (or a sweep's best trials) into a blend directory.

The blend directory looks like a run directory to whatever reads results: ``oof.npy``,
``oof.csv``, ``test_pred.npy``, ``test_pred.csv``, ``scores.json``, ``submission.csv``
(built and validated like a run's), ``folds.csv`` and ``config.yaml`` (the inputs' own, so the
competition can be loaded again), ``run_state.json``, plus ``blend.json``: the inputs (paths,
fingerprint digests, hashes of their folds and predictions), the method, its options and
weights; ``level2.npz`` (``stack``: the level-2 models' arrays, no pickle); and
``fingerprint.json`` (:mod:`kagglekit.ensemble.record`), so that ``kagglekit submit`` records a
blend like a run, ``kagglekit package`` bundles it with its inputs, ``kagglekit predict``
re-predicts it from the inputs' checkpoints, and a re-run into the same folder with other
inputs or another method is refused.

The blend's CV is scored on the OOF rows. ``weights`` and ``hill_climb`` fit their weights on
those same rows, so their ``cv`` is slightly optimistic; ``scores.json`` also gives their
``cross_fitted`` CV (weights fitted on the other folds, scored on each fold). ``stack``'s OOF
predictions are cross-fitted themselves: its ``cv`` is honest.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kagglekit import cv as cvlib
from kagglekit.bundle import fingerprint_digest
from kagglekit.competition import CompetitionSpec
from kagglekit.data.loading import CompetitionData, load_competition
from kagglekit.ensemble.inputs import BlendInput, check_compatible, collect_inputs, file_sha256
from kagglekit.ensemble.methods import Blender, Level2, Stack, make_blender
from kagglekit.ensemble.problem import Problem, as_2d
from kagglekit.ensemble.record import BLEND_FILE, blend_fingerprint, check_blend_rerun
from kagglekit.files import save_array, write_csv, write_json
from kagglekit.metrics import get_metric
from kagglekit.rundir import hold
from kagglekit.tasks import TargetTask

log = logging.getLogger(__name__)

LEVEL2_FILE = "level2.npz"  # stack: the fitted level-2 models' arrays
ORDER_METRICS = frozenset({"roc_auc"})  # scores that depend only on the predictions' order


@dataclass(frozen=True)
class BlendOptions:
    """How to blend (the ``kagglekit blend`` options)."""

    method: str = "weights"
    top: int = 5  # a sweep's best complete trials
    iterations: int = 100  # hill_climb: at most this many additions ...
    patience: int = 10  # ... stopping after this many without improvement
    stack_model: Level2 = "auto"  # stack: logistic (classification) / ridge
    alpha: float = 1.0  # stack: L2 strength
    seed: int = 0  # weights: the random candidates


@dataclass(frozen=True)
class BlendResult:
    blend_dir: Path
    method: str
    metric: str
    greater_is_better: bool
    cv_score: float
    fold_scores: list[float]
    inputs: list[dict[str, Any]]
    weights: dict[str, float] | None
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def best_input(self) -> dict[str, Any]:
        sign = 1 if self.greater_is_better else -1
        return max(self.inputs, key=lambda i: sign * i["cv"])


@dataclass(frozen=True)
class Competition:
    """The competition of the inputs, loaded from a run's ``config.yaml`` as ``predict`` does."""

    spec: CompetitionSpec
    data: CompetitionData
    task: TargetTask
    truth: np.ndarray  # encoded truth on the scale of the predictions


def load_competition_of(run_dir: Path) -> Competition:
    from kagglekit.pipeline import build_parts, load_run_config, make_task

    spec = build_parts(load_run_config(run_dir)).spec
    data = load_competition(spec)
    task = make_task(spec, data)
    return Competition(spec, data, task, task.encoded_truth(task.encode(data.targets)))


def blend(
    paths: Sequence[Path],
    options: BlendOptions | None = None,
    output: Path | None = None,
    command: str | None = None,
    *,
    restart: bool = False,
) -> BlendResult:
    """Check the inputs agree, blend their OOF/test predictions and write the blend directory.

    ``output`` that already holds another blend (other inputs, method or options) or a run is
    refused before anything is written, unless ``restart`` moves it aside (``<dir>.old-<time>``).
    """
    options = options or BlendOptions()
    blender = _blender(options)  # an unknown method fails before anything is read
    runs = collect_inputs(paths, options.top)
    check_compatible(runs)
    comp = load_competition_of(runs[0].path)
    folds = cvlib.load_folds(runs[0].path / "folds.csv", comp.data.n_train, comp.data.train_ids)
    if len(runs[0].oof) != comp.data.n_train:
        raise cvlib.FoldsError(
            f"{runs[0].path}/oof.npy has {len(runs[0].oof)} rows but the training data of "
            f"{comp.spec.name} has {comp.data.n_train}: the data changed since the run."
        )
    rows = np.flatnonzero(np.isfinite(as_2d(runs[0].oof)).all(axis=1))
    metric = get_metric(comp.spec.metric)
    if blender.name == "rank" and metric.name not in ORDER_METRICS:
        log.warning(
            "--method rank is meant for order-based metrics (AUC); %s also depends on the "
            "predictions' values, for which mean, weights or hill_climb are the better choice.",
            metric.name,
        )
    problem = Problem(comp.truth[rows], comp.task, metric)
    oof = np.stack([as_2d(r.oof)[rows] for r in runs])
    test = np.stack([as_2d(r.test_pred) for r in runs])
    row_folds = folds[rows]

    cross_fitted = (
        cross_fit(lambda: _blender(options), oof, problem, row_folds) if blender.learns else None
    )
    blender.fit(oof, problem)
    blend_oof = blender.apply(oof)
    if blender.name == "stack":  # its OOF rows come from level-2 models that never saw them
        assert cross_fitted is not None
        blend_oof = cross_fitted
    blend_test = blender.apply(test)

    scores = _scores(problem, blend_oof, row_folds)
    inputs = [
        {**run.summary(), "cv_recomputed": problem.score(oof[i])} for i, run in enumerate(runs)
    ]
    weights = _weights(blender, runs)
    scores.update(
        competition=comp.spec.name,
        task=comp.spec.task.value,
        method=blender.name,
        weights=weights,
        method_info=blender.describe(),
        inputs=inputs,
    )
    if cross_fitted is not None and blender.name != "stack":
        scores["cross_fitted"] = _scores(problem, cross_fitted, row_folds)
    out = Path(output) if output is not None else default_blend_dir(comp.spec.name)
    record = {
        "kind": "blend",
        "method": blender.name,
        "options": asdict(options),
        "competition": comp.spec.name,
        "task": comp.spec.task.value,
        "metric": metric.name,
        "folds_sha256": runs[0].folds_sha256,
        "inputs": [
            {
                **run.summary(),
                "fingerprint": fingerprint_digest(run.path),
                "oof_sha256": file_sha256(run.path / "oof.npy"),
                "test_pred_sha256": file_sha256(run.path / "test_pred.npy"),
            }
            for run in runs
        ],
        "weights": weights,
        "cv": scores["cv"],
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
    }
    fingerprint = blend_fingerprint(record)
    check_blend_rerun(out, fingerprint, restart=restart)
    with hold(out) as rundir:
        rundir.write_fingerprint(fingerprint)
        written = write_blend_dir(
            out, comp, runs, _full(blend_oof, rows, comp), _shaped(blend_test, comp), scores
        )
        if isinstance(blender, Stack):  # its level-2 models, as arrays (no pickle)
            record["level2"] = blender.save(out / LEVEL2_FILE)
            written["level2"] = out / LEVEL2_FILE
        write_json(out / BLEND_FILE, record)
        written["blend"] = out / BLEND_FILE
        written["fingerprint"] = rundir.fingerprint
        from kagglekit.report.html import write_report_safely

        write_report_safely(out, task=comp.task, encoded_truth=comp.truth)
    result = BlendResult(
        blend_dir=out,
        method=blender.name,
        metric=metric.name,
        greater_is_better=metric.greater_is_better,
        cv_score=float(scores["cv"]),
        fold_scores=[float(s) for s in scores["folds"]],
        inputs=inputs,
        weights=weights,
        paths=written,
    )
    best = result.best_input
    log.info(
        "Blend (%s) of %d runs: CV %s = %.6f (best input %.6f, %s) -> %s",
        blender.name,
        len(runs),
        metric.name,
        result.cv_score,
        best["cv"],
        best["name"],
        written["submission"],
    )
    return result


def _blender(options: BlendOptions) -> Blender:
    return make_blender(
        options.method,
        iterations=options.iterations,
        patience=options.patience,
        stack_model=options.stack_model,
        alpha=options.alpha,
        seed=options.seed,
    )


def cross_fit(make: Any, preds: np.ndarray, problem: Problem, row_folds: np.ndarray) -> np.ndarray:
    """Each fold's rows predicted by a blender fitted on the other folds' rows (honest OOF)."""
    out = np.empty(preds.shape[1:], dtype="float64")
    for k in np.unique(row_folds):
        held = row_folds == k
        blender = make()
        blender.fit(preds[:, ~held], problem.rows(np.flatnonzero(~held)))
        out[held] = blender.apply(preds[:, held])
    return out


def _scores(problem: Problem, predictions: np.ndarray, row_folds: np.ndarray) -> dict[str, Any]:
    folds = [
        problem.rows(np.flatnonzero(row_folds == k)).score(predictions[row_folds == k])
        for k in np.unique(row_folds)
    ]
    return {
        "metric": problem.metric.name,
        "greater_is_better": problem.metric.greater_is_better,
        "cv": problem.score(predictions),
        "folds": folds,
        "fold_mean": float(np.mean(folds)),
        "fold_std": float(np.std(folds)),
        "n_folds": len(folds),
        "oof_rows": len(predictions),
    }


def _weights(blender: Blender, runs: Sequence[BlendInput]) -> dict[str, float] | None:
    weights = getattr(blender, "weights", None)
    if weights is None:
        return None
    return {run.name: float(w) for run, w in zip(runs, weights, strict=True)}


def _shaped(predictions: np.ndarray, comp: Competition) -> np.ndarray:
    """2-D predictions -> the layout of the run files (a binary task's are 1-D)."""
    return comp.task.from_columns(predictions)


def _full(predictions: np.ndarray, rows: np.ndarray, comp: Competition) -> np.ndarray:
    out = np.full((comp.data.n_train, predictions.shape[1]), np.nan)
    out[rows] = predictions
    return _shaped(out, comp)


def default_blend_dir(competition: str) -> Path:
    return Path("outputs") / competition / f"blend-{dt.datetime.now():%Y-%m-%d_%H-%M-%S}"


def write_blend_dir(
    out: Path,
    comp: Competition,
    runs: Sequence[BlendInput],
    oof: np.ndarray,
    test_pred: np.ndarray,
    scores: dict[str, Any],
) -> dict[str, Path]:
    from kagglekit.pipeline import CONFIG_FILE, make_submission, prediction_frame

    out.mkdir(parents=True, exist_ok=True)
    spec, data, task = comp.spec, comp.data, comp.task
    id_name = spec.id_column or "row"
    folds_file = runs[0].path / "folds.csv"
    shutil.copyfile(folds_file, out / "folds.csv")
    shutil.copyfile(runs[0].path / CONFIG_FILE, out / CONFIG_FILE)
    oof_frame = prediction_frame(oof, task, data.train_ids, id_name)
    oof_frame.insert(1, "fold", cvlib.load_folds(folds_file, data.n_train, data.train_ids))
    paths = {
        "oof": save_array(out / "oof.npy", oof),
        "oof_csv": write_csv(out / "oof.csv", oof_frame),
        "test_pred": save_array(out / "test_pred.npy", test_pred),
        "test_pred_csv": write_csv(
            out / "test_pred.csv", prediction_frame(test_pred, task, data.test_ids, id_name)
        ),
        "scores": write_json(out / "scores.json", scores),
    }
    paths["submission"] = make_submission(spec, task, data, test_pred, out / "submission.csv")
    write_json(
        out / "run_state.json",
        {
            "status": "complete",
            "kind": "blend",
            "competition": spec.name,
            "cv": scores["cv"],
            "submission": "submission.csv",
        },
    )
    return paths
