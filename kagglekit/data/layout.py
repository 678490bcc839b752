"""File layouts that are not one row per sample: long series and separate target files.

*Long* layout (``step_column`` set in the competition spec): the train/test files hold one row
per time step (``series_id, step, channel_a, channel_b, ...``). :func:`to_series_rows` turns
them into one row per series, so ids, targets, folds and predictions all work per series. Steps
only order the rows of a series: its i-th step becomes column ``<channel>_t<i>`` (the wide
layout that :class:`~kagglekit.data.sequences.NumericSequences` reads), and a series shorter
than the longest gets NaN at its end (padding).

*Targets file* (``targets_file`` set): the targets sit in their own file, one row per id
(Kaggle's ``y_train.csv``); :func:`attach_targets` joins them to the train rows by id.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from kagglekit.competition import CompetitionSpec
from kagglekit.errors import KagglekitError

log = logging.getLogger(__name__)

STEP_SEPARATOR = "_t"


class LayoutError(KagglekitError, ValueError):
    """The rows do not fit the declared layout; the message names the file, column and ids."""


def wide_column(channel: str, step: int) -> str:
    """The wide column of ``channel`` at position ``step`` (``value_t0``)."""
    return f"{channel}{STEP_SEPARATOR}{step}"


def to_series_rows(
    frame: pd.DataFrame,
    *,
    id_column: str,
    step_column: str,
    per_series: Sequence[str] = (),
    drop: Sequence[str] = (),
    n_steps: int | None = None,
    path: Path | str = "<frame>",
) -> pd.DataFrame:
    """One row per time step -> one row per series, in the order the ids first appear.

    Args:
        id_column / step_column: the series id and the column that orders its steps.
        per_series: columns holding one value per series (targets, groups), repeated on each of
            its rows; they are checked to be constant within a series and kept once.
        drop: columns to ignore. Every other column is a numeric channel.
        n_steps: pad every series to at least this many steps (default: the longest series).
        path: the file the rows came from, for error messages.
    """
    _require(frame, [id_column, step_column], path)
    kept = [c for c in per_series if c in frame.columns]
    ignored = {id_column, step_column, *kept, *drop}
    channels = [str(c) for c in frame.columns if c not in ignored]
    if not channels:
        raise LayoutError(
            f"{path}: no value column left besides {sorted(map(str, ignored))}; a long-layout "
            "file needs at least one numeric channel column."
        )
    text = [c for c in channels if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise LayoutError(
            f"{path}: channel column(s) {text} are not numeric. Add them to `drop_columns` in the "
            "competition config if they are not measurements."
        )
    if frame[id_column].isna().any() or frame[step_column].isna().any():
        raise LayoutError(f"{path}: {id_column!r} or {step_column!r} has missing values.")
    duplicated = frame.duplicated([id_column, step_column])
    if duplicated.any():
        first = frame.loc[duplicated, [id_column, step_column]].head(3).to_dict("records")
        raise LayoutError(
            f"{path}: {int(duplicated.sum())} row(s) repeat an ({id_column}, {step_column}) "
            f"pair, first: {first}. Each step of a series must appear once."
        )
    codes, ids = pd.factorize(frame[id_column], sort=False)
    order = np.lexsort((frame[step_column].to_numpy(), codes))
    codes = codes[order]
    position = _positions(codes)
    length = np.bincount(codes, minlength=len(ids))
    values = frame[channels].to_numpy(dtype="float64")[order]
    width = max(int(length.max()), n_steps or 0)
    wide = np.full((len(ids), len(channels), width), np.nan)
    wide[codes, :, position] = values
    columns = [wide_column(c, i) for c in channels for i in range(wide.shape[2])]
    series = pd.DataFrame(wide.reshape(len(ids), -1), columns=columns)
    series.insert(0, id_column, ids)
    for position_, column in enumerate(kept, start=1):
        series.insert(position_, column, _one_per_series(frame, column, id_column, path))
    log.info(
        "%s: %d rows -> %d series of %d-%d steps, %d channel(s).",
        path,
        len(frame),
        len(ids),
        int(length.min()),
        int(length.max()),
        len(channels),
    )
    return series


def attach_targets(
    frame: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    id_column: str,
    target: Sequence[str],
    path: Path | str = "<targets>",
) -> pd.DataFrame:
    """Join the target column(s) of ``targets`` (one row per id) to the rows of ``frame``."""
    _require(targets, [id_column, *target], path)
    present = [c for c in target if c in frame.columns]
    if present:
        raise LayoutError(
            f"Target column(s) {present} are both in the train file and in {path}; keep them in "
            "one place (drop `targets_file` or the columns)."
        )
    repeated = targets[id_column][targets[id_column].duplicated()]
    if len(repeated):
        raise LayoutError(
            f"{path}: {len(repeated)} id(s) appear more than once, first: "
            f"{repeated.head(5).tolist()}. A targets file has one row per id."
        )
    lookup = targets.set_index(id_column)[list(target)]
    missing = ~frame[id_column].isin(lookup.index)
    if missing.any():
        raise LayoutError(
            f"{path}: no target for {int(missing.sum())} id(s) of the train file, first: "
            f"{frame.loc[missing, id_column].head(5).tolist()}."
        )
    extra = int((~lookup.index.isin(frame[id_column])).sum())
    if extra:
        log.warning("%s: ignoring %d id(s) absent from the train file.", path, extra)
    joined = lookup.loc[frame[id_column].to_numpy()].reset_index(drop=True)
    return pd.concat([frame.reset_index(drop=True), joined], axis=1)


def _positions(sorted_codes: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal (sorted) codes."""
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    run_lengths = np.diff(np.r_[starts, len(sorted_codes)])
    return np.arange(len(sorted_codes)) - np.repeat(starts, run_lengths)


def _one_per_series(frame: pd.DataFrame, column: str, id_column: str, path: Path | str) -> list:
    grouped = frame.groupby(id_column, sort=False)[column]
    counts = grouped.nunique(dropna=False)
    varying = counts[counts > 1]
    if len(varying):
        raise LayoutError(
            f"{path}: column {column!r} takes several values within a series (id(s) "
            f"{varying.index[:5].tolist()}), but it is a per-series column (target or group)."
        )
    return grouped.first().tolist()


def _require(frame: pd.DataFrame, columns: list[str], path: Path | str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LayoutError(
            f"{path}: column(s) {missing} not found. Columns present: {list(frame.columns)}."
        )


def arrange_rows(
    spec: CompetitionSpec,
    train: pd.DataFrame,
    test: pd.DataFrame,
    targets: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the spec's layout: long rows -> one row per series, then the targets file.

    Train and test series are padded to the same number of steps, so both files give the same
    wide columns. Without ``step_column`` or ``targets_file`` the frames pass through unchanged.
    """
    if spec.step_column is not None and spec.id_column is not None:
        id_column, step_column = spec.id_column, spec.step_column
        groups = [spec.group_column] if spec.group_column else []
        n_steps = max(
            _longest(train, id_column, spec.train_path), _longest(test, id_column, spec.test_path)
        )
        pivot = functools.partial(
            to_series_rows,
            id_column=id_column,
            step_column=step_column,
            drop=spec.drop_columns,
            n_steps=n_steps,
        )
        train = pivot(train, per_series=[*spec.target, *groups], path=spec.train_path)
        test = pivot(test, per_series=groups, path=spec.test_path)
    if targets is not None and spec.id_column is not None:
        train = attach_targets(
            train,
            targets,
            id_column=spec.id_column,
            target=spec.target,
            path=spec.targets_path or "",
        )
    return train, test


def _longest(frame: pd.DataFrame, id_column: str, path: Path | str) -> int:
    _require(frame, [id_column], path)
    return int(frame.groupby(id_column, sort=False).size().max())
