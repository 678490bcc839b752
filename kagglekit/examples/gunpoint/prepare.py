"""UCR *GunPoint* (bundled with aeon) in the long layout: one row per time step.

    python -m kagglekit.examples.gunpoint.prepare [data_dir]       # default: data/gunpoint

Each series is the x coordinate of an actor's hand over 150 video frames, drawing a gun from
a holster and pointing it (``gun``) or pointing a finger (``point``). The official split is
kept: 50 training series, 150 test series.

``train.csv`` / ``test.csv``: series_id, step, x (150 rows per series);
``train_labels.csv``: series_id, label (one row per series, like Kaggle's ``y_train.csv``);
``sample_submission.csv``: series_id, label. :func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kagglekit.examples.packages import main, require_package
from kagglekit.examples.ucr import load_split
from kagglekit.files import write_csv

CLASSES = {"1": "gun", "2": "point"}


def _series(split: str, first_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(long rows, labels) of one split."""
    require_package("aeon", "gunpoint")
    from aeon.datasets import load_gunpoint

    series, labels = load_split(load_gunpoint, split)
    n, _, steps = series.shape
    ids = np.arange(first_id, first_id + n)
    rows = pd.DataFrame(
        {
            "series_id": np.repeat(ids, steps),
            "step": np.tile(np.arange(steps), n),
            "x": series[:, 0, :].reshape(-1),
        }
    )
    return rows, pd.DataFrame({"series_id": ids, "label": [CLASSES[c] for c in labels]})


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    train, train_labels = _series("train", 0)
    test, test_labels = _series("test", len(train_labels))
    return train, train_labels, test, test_labels


def solution() -> pd.DataFrame:
    """The held-out answers: series_id, label."""
    return _frames()[3]


def prepare(data_dir: Path | str = "data/gunpoint") -> Path:
    data_dir = Path(data_dir)
    train, train_labels, test, test_labels = _frames()
    write_csv(data_dir / "test.csv", test)
    write_csv(
        data_dir / "sample_submission.csv",
        pd.DataFrame({"series_id": test_labels["series_id"], "label": "gun"}),
    )
    write_csv(data_dir / "train_labels.csv", train_labels)
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
