"""UCR *PickupGestureWiimoteZ* (bundled with aeon) in the long layout, variable length.

    python -m kagglekit.examples.pickup_gesture.prepare [data_dir] # default: data/pickup_gesture

Each series is the z acceleration of a Wii remote while a person picks it up with one of ten
gestures (1-10). Series last 29 to 361 steps, so the series of the long files have different
numbers of rows. The official split is kept: 50 training series, 50 test series.

``train.csv`` / ``test.csv``: series_id, step, z (one row per step);
``train_labels.csv``: series_id, label; ``sample_submission.csv``: series_id, label.
:func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kagglekit.examples.ucr import UcrExample

EXAMPLE = UcrExample("PickupGestureWiimoteZ", layout="long", channels=("z",))


def solution() -> pd.DataFrame:
    """The held-out answers: series_id, label."""
    return EXAMPLE.solution()


def prepare(data_dir: Path | str = "data/pickup_gesture") -> Path:
    return EXAMPLE.prepare(data_dir)


if __name__ == "__main__":
    print(prepare(*sys.argv[1:2]))
