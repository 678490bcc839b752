"""Which classical baseline fits a competition: read from its features transformer.

The competition's ``features`` factory says what the data is (a table, a text column, numeric
series, images); the baseline for that kind of data reuses the same transformer, fitted on each
fold's training rows, so that it sees the same columns, channels and scaling as the deep model.
"""

from __future__ import annotations

import enum
from typing import Any

from kagglekit.errors import KagglekitError


class Kind(enum.StrEnum):
    TABULAR = "tabular"
    TEXT = "text"
    SERIES = "series"
    PIXELS = "pixels"  # images as pixel columns of a CSV
    IMAGE_FILES = "image_files"  # images as files named in a column


class BaselineError(KagglekitError, ValueError):
    """No baseline fits this data or this choice; the message names the setting to change."""


def _kind_of_part(preprocessor: Any) -> Kind | None:
    from kagglekit.data.categorical import CategoricalCodes
    from kagglekit.data.images import ImageFolder
    from kagglekit.data.minirocket import MiniRocketFeatures
    from kagglekit.data.pixels import PixelImages
    from kagglekit.data.preprocessing import TabularPreprocessor
    from kagglekit.data.sequences import NumericSequences
    from kagglekit.data.text import TextSequences
    from kagglekit.data.tfidf import TfidfFeatures

    kinds: list[tuple[type, Kind]] = [
        (TabularPreprocessor, Kind.TABULAR),
        (CategoricalCodes, Kind.TABULAR),
        (TextSequences, Kind.TEXT),
        (TfidfFeatures, Kind.TEXT),
        (NumericSequences, Kind.SERIES),
        (MiniRocketFeatures, Kind.SERIES),
        (PixelImages, Kind.PIXELS),
        (ImageFolder, Kind.IMAGE_FILES),
    ]
    for cls, kind in kinds:
        if isinstance(preprocessor, cls):
            return kind
    return None


def data_kind(preprocessor: Any) -> Kind:
    """The kind of data a (fresh) features transformer reads.

    :class:`~kagglekit.data.mixed.MixedInputs` is tabular when every part is (numeric block +
    categorical codes, as in ``ames``); other mixtures have no single classical baseline.
    """
    from kagglekit.data.mixed import MixedInputs

    if isinstance(preprocessor, MixedInputs):
        kinds = {name: _kind_of_part(part) for name, part in preprocessor.parts.items()}
        if all(kind is Kind.TABULAR for kind in kinds.values()):
            return Kind.TABULAR
        described = ", ".join(
            f"{name}={kind.value if kind else type(preprocessor.parts[name]).__name__}"
            for name, kind in kinds.items()
        )
        raise BaselineError(
            f"competition.features mixes kinds of data ({described}): the baseline handles one "
            "kind (tabular, text, series or images). Run it on one part, e.g. "
            "~competition.features.parts.<name> for the others."
        )
    kind = _kind_of_part(preprocessor)
    if kind is None:
        raise BaselineError(
            f"competition.features is a {type(preprocessor).__name__}: the baseline knows "
            "TabularPreprocessor/CategoricalCodes (tabular), TextSequences/TfidfFeatures (text), "
            "NumericSequences/MiniRocketFeatures (series), PixelImages and ImageFolder (images)."
        )
    return kind
