"""Shared by the shipped examples: a fixed, seeded held-out test split of a labelled table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

TEST_FRACTION = 0.2
SEED = 2024


def split_holdout(frame: pd.DataFrame, stratify: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off the held-out test rows (same rows on every machine); ``stratify=None`` for
    regression targets."""
    rows = np.arange(len(frame))
    train_rows, test_rows = train_test_split(
        rows,
        test_size=TEST_FRACTION,
        random_state=SEED,
        stratify=frame[stratify] if stratify is not None else None,
    )
    return frame.iloc[np.sort(train_rows)].reset_index(drop=True), frame.iloc[
        np.sort(test_rows)
    ].reset_index(drop=True)
