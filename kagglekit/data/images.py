"""Image files (PNG, JPEG, ...) named in a column of the competition's CSV, read lazily.

Kaggle's image competitions ship ``train.csv`` (an id or file name per row, and the label) and
folders of image files (``train/``, ``test/``). :class:`ImageFolder` is the preprocessor for
them: ``transform`` only resolves the file paths and returns an :class:`ImageFiles` input; the
files are read, resized, scaled and augmented batch by batch while Keras trains
(:class:`kagglekit.training.input_batches.InputBatches`, parallel workers by ``workers``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Self

import keras
import numpy as np
import pandas as pd

from kagglekit.data.augment import FillMode, ImageAugment, apply_view, parse_views
from kagglekit.data.lazy import LoaderOptions
from kagglekit.data.preprocessing import ModelData, NotFittedError
from kagglekit.errors import KagglekitError
from kagglekit.models.specs import InputSpec, ModelInputs

Interpolation = Literal["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"]
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


_CACHE: dict[tuple[str, tuple[int, int] | None, int, str], np.ndarray] = {}


class MissingImagesError(KagglekitError, FileNotFoundError):
    """Image files named in the CSV are not in the image folders; the message lists the first."""


def read_image(
    path: str | os.PathLike[str],
    size: tuple[int, int] | None,
    channels: int,
    interpolation: Interpolation = "bilinear",
    *,
    cache: bool = False,
) -> np.ndarray:
    """One image file as a ``(height, width, channels)`` float32 array of raw pixel values.

    ``cache`` keeps the decoded, resized image in this process's memory for the next epochs
    and folds (for data sets that fit in memory; each worker process has its own cache).
    """
    if cache:
        key = (str(path), size, channels, interpolation)
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = read_image(path, size, channels, interpolation)
        return found
    try:
        image = keras.utils.load_img(
            path, color_mode=COLOR_MODES[channels], target_size=size, interpolation=interpolation
        )
    except (OSError, ValueError) as exc:
        raise OSError(f"Cannot read image {path}: {exc}") from exc
    array = np.asarray(image, dtype="float32")
    return array[..., None] if array.ndim == 2 else array


@dataclass(frozen=True)
class ImageFiles:
    """A :class:`~kagglekit.data.lazy.LazyInput` of image files (picklable).

    ``load`` reads the requested rows, resizes them to ``size``, divides by ``scale``, applies
    the random ``augment`` when given an ``rng``, then TTA view number ``view`` of ``views``.
    """

    paths: np.ndarray
    size: tuple[int, int]
    channels: int = 1
    scale: float = 255.0
    interpolation: Interpolation = "bilinear"
    augment: ImageAugment | None = None
    views: tuple[str, ...] = ("identity",)
    view_shift: int = 1
    fill: FillMode = "constant"
    loader: LoaderOptions = field(default_factory=LoaderOptions)
    cache: bool = False

    @property
    def n_views(self) -> int:
        return len(self.views)

    def __len__(self) -> int:
        return len(self.paths)

    def take(self, rows: np.ndarray) -> ImageFiles:
        return replace(self, paths=self.paths[rows])

    def load(
        self, rows: np.ndarray, *, rng: np.random.Generator | None = None, view: int = 0
    ) -> np.ndarray:
        images = np.stack(
            [
                read_image(path, self.size, self.channels, self.interpolation, cache=self.cache)
                for path in self.paths[rows]
            ]
        ).reshape(len(rows), *self.size, self.channels)
        images /= self.scale
        if rng is not None and self.augment is not None:
            images = self.augment(images, rng)
        if not 0 <= view < len(self.views):
            raise IndexError(f"TTA view {view} out of range: this input has views {self.views}.")
        return np.ascontiguousarray(
            apply_view(images, self.views[view], self.view_shift, self.fill), dtype="float32"
        )


class ImageFolder:
    """Preprocessor for image files named in a column of the train/test files.

    Args:
        column: the column naming each row's image: a file name (``abc.png``), a path relative
            to ``directories``, an absolute path, or an id that ``suffix`` completes.
        directories: folder(s) searched in order for each file, e.g. the competition's
            ``train`` and ``test`` folders.
        suffix: appended to the column's value (``.png`` when the column holds ids).
        size: ``[height, width]`` every image is resized to; ``null``: the size of the first
            training image (other sizes are resized to it).
        channels: 1 (grey), 3 (RGB) or 4 (RGBA); files are converted on reading.
        scale: pixel values are divided by it (255 for 8-bit files).
        interpolation: resampling used when resizing (``bilinear``, ``nearest``, ``bicubic``...).
        augment: random augmentation of the training rows, e.g. ``{horizontal_flip: true,
            shift: 0.1}`` (:class:`~kagglekit.data.augment.ImageAugment`); ``null``: none.
        tta: test-time augmentation: ``null`` (off), a preset (``flips``, ``all_flips``,
            ``shifts``) or a list of views (``[identity, hflip]``); predictions of validation
            and test rows are averaged over the views.
        tta_shift: pixels moved by the ``shift_*`` views.
        fill: border fill of shifts: ``constant`` (zeros), ``edge`` or ``reflect``.
        workers / use_multiprocessing / max_queue_size: parallel reading
            (``keras.utils.PyDataset`` arguments).
        cache: keep decoded images in memory after their first reading (small data sets).
        input_name: name of the model input.
    """

    def __init__(
        self,
        *,
        column: str,
        directories: str | Sequence[str] = ".",
        suffix: str = "",
        size: Sequence[int] | None = None,
        channels: int = 3,
        scale: float = 255.0,
        interpolation: Interpolation = "bilinear",
        augment: ImageAugment | Mapping[str, Any] | None = None,
        tta: str | Sequence[str] | None = None,
        tta_shift: int = 1,
        fill: FillMode = "constant",
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
        cache: bool = False,
        input_name: str = "image",
    ) -> None:
        if channels not in COLOR_MODES:
            raise ValueError(f"channels must be 1, 3 or 4, but got {channels=}.")
        if size is not None and (len(size) != 2 or min(size) < 1):
            raise ValueError(f"size must be [height, width] in pixels, but got {size=}.")
        if scale <= 0:
            raise ValueError(f"scale must be positive, but got {scale=}.")
        if tta_shift < 1:
            raise ValueError(f"tta_shift is a number of pixels >= 1, but got {tta_shift=}.")
        self.column = column
        self.directories = (
            [Path(directories)]
            if isinstance(directories, (str, os.PathLike))
            else [Path(d) for d in directories]
        )
        self.suffix = suffix
        self.size = (int(size[0]), int(size[1])) if size is not None else None
        self.channels = channels
        self.scale = float(scale)
        self.interpolation = interpolation
        self.augment = ImageAugment.parse(augment)
        self.views = parse_views(tta)
        self.tta_shift = tta_shift
        self.fill = fill
        self.loader = LoaderOptions(workers, use_multiprocessing, max_queue_size)
        self.cache = cache
        self.input_name = input_name
        self._size: tuple[int, int] | None = None

    # -- file names -> paths ----------------------------------------------------------------
    def _names(self, frame: pd.DataFrame) -> list[str]:
        if self.column not in frame.columns:
            raise KeyError(
                f"Image column {self.column!r} not found; columns: {list(frame.columns)}. "
                "Set `column` to the column naming the image files (for an id column, also set "
                "`id_is_feature: true` in the competition config)."
            )
        values = frame[self.column]
        if values.isna().any():
            rows = values.index[values.isna()][:5].tolist()
            raise ValueError(f"Image column {self.column!r} is empty in row(s) {rows}.")
        return [f"{v}{self.suffix}" for v in values.astype(str)]

    def resolve(self, frame: pd.DataFrame) -> np.ndarray:
        """The image file of every row, found in the first of ``directories`` holding it."""
        listings: dict[Path, set[str]] = {}
        paths: list[str] = []
        missing: list[str] = []
        for name in self._names(frame):
            found = None
            if Path(name).is_absolute():
                found = Path(name) if Path(name).is_file() else None
            else:
                for directory in self.directories:
                    candidate = directory / name
                    if os.sep in name or "/" in name:
                        if candidate.is_file():
                            found = candidate
                            break
                        continue
                    if directory not in listings:
                        listings[directory] = (
                            set(os.listdir(directory)) if directory.is_dir() else set()
                        )
                    if name in listings[directory]:
                        found = candidate
                        break
            if found is None:
                missing.append(name)
            else:
                paths.append(str(found))
        if missing:
            searched = [str(d) for d in self.directories]
            hint = ""
            if not self.suffix and not any(n.lower().endswith(IMAGE_SUFFIXES) for n in missing):
                hint = " The names have no file extension: set `suffix` (e.g. '.png')."
            raise MissingImagesError(
                f"{len(missing)} image file(s) named in column {self.column!r} not found in "
                f"{searched}; first: {missing[:5]}.{hint}"
            )
        return np.asarray(paths, dtype=str)

    # -- preprocessor protocol --------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> Self:
        paths = self.resolve(frame)
        if len(paths) == 0:
            raise ValueError("ImageFolder.fit got no rows.")
        if self.size is not None:
            self._size = self.size
        else:
            first = read_image(paths[0], None, self.channels)
            self._size = (int(first.shape[0]), int(first.shape[1]))
        return self

    def _fitted_size(self) -> tuple[int, int]:
        if self._size is None:
            raise NotFittedError("ImageFolder.fit must be called before transform.")
        return self._size

    def transform(self, frame: pd.DataFrame) -> ModelData:
        size = self._fitted_size()
        files = ImageFiles(
            paths=self.resolve(frame),
            size=size,
            channels=self.channels,
            scale=self.scale,
            interpolation=self.interpolation,
            augment=self.augment,
            views=self.views,
            view_shift=self.tta_shift,
            fill=self.fill,
            loader=self.loader,
            cache=self.cache,
        )
        return {self.input_name: files}

    def input_specs(self) -> ModelInputs:
        height, width = self._fitted_size()
        return {self.input_name: InputSpec(shape=(height, width, self.channels))}

    def state(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "directories": [str(d) for d in self.directories],
            "size": list(self._fitted_size()),
            "channels": self.channels,
            "scale": self.scale,
            "augment": None if self.augment is None else dataclasses.asdict(self.augment),
            "tta": list(self.views),
        }

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the fitted image size of :meth:`state` (see :mod:`kagglekit.data.state`)."""
        del arrays
        if int(state["channels"]) != self.channels:
            raise ValueError(
                f"the state has {state['channels']} channel(s), the config {self.channels}"
            )
        height, width = state["size"]
        self._size = (int(height), int(width))
        return self

    def search_also(self, folder: Path) -> None:
        """Look for image files in ``folder`` and in its subfolders named like the configured
        ``directories`` (``test/``) too, after those: the images of a test file predicted
        away from the competition's data folder (``kagglekit predict --test``)."""
        extra = [folder / d.name for d in self.directories] + [folder]
        self.directories += [d for d in extra if d not in self.directories]
