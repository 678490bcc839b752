"""scikit-learn's digits (1,797 8x8 images) as PNG files named in CSVs, the layout of Kaggle's
image competitions (an id per image, a ``train/`` and a ``test/`` folder of files).

    python -m kagglekit.examples.digits_images.prepare [data_dir]   # default: data/digits_images

Writes ``train/<id>.png`` and ``test/<id>.png`` (8-bit grey, 8x8), ``train.csv`` (id, label),
``test.csv`` (id) and ``sample_submission.csv`` (id, label). Ids are a seeded shuffle of
1..1797, so they say nothing about the label. The held-out labels stay out of the folder:
:func:`solution` rebuilds them (id, label).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.datasets import load_digits

from kagglekit.examples.holdout import SEED, split_holdout
from kagglekit.files import atomic_path, write_csv


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    digits = load_digits()
    ids = np.random.default_rng(SEED).permutation(len(digits.target)) + 1
    frame = pd.DataFrame({"id": ids, "label": digits.target, "row": np.arange(len(ids))})
    # sklearn's pixels are 0..16: spread them over 8-bit grey levels
    pixels = np.clip(np.round(digits.images * 255.0 / 16.0), 0, 255).astype(np.uint8)
    return frame, pixels


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    frame, pixels = _frame()
    train, test = split_holdout(frame, stratify="label")
    return train, test, pixels


def solution() -> pd.DataFrame:
    """The held-out answers: id, label."""
    _, test, _ = _frames()
    return test[["id", "label"]].reset_index(drop=True)


def _write_images(folder: Path, rows: pd.DataFrame, pixels: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for image_id, row in zip(rows["id"], rows["row"], strict=True):
        with atomic_path(folder / f"{image_id}.png") as tmp:
            Image.fromarray(pixels[row], mode="L").save(tmp, format="PNG")


def prepare(data_dir: Path | str = "data/digits_images") -> Path:
    data_dir = Path(data_dir)
    train, test, pixels = _frames()
    _write_images(data_dir / "train", train, pixels)
    _write_images(data_dir / "test", test, pixels)
    write_csv(data_dir / "test.csv", test[["id"]])
    write_csv(data_dir / "sample_submission.csv", pd.DataFrame({"id": test["id"], "label": 0}))
    write_csv(data_dir / "train.csv", train[["id", "label"]])  # last: marks the folder complete
    return data_dir


if __name__ == "__main__":
    print(prepare(*sys.argv[1:2]))
