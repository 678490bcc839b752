"""The kind of data in a competition's files, and the features transformer and model for it.

Checked in this order: a long series layout (a step column), pixel columns (``pixel0..``), wide
series (``t0..`` or ``x_t0..``), image files named in a column, a free-text column, and tabular
data otherwise (with entity embeddings when it has many text columns).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kagglekit.data.sequences import DEFAULT_PATTERN

if TYPE_CHECKING:
    from kagglekit.init.inspect import Guess

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
STEP_NAMES = ("step", "timestep", "time_step", "t", "time", "seq", "position", "frame", "index")
MIN_SERIES_STEPS = 8  # fewer t<k> columns are ordinary features
MIN_TEXT_WORDS = 5  # mean words per cell of a free-text column
MANY_CATEGORICALS = 10  # from this many text columns on: entity embeddings (multi_input)
CODE_VALUES = (3, 5)  # whole-number columns with 3..5 values are treated as codes (Pclass)
PIXEL_PREFIX = re.compile(r"^(?P<prefix>.*?(?:pixel|pix|px)_?)(?P<index>\d+)$", re.IGNORECASE)
SERIES = re.compile(DEFAULT_PATTERN)


@dataclass(frozen=True)
class Features:
    """The features transformer (YAML-ready ``params``), its comments, and the model for it."""

    kind: str  # tabular, mixed, pixels, wide_series, long_series, images, text
    params: dict[str, Any]
    model: str
    model_reason: str
    comments: dict[str, str] = field(default_factory=dict)  # key (dotted when nested) -> why
    id_is_feature: bool = False

    @property
    def target(self) -> str:
        return str(self.params["_target_"])


def guess_step_column(
    train: pd.DataFrame, id_column: str, *, exclude: set[str]
) -> Guess[str | None]:
    """The column that orders the rows of one series in the long layout."""
    from kagglekit.init.inspect import Guess

    candidates = [
        str(c)
        for c in train.columns
        if str(c) not in exclude | {id_column} and pd.api.types.is_numeric_dtype(train[c])
    ]
    named = [c for c in candidates if c.lower() in STEP_NAMES]
    ids = train[id_column]
    for column in [*named, *(c for c in candidates if c not in named)]:
        steps = train[column]
        if not _whole(steps):
            continue
        first = steps.groupby(ids, sort=False).transform("min")
        if first.nunique() == 1 and steps.groupby(ids, sort=False).is_monotonic_increasing.all():
            return Guess(
                column,
                f"{id_column!r} repeats in train.csv (long layout: one row per time step) and "
                f"{column!r} counts the steps of each series from {int(first.iloc[0])}",
            )
    return Guess(None, f"{id_column!r} repeats but no column counts the steps of each series")


def _whole(values: pd.Series) -> bool:
    numeric = pd.to_numeric(values, errors="coerce")
    return bool(numeric.notna().all() and (numeric == np.round(numeric)).all())


def _square(n: int) -> bool:
    return n > 0 and math.isqrt(n) ** 2 == n


# -- each kind ------------------------------------------------------------------------------------
def _long_series(train: pd.DataFrame, id_column: str, step: str, skip: set[str]) -> Features:
    channels = [
        str(c)
        for c in train.columns
        if str(c) not in skip | {id_column, step} and pd.api.types.is_numeric_dtype(train[c])
    ]
    lengths = train.groupby(id_column, sort=False).size()
    varied = lengths.nunique() > 1
    length = (
        f"{lengths.min()} to {lengths.max()} steps (padded and masked)"
        if varied
        else f"{lengths.iloc[0]} steps"
    )
    return _series(
        "long_series",
        len(lengths),
        f"{len(channels)} channel(s) ({', '.join(channels[:6])}), {length}",
    )


# MiniRocket features take rows x ~10,000 x 4 bytes (40 kB a series): beyond this many series
# a deep series network reads the sequences instead
MAX_ROCKET_SERIES = 20_000
# up to this many series the head is ridge solved in closed form (rocket_ridge: one eigen-
# decomposition of a series x series Gram matrix); beyond, the gradient-trained rocket_linear
MAX_RIDGE_SERIES = 5_000


def _series(kind: str, n_series: int, described: str) -> Features:
    """Series: MiniRocket features + a linear head for small sets (what wins on the UCR
    examples, README "Quality"), FCN on the sequences for large ones."""
    comments = {
        "normalize": "series: z-normalise each series on its own when only its shape matters",
        "scaling": "per channel, fitted on each fold's training series",
    }
    params: dict[str, Any] = {"_partial_": True, "normalize": "none", "scaling": "standard"}
    if n_series <= MAX_ROCKET_SERIES:
        return Features(
            kind=kind,
            params={"_target_": "kagglekit.data.minirocket.MiniRocketFeatures", **params},
            comments={
                "_target_": f"{described}; MiniRocket features (deep models: "
                "kagglekit.data.sequences.NumericSequences with model=fcn)",
                **comments,
            },
            model="rocket_ridge" if n_series <= MAX_RIDGE_SERIES else "rocket_linear",
            model_reason=f"{n_series} numeric series: MiniRocket features + a linear head "
            "(at least as good as the deep models on the UCR examples)",
        )
    return Features(
        kind=kind,
        params={"_target_": "kagglekit.data.sequences.NumericSequences", **params},
        comments={"_target_": described, **comments},
        model="fcn",
        model_reason=f"{n_series} numeric series: FCN, a strong deep model for many series",
    )


def _pixels(train: pd.DataFrame, skip: set[str]) -> Features | None:
    groups: dict[str, list[str]] = defaultdict(list)
    for column in train.columns:
        if str(column) in skip:
            continue
        match = PIXEL_PREFIX.match(str(column))
        if match:
            groups[match["prefix"]].append(str(column))
    if not groups:
        return None
    prefix, columns = max(groups.items(), key=lambda item: len(item[1]))
    n = len(columns)
    if _square(n):
        channels, side = 1, math.isqrt(n)
    elif n % 3 == 0 and _square(n // 3):
        channels, side = 3, math.isqrt(n // 3)
    else:
        return None
    top = pd.to_numeric(train[columns].max(axis=None), errors="coerce")
    scale: str | float = 255.0 if top == 255 else "max"
    why_scale = (
        "8-bit pixels: divided by 255"
        if scale == 255.0
        else f"divided by the training fold's largest pixel value (here {top})"
    )
    colour = "grey" if channels == 1 else "RGB"
    return Features(
        kind="pixels",
        params={
            "_target_": "kagglekit.data.pixels.PixelImages",
            "_partial_": True,
            "prefix": prefix,
            "channels": channels,
            "scale": scale,
        },
        comments={
            "_target_": f"{n} columns {prefix}0..{prefix}{n - 1}: {side}x{side} {colour} images",
            "scale": why_scale,
        },
        model="cnn",
        model_reason="images: a small convolutional network",
    )


def _wide_series(train: pd.DataFrame, skip: set[str]) -> Features | None:
    features = [str(c) for c in train.columns if str(c) not in skip]
    series = [c for c in features if SERIES.match(c)]
    if len(series) < MIN_SERIES_STEPS or len(series) < 0.8 * len(features):
        return None
    if not all(pd.api.types.is_numeric_dtype(train[c]) for c in series):
        return None
    channels = sorted({SERIES.match(c)["channel"] or "" for c in series})  # type: ignore[index]
    steps = len(series) // max(len(channels), 1)
    named = "one channel" if channels == [""] else f"channels {', '.join(channels[:6])}"
    return _series(
        "wide_series",
        len(train),
        f"wide layout: {len(series)} columns t0..: {named}, {steps} steps",
    )


def _find_files(values: pd.Series, data_dir: Path, folders: list[Path]) -> tuple[Path, str] | None:
    names = values.dropna().astype(str).head(20).tolist()
    if not names:
        return None
    for folder in folders:
        for suffix in ("", *IMAGE_SUFFIXES):
            paths = [folder / f"{name}{suffix}" for name in names]
            if all(p.is_file() for p in paths) and (
                suffix or Path(names[0]).suffix.lower() in IMAGE_SUFFIXES
            ):
                return folder, suffix
    return None


def _image_shape(path: Path) -> tuple[int, int, int]:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        channels = {"L": 1, "1": 1, "I": 1, "F": 1, "LA": 1, "RGBA": 4}.get(image.mode, 3)
    return height, width, channels


def _images(
    train: pd.DataFrame, test: pd.DataFrame, data_dir: Path, id_column: str | None, skip: set[str]
) -> Features | None:
    folders = [data_dir, *sorted(p for p in data_dir.iterdir() if p.is_dir())]
    if len(folders) == 1:
        return None
    columns = [c for c in ([id_column] if id_column else []) if c in train.columns]
    columns += [
        str(c)
        for c in train.columns
        if str(c) not in skip
        and str(c) not in columns
        and not pd.api.types.is_float_dtype(train[c])
    ]
    for column in columns:
        found = _find_files(train[column], data_dir, folders)
        if found is None:
            continue
        train_dir, suffix = found
        directories = [train_dir]
        if column in test.columns:
            in_test = _find_files(test[column], data_dir, folders)
            if in_test is not None and in_test[0] != train_dir:
                directories.append(in_test[0])
        first = train_dir / f"{train[column].dropna().astype(str).iloc[0]}{suffix}"
        shapes = {
            _image_shape(train_dir / f"{name}{suffix}")
            for name in train[column].dropna().astype(str).head(10)
        }
        height, width, channels = _image_shape(first)
        same = len(shapes) == 1
        size = [height, width] if same and max(height, width) <= 256 else [224, 224]
        why_size = (
            f"every image sampled is {height}x{width}"
            if same and size == [height, width]
            else f"images of {len(shapes)} sizes (the first {height}x{width}): resized"
        )
        channels = 3 if channels == 4 else channels
        n = len(train) + len(test)
        cache = n * size[0] * size[1] * channels * 4 < 2**30
        small = max(size) <= 32
        rel = [
            "${competition.data_dir}" + ("" if d == data_dir else f"/{d.relative_to(data_dir)}")
            for d in directories
        ]
        return Features(
            kind="images",
            params={
                "_target_": "kagglekit.data.images.ImageFolder",
                "_partial_": True,
                "column": column,
                "suffix": suffix,
                "directories": rel,
                "size": size,
                "channels": channels,
                "scale": 255.0,
                "augment": {
                    "horizontal_flip": False,
                    "vertical_flip": False,
                    "shift": 0.125 if small else 0.1,
                },
                "tta": "shifts",
                "tta_shift": 1,
                "workers": 2,
                "use_multiprocessing": False,
                "cache": cache,
            },
            comments={
                "_target_": f"{column!r} names image files ({first.name}) in "
                + ", ".join(str(d.relative_to(data_dir.parent)) for d in directories),
                "size": why_size,
                "channels": "grey" if channels == 1 else "RGB",
                "augment": "flips on for photos where a mirror image is the same class",
                "tta": "test-time augmentation: identity and four small shifts; null: off",
                "cache": "decode each file once (they fit in memory)"
                if cache
                else "too many to keep decoded in memory",
            },
            model="cnn",
            model_reason="images: a small convolutional network (backbone for large photos)",
            id_is_feature=column == id_column,
        )
    return None


def _text(train: pd.DataFrame, skip: set[str]) -> Features | None:
    best: tuple[float, str] | None = None
    for column in train.columns:
        values = train[column]
        if str(column) in skip or pd.api.types.is_numeric_dtype(values):
            continue
        text = values.dropna().astype(str).head(2000)
        if text.empty:
            continue
        words = float(text.str.count(r"\S+").mean())
        free_text = words >= MIN_TEXT_WORDS and values.nunique() > 0.5 * len(values)
        if free_text and (best is None or words > best[0]):
            best = (words, str(column))
    if best is None:
        return None
    words, column = best
    others = [str(c) for c in train.columns if str(c) not in skip and str(c) != column]
    ignored = f"; the other columns ({', '.join(others[:5])}) are not used" if others else ""
    return Features(
        kind="text",
        params={
            "_target_": "kagglekit.data.tfidf.TfidfFeatures",
            "_partial_": True,
            "column": column,
            "ngram_range": [1, 2],
            "min_df": 2,
            "max_features": 10000,
            "sublinear_tf": True,
        },
        comments={
            "_target_": f"{column!r} is free text ({words:.0f} words per row on average){ignored}",
            "min_df": "n-grams in a single training document are dropped",
            "max_features": "dense width: rows x max_features x 4 bytes",
        },
        model="tfidf_mlp",
        model_reason="text: TF-IDF of words and word pairs into a small dense network",
    )


def _tabular(train: pd.DataFrame, skip: set[str]) -> Features:
    features = [str(c) for c in train.columns if str(c) not in skip]
    text = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
    codes = [
        c
        for c in features
        if c not in text
        and _whole(train[c].dropna())
        and CODE_VALUES[0] <= train[c].nunique() <= CODE_VALUES[1]
    ]
    numeric = [c for c in features if c not in text]
    if len(text) >= MANY_CATEGORICALS:
        return Features(
            kind="mixed",
            params={
                "_target_": "kagglekit.data.mixed.MixedInputs",
                "_partial_": True,
                "parts": {
                    "numeric": {
                        "_target_": "kagglekit.data.preprocessing.TabularPreprocessor",
                        "categorical": [],
                        "input_name": "numeric",
                        "log1p": "skewed",
                        "clip": 5.0,
                    },
                    "categorical": {
                        "_target_": "kagglekit.data.categorical.CategoricalCodes",
                        "min_count": 1,
                    },
                },
            },
            comments={
                "_target_": f"{len(text)} text columns and {len(numeric)} numeric ones: an "
                "Embedding per text column next to the numeric block",
                "parts.numeric": "every numeric column: median-imputed, standardised",
                "parts.numeric.log1p": "skewed counts and areas on a log scale",
                "parts.numeric.clip": "extreme rows stay within what the network has seen",
                "parts.categorical": "every text column: integer codes, one Embedding input each",
            },
            model="multi_input",
            model_reason="many text columns: entity embeddings (multi-input network)",
        )
    categorical = [c for c in features if c in text or c in codes]
    why = []
    if text:
        why.append(f"text columns {text[:8]}")
    if codes:
        why.append(f"whole-number codes with {CODE_VALUES[0]}-{CODE_VALUES[1]} values {codes}")
    return Features(
        kind="tabular",
        params={
            "_target_": "kagglekit.data.preprocessing.TabularPreprocessor",
            "_partial_": True,
            "categorical": categorical,
            "missing_indicators": True,
            "scale": True,
        },
        comments={
            "_target_": f"tabular: {len(features)} feature columns",
            "categorical": "one-hot: "
            + ("; ".join(why) if why else "none found")
            + " (remove a code whose order matters)",
            "missing_indicators": "a 0/1 column per numeric column with missing values",
        },
        model="mlp",
        model_reason="tabular data: a multilayer perceptron",
    )


def guess_features(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    data_dir: Path,
    id_column: str | None,
    step_column: str | None,
    skip: set[str],
) -> Guess[Features]:
    """The features transformer for the data kind found (see the module doc for the order)."""
    from kagglekit.init.inspect import Guess

    skip = skip | ({id_column} if id_column else set())
    if step_column is not None and id_column is not None:
        found: Features | None = _long_series(train, id_column, step_column, skip)
    else:
        found = (
            _pixels(train, skip)
            or _wide_series(train, skip)
            or _images(train, test, data_dir, id_column, skip)
            or _text(train, skip)
        )
    found = found or _tabular(train, skip)
    return Guess(found, found.comments["_target_"])
