"""Fit the classical baseline on a run's folds and write a run directory like a deep run's.

The folds come from the pipeline's own fold-making (``folds.csv`` of the run directory when
it has one, else the configured splitter), the data from the same loader, the targets from the
same :class:`~kagglekit.tasks.TargetTask`; so ``oof.npy``/``test_pred.npy`` line up row for
row with a deep run's and the two run directories can be blended.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from kagglekit import cv as cvlib
from kagglekit.baselines.kinds import Kind, data_kind
from kagglekit.baselines.models import DESCRIPTIONS, BaselineSettings, make_model, model_names
from kagglekit.data.loading import CompetitionData, check_features, load_competition
from kagglekit.files import read_json, save_array, write_json, write_text
from kagglekit.metrics import Metric
from kagglekit.tasks import TargetTask

if TYPE_CHECKING:
    from kagglekit.pipeline import RunParts

log = logging.getLogger(__name__)

BASELINE_DIR = "baseline"


@dataclass(frozen=True)
class CandidateResult:
    """One model's predictions on the selected folds."""

    name: str
    oof: np.ndarray
    test_pred: np.ndarray
    fold_scores: dict[int, float]
    cv: float


@dataclass(frozen=True)
class BaselineResult:
    run_dir: Path
    kind: Kind
    model: str
    metric: str
    greater_is_better: bool
    cv_score: float
    fold_scores: list[float]
    candidates: dict[str, float]
    paths: dict[str, Path] = field(default_factory=dict)


def _fit_candidate(
    name: str,
    kind: Kind,
    parts: RunParts,
    data: CompetitionData,
    task: TargetTask,
    y: np.ndarray,
    folds: np.ndarray,
    selected: list[int],
    settings: BaselineSettings,
) -> CandidateResult:
    spec, metric = parts.spec, parts.metric
    forward_only = cvlib.is_forward_only(parts.splitter)
    oof: np.ndarray | None = None
    tests = []
    scores: dict[int, float] = {}
    for k in selected:
        started = time.perf_counter()
        train_rows, valid_rows = cvlib.fold_indices(folds, k, forward_only=forward_only)
        model = make_model(name, kind, spec.features, task.kind, task.n_classes, settings)
        model.fit(data.train.iloc[train_rows], y[train_rows])
        valid = task.to_predictions(model.predict(data.train.iloc[valid_rows]))
        test = task.to_predictions(model.predict(data.test))
        scores[k] = task.score_encoded(metric, y[valid_rows], valid)
        if oof is None:
            oof = np.full((len(data.train), *valid.shape[1:]), np.nan)
        oof[valid_rows] = valid
        tests.append(test)
        log.info(
            "Baseline %s, fold %d: %s = %.6f (%.1f s)",
            name,
            k,
            metric.name,
            scores[k],
            time.perf_counter() - started,
        )
    assert oof is not None
    validated = np.sort(np.concatenate([np.flatnonzero(folds == k) for k in selected]))
    cv = task.score_encoded(metric, y[validated], oof[validated])
    log.info("Baseline %s: CV %s = %.6f", name, metric.name, cv)
    return CandidateResult(name, oof, np.mean(tests, axis=0), scores, cv)


def _best(candidates: list[CandidateResult], metric: Metric) -> CandidateResult:
    best = candidates[0]
    for candidate in candidates[1:]:
        if metric.is_better(candidate.cv, best.cv):
            best = candidate
    return best


def run_baseline(parts: RunParts, settings: BaselineSettings, run_dir: Path) -> BaselineResult:
    """Fit the baseline(s) for the competition's kind of data on the run's folds (all, or
    ``trainer.folds``) and write the run directory; ``parts`` is the run's
    :class:`~kagglekit.pipeline.RunParts`."""
    from kagglekit.pipeline import make_folds, make_submission, make_task, write_predictions

    started = time.perf_counter()
    spec, metric = parts.spec, parts.metric
    run_dir.mkdir(parents=True, exist_ok=True)
    kind = data_kind(spec.features())
    names = model_names(kind, settings.model)
    write_json(
        run_dir / "run_state.json",
        {"status": "running", "competition": spec.name, "baseline": True},
    )
    data = load_competition(spec)
    check_features(spec, data)
    task = make_task(spec, data)
    y = task.encode(data.targets)
    folds = make_folds(parts, data, y, run_dir)
    n_folds = cvlib.n_folds(folds)
    selected = (
        list(parts.settings.folds) if parts.settings.folds is not None else list(range(n_folds))
    )
    unknown = [k for k in selected if not 0 <= k < n_folds]
    if unknown:
        raise ValueError(f"trainer.folds names fold(s) {unknown}, but there are {n_folds} folds.")
    log.info("Baseline for %s data: %s on %d fold(s).", kind.value, ", ".join(names), len(selected))

    # OpenMP/BLAS threads capped at n_jobs: HistGradientBoosting's OpenMP threads crawl when
    # the machine's cores are busy with other work
    with threadpool_limits(limits=settings.n_jobs):
        candidates = [
            _fit_candidate(name, kind, parts, data, task, y, folds, selected, settings)
            for name in names
        ]
    best = _best(candidates, metric)
    for candidate in candidates:
        if len(candidates) > 1:
            folder = run_dir / "models" / candidate.name
            save_array(folder / "oof.npy", candidate.oof)
            save_array(folder / "test_pred.npy", candidate.test_pred)
    for k, score in best.fold_scores.items():
        folder = run_dir / f"fold_{k}"
        valid_rows = np.flatnonzero(folds == k)
        save_array(folder / "oof.npy", best.oof[valid_rows])
        write_json(
            folder / "state.json", {"status": "complete", "score": score, "model": best.name}
        )

    paths = write_predictions(
        run_dir, best.oof, best.test_pred, task, data, folds, spec.id_column or "row"
    )
    fold_scores = [best.fold_scores[k] for k in selected]
    scores = {
        "metric": metric.name,
        "greater_is_better": metric.greater_is_better,
        "cv": best.cv,
        "folds": fold_scores,
        "fold_mean": float(np.mean(fold_scores)),
        "fold_std": float(np.std(fold_scores)),
        "n_folds": len(fold_scores),
        "oof_rows": int(sum(int((folds == k).sum()) for k in selected)),
        "competition": spec.name,
        "task": spec.task.value,
        "splitter": cvlib.describe(parts.splitter),
        "baseline": True,
        "kind": kind.value,
        "model": best.name,
        "description": DESCRIPTIONS[(kind, best.name)],
        "candidates": {c.name: c.cv for c in candidates},
        "elapsed_s": round(time.perf_counter() - started, 2),
    }
    paths["scores"] = write_json(run_dir / "scores.json", scores)
    chosen = f" (chosen by CV over {', '.join(names)})" if len(names) > 1 else ""
    log.info("Baseline CV %s = %.6f: %s%s", metric.name, best.cv, best.name, chosen)
    paths["submission"] = make_submission(
        spec, task, data, best.test_pred, run_dir / "submission.csv"
    )
    write_json(
        run_dir / "run_state.json",
        {
            "status": "complete",
            "competition": spec.name,
            "baseline": True,
            "cv": best.cv,
            "submission": "submission.csv",
            "folds": {
                str(k): {"status": "complete", "score": s} for k, s in best.fold_scores.items()
            },
        },
    )
    log.info("Baseline submission: %s", paths["submission"])
    return BaselineResult(
        run_dir=run_dir,
        kind=kind,
        model=best.name,
        metric=metric.name,
        greater_is_better=metric.greater_is_better,
        cv_score=best.cv,
        fold_scores=fold_scores,
        candidates={c.name: c.cv for c in candidates},
        paths=paths,
    )


def comparison_line(metric: str, deep_cv: float, baseline: BaselineResult) -> str:
    """``deep CV x vs baseline CV y`` with the model and which one is ahead."""
    if deep_cv == baseline.cv_score:
        verdict = "tie"
    else:
        deep_ahead = (deep_cv > baseline.cv_score) == baseline.greater_is_better
        verdict = "deep model ahead" if deep_ahead else "BASELINE AHEAD"
    return (
        f"deep CV {deep_cv:.6f} vs baseline CV {baseline.cv_score:.6f} "
        f"({metric}; baseline: {baseline.model}; {verdict})"
    )


def holds_deep_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a deep run (finished or not), not a baseline's own files."""
    path = run_dir / "run_state.json"
    return path.exists() and not read_json(path).get("baseline", False)


def baseline_next_to(
    run_dir: Path, parts: RunParts, settings: BaselineSettings, config_text: str
) -> BaselineResult:
    """The baseline of a finished deep run, in ``<run_dir>/baseline/`` on the same folds; the
    comparison goes into the deep run's ``scores.json`` (``baseline``, ``comparison``) and log."""
    target = run_dir / BASELINE_DIR
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "folds.csv", target / "folds.csv")
    write_text(target / "config.yaml", config_text)
    baseline = run_baseline(parts, settings, target)
    scores_path = run_dir / "scores.json"
    if not scores_path.exists():
        log.info(
            "Baseline CV %.6f (%s); the deep run has no scores.json yet.",
            baseline.cv_score,
            baseline.model,
        )
        return baseline
    scores = read_json(scores_path)
    line = comparison_line(scores["metric"], float(scores["cv"]), baseline)
    scores["baseline"] = {
        "model": baseline.model,
        "kind": baseline.kind.value,
        "cv": baseline.cv_score,
        "folds": baseline.fold_scores,
        "candidates": baseline.candidates,
        "run_dir": BASELINE_DIR,
    }
    scores["comparison"] = line
    write_json(scores_path, scores)
    log.info("%s", line)
    return baseline
