"""What a sweep leaves in its directory: best.json, the best config, trials.csv, plots.

``best.json`` = ``{"value", "params", "overrides", "competition", "command", ...}``: the
``overrides`` appended to ``scripts/train.py competition=<x>`` reproduce the best trial.
``experiment/best.yaml`` holds the same as a config: ``python scripts/train.py
--config-dir <sweep dir> competition=<x> +experiment=best``.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial, TrialState

from kagglekit.tuning.overrides import override_key, parse_value
from kagglekit.tuning.pruning import STEPS_PER_FOLD, fold_of, is_fold_step
from kagglekit.tuning.space import SearchSpace

log = logging.getLogger(__name__)


def _replace(path: Path, text: str) -> Path:
    """Write ``text`` atomically (temporary file + ``os.replace``) if it changed.

    No fsync: these tables are rewritten after every trial from the study, so a power cut can
    only lose the latest copy, and skipping the disk flush keeps a trial's overhead small.
    """
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


BEST_FILE = "best.json"
TRIALS_FILE = "trials.csv"
EXPERIMENT = "best"
PLOTS_DIR = "plots"


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    try:
        return study.best_trial
    except ValueError:
        return None


def train_command(competition: str, overrides: Sequence[str]) -> str:
    return shlex.join(["python", "scripts/train.py", f"competition={competition}", *overrides])


def write_best(
    study: optuna.Study,
    sweep_dir: Path,
    *,
    space: SearchSpace,
    competition: str,
    metric: str,
    groups: set[str],
) -> Path | None:
    """``best.json`` and ``experiment/best.yaml`` for the best COMPLETE trial (if any)."""
    best = best_trial(study)
    if best is None:
        return None
    run = best.user_attrs.get("run", {})
    overrides = [o for o in run.get("overrides", []) if override_key(o) != "competition"]
    experiment = write_experiment(
        sweep_dir, overrides, groups, header=_header(study, best, metric, competition)
    )
    counts = {s.name.lower(): 0 for s in TrialState}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name.lower()] += 1
    best_json = {
        "value": best.value,
        "params": space.decode(best.params),
        "overrides": overrides,
        "competition": competition,
        "metric": metric,
        "direction": study.direction.name.lower(),
        "trial": best.number,
        "run_dir": run.get("dir"),
        "fold_scores": best.user_attrs.get("result", {}).get("fold_scores"),
        "command": train_command(competition, overrides),
        "experiment": str(experiment),
        "experiment_command": shlex.join(
            [
                "python",
                "scripts/train.py",
                "--config-dir",
                str(Path(sweep_dir).resolve()),
                f"competition={competition}",
                f"+experiment={EXPERIMENT}",
            ]
        ),
        "study": study.study_name,
        "trials": counts,
    }
    return _replace(Path(sweep_dir) / BEST_FILE, json.dumps(best_json, indent=2) + "\n")


def _header(study: optuna.Study, best: FrozenTrial, metric: str, competition: str) -> str:
    return (
        f"# Best trial {best.number} of study {study.study_name!r}: {metric} = {best.value}.\n"
        f"# python scripts/train.py --config-dir <this sweep dir> competition={competition} "
        f"+experiment={EXPERIMENT}\n"
    )


def experiment_config(overrides: Sequence[str], groups: set[str]) -> dict[str, Any]:
    """Overrides -> an ``@package _global_`` experiment: group choices as defaults, keys as values."""
    defaults: list[Any] = []
    values = OmegaConf.create({})
    for text in overrides:
        key = override_key(text)
        if text.startswith("~"):
            OmegaConf.update(values, key, None, force_add=True)
            continue
        value = parse_value(key, text.split("=", 1)[1])
        if key in groups:
            defaults.append({f"override /{key}": value})
        else:
            OmegaConf.update(values, key, value, force_add=True)
    config: dict[str, Any] = {}
    if defaults:
        config["defaults"] = defaults
    config.update(OmegaConf.to_container(values))  # type: ignore[arg-type]
    return config


def write_experiment(
    sweep_dir: Path, overrides: Sequence[str], groups: set[str], *, header: str = ""
) -> Path:
    config = experiment_config(overrides, groups)
    text = "# @package _global_\n" + header + OmegaConf.to_yaml(OmegaConf.create(config))
    return _replace(Path(sweep_dir) / "experiment" / f"{EXPERIMENT}.yaml", text)


def trials_frame(study: optuna.Study, space: SearchSpace) -> pd.DataFrame:
    """One row per trial: number, state, value, time, folds/epochs run, params, where, notes."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        run = t.user_attrs.get("run", {})
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.name,
            "value": t.value if t.state == TrialState.COMPLETE else None,
            "seconds": round(t.duration.total_seconds(), 1) if t.duration else None,
            "folds_done": sum(is_fold_step(s) for s in t.intermediate_values),
            "epochs": _epochs(t.intermediate_values),
            "pruned_at": _pruned_at(t),
            "fold_scores": " ".join(
                f"{v:.6f}" for s, v in sorted(t.intermediate_values.items()) if is_fold_step(s)
            ),
        }
        for p in space.params:
            row[p.name] = t.params.get(p.name)
        row["run_dir"] = run.get("dir")
        row["note"] = _note(t)
        rows.append(row)
    return pd.DataFrame(rows)


def _epochs(values: Mapping[int, float]) -> str:
    per_fold: dict[int, int] = {}
    for step in values:
        if not is_fold_step(step):
            fold = fold_of(step)
            per_fold[fold] = max(per_fold.get(fold, 0), step - STEPS_PER_FOLD * fold)
    return " ".join(str(per_fold[k]) for k in sorted(per_fold))


def _pruned_at(t: FrozenTrial) -> str | None:
    where = t.user_attrs.get("pruned_at")
    if t.state != TrialState.PRUNED or not where:
        return None
    if where.get("epoch") is None:
        return f"after fold {where['fold']}"
    return f"fold {where['fold']} epoch {where['epoch']}"


def _note(t: FrozenTrial) -> str:
    notes = []
    if "note" in t.user_attrs:
        notes.append(str(t.user_attrs["note"]))
    if "duplicate_of" in t.user_attrs:
        notes.append(f"same params as trial {t.user_attrs['duplicate_of']}")
    if "failed_trial" in t.system_attrs:
        notes.append(f"retry of trial {t.system_attrs['failed_trial']}")
    if t.user_attrs.get("surplus"):
        notes.append("not run: the study was full")
    if "error" in t.user_attrs and t.state == TrialState.FAIL:
        notes.append(str(t.user_attrs["error"]))
    return "; ".join(notes)


def write_trials(study: optuna.Study, sweep_dir: Path, space: SearchSpace) -> Path:
    text = trials_frame(study, space).to_csv(index=False)
    return _replace(Path(sweep_dir) / TRIALS_FILE, text)


PLOTS = {
    "optimization_history": "plot_optimization_history",
    "param_importances": "plot_param_importances",
    "parallel_coordinate": "plot_parallel_coordinate",
    "intermediate_values": "plot_intermediate_values",
}


def write_plots(study: optuna.Study, sweep_dir: Path) -> list[Path]:
    """Optuna's matplotlib plots as PNG; a plot that needs more trials is skipped with a note."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as oplt

    folder = Path(sweep_dir) / PLOTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    written = []
    for name, function in PLOTS.items():
        if name in ("param_importances", "parallel_coordinate") and len(complete) < 2:
            log.info("Plot %s skipped: it needs at least 2 complete trials.", name)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                axes = getattr(oplt, function)(study)
            figure = _figure(axes)
            if name == "intermediate_values":
                figure.axes[0].set_xlabel(
                    f"step ({STEPS_PER_FOLD} x fold + epoch; fold k ends at {STEPS_PER_FOLD} x (k+1))"
                )
            figure.set_size_inches(10, 6)
            figure.tight_layout()
            path = folder / f"{name}.png"
            figure.savefig(path, dpi=100)
            plt.close(figure)
            written.append(path)
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            log.info("Plot %s skipped: %s", name, exc)
    return written


def _figure(axes: Any) -> Any:
    if hasattr(axes, "figure"):
        return axes.figure
    first = axes.flat[0] if hasattr(axes, "flat") else axes[0]
    return first.figure
