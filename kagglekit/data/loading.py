"""Read a competition's files (CSV or Parquet) and check them before any training starts."""

from __future__ import annotations

import csv
import difflib
import logging
import re
from collections import Counter
from collections.abc import Collection, Sequence
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


@dataclass(frozen=True)
class ReadOptions:
    """How CSV files are parsed (``competition.sep``, ``decimal``, ``na_values``)."""

    sep: str = ","
    decimal: str = "."
    na_values: tuple[str, ...] = ()


SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tabs ('\\t')", "|": "'|'"}


def read_table(
    path: Path, options: ReadOptions = ReadOptions(), text_columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a CSV or Parquet file, with errors that name the file.

    ``text_columns`` (ids) are read as text exactly as written: ``0006`` stays ``0006``.
    """
    if not path.exists():
        folder = path.parent
        if not folder.exists():
            raise DataError(f"Data folder {folder} does not exist (looking for {path.name}).")
        present = sorted(p.name for p in folder.iterdir())
        raise DataError(f"File {path} not found. The folder holds: {present or 'nothing'}.")
    if path.stat().st_size == 0:
        raise DataError(f"File {path} is empty.")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq"):
        check_header(path, options.sep)
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            for column in text_columns:
                if column in frame.columns:
                    values = frame[column]
                    frame[column] = values.astype(str).where(values.notna(), np.nan)
        else:
            frame = pd.read_csv(
                path,
                low_memory=False,
                sep=options.sep,
                decimal=options.decimal,
                na_values=list(options.na_values) or None,
                dtype=dict.fromkeys(text_columns, str),
            )
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"File {path} is empty.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise DataError(f"Cannot read {path}: {exc}") from exc
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError(f"File {path} has no rows (columns: {list(frame.columns)}).")
    if frame.shape[1] == 1 and suffix not in (".parquet", ".pq"):
        check_separator(path, str(frame.columns[0]), options.sep)
    if options.decimal != ".":
        _numbers_with_a_point(frame, text_columns)
    stray = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if stray:
        log.warning(
            "%s: dropping stray index column(s) %s (a CSV saved with its index).", path, stray
        )
        frame = frame.drop(columns=stray)
    return frame


def _numbers_with_a_point(frame: pd.DataFrame, text_columns: Sequence[str]) -> None:
    """With ``decimal=','`` pandas leaves ``29.5`` as text: a text column of numbers only is a
    numeric column written with a point (a file saved with another decimal mark)."""
    for column in frame.columns:
        series = frame[column]
        if column in text_columns or pd.api.types.is_numeric_dtype(series):
            continue
        numbers = pd.to_numeric(series, errors="coerce")
        if series.notna().any() and int(numbers.notna().sum()) == int(series.notna().sum()):
            frame[column] = numbers


def check_separator(path: Path, header: str, sep: str) -> None:
    """A one-column file whose header holds another separator was read with the wrong one."""
    for candidate in (";", "\t", "|", ","):
        if candidate != sep and header.count(candidate) >= 1:
            name = SEPARATOR_NAMES[candidate]
            shown = "\\t" if candidate == "\t" else candidate
            raise DataError(
                f"{path}: read as a single column {header[:60]!r}: the file seems to be separated "
                f"by {name}, not {SEPARATOR_NAMES.get(sep, repr(sep))}. Set competition.sep='{shown}'."
            )


def check_header(path: Path, sep: str) -> None:
    """Refuse repeated column names: pandas would silently rename the copy ``Age.1``."""
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            header = next(csv.reader(handle, delimiter=sep), [])
    except (OSError, csv.Error):
        return  # pandas reports an unreadable file with its own message
    counts = Counter(name.strip() for name in header)
    repeated = [name for name, n in counts.items() if n > 1 and name]
    if repeated:
        raise DataError(
            f"{path}: the header repeats column name(s) {repeated} (pandas would rename the "
            f"copies {[f'{n}.1' for n in repeated]} silently). Rename or remove the duplicates."
        )


# a number written with a decimal comma: 29,5  -1,25  1.234,5
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[-+]?\d+,\d+\s*$")
# at most this many distinct non-numeric values make a numeric column with a few bad cells
_FEW = 5
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _rows(mask: pd.Series | np.ndarray, index: pd.Index, n: int = 5) -> list[int]:
    return [int(i) for i in index[np.asarray(mask)][:n]]


def check_numeric_text(
    frame: pd.DataFrame,
    columns: Sequence[str],
    path: Path,
    *,
    numeric_elsewhere: Collection[str] = (),
) -> None:
    """Refuse a numeric column with a few non-numeric cells (``unknown``, ``29,5``).

    A text column counts as numeric when most of its cells are numbers and the rest hold at most
    a few distinct values, or when it is numeric in the other file (``numeric_elsewhere``).
    """
    for column in columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        present = series.dropna()
        if present.empty:
            continue
        text = present.astype(str)
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna()
        if not bad.any():
            continue
        bad_values = text[bad]
        distinct = bad_values.unique().tolist()
        mostly_numbers = (~bad).mean() >= 0.5 and len(distinct) <= _FEW
        commas = bad_values.str.match(_DECIMAL_COMMA)
        if not (mostly_numbers or column in numeric_elsewhere or commas.mean() > 0.5):
            continue
        rows = _rows(bad, present.index)
        shown = distinct[:_FEW]
        if commas.any():
            raise DataError(
                f"{path}: column {column!r} holds {int(bad.sum())} number(s) written with a "
                f"decimal comma ({shown}, first rows {rows}). Set competition.decimal=',' (and "
                "competition.sep=';' if the fields are ';'-separated), or write them with a '.'."
            )
        raise DataError(
            f"{path}: numeric column {column!r} holds {int(bad.sum())} non-numeric cell(s) "
            f"{shown} (first rows {rows}). Fix the cells, or read them as missing with "
            f"competition.na_values={shown!r}."
        )


def check_finite(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    """Refuse inf and values beyond float32 (``1e300``), which the model cannot compute with:
    they would make a column's std inf (the column zeroed) or the loss NaN."""
    for column in columns:
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isinf(values) | (np.abs(np.nan_to_num(values)) > FLOAT32_MAX)
        if bad.any():
            rows = _rows(bad, series.index)
            shown = [float(v) for v in values[bad][:5]]
            raise DataError(
                f"{path}: column {column!r} holds {int(bad.sum())} infinite or huge value(s) "
                f"{shown} (first rows {rows}); values beyond ±3.4e38 (float32) cannot be trained "
                "on. Replace them (with a missing value or a real number) in the file."
            )


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


def _first_column(path: Path, sep: str) -> str:
    """The sample submission's first column name (its id column unless the spec names one)."""
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            header = next(csv.reader(handle, delimiter=sep), [""])
    except (OSError, csv.Error):
        return ""
    return header[0].strip() if header else ""


def ensure_prepared(spec: CompetitionSpec) -> None:
    """Run the competition's prepare step when its files are not there yet."""
    if all(p.exists() for p in spec.paths) or spec.prepare is None:
        return
    log.info("Preparing the %s data in %s (first use).", spec.name, spec.data_dir)
    spec.prepare(spec.data_dir)


def read_options(spec: CompetitionSpec) -> ReadOptions:
    return ReadOptions(sep=spec.sep, decimal=spec.decimal, na_values=tuple(spec.na_values))


def sample_id_column(spec: CompetitionSpec, sample: pd.DataFrame) -> str:
    return spec.submission_id_column or str(sample.columns[0])


def check_values(spec: CompetitionSpec, train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Numeric columns with text cells, decimal commas, inf and huge values, in either file."""
    skip = {*spec.target, *spec.drop_columns}
    skip.update(c for c in (spec.id_column, spec.group_column, spec.step_column) if c)
    numeric = {
        name: {str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
        for name, frame in (("train", train), ("test", test))
    }
    for frame, path, other in (
        (train, spec.train_path, numeric["test"]),
        (test, spec.test_path, numeric["train"]),
    ):
        columns = [c for c in frame.columns if c not in skip]
        check_numeric_text(frame, columns, path, numeric_elsewhere=other)
        check_finite(frame, columns, path)


def check_ids(ids: pd.Series, column: str, path: Path) -> None:
    """Every row has an id, and no id repeats (compared as text, exactly as written)."""
    missing = ids.isna()
    if missing.any():
        raise DataError(
            f"{path}: id column {column!r} is empty in {int(missing.sum())} row(s) (first rows "
            f"{_rows(missing, ids.index)}). Every row needs an id."
        )
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise DataError(
            f"{path}: id column {column!r} has {len(duplicated)} duplicated id(s), "
            f"first: {duplicated.head(5).tolist()}."
        )


def check_ids_match_sample(
    test_ids: pd.Series, sample_ids: pd.Series, spec: CompetitionSpec, sample_column: str
) -> None:
    """The test ids are the sample submission's ids, compared as text exactly as written."""
    test_set, sample_set = set(test_ids.astype(str)), set(sample_ids.astype(str))
    if test_set == sample_set:
        return
    absent = [i for i in sample_ids.astype(str) if i not in test_set]
    extra = [i for i in test_ids.astype(str) if i not in sample_set]
    hint = ""
    as_numbers = {_number_text(i) for i in test_set} == {_number_text(i) for i in sample_set}
    if as_numbers:
        hint = (
            f" The same numbers are written differently (test {extra[:2]}, sample {absent[:2]}):"
            f" write the ids of {spec.test_file} exactly as in {spec.sample_submission_file}."
        )
    raise DataError(
        f"{spec.test_path}: ids in {spec.id_column!r} do not match {spec.sample_submission_path}'s "
        f"{sample_column!r} (compared as text): {len(absent)} sample id(s) missing from the test "
        f"file (first: {absent[:5]}), {len(extra)} test id(s) not in the sample "
        f"(first: {extra[:5]}).{hint}"
    )


def _number_text(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return repr(value)


def load_competition(spec: CompetitionSpec) -> CompetitionData:
    ensure_prepared(spec)
    options = read_options(spec)
    ids = [spec.id_column] if spec.id_column else []
    train = read_table(spec.train_path, options, ids)
    test = read_table(spec.test_path, options, ids)
    sample_ids = [spec.submission_id_column] if spec.submission_id_column else []
    if not sample_ids and spec.sample_submission_path.suffix.lower() not in (".parquet", ".pq"):
        sample_ids = [_first_column(spec.sample_submission_path, options.sep)]
    sample = read_table(spec.sample_submission_path, options, sample_ids)
    check_values(spec, train, test)
    # long layout / separate targets file -> one row per id (kagglekit/data/layout.py)
    targets_table = (
        None if spec.targets_path is None else read_table(spec.targets_path, options, ids)
    )
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

    sample_column = sample_id_column(spec, sample)
    require_columns(sample, [sample_column], spec.sample_submission_path, "id")
    check_ids(sample[sample_column], sample_column, spec.sample_submission_path)
    train_ids = test_ids = None
    if spec.id_column is not None:
        require_columns(train, [spec.id_column], spec.train_path, "id")
        require_columns(test, [spec.id_column], spec.test_path, "id")
        train_ids = train[spec.id_column].reset_index(drop=True)
        test_ids = test[spec.id_column].reset_index(drop=True)
        check_ids(train_ids, spec.id_column, spec.train_path)
        check_ids(test_ids, spec.id_column, spec.test_path)

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

    if test_ids is not None:
        check_ids_match_sample(test_ids, sample[sample_column], spec, sample_column)
    return CompetitionData(
        train=train[feature_columns].reset_index(drop=True),
        targets=train[targets].reset_index(drop=True),
        test=test[feature_columns].reset_index(drop=True),
        sample_submission=sample,
        train_ids=train_ids,
        test_ids=test_ids,
        groups=groups,
    )
