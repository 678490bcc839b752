"""UEA *BasicMotions* (bundled with aeon) in the long layout, six channels.

    python -m kagglekit.examples.basic_motions.prepare [data_dir]  # default: data/basic_motions

Each series is 10 seconds (100 steps) of a smartwatch's 3-axis accelerometer and 3-axis
gyroscope while its wearer is standing, walking, running or playing badminton. The official
split is kept: 40 training series, 40 test series.

``train.csv`` / ``test.csv``: series_id, step, acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z
(one row per step, like Kaggle's sensor competitions); ``train_labels.csv``: series_id, label;
``sample_submission.csv``: series_id, label. :func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kagglekit.examples.ucr import UcrExample

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
EXAMPLE = UcrExample("BasicMotions", layout="long", channels=CHANNELS)


def solution() -> pd.DataFrame:
    """The held-out answers: series_id, label."""
    return EXAMPLE.solution()


def prepare(data_dir: Path | str = "data/basic_motions") -> Path:
    return EXAMPLE.prepare(data_dir)


if __name__ == "__main__":
    print(prepare(*sys.argv[1:2]))
