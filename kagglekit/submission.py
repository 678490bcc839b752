"""Submission builder and validator: a CSV Kaggle accepts, or a clear refusal.

The sample submission is the contract: the same header, the same ids in the same order, one
row per id, and values of the right kind (class labels, probabilities in [0, 1], finite numbers).
Nothing is written unless every check passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kagglekit.competition import SubmissionKind
from kagglekit.errors import KagglekitError
from kagglekit.files import write_csv


class SubmissionError(KagglekitError, ValueError):
    """The submission would be rejected; nothing was written."""


def _first(values: Sequence[Any], n: int = 5) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in list(values)[:n]]


def check_finite_predictions(predictions: np.ndarray, ids: pd.Series | None = None) -> None:
    """Refuse NaN/inf predictions before they become labels (``NaN >= 0.5`` is a valid class 0)."""
    values = np.asarray(predictions, dtype="float64").reshape(len(predictions), -1)
    bad = ~np.isfinite(values).all(axis=1)
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    where = (
        f"first ids {_first(np.asarray(ids)[rows].tolist())}"
        if ids is not None and len(ids) == len(bad)
        else f"first rows {_first(rows.tolist())}"
    )
    raise SubmissionError(
        f"{len(rows)} of {len(bad)} test prediction row(s) hold NaN or inf, {where}. "
        "Nothing was written."
    )


def align_to_sample(
    sample: pd.DataFrame,
    id_column: str,
    values: pd.DataFrame,
    test_ids: pd.Series | None,
) -> pd.DataFrame:
    """Put prediction rows (in test-file order) into the sample submission's id order.

    With ``test_ids`` the rows are matched by id, so a test file in any row order works; without
    them (a test file with no id column) row ``i`` of the test file is row ``i`` of the sample.
    """
    sample_ids = sample[id_column]
    if test_ids is None:
        if len(values) != len(sample):
            raise SubmissionError(
                f"Wrong row count: {len(values)} predictions for {len(sample)} rows of the sample "
                "submission (the test file has no id column, so rows are matched by position)."
            )
        out = values.reset_index(drop=True)
        out.insert(0, id_column, sample_ids.to_numpy())
        return out
    if len(test_ids) != len(values):
        raise SubmissionError(f"{len(values)} prediction rows for {len(test_ids)} test ids.")
    duplicated = test_ids[test_ids.duplicated()]
    if len(duplicated):
        raise SubmissionError(
            f"The test ids hold {len(duplicated)} duplicate(s), first: {_first(duplicated.tolist())}."
        )
    key_test = test_ids.astype(str).to_numpy()
    key_sample = sample_ids.astype(str).to_numpy()
    position = pd.Series(np.arange(len(key_test)), index=key_test)
    missing = [s for s in key_sample if s not in position.index]
    extra = sorted(set(key_test) - set(key_sample))
    if missing or extra:
        raise SubmissionError(
            f"Ids differ from the sample submission's {id_column!r}: {len(missing)} id(s) of the sample "
            f"have no prediction (first: {_first(missing)}), {len(extra)} predicted id(s) are not in the "
            f"sample (first: {_first(extra)})."
        )
    order = position.loc[list(key_sample)].to_numpy()
    out = values.iloc[order].reset_index(drop=True)
    out.insert(0, id_column, sample_ids.to_numpy())
    return out


def validate_submission(
    submission: pd.DataFrame,
    sample: pd.DataFrame,
    *,
    kind: SubmissionKind,
    id_column: str | None = None,
    labels: Sequence[Any] | None = None,
) -> None:
    """Raise :class:`SubmissionError` naming the column and the offending ids/rows, or return."""
    id_column = id_column or str(sample.columns[0])
    if list(submission.columns) != list(sample.columns):
        raise SubmissionError(
            f"Header {list(submission.columns)} differs from the sample submission's {list(sample.columns)}."
        )
    if len(submission) != len(sample):
        raise SubmissionError(
            f"Wrong row count: {len(submission)} rows, the sample submission has {len(sample)}."
        )
    ids = submission[id_column]
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise SubmissionError(
            f"Column {id_column!r} holds {len(duplicated)} duplicated id(s), first: {_first(duplicated.tolist())}."
        )
    differ = np.flatnonzero(ids.astype(str).to_numpy() != sample[id_column].astype(str).to_numpy())
    if len(differ):
        raise SubmissionError(
            f"Column {id_column!r} differs from the sample submission in {len(differ)} row(s), first rows "
            f"{_first(differ.tolist())} (ids {_first(ids.iloc[differ].tolist())})."
        )
    for column in submission.columns:
        if column == id_column:
            continue
        series = submission[column]
        if kind == "label" and labels is not None:
            allowed = {str(v) for v in labels}
            bad = ~series.astype(str).isin(allowed) | series.isna()
            if bad.any():
                raise SubmissionError(
                    f"Column {column!r}: {int(bad.sum())} value(s) are not known labels {sorted(allowed)[:20]}, "
                    f"first ids {_first(ids[bad].tolist())}."
                )
            continue
        numeric = pd.to_numeric(series, errors="coerce")
        bad = ~np.isfinite(numeric.to_numpy(dtype="float64"))
        if bad.any():
            raise SubmissionError(
                f"Column {column!r}: {int(bad.sum())} value(s) are NaN, inf or not numbers, "
                f"first ids {_first(ids[bad].tolist())}."
            )
        if kind == "probability":
            outside = (numeric < 0) | (numeric > 1)
            if outside.any():
                raise SubmissionError(
                    f"Column {column!r}: {int(outside.sum())} probabilities outside [0, 1], "
                    f"first ids {_first(ids[outside].tolist())}."
                )


def build_submission(
    sample: pd.DataFrame,
    values: pd.DataFrame,
    *,
    kind: SubmissionKind,
    test_ids: pd.Series | None,
    id_column: str | None = None,
    labels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Prediction values (one row per test row, the sample's value columns) -> checked submission."""
    id_column = id_column or str(sample.columns[0])
    if id_column not in sample.columns:
        raise SubmissionError(
            f"The sample submission has no column {id_column!r}: {list(sample.columns)}."
        )
    value_columns = [c for c in sample.columns if c != id_column]
    if list(values.columns) != value_columns:
        raise SubmissionError(
            f"Prediction columns {list(values.columns)} differ from the sample's {value_columns}."
        )
    submission = align_to_sample(sample, id_column, values, test_ids)
    submission = submission[list(sample.columns)]
    for column in value_columns:
        submission[column] = _match_dtype(submission[column], sample[column], kind)
    validate_submission(submission, sample, kind=kind, id_column=id_column, labels=labels)
    return submission


def _match_dtype(values: pd.Series, example: pd.Series, kind: SubmissionKind) -> pd.Series:
    """Class labels take the sample's integer type when they are whole numbers.

    Boolean samples (``False``) keep the predicted labels as they are: casting them to 0/1
    would write labels that are not the competition's classes.
    """
    if kind != "label":
        return values
    if pd.api.types.is_integer_dtype(example):
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all() and (numeric == numeric.round()).all():
            return numeric.astype("int64")
    return values


def write_submission(path: Path, submission: pd.DataFrame) -> Path:
    return write_csv(path, submission)
