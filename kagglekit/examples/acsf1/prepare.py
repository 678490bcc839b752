"""UCR *ACSF1* (bundled with aeon) in the wide layout: one row per series.

    python -m kagglekit.examples.acsf1.prepare [data_dir]          # default: data/acsf1

Each series is one day of a household appliance's power consumption (1,460 readings, one per
minute or so); the class is one of ten appliance types (0-9). The official split is kept: 100
training series, 100 test series.

``train.csv``: series_id, t0..t1459, label; ``test.csv``: series_id, t0..t1459;
``sample_submission.csv``: series_id, label. :func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kagglekit.examples.ucr import UcrExample

EXAMPLE = UcrExample("ACSF1", layout="wide")


def solution() -> pd.DataFrame:
    """The held-out answers: series_id, label."""
    return EXAMPLE.solution()


def prepare(data_dir: Path | str = "data/acsf1") -> Path:
    return EXAMPLE.prepare(data_dir)


if __name__ == "__main__":
    print(prepare(*sys.argv[1:2]))
