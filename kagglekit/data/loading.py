"""Read a competition's files (CSV or Parquet) and check them before any training starts."""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kagglekit.competition import CompetitionSpec
from kagglekit.data.layout import arrange_rows
from kagglekit.errors import KagglekitError

log = logging.getLogger(__name__)


class DataError(KagglekitError, ValueError):
    """The competition's data does not match its config; the message names file and column."""


@dataclass(frozen=True)
class CompetitionData:
    """The raw frames of one competition, checked against its spec.

    ``train`` holds feature columns only (id, target and group columns removed);
    ``targets`` the target column(s); ``test`` the same feature columns as ``train``.
    ``test_ids`` are the ids of the test rows (``None`` when the file has no id column and
    rows line up with the sample submission by position).
    """

    train: pd.DataFrame
    targets: pd.DataFrame
    test: pd.DataFrame
    sample_submission: pd.DataFrame
    train_ids: pd.Series | None
    test_ids: pd.Series | None
    groups: np.ndarray | None

    @property
    def n_train(self) -> int:
        return len(self.train)


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file, with errors that name the file."""
    if not path.exists():
        folder = path.parent
        if not folder.exists():
            raise DataError(f"Data folder {folder} does not exist (looking for {path.name}).")
        present = sorted(p.name for p in folder.iterdir())
        raise DataError(f"File {path} not found. The folder holds: {present or 'nothing'}.")
    if path.stat().st_size == 0:
        raise DataError(f"File {path} is empty.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"File {path} is empty.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise DataError(f"Cannot read {path}: {exc}") from exc
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError(f"File {path} has no rows (columns: {list(frame.columns)}).")
    stray = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if stray:
        log.warning(
            "%s: dropping stray index column(s) %s (a CSV saved with its index).", path, stray
        )
        frame = frame.drop(columns=stray)
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], path: Path, role: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, [str(c) for c in frame.columns], n=3)
        if close:
            hints.append(f"{name!r}: did you mean {close}?")
    hint = (" " + " ".join(hints)) if hints else ""
    raise DataError(
        f"{path}: {role} column(s) {missing} not found.{hint} Columns present: {list(frame.columns)}."
    )


_NUMBERED = re.compile(r"^(?P<prefix>\D.*?)\d+$")


def _numbered(columns: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for column in columns:
        if match := _NUMBERED.match(str(column)):
            counts[match["prefix"]] = counts.get(match["prefix"], 0) + 1
    return counts


def check_numbered_columns(
    train_columns: list[str], test_columns: list[str], spec: CompetitionSpec
) -> None:
    """Refuse a test file whose numbered columns (``pixel0..pixel783``) do not match training:
    images of another size would otherwise be cut to the training columns or fail later."""
    train_counts, test_counts = _numbered(train_columns), _numbered(test_columns)
    for prefix, n_train in train_counts.items():
        n_test = test_counts.get(prefix, 0)
        if n_train > 1 and n_test and n_test != n_train:
            raise DataError(
                f"{spec.test_path}: {n_test} numbered column(s) {prefix}0, {prefix}1, ... but "
                f"{spec.train_path} has {n_train}: the test rows are not the size of the training "
                "rows (images of another size?)."
            )


def check_features(spec: CompetitionSpec, data: CompetitionData, n_rows: int = 256) -> None:
    """Build the competition's features on a few rows of each file, so that a layout they cannot
    use (a non-square pixel count, a declared column that is absent) stops the run before any
    fold starts, with the file named."""
    preprocessor = spec.features()
    try:
        preprocessor.fit(data.train.head(n_rows))
    except (KeyError, TypeError, ValueError) as exc:
        reason = exc.args[0] if exc.args else exc
        raise DataError(f"{spec.train_path}: the features cannot be built: {reason}") from exc
    try:
        preprocessor.transform(data.test.head(n_rows))
    except (KeyError, TypeError, ValueError) as exc:
        reason = exc.args[0] if exc.args else exc
        raise DataError(f"{spec.test_path}: the features cannot be built: {reason}") from exc


def ensure_prepared(spec: CompetitionSpec) -> None:
    """Run the competition's prepare step when its files are not there yet."""
    if all(p.exists() for p in spec.paths) or spec.prepare is None:
        return
    log.info("Preparing the %s data in %s (first use).", spec.name, spec.data_dir)
    spec.prepare(spec.data_dir)


def load_competition(spec: CompetitionSpec) -> CompetitionData:
    ensure_prepared(spec)
    train = read_table(spec.train_path)
    test = read_table(spec.test_path)
    sample = read_table(spec.sample_submission_path)
    # long layout / separate targets file -> one row per id (kagglekit/data/layout.py)
    targets_table = None if spec.targets_path is None else read_table(spec.targets_path)
    train, test = arrange_rows(spec, train, test, targets_table)

    targets = list(spec.target)
    require_columns(train, targets, spec.train_path, "target")
    for column in targets:
        n_missing = int(train[column].isna().sum())
        if n_missing:
            rows = train.index[train[column].isna()][:5].tolist()
            raise DataError(
                f"{spec.train_path}: target column {column!r} has {n_missing} missing value(s) "
                f"(first rows: {rows}). Drop or fill them before training."
            )

    train_ids = test_ids = None
    if spec.id_column is not None:
        require_columns(train, [spec.id_column], spec.train_path, "id")
        require_columns(test, [spec.id_column], spec.test_path, "id")
        train_ids = train[spec.id_column].reset_index(drop=True)
        test_ids = test[spec.id_column].reset_index(drop=True)
        for ids, path in ((train_ids, spec.train_path), (test_ids, spec.test_path)):
            duplicated = ids[ids.duplicated()]
            if len(duplicated):
                raise DataError(
                    f"{path}: id column {spec.id_column!r} has {len(duplicated)} duplicated id(s), "
                    f"first: {duplicated.head(5).tolist()}."
                )

    groups = None
    if spec.group_column is not None:
        require_columns(train, [spec.group_column], spec.train_path, "group")
        groups = train[spec.group_column].to_numpy()

    drop = {*targets, *spec.drop_columns}
    for optional in (spec.id_column, spec.group_column):
        if optional is not None:
            drop.add(optional)
    if spec.id_is_feature and spec.id_column is not None:
        drop.discard(spec.id_column)
    feature_columns = [c for c in train.columns if c not in drop]
    test_features = [c for c in test.columns if c not in drop]
    missing_in_test = [c for c in feature_columns if c not in test_features]
    extra_in_test = [c for c in test_features if c not in feature_columns]
    check_numbered_columns(feature_columns, test_features, spec)
    if missing_in_test:
        raise DataError(
            f"{spec.test_path}: feature column(s) {missing_in_test} of {spec.train_file} are missing "
            "from the test file. Add them to `drop_columns` in the competition config if they are "
            "not features."
        )
    if extra_in_test:
        log.warning(
            "%s: ignoring column(s) absent from the training file: %s",
            spec.test_path,
            extra_in_test,
        )

    return CompetitionData(
        train=train[feature_columns].reset_index(drop=True),
        targets=train[targets].reset_index(drop=True),
        test=test[feature_columns].reset_index(drop=True),
        sample_submission=sample,
        train_ids=train_ids,
        test_ids=test_ids,
        groups=groups,
    )
