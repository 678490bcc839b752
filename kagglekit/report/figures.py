"""The report's plots, drawn on matplotlib's Agg canvas (no pyplot, no display) and returned as
PNG bytes to embed in ``report.html``.

Each is drawn in matplotlib's default style whatever the process set before (Optuna's plots
switch pyplot to ``ggplot`` globally), so a page looks the same however it was written."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec, TypeVar

import numpy as np
import pandas as pd
from matplotlib import style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

DPI = 90
SKIP_COLUMNS = ("epoch", "learning_rate", "lr")
P = ParamSpec("P")
R = TypeVar("R")


def default_style(draw: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with style.context("default"):
            return draw(*args, **kwargs)

    return wrapper


def _new(width: float, height: float, ncols: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, list(figure.subplots(1, ncols, squeeze=False)[0])


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


@default_style
def learning_curves(histories: Mapping[int, pd.DataFrame]) -> bytes | None:
    """Every fold's curves on one plot per logged quantity: training dashed, validation solid,
    one colour per fold."""
    names: list[str] = []
    for frame in histories.values():
        for c in frame.columns:
            c = str(c)
            if c not in SKIP_COLUMNS and not c.startswith("val_") and c not in names:
                names.append(c)
    names = names[:4]
    if not names:
        return None
    figure, axes = _new(4.2 * len(names), 3.3, len(names))
    colours = [f"C{i % 10}" for i in range(len(histories))]
    for ax, name in zip(axes, names, strict=True):
        for colour, (fold, frame) in zip(colours, sorted(histories.items()), strict=True):
            epochs = np.arange(1, len(frame) + 1)
            if name in frame:
                ax.plot(epochs, frame[name], "--", color=colour, alpha=0.6, lw=1)
            if f"val_{name}" in frame:
                ax.plot(
                    epochs, frame[f"val_{name}"], "-", color=colour, lw=1.6, label=f"fold {fold}"
                )
        ax.set_title(f"{name} (dashed: train, solid: validation)", fontsize=9)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return png(figure)


@default_style
def confusion(matrix: np.ndarray, labels: Sequence[str]) -> bytes:
    n = len(labels)
    size = min(7.0, 3.4 + 0.3 * n)
    figure, (ax,) = _new(size + 0.8, size)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    ax.set_xticks(
        range(n), labels, rotation=90 if max(len(label) for label in labels) > 3 else 0, fontsize=8
    )
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 20:
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(int(matrix[i, j])),
                    ha="center",
                    va="center",
                    fontsize=9 if n <= 10 else 7,
                    color="white" if shares[i, j] > 0.5 else "black",
                )
    ax.set_title("Out-of-fold confusion matrix (counts)", fontsize=9)
    return png(figure)


@default_style
def reliability(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], xlabel: str
) -> bytes:
    """Mean predicted probability vs observed frequency per bin (one line per curve) and the
    histogram of the predictions."""
    figure, (ax, hist) = _new(8.4, 3.5, 2)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for name, (predicted, observed, _) in curves.items():
        ax.plot(predicted, observed, "o-", ms=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Calibration (reliability)", fontsize=9)
    for name, (_, _, values) in curves.items():
        hist.hist(values, bins=20, range=(0, 1), alpha=0.5, label=name)
    hist.set_xlabel(xlabel)
    hist.set_ylabel("rows")
    hist.set_title("Distribution of the predictions", fontsize=9)
    return png(figure)


@default_style
def regression(truth: np.ndarray, predicted: np.ndarray, name: str) -> bytes:
    figure, (ax, res) = _new(8.4, 3.5, 2)
    ax.scatter(truth, predicted, s=4, alpha=0.4)
    low = float(min(np.min(truth), np.min(predicted)))
    high = float(max(np.max(truth), np.max(predicted)))
    ax.plot([low, high], [low, high], ":", color="grey")
    ax.set_xlabel(f"true {name}")
    ax.set_ylabel(f"predicted {name}")
    ax.set_title("Predicted vs true (out of fold)", fontsize=9)
    ax.grid(alpha=0.3)
    residuals = predicted - truth
    res.scatter(predicted, residuals, s=4, alpha=0.4)
    res.axhline(0, color="grey", ls=":")
    res.set_xlabel(f"predicted {name}")
    res.set_ylabel("residual (predicted - true)")
    res.set_title("Residuals", fontsize=9)
    res.grid(alpha=0.3)
    return png(figure)


@default_style
def bars(values: Mapping[str, float], title: str, xlabel: str) -> bytes:
    names = list(values)
    figure, (ax,) = _new(6.0, 0.8 + 0.3 * len(names))
    ax.barh(range(len(names)), [values[n] for n in names], color="C0")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, axis="x")
    return png(figure)
