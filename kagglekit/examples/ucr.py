"""Shared by the UCR examples: aeon's bundled archive datasets with their official split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from kagglekit.files import write_csv

Loader = Callable[..., Any]


def load_split(loader: Loader, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(series, labels)`` of one official split: ``(n, channels, steps)`` floats, string labels.

    ``loader`` is one of aeon's bundled loaders (``aeon.datasets.load_gunpoint``...), which read
    files shipped inside the aeon package: nothing is downloaded.
    """
    X, y = loader(split=split)
    return np.asarray(X, dtype="float64"), np.asarray(y).astype(str)


def bundled_dir() -> Path:
    """The folder of datasets shipped inside the aeon package."""
    import aeon.datasets

    return Path(aeon.datasets.__file__).parent / "data"


def load_bundled(name: str, split: str) -> tuple[list[np.ndarray], np.ndarray]:
    """``(series, labels)`` of one official split of an archive dataset bundled with aeon:
    one ``(channels, steps)`` float array per series (lengths may differ), string labels.

    Reads aeon's own copy (``extract_path`` points there), so nothing is downloaded; a name
    aeon does not bundle is refused rather than fetched.
    """
    from aeon.datasets import load_classification

    folder = bundled_dir()
    if not (folder / name / f"{name}_{split.upper()}.ts").is_file():
        raise FileNotFoundError(
            f"{name} is not bundled with the installed aeon ({folder}); the examples never "
            "download data."
        )
    X, y = load_classification(name, split=split, extract_path=str(folder))
    return [np.asarray(x, dtype="float64") for x in X], np.asarray(y).astype(str)


def wide_rows(series: list[np.ndarray], ids: np.ndarray, channels: list[str]) -> pd.DataFrame:
    """One row per series: ``t<i>`` (one unnamed channel) or ``<channel>_t<i>``; a shorter
    series leaves its last cells empty."""
    steps = max(s.shape[1] for s in series)
    block = np.full((len(series), len(channels), steps), np.nan)
    for i, s in enumerate(series):
        block[i, :, : s.shape[1]] = s
    names = [f"{c}_t{t}" if c else f"t{t}" for c in channels for t in range(steps)]
    frame = pd.DataFrame(block.reshape(len(series), -1), columns=names)
    frame.insert(0, "series_id", ids)
    return frame


def long_rows(series: list[np.ndarray], ids: np.ndarray, channels: list[str]) -> pd.DataFrame:
    """One row per time step: ``series_id, step, <channel>...`` (as many rows as the series
    has steps)."""
    parts = [
        pd.DataFrame(
            {
                "series_id": np.full(s.shape[1], series_id),
                "step": np.arange(s.shape[1]),
                **{c: s[k] for k, c in enumerate(channels)},
            }
        )
        for series_id, s in zip(ids, series, strict=True)
    ]
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class UcrExample:
    """An archive dataset bundled with aeon as a Kaggle-style competition, official split and
    order kept: train ids first, then test ids.

    ``layout``: ``wide`` (``train.csv`` = series_id, t0.., label) or ``long`` (one row per step,
    labels in ``train_labels.csv``). ``channels``: column name of each channel (``""`` for the
    single channel of a wide file). ``classes``: archive label -> submitted label (default:
    integers when every label is one, else the label itself).
    """

    dataset: str
    layout: Literal["wide", "long"]
    channels: tuple[str, ...] = ("",)
    classes: dict[str, str] | None = None

    def _labels(self, raw: np.ndarray) -> pd.Series:
        if self.classes is not None:
            return pd.Series([self.classes[c] for c in raw])
        if all(c.lstrip("-").isdigit() for c in raw):
            return pd.Series(raw.astype(int))
        return pd.Series(raw)

    def _split(self, split: str, first_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        series, raw = load_bundled(self.dataset, split)
        if series[0].shape[0] != len(self.channels):
            raise ValueError(
                f"{self.dataset} has {series[0].shape[0]} channel(s), the example names "
                f"{len(self.channels)}: {list(self.channels)}."
            )
        ids = np.arange(first_id, first_id + len(series))
        rows = (wide_rows if self.layout == "wide" else long_rows)(series, ids, list(self.channels))
        return rows, pd.DataFrame({"series_id": ids, "label": self._labels(raw)})

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``(train rows, train labels, test rows, test labels)``."""
        train, train_labels = self._split("train", 0)
        test, test_labels = self._split("test", len(train_labels))
        return train, train_labels, test, test_labels

    def solution(self) -> pd.DataFrame:
        """The held-out answers: series_id, label."""
        return self.frames()[3]

    def prepare(self, data_dir: Path | str) -> Path:
        """Write train/test/sample_submission (and ``train_labels.csv`` for the long layout);
        the test labels are never written."""
        data_dir = Path(data_dir)
        train, train_labels, test, test_labels = self.frames()
        write_csv(data_dir / "test.csv", test)
        sample = pd.DataFrame(
            {"series_id": test_labels["series_id"], "label": train_labels["label"].iloc[0]}
        )
        write_csv(data_dir / "sample_submission.csv", sample)
        if self.layout == "long":
            write_csv(data_dir / "train_labels.csv", train_labels)
        else:
            train = train.merge(train_labels, on="series_id", validate="one_to_one")
        write_csv(data_dir / "train.csv", train)
        return data_dir
