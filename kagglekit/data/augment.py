"""Image augmentation in numpy: random flips and shifts while training, fixed views for TTA.

Images are ``(n, height, width, channels)`` float arrays. Everything here is numpy, so it runs
in the data loader on any Keras backend.

Test-time augmentation (TTA) averages the predictions over *views*, deterministic variants of
each image:

=================  ===============================================
view               image
=================  ===============================================
``identity``       unchanged
``hflip``          mirrored left-right
``vflip``          mirrored top-bottom
``hvflip``         both (a 180 degree rotation)
``shift_left``     moved ``shift`` pixels left (``_right``, ``_up``, ``_down`` likewise)
=================  ===============================================

Choose views the model should be invariant to: flips suit photos and micrographs, not digits
or text (a mirrored 2 is not a 2); small shifts suit almost anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

FillMode = Literal["constant", "edge", "reflect"]

VIEWS: dict[str, tuple[bool, bool, int, int]] = {
    # name: (flip left-right, flip up-down, rows down, columns right), in units of `shift`
    "identity": (False, False, 0, 0),
    "hflip": (True, False, 0, 0),
    "vflip": (False, True, 0, 0),
    "hvflip": (True, True, 0, 0),
    "shift_left": (False, False, 0, -1),
    "shift_right": (False, False, 0, 1),
    "shift_up": (False, False, -1, 0),
    "shift_down": (False, False, 1, 0),
}
VIEW_PRESETS: dict[str, tuple[str, ...]] = {
    "flips": ("identity", "hflip"),
    "all_flips": ("identity", "hflip", "vflip", "hvflip"),
    "shifts": ("identity", "shift_left", "shift_right", "shift_up", "shift_down"),
}


def shift_images(images: np.ndarray, dy: int, dx: int, fill: FillMode = "constant") -> np.ndarray:
    """Move every image ``dy`` rows down and ``dx`` columns right, filling the border."""
    if dy == 0 and dx == 0:
        return images
    _, height, width, _ = images.shape
    pad_y, pad_x = min(abs(dy), height), min(abs(dx), width)
    padded = np.pad(images, ((0, 0), (pad_y, pad_y), (pad_x, pad_x), (0, 0)), mode=fill)
    top, left = pad_y - dy, pad_x - dx
    return padded[:, top : top + height, left : left + width, :]


@dataclass(frozen=True)
class ImageAugment:
    """Random augmentation applied to each training image independently.

    Args:
        horizontal_flip: mirror left-right with probability 1/2.
        vertical_flip: mirror top-bottom with probability 1/2.
        shift: largest move, as a fraction of the side (0.125 on 8x8 images: up to 1 pixel),
            drawn uniformly per image and axis.
        fill: how the uncovered border is filled: ``constant`` (zeros), ``edge`` or ``reflect``.
    """

    horizontal_flip: bool = False
    vertical_flip: bool = False
    shift: float = 0.0
    fill: FillMode = "constant"

    def __post_init__(self) -> None:
        if not 0.0 <= self.shift < 0.5:
            raise ValueError(
                f"shift is a fraction of the image side in [0, 0.5), but got {self.shift=}."
            )
        if self.fill not in ("constant", "edge", "reflect"):
            raise ValueError(f"fill must be 'constant', 'edge' or 'reflect', but got {self.fill=}.")

    @classmethod
    def parse(cls, value: ImageAugment | Mapping[str, Any] | None) -> ImageAugment | None:
        if value is None or isinstance(value, ImageAugment):
            return value
        if isinstance(value, Mapping):
            known = set(cls.__dataclass_fields__)
            unknown = sorted(set(value) - known)
            if unknown:
                raise ValueError(
                    f"Unknown augmentation option(s) {unknown}; known: {sorted(known)}."
                )
            return cls(**value)
        raise TypeError(f"augment must be a mapping of options or null, but got {value!r}.")

    @property
    def active(self) -> bool:
        return self.horizontal_flip or self.vertical_flip or self.shift > 0

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not self.active:
            return images
        out = images.copy()
        n, height, width, _ = images.shape
        if self.horizontal_flip:
            flip = rng.random(n) < 0.5
            out[flip] = out[flip, :, ::-1]
        if self.vertical_flip:
            flip = rng.random(n) < 0.5
            out[flip] = out[flip, ::-1]
        if self.shift > 0:
            max_y, max_x = round(self.shift * height), round(self.shift * width)
            dys = rng.integers(-max_y, max_y + 1, size=n)
            dxs = rng.integers(-max_x, max_x + 1, size=n)
            for i in range(n):
                out[i] = shift_images(out[i : i + 1], int(dys[i]), int(dxs[i]), self.fill)[0]
        return out


def parse_views(views: str | Sequence[str] | None) -> tuple[str, ...]:
    """TTA views from config: ``null`` (off), a preset name (``flips``) or a list of view names."""
    if views is None:
        return ("identity",)
    if isinstance(views, str):
        if views not in VIEW_PRESETS:
            raise ValueError(
                f"Unknown TTA preset {views!r}; presets: {sorted(VIEW_PRESETS)}, "
                f"or give a list of views from {sorted(VIEWS)}."
            )
        return VIEW_PRESETS[views]
    names = tuple(views)
    unknown = [v for v in names if v not in VIEWS]
    if unknown:
        raise ValueError(f"Unknown TTA view(s) {unknown}; known views: {sorted(VIEWS)}.")
    if not names:
        return ("identity",)
    if len(set(names)) != len(names):
        raise ValueError(f"TTA views {list(names)} name a view twice.")
    return names


def apply_view(
    images: np.ndarray, view: str, shift: int = 1, fill: FillMode = "constant"
) -> np.ndarray:
    """One deterministic TTA view of a batch of images (see :data:`VIEWS`)."""
    try:
        flip_lr, flip_ud, dy, dx = VIEWS[view]
    except KeyError:
        raise ValueError(f"Unknown TTA view {view!r}; known views: {sorted(VIEWS)}.") from None
    if flip_lr:
        images = images[:, :, ::-1]
    if flip_ud:
        images = images[:, ::-1]
    return shift_images(images, dy * shift, dx * shift, fill)
