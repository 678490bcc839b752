"""``report.html``: one self-contained page per run, sweep or blend directory.

Everything is on the page itself: images are embedded as base64 PNG, the style is inline, there
is no script and no external URL, so the file can be mailed, attached to a tracker or opened
offline. ``kagglekit report DIR`` rebuilds it; a finished run, sweep or blend writes it itself
through :func:`write_report_safely`, which never fails the run it reports on.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import logging
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kagglekit.competition import Task
from kagglekit.errors import KagglekitError
from kagglekit.files import load_array, write_text
from kagglekit.redact import mask_credentials
from kagglekit.report import figures

if TYPE_CHECKING:
    from kagglekit.tasks import TargetTask
    from kagglekit.tasks.base import Diagnostics

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
MAX_TABLE_ROWS = 200
MAX_IMAGE_BYTES = 400_000
MAX_TARGET_PLOTS = 4

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1em 2em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #ddd;
padding-bottom:.2em;margin-top:1.6em}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}
.big{font-size:1.3em;font-weight:600}.muted{color:#777;font-size:.9em}
code,pre{background:#f6f6f6;border-radius:3px;font-size:.85em}
pre{padding:.6em;overflow-x:auto}code{padding:.1em .3em;word-break:break-all}
img{max-width:100%;height:auto;display:block;margin:.4em 0}
.scroll{max-height:640px;overflow:auto;border:1px solid #ddd;display:inline-block;padding:.4em}
.wide{overflow-x:auto}
.row{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}
.note{background:#fff8e1;border-left:3px solid #f0b400;padding:.4em .8em}
"""


class ReportError(KagglekitError, FileNotFoundError):
    """The folder is not a run, sweep or blend directory."""


@dataclass(frozen=True)
class Truth:
    """The encoded truth of every training row, on the predictions' scale, and its task."""

    values: np.ndarray
    task: Task
    labels: tuple[str, ...]  # class names (binary, multiclass) or target columns
    threshold: float = 0.5

    @property
    def diagnostics(self) -> Diagnostics:
        """Which diagnostics apply: the task object's choice (:attr:`TargetTask.diagnostics`)."""
        from kagglekit.tasks import TASKS

        return TASKS[self.task].diagnostics


def truth_from_task(task: TargetTask, truth: np.ndarray) -> Truth:
    """``task`` is the run's :class:`~kagglekit.tasks.TargetTask`."""
    names = tuple(str(n) for n in task.value_names)
    return Truth(np.asarray(truth), task.kind, names, task.threshold)


def load_truth(directory: Path) -> Truth:
    """Load the competition of a finished run (or blend) from its ``config.yaml``, as
    ``kagglekit predict`` does, and encode its targets."""
    from kagglekit.ensemble.blend import load_competition_of

    comp = load_competition_of(directory)
    return truth_from_task(comp.task, comp.truth)


# ---------------------------------------------------------------------------------- writing


def write_report(directory: Path, *, truth: Truth | None = None) -> Path:
    """Write ``<directory>/report.html`` for a run, sweep or blend directory; return its path."""
    directory = Path(directory)
    if (directory / "blend.json").exists():
        body = blend_page(directory, truth)
    elif (directory / "trials.csv").exists() or (directory / "best.json").exists():
        body = sweep_page(directory)
    elif (directory / "config.yaml").exists() or (directory / "scores.json").exists():
        body = run_page(directory, truth)
    else:
        raise ReportError(
            f"{directory} is not a kagglekit run, sweep or blend directory (no config.yaml, "
            "scores.json, trials.csv or blend.json): pass the directory a run wrote."
        )
    return write_text(directory / REPORT_FILE, page(directory, body))


def write_report_safely(
    directory: Path, *, task: TargetTask | None = None, encoded_truth: np.ndarray | None = None
) -> Path | None:
    """:func:`write_report`, but a failure only logs a warning: the run is finished anyway.

    ``task`` and ``encoded_truth`` (the run's task object and its encoded truth), when the
    caller has them, spare loading the competition again.
    """
    try:
        truth = None
        if task is not None and encoded_truth is not None:
            truth = truth_from_task(task, encoded_truth)
        path = write_report(directory, truth=truth)
    except Exception as exc:  # a report must never fail a finished run
        log.warning("Could not write %s: %s", Path(directory) / REPORT_FILE, exc)
        return None
    log.info("Report: %s", path)
    return path


def page(directory: Path, body: str) -> str:
    title = f"kagglekit report: {directory.resolve().name}"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
        f'{body}\n<p class="muted">Written {stamp} from <code>{esc(str(directory.resolve()))}'
        "</code>; rebuild with <code>kagglekit report DIR</code>.</p>\n</body></html>\n"
    )


# ---------------------------------------------------------------------------------- pages


def run_page(directory: Path, truth: Truth | None) -> str:
    config = read_config(directory)
    scores = read_json(directory / "scores.json")
    competition = scores.get("competition") or _get(config, "competition", "name") or "?"
    parts = [
        f"<h1>Run: {esc(competition)}</h1>",
        subtitle(directory, scores),
        command_section(run_command(directory)),
        config_section(config, directory),
        cv_section(directory, scores),
        curves_section(directory),
        diagnostics_section(directory, truth, scores),
        model_section(directory),
    ]
    return "\n".join(p for p in parts if p)


def blend_page(directory: Path, truth: Truth | None) -> str:
    meta = read_json(directory / "blend.json")
    scores = read_json(directory / "scores.json")
    parts = [
        f"<h1>Blend: {esc(meta.get('competition', '?'))} ({esc(meta.get('method', '?'))})</h1>",
        subtitle(directory, scores),
        command_section(meta.get("command")),
        blend_section(meta, scores),
        cv_section(directory, scores),
        diagnostics_section(directory, truth, scores),
    ]
    return "\n".join(p for p in parts if p)


def sweep_page(directory: Path) -> str:
    best = read_json(directory / "best.json")
    parts = [
        f"<h1>Sweep: {esc(best.get('competition', directory.resolve().name))}</h1>",
        f'<p class="muted">{esc(directory.resolve().name)}</p>',
        best_section(best),
        sweep_plots_section(directory),
        trials_section(directory, best),
    ]
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------------------------- sections


def subtitle(directory: Path, scores: Mapping[str, Any]) -> str:
    facts = [f"{k} <b>{esc(scores[k])}</b>" for k in ("task", "metric") if scores.get(k)]
    if scores.get("splitter"):
        facts.append(f"CV <b>{esc(_short(scores['splitter']))}</b>")
    facts.append(f"directory <code>{esc(directory.resolve().name)}</code>")
    return f'<p class="muted">{" · ".join(facts)}</p>'


def command_section(command: str | None) -> str:
    if not command:
        return ""
    return f"<h2>Command</h2><pre>{esc(mask_credentials(command))}</pre>"


def run_command(directory: Path) -> str | None:
    """The training command, from Hydra's ``.hydra/overrides.yaml``."""
    overrides_file = directory / ".hydra" / "overrides.yaml"
    if not overrides_file.exists():
        return None
    from omegaconf import OmegaConf

    overrides = OmegaConf.to_container(OmegaConf.load(overrides_file))
    if not isinstance(overrides, list):
        return None
    return shlex.join(["python", "scripts/train.py", *(str(o) for o in overrides)])


KEY_GROUPS = ("competition", "model", "cv", "trainer", "optimizer")
COMPETITION_KEYS = ("name", "task", "metric", "target", "targets", "id_column", "submission")


def config_section(config: Mapping[str, Any], directory: Path) -> str:
    if not config:
        return ""
    tables = []
    for group in KEY_GROUPS:
        node = config.get(group)
        if not isinstance(node, Mapping):
            continue
        rows: list[tuple[str, str]] = []
        for key, value in node.items():
            if group == "competition" and key not in COMPETITION_KEYS:
                continue
            if isinstance(value, Mapping) or (isinstance(value, list) and len(value) > 8):
                continue
            if value is None or (key.startswith("_") and key != "_target_"):
                continue
            rows.append((str(key), _short(value)))
        if rows:
            tables.append(
                f"<div><h3>{esc(group)}</h3>{table(['key', 'value'], rows, left=2)}</div>"
            )
    text = (directory / "config.yaml").read_text(encoding="utf-8")
    return (
        '<h2>Configuration</h2><div class="row">'
        + "".join(tables)
        + "</div><details><summary>config.yaml (resolved; credentials masked)</summary>"
        f"<pre>{esc(mask_credentials(text))}</pre></details>"
    )


def cv_section(directory: Path, scores: Mapping[str, Any]) -> str:
    if not scores:
        return (
            '<h2>Cross-validation</h2><p class="note">No scores.json: the run did not finish.</p>'
        )
    folds = [float(s) for s in scores.get("folds", [])]
    metric = scores.get("metric", "score")
    direction = "higher is better" if scores.get("greater_is_better", True) else "lower is better"
    epochs = scores.get("epochs") or []
    rows = []
    for k, value in enumerate(folds):
        state = read_json(directory / f"fold_{k}" / "state.json")
        rows.append(
            (
                str(k),
                f"{value:.6f}",
                _short(epochs[k]) if k < len(epochs) and epochs[k] is not None else "",
                f"{state['seconds']:.1f}" if "seconds" in state else "",
            )
        )
    mean = float(np.mean(folds)) if folds else float("nan")
    std = float(np.std(folds)) if folds else float("nan")
    head = (
        f'<p><span class="big">CV {esc(metric)} = {float(scores["cv"]):.6f}</span> '
        f"({direction}; scored on all {scores.get('oof_rows', '?')} out-of-fold rows)<br>"
        f"folds: <b>{mean:.6f} ± {std:.6f}</b> (mean ± std over {len(folds)} folds)"
    )
    if "elapsed_s" in scores:
        head += f"; run time {float(scores['elapsed_s']):.1f} s"
    if "seed_cv" in scores:
        seeds = ", ".join(f"seed {s}: {float(v):.6f}" for s, v in scores["seed_cv"].items())
        head += f"<br>bagged over {len(scores['seed_cv'])} seeds; each seed's CV: {seeds}"
    if "cross_fitted" in scores:
        head += (
            f"<br>cross-fitted CV (weights fitted on the other folds): "
            f"{float(scores['cross_fitted']['cv']):.6f}"
        )
    head += "</p>"
    header, cells = _drop_empty_columns(["fold", metric, "epochs", "seconds"], rows)
    return "<h2>Cross-validation</h2>" + head + table(header, cells)


def _seed_of(history: Path) -> int | None:
    """The bagging seed of a ``fold_<k>/seed_<s>/history.csv`` (None for a fold's own)."""
    match = re.fullmatch(r"seed_(\d+)", history.parent.name)
    return int(match.group(1)) if match else None


def curves_section(directory: Path) -> str:
    histories: dict[int, pd.DataFrame] = {}
    # with seed bagging (fold_<k>/seed_<s>/) each fold's curves are those of its first seed
    paths = sorted(directory.glob("fold_*/history.csv")) or sorted(
        (p for p in directory.glob("fold_*/seed_*/history.csv") if _seed_of(p) is not None),
        key=lambda p: (p.parent.parent.name, _seed_of(p)),
    )
    for path in paths:
        folder = path.parent.parent if _seed_of(path) is not None else path.parent
        match = re.fullmatch(r"fold_(\d+)", folder.name)
        if match is None or int(match.group(1)) in histories:
            continue
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError, pd.errors.EmptyDataError):
            continue
        if len(frame):
            histories[int(match.group(1))] = frame
    if not histories:
        return ""
    picture = figures.learning_curves(histories)
    return "<h2>Learning curves</h2>" + (image(picture) if picture else "")


def model_section(directory: Path) -> str:
    summary_file = directory / "model_summary.txt"
    graph_file = directory / "model.png"
    if not summary_file.exists() and not graph_file.exists():
        return ""
    parts = ["<h2>Model</h2>"]
    if summary_file.exists():
        summary = summary_file.read_text(encoding="utf-8")
        counts = [
            f"{m.group(1)}: <b>{esc(m.group(2).strip())}</b>"
            for m in re.finditer(
                r"^\s*(Total params|Trainable params|Non-trainable params): (.*)$", summary, re.M
            )
        ]
        if counts:
            parts.append("<p>" + "<br>".join(counts) + "</p>")
        parts.append(
            f"<details><summary>model_summary.txt</summary><pre>{esc(summary)}</pre></details>"
        )
    if graph_file.exists():
        data = graph_file.read_bytes()
        if len(data) <= MAX_IMAGE_BYTES:
            parts.append(f'<div class="scroll">{image(data, alt="model graph")}</div>')
        else:
            parts.append(
                f'<p class="muted">model.png is {len(data) // 1000} KB, too large to embed; '
                "open it from the run directory.</p>"
            )
    return "".join(parts)


def diagnostics_section(directory: Path, truth: Truth | None, scores: Mapping[str, Any]) -> str:
    head = "<h2>Out-of-fold diagnostics</h2>"
    oof_file = directory / "oof.npy"
    if not oof_file.exists():
        return ""
    try:
        if truth is None:
            truth = load_truth(directory)
        oof = load_array(oof_file)
        return head + diagnostics(oof, truth)
    except Exception as exc:  # the data may be gone; the rest of the page still helps
        log.warning("Out-of-fold diagnostics of %s skipped: %s", directory, exc)
        return head + f'<p class="note">Not available: {esc(str(exc))}</p>'


def diagnostics(oof: np.ndarray, truth: Truth) -> str:
    values = truth.values
    if len(oof) != len(values):
        raise ValueError(
            f"oof.npy has {len(oof)} rows but the training data has {len(values)}: "
            "the data changed since the run."
        )
    flat = oof.reshape(len(oof), -1)
    rows = np.isfinite(flat).all(axis=1)
    oof, values = oof[rows], values[rows]
    note = f'<p class="muted">{int(rows.sum())} out-of-fold rows.</p>'
    shown = truth.diagnostics  # the task object names them
    if shown == "values":
        return note + regression_diagnostics(oof, values, truth.labels)
    if shown == "labels":
        return note + multilabel_diagnostics(oof, values, truth)
    return note + class_diagnostics(oof, values, truth)


def class_diagnostics(oof: np.ndarray, values: np.ndarray, truth: Truth) -> str:
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    actual = np.asarray(values).reshape(len(values), -1)[:, 0].astype(int)
    labels = list(truth.labels)
    if truth.diagnostics == "threshold":
        positive = oof.reshape(len(oof), -1)[:, -1]
        predicted = (positive >= truth.threshold).astype(int)
        curves = {f"P({labels[1]})": _calibration(calibration_curve, actual, positive)}
        xlabel = "predicted probability"
    else:
        predicted = oof.argmax(axis=1)
        confidence = oof.max(axis=1)
        correct = (predicted == actual).astype(int)
        curves = {"predicted class": _calibration(calibration_curve, correct, confidence)}
        xlabel = "confidence (probability of the predicted class)"
    index = list(range(len(labels)))
    matrix = confusion_matrix(actual, predicted, labels=index)
    precision, recall, f1, support = precision_recall_fscore_support(
        actual, predicted, labels=index, zero_division=0
    )
    rows = [
        (labels[i], f"{precision[i]:.4f}", f"{recall[i]:.4f}", f"{f1[i]:.4f}", str(int(support[i])))
        for i in index
    ]
    accuracy = float((predicted == actual).mean())
    return (
        f"<p>Accuracy of the predicted labels: <b>{accuracy:.4f}</b>"
        + (f" (threshold {truth.threshold:g})" if truth.diagnostics == "threshold" else "")
        + "</p>"
        + image(figures.confusion(matrix, labels))
        + "<h3>Per-class scores</h3>"
        + table(["class", "precision", "recall", "F1", "support"], rows, left=1)
        + "<h3>Calibration</h3>"
        + image(figures.reliability(curves, xlabel))
    )


def multilabel_diagnostics(oof: np.ndarray, values: np.ndarray, truth: Truth) -> str:
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_fscore_support

    actual = np.asarray(values).astype(int)
    predicted = (oof >= truth.threshold).astype(int)
    precision, recall, f1, support = precision_recall_fscore_support(
        actual, predicted, zero_division=0
    )
    rows = [
        (
            name,
            f"{actual[:, i].mean():.4f}",
            f"{precision[i]:.4f}",
            f"{recall[i]:.4f}",
            f"{f1[i]:.4f}",
            str(int(support[i])),
        )
        for i, name in enumerate(truth.labels)
    ]
    curves = {"all labels": _calibration(calibration_curve, actual.ravel(), oof.ravel())}
    return (
        "<h3>Per-label scores</h3>"
        + table(["label", "positive rate", "precision", "recall", "F1", "positives"], rows, left=1)
        + "<h3>Calibration</h3>"
        + image(figures.reliability(curves, "predicted probability"))
    )


def regression_diagnostics(oof: np.ndarray, values: np.ndarray, names: Sequence[str]) -> str:
    predicted = oof.reshape(len(oof), -1)
    actual = np.asarray(values, dtype="float64").reshape(len(values), -1)
    rows = []
    parts = []
    for i, name in enumerate(names):
        error = predicted[:, i] - actual[:, i]
        total = float(np.sum((actual[:, i] - actual[:, i].mean()) ** 2))
        r2 = 1 - float(np.sum(error**2)) / total if total > 0 else float("nan")
        rows.append(
            (
                name,
                f"{np.sqrt(np.mean(error**2)):.6g}",
                f"{np.mean(np.abs(error)):.6g}",
                f"{r2:.4f}",
                f"{np.mean(error):.6g}",
            )
        )
        if i < MAX_TARGET_PLOTS:
            parts.append(
                f"<h3>{esc(name)}</h3>"
                + image(figures.regression(actual[:, i], predicted[:, i], name))
            )
    return table(["target", "RMSE", "MAE", "R²", "mean residual"], rows, left=1) + "".join(parts)


def _calibration(
    curve: Any, actual: np.ndarray, probability: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    probability = np.clip(probability, 0.0, 1.0)
    observed, predicted = curve(actual, probability, n_bins=10, strategy="uniform")
    return predicted, observed, probability


def blend_section(meta: Mapping[str, Any], scores: Mapping[str, Any]) -> str:
    weights = meta.get("weights") or {}
    inputs = scores.get("inputs") or meta.get("inputs") or []
    rows = []
    for item in inputs:
        name = str(item.get("name", "?"))
        rows.append(
            (
                name,
                f"{float(item['cv']):.6f}" if "cv" in item else "",
                f"{float(item['cv_recomputed']):.6f}" if "cv_recomputed" in item else "",
                f"{float(weights[name]):.4f}" if name in weights else "",
                "" if str(item.get("path", "")) == name else str(item.get("path", "")),
            )
        )
    columns = ["input", "CV (its run)", "CV (blended rows)", "weight", "path"]
    text = (
        f"<h2>Inputs and weights</h2><p>Method <b>{esc(meta.get('method', '?'))}</b>; "
        f"blend CV <b>{float(meta.get('cv', scores.get('cv', float('nan')))):.6f}</b>.</p>"
        + table(*_drop_empty_columns(columns, rows), left=1)
    )
    if weights:
        text += image(
            figures.bars({k: float(v) for k, v in weights.items()}, "Blend weights", "weight")
        )
    info = scores.get("method_info")
    if info:
        text += f"<details><summary>method details</summary><pre>{esc(json.dumps(info, indent=2, default=str))}</pre></details>"
    return text


def best_section(best: Mapping[str, Any]) -> str:
    if not best:
        return '<p class="note">No complete trial yet (no best.json).</p>'
    params = best.get("params") or {}
    counts = best.get("trials") or {}
    return (
        f'<h2>Best trial</h2><p><span class="big">{esc(best.get("metric", "value"))} = '
        f"{float(best['value']):.6f}</span> (trial {best.get('trial')}, "
        f"{esc(best.get('direction', ''))}); trials: "
        + esc(", ".join(f"{v} {k}" for k, v in counts.items() if v))
        + "</p>"
        + table(["parameter", "value"], [(k, _short(v)) for k, v in params.items()], left=2)
        + command_section(best.get("command")).replace("<h2>Command</h2>", "<h3>Retrain it</h3>")
        + (
            f'<p class="muted">Its run directory: <code>{esc(str(best["run_dir"]))}</code></p>'
            if best.get("run_dir")
            else ""
        )
    )


def sweep_plots_section(directory: Path) -> str:
    pictures = sorted((directory / "plots").glob("*.png"))
    if not pictures:
        return ""
    parts = ["<h2>Optuna plots</h2>"]
    for path in pictures:
        data = path.read_bytes()
        if len(data) > MAX_IMAGE_BYTES:
            continue
        parts.append(f"<h3>{esc(path.stem.replace('_', ' '))}</h3>" + image(data, alt=path.stem))
    return "".join(parts)


def trials_section(directory: Path, best: Mapping[str, Any]) -> str:
    path = directory / "trials.csv"
    if not path.exists():
        return ""
    frame = pd.read_csv(path)
    if "value" in frame:
        ascending = best.get("direction") == "minimize"
        frame = frame.sort_values("value", ascending=ascending, na_position="last")
    shown = frame.head(MAX_TABLE_ROWS)
    rows = [tuple(_short(v) for v in row) for row in shown.itertuples(index=False)]
    more = (
        f'<p class="muted">{len(frame) - len(shown)} more trials in trials.csv.</p>'
        if len(frame) > len(shown)
        else ""
    )
    return (
        f"<h2>Trials ({len(frame)})</h2>"
        + '<div class="wide">'
        + table([str(c) for c in frame.columns], rows, left=len(frame.columns))
        + "</div>"
        + more
    )


# ---------------------------------------------------------------------------------- helpers


def _drop_empty_columns(
    header: Sequence[str], rows: Sequence[Sequence[str]]
) -> tuple[list[str], list[list[str]]]:
    """Leave out the columns no row has a value in (a blend has no epochs or timings)."""
    keep = [i for i in range(len(header)) if any(row[i] for row in rows)] or list(
        range(len(header))
    )
    return [header[i] for i in keep], [[row[i] for i in keep] for row in rows]


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def image(data: bytes, alt: str = "plot") -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{encoded}">'


def table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 0) -> str:
    """An HTML table; the first ``left`` columns are left-aligned (names), the rest numbers."""

    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="l"' if i < left else ""
        return f"<{tag}{cls}>{esc(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, str(v)) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def read_config(directory: Path) -> dict[str, Any]:
    path = directory / "config.yaml"
    if not path.exists():
        return {}
    from omegaconf import OmegaConf

    value = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _get(config: Mapping[str, Any], *keys: str) -> Any:
    node: Any = config
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _short(value: Any) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return f"{value:.6g}"
    text = mask_credentials(str(value))
    return text if len(text) <= 120 else text[:117] + "..."
