"""UCR *ItalyPowerDemand* (bundled with aeon) in the wide layout: one row per series.

    python -m kagglekit.examples.italypower.prepare [data_dir]     # default: data/italypower

Each series is one day of Italian electricity demand (24 hourly values); the class says whether
the day falls in October-March (1) or April-September (2). The official split is kept: 67
training days, 1,029 test days.

``train.csv``: series_id, t0..t23, label; ``test.csv``: series_id, t0..t23;
``sample_submission.csv``: series_id, label. :func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kagglekit.examples.packages import main, require_package
from kagglekit.examples.ucr import load_split
from kagglekit.files import write_csv


def _frame(split: str, first_id: int) -> pd.DataFrame:
    require_package("aeon", "italypower")
    from aeon.datasets import load_italy_power_demand

    series, labels = load_split(load_italy_power_demand, split)
    values = series[:, 0, :]
    frame = pd.DataFrame(values, columns=[f"t{i}" for i in range(values.shape[1])])
    frame.insert(0, "series_id", np.arange(first_id, first_id + len(frame)))
    frame["label"] = labels.astype(int)
    return frame


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = _frame("train", 0)
    return train, _frame("test", len(train))


def solution() -> pd.DataFrame:
    """The held-out answers: series_id, label."""
    _, test = _frames()
    return test[["series_id", "label"]].reset_index(drop=True)


def prepare(data_dir: Path | str = "data/italypower") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=["label"]))
    write_csv(
        data_dir / "sample_submission.csv",
        pd.DataFrame({"series_id": test["series_id"], "label": 1}),
    )
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
