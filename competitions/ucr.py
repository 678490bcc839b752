"""Shared by the UCR examples: aeon's bundled archive datasets with their official split."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Loader = Callable[..., Any]


def load_split(loader: Loader, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(series, labels)`` of one official split: ``(n, channels, steps)`` floats, string labels.

    ``loader`` is one of aeon's bundled loaders (``aeon.datasets.load_gunpoint``...), which read
    files shipped inside the aeon package: nothing is downloaded.
    """
    X, y = loader(split=split)
    return np.asarray(X, dtype="float64"), np.asarray(y).astype(str)
