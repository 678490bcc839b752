"""UCR *OSULeaf* (bundled with aeon) in the wide layout: one row per series.

    python -m kagglekit.examples.osuleaf.prepare [data_dir]        # default: data/osuleaf

Each series is the outline of a leaf, traced from its image into 427 distances from the centre;
the class is one of six tree species (1-6). The official split is kept: 200 training leaves,
242 test leaves.

``train.csv``: series_id, t0..t426, label; ``test.csv``: series_id, t0..t426;
``sample_submission.csv``: series_id, label. :func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kagglekit.examples.ucr import UcrExample

EXAMPLE = UcrExample("OSULeaf", layout="wide")


def solution() -> pd.DataFrame:
    """The held-out answers: series_id, label."""
    return EXAMPLE.solution()


def prepare(data_dir: Path | str = "data/osuleaf") -> Path:
    return EXAMPLE.prepare(data_dir)


if __name__ == "__main__":
    print(prepare(*sys.argv[1:2]))
