"""Images stored as pixel columns in a CSV (Kaggle's Digit Recognizer layout).

``pixel0 .. pixel{n-1}`` hold a square image row by row (``n = side * side * channels``);
any square size works (Kaggle's files are 28x28, scikit-learn's digits 8x8).
"""

from __future__ import annotations

import math
import re
from typing import Any, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import ModelData, NotFittedError
from kagglekit.models.specs import InputSpec, ModelInputs


class PixelImages:
    """Reshape pixel columns into ``(n, side, side, channels)`` and scale them.

    Args:
        prefix: pixel columns are ``<prefix><index>``.
        channels: 1 for grey, 3 for RGB (channel-last order within a pixel).
        scale: ``"max"`` divides by the training fold's largest pixel value; a number divides
            by that number (255 for 8-bit images).
        side: expected image side; ``None`` infers it from the number of pixel columns.
        input_name: name of the model input.
    """

    def __init__(
        self,
        *,
        prefix: str = "pixel",
        channels: int = 1,
        scale: str | float = "max",
        side: int | None = None,
        input_name: str = "image",
    ) -> None:
        if scale != "max" and not isinstance(scale, (int, float)):
            raise ValueError(f"scale must be 'max' or a number, but got {scale=}.")
        self.prefix = prefix
        self.channels = channels
        self.scale = scale
        self.side = side
        self.input_name = input_name
        self._columns: list[str] | None = None
        self._divisor: float | None = None
        self._side: int | None = None

    def _pixel_columns(self, frame: pd.DataFrame) -> list[str]:
        pattern = re.compile(rf"^{re.escape(self.prefix)}(\d+)$")
        found = sorted(
            ((int(m.group(1)), c) for c in frame.columns if (m := pattern.match(str(c)))),
        )
        columns = [c for _, c in found]
        if not columns:
            raise KeyError(
                f"No pixel columns named {self.prefix}0, {self.prefix}1, ... in columns "
                f"{list(frame.columns)[:10]}."
            )
        indices = [i for i, _ in found]
        if indices != list(range(len(indices))):
            raise KeyError(f"Pixel columns are not numbered 0..{len(indices) - 1} without gaps.")
        return columns

    def fit(self, frame: pd.DataFrame) -> Self:
        columns = self._pixel_columns(frame)
        n = len(columns)
        side = math.isqrt(n // self.channels) if n % self.channels == 0 else 0
        if side * side * self.channels != n:
            raise ValueError(
                f"{n} pixel columns do not make a square image with {self.channels} channel(s)."
            )
        if self.side is not None and side != self.side:
            raise ValueError(
                f"Images are {side}x{side} ({n} pixel columns) but the config expects "
                f"side={self.side}."
            )
        pixels = frame[columns].to_numpy(dtype="float32")
        if self.scale == "max":
            divisor = float(np.nanmax(pixels)) if pixels.size else 1.0
        else:
            divisor = float(self.scale)
        self._columns, self._side, self._divisor = columns, side, divisor or 1.0
        return self

    def transform(self, frame: pd.DataFrame) -> ModelData:
        if self._columns is None or self._side is None or self._divisor is None:
            raise NotFittedError("PixelImages.fit must be called before transform.")
        columns = self._pixel_columns(frame)
        if len(columns) != len(self._columns):
            found = math.isqrt(len(columns) // self.channels)
            raise ValueError(
                f"Expected {len(self._columns)} pixel columns ({self._side}x{self._side} images) "
                f"but found {len(columns)} (about {found}x{found})."
            )
        pixels = frame[columns].to_numpy(dtype="float32")
        if np.isnan(pixels).any():
            rows = np.flatnonzero(np.isnan(pixels).any(axis=1))[:5].tolist()
            raise ValueError(f"Pixel values are missing in row(s) {rows}.")
        images = pixels.reshape(len(frame), self._side, self._side, self.channels) / self._divisor
        return {self.input_name: images.astype("float32")}

    def input_specs(self) -> ModelInputs:
        if self._side is None:
            raise NotFittedError("PixelImages.fit must be called before input_specs.")
        return {self.input_name: InputSpec(shape=(self._side, self._side, self.channels))}

    def state(self) -> dict[str, Any]:
        return {"side": self._side, "channels": self.channels, "divisor": self._divisor}

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the image size and divisor of :meth:`state` (see :mod:`kagglekit.data.state`)."""
        del arrays
        if int(state["channels"]) != self.channels:
            raise ValueError(
                f"the state has {state['channels']} channel(s), the config {self.channels}"
            )
        self._side, self._divisor = int(state["side"]), float(state["divisor"])
        # transform checks the number of pixel columns only
        self._columns = [f"{self.prefix}{i}" for i in range(self._side**2 * self.channels)]
        return self
