"""scikit-learn's bundled digits (1,797 8x8 images) in Kaggle's Digit Recognizer layout.

    python -m kagglekit.examples.digits.prepare [data_dir]      # default: data/digits

Writes ``train.csv`` (label, pixel0..pixel63), ``test.csv`` (pixel0..pixel63, no id column, as
Kaggle's) and ``sample_submission.csv`` (ImageId 1..N, Label). The held-out labels stay out of
the folder: :func:`solution` rebuilds them (ImageId, Label) to score a submission.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_digits

from kagglekit.examples.holdout import split_holdout
from kagglekit.files import write_csv


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    digits = load_digits()
    pixels = pd.DataFrame(
        digits.data.astype(int), columns=[f"pixel{i}" for i in range(digits.data.shape[1])]
    )
    frame = pd.concat([pd.Series(digits.target, name="label"), pixels], axis=1)
    return split_holdout(frame, stratify="label")


def solution() -> pd.DataFrame:
    """The held-out answers: ImageId, Label."""
    _, test = _frames()
    return pd.DataFrame({"ImageId": range(1, len(test) + 1), "Label": test["label"].to_numpy()})


def prepare(data_dir: Path | str = "data/digits") -> Path:
    data_dir = Path(data_dir)
    train, test = _frames()
    write_csv(data_dir / "test.csv", test.drop(columns=["label"]))
    write_csv(
        data_dir / "sample_submission.csv",
        pd.DataFrame({"ImageId": range(1, len(test) + 1), "Label": 0}),
    )
    write_csv(data_dir / "train.csv", train)
    return data_dir


if __name__ == "__main__":
    print(prepare(*sys.argv[1:2]))
