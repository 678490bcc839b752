"""Learning curves of one fold (``fold_<k>/history.png``): loss and each metric per epoch."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from kagglekit.files import atomic_path

log = logging.getLogger(__name__)


def read_history(csv: Path | None, history: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """The fold's per-epoch log: ``history.csv`` (CSVLogger, complete over resumes) when
    present, else the ``History`` of this fit."""
    if csv is not None and csv.exists():
        try:
            frame = pd.read_csv(csv)
            if len(frame):
                return frame
        except (OSError, ValueError, pd.errors.EmptyDataError):
            pass
    frame = pd.DataFrame({k: list(v) for k, v in history.items()})
    frame.insert(0, "epoch", range(len(frame)))
    return frame


def plot_history(
    path: Path, history: Mapping[str, Sequence[float]], csv: Path | None = None
) -> Path | None:
    """Plot training and validation curves of every logged quantity, one panel each.

    Uses matplotlib's Agg canvas directly (no pyplot, no display). Returns ``None`` and logs a
    warning when there is nothing to plot or plotting fails; never raises.
    """
    try:
        frame = read_history(csv, history)
        return _plot(path, frame)
    except Exception as exc:  # a report must not stop training
        log.warning("Could not plot %s: %s", path, exc)
        return None


def _plot(path: Path, frame: pd.DataFrame) -> Path | None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [
        c
        for c in frame.columns
        if c not in ("epoch", "learning_rate", "lr") and not str(c).startswith("val_")
    ]
    if frame.empty or not names:
        log.warning("No per-epoch values to plot in %s.", path)
        return None
    epochs = frame["epoch"].to_numpy() + 1 if "epoch" in frame else range(1, len(frame) + 1)
    figure = Figure(figsize=(4.0 * len(names), 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        ax.plot(epochs, frame[name], label="train")
        if f"val_{name}" in frame:
            ax.plot(epochs, frame[f"val_{name}"], label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=80)
    return path
