"""Read a Kaggle competition's files and guess its competition config, each guess with a reason.

The sample submission decides the id column (its first column) and the target(s) (its other
columns, looked up in ``train.csv`` or in an extra file such as ``train_labels.csv``); the
target values decide the task; the sample's values and the task decide the submission kind and
the default metric; the columns decide the data kind, its features transformer and the model
(:mod:`kagglekit.init.kinds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from kagglekit.competition import Task
from kagglekit.errors import ConfigError, KagglekitError
from kagglekit.init.kinds import Features, guess_features

T = TypeVar("T")

MAX_ROWS = 200_000  # rows read from each file: plenty to guess from, quick on Kaggle-size files
MAX_CLASSES = 30  # whole-number targets with more distinct values are a regression
SKEWED = 1.0  # a positive target skewed beyond this is scored on a log scale (RMSLE)
SEPARATORS = (",", ";", "\t", "|")
GROUP_NAME = re.compile(
    r"(^|_)(group|patient|subject|user|customer|session|participant|household|family|site|"
    r"batch|study|store|shop|author|player|team|game)(_?id)?$",
    re.IGNORECASE,
)
NEGATIVE_LABELS = {"0", "no", "n", "false", "f", "negative", "neg", "other", "none", "normal"}
POSITIVE_LABELS = {"1", "yes", "y", "true", "t", "positive", "pos"}


class InitError(KagglekitError):
    """The files do not allow a guess (no train.csv, a target nowhere...); says what to do."""


@dataclass(frozen=True)
class Guess(Generic[T]):
    """One guessed value and why it was guessed."""

    value: T
    reason: str


@dataclass(frozen=True)
class Inference:
    """Every guess ``kagglekit init`` makes about one competition's files."""

    name: str
    data_dir: str
    train_file: str
    test_file: str
    sample_submission_file: str
    sep: Guess[str]
    decimal: Guess[str]
    id_column: Guess[str | None]
    submission_id_column: Guess[str | None]
    target: Guess[tuple[str, ...]]
    targets_file: Guess[str | None]
    step_column: Guess[str | None]
    task: Guess[Task]
    submission: Guess[str]
    metric: Guess[str]
    target_transform: Guess[str]
    positive_label: Guess[Any]
    class_columns: Guess[dict[str, Any] | None]
    features: Guess[Features]
    group_column: Guess[str | None]
    time_column: Guess[str | None]
    drop_columns: Guess[tuple[str, ...]]
    model: Guess[str]
    cv: Guess[str]
    epochs: Guess[int]
    batch_size: Guess[int]
    n_train: int
    notes: tuple[str, ...] = field(default=())

    def guesses(self) -> list[tuple[str, Guess[Any]]]:
        """The guesses worth printing, in the order of the config."""
        items: list[tuple[str, Guess[Any]]] = [
            ("id_column", self.id_column),
            ("target", self.target),
            ("targets_file", self.targets_file),
            ("task", self.task),
            ("submission", self.submission),
            ("metric", self.metric),
            ("target_transform", self.target_transform),
            ("positive_label", self.positive_label),
            ("class_columns", self.class_columns),
            ("step_column", self.step_column),
            ("features", self.features),
            ("group_column", self.group_column),
            ("time_column", self.time_column),
            ("drop_columns", self.drop_columns),
            ("model", self.model),
            ("cv", self.cv),
        ]
        quiet = {"targets_file", "step_column", "class_columns", "group_column", "time_column"}
        return [
            (key, guess)
            for key, guess in items
            if not (key in quiet and guess.value is None)
            and not (key == "positive_label" and guess.value is None)
            and not (key == "target_transform" and guess.value == "none")
            and not (key == "drop_columns" and not guess.value)
        ]


# -- files ----------------------------------------------------------------------------------------
def _csv_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.is_file() and p.suffix == ".csv")


def _find_sample(data_dir: Path, files: list[str]) -> str:
    if "sample_submission.csv" in files:
        return "sample_submission.csv"
    named = [f for f in files if "submission" in f.lower()]
    if len(named) == 1:  # sampleSubmission.csv, gender_submission.csv...
        return named[0]
    raise InitError(
        f"{data_dir / 'sample_submission.csv'} not found (CSV files there: {files or 'none'}): "
        "`kagglekit init` reads the sample submission to learn the id and target columns; "
        "copy the competition's sample_submission.csv into that folder."
    )


def _guess_sep(path: Path) -> Guess[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    sep = max(SEPARATORS, key=lambda s: counts[s])
    if counts[sep] == 0:
        sep = ","
    shown = {"\t": "a tab", ",": "commas"}.get(sep, f"{sep!r}")
    return Guess(sep, f"the header of {path.name} is separated by {shown}")


def _read(path: Path, sep: str, decimal: str = ".", nrows: int | None = MAX_ROWS) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=sep, decimal=decimal, nrows=nrows, low_memory=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InitError(f"Cannot read {path}: {exc}. Is it a CSV file?") from None


def _guess_decimal(frame: pd.DataFrame, sep: str) -> Guess[str]:
    if sep != ",":
        text = frame[[c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]]
        text = text.head(200)
        cells = text.stack().astype(str) if not text.empty else pd.Series(dtype=str)
        if len(cells) and cells.str.fullmatch(r"-?\d+,\d+").mean() > 0.5:
            return Guess(",", "numbers are written with a decimal comma (29,5)")
    return Guess(".", "numbers use a decimal point")


# -- columns ------------------------------------------------------------------------------------
def _match(name: str, columns: pd.Index) -> str | None:
    """The column called ``name``, ignoring case (Kaggle's ``Label`` vs ``label``)."""
    if name in columns:
        return name
    lower = {str(c).lower(): str(c) for c in columns}
    return lower.get(name.lower())


def _whole(values: pd.Series) -> bool:
    numeric = pd.to_numeric(values, errors="coerce")
    return bool(numeric.notna().all() and (numeric == np.round(numeric)).all())


def _is_binary01(values: pd.Series) -> bool:
    uniques = set(pd.unique(values.dropna()))
    return bool(uniques) and uniques <= {0, 1}  # True == 1, False == 0


@dataclass(frozen=True)
class _Targets:
    columns: tuple[str, ...]
    frame: pd.DataFrame  # the target values, one column per target
    file: str | None  # an extra targets file, or None when they are in train.csv
    class_columns: dict[str, Any] | None
    reason: str


def _find_targets(
    value_columns: list[str],
    train: pd.DataFrame,
    test: pd.DataFrame,
    extras: dict[str, pd.DataFrame],
    id_name: str,
    forced: tuple[str, ...],
) -> _Targets:
    if forced:
        missing = [c for c in forced if _match(c, train.columns) is None]
        for name, frame in extras.items():
            if not missing:
                break
            if all(_match(c, frame.columns) for c in forced) and _match(id_name, frame.columns):
                cols = tuple(str(_match(c, frame.columns)) for c in forced)
                return _Targets(cols, frame[list(cols)], name, None, f"--target, found in {name}")
        if missing:
            raise InitError(
                f"--target {missing[0]!r} is not a column of train.csv "
                f"({', '.join(map(str, train.columns[:20]))}...); check its spelling."
            )
        cols = tuple(str(_match(c, train.columns)) for c in forced)
        return _Targets(cols, train[list(cols)], None, None, "given by --target")

    found = [_match(c, train.columns) for c in value_columns]
    if value_columns and all(found):
        cols = tuple(str(c) for c in found)
        return _Targets(
            cols,
            train[list(cols)],
            None,
            None,
            f"the sample submission's value column(s) {list(value_columns)}, found in train.csv",
        )
    for name, frame in extras.items():
        matched = [_match(c, frame.columns) for c in value_columns]
        if value_columns and all(matched) and _match(id_name, frame.columns):
            cols = tuple(str(c) for c in matched)
            return _Targets(
                cols,
                frame[list(cols)],
                name,
                None,
                f"the sample submission's value column(s) {list(value_columns)}, found with "
                f"{id_name!r} in {name} (one row per id)",
            )
    if len(value_columns) >= 2:  # one probability column per class (Otto: Class_1..Class_9)
        wanted = {str(c) for c in value_columns}
        for name, frame in [("train.csv", train), *extras.items()]:
            for column in frame.columns:
                if column in test.columns or str(column) == id_name:
                    continue
                labels = pd.unique(frame[column].dropna())
                if len(labels) and {str(v) for v in labels} == wanted:
                    by_text = {str(v): v for v in labels}
                    mapping = {c: _plain(by_text[str(c)]) for c in value_columns}
                    return _Targets(
                        (str(column),),
                        frame[[column]],
                        None if name == "train.csv" else name,
                        mapping,
                        f"the sample submission's columns {list(value_columns)[:5]}... are the "
                        f"values of {name}'s {column!r}: one probability column per class",
                    )
    only = [c for c in train.columns if c not in test.columns and str(c) != id_name]
    if len(only) == 1 and len(value_columns) == 1:
        column = str(only[0])
        return _Targets(
            (column,),
            train[[column]],
            None,
            None,
            f"the only train.csv column missing from test.csv (the sample calls it "
            f"{value_columns[0]!r})",
        )
    raise InitError(
        f"The sample submission's column(s) {value_columns} are not columns of train.csv nor of "
        f"another CSV file with {id_name!r}; name the target column(s): --target COLUMN."
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _guess_task(frame: pd.DataFrame, forced: str | None) -> Guess[Task]:
    if forced:
        try:
            return Guess(Task.parse(forced), "given by --task")
        except ValueError as exc:
            raise InitError(f"--task {forced!r}: {exc}") from None
    if frame.shape[1] > 1:
        if all(_is_binary01(frame[c]) for c in frame.columns):
            return Guess(Task.MULTILABEL, f"{frame.shape[1]} target columns, each 0/1")
        if all(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns):
            return Guess(Task.REGRESSION, f"{frame.shape[1]} numeric target columns")
        raise InitError(
            f"Target columns {list(frame.columns)} mix text and numbers: say what to predict "
            "with --target COLUMN (and --task)."
        )
    values = frame.iloc[:, 0].dropna()
    column = frame.columns[0]
    k = int(values.nunique())
    shown = sorted(map(str, pd.unique(values)))[:4]
    if k == 2:
        return Guess(Task.BINARY, f"{column!r} holds 2 values ({', '.join(shown)})")
    if k < 2:
        raise InitError(
            f"Target {column!r} holds a single value in train.csv ({shown}): nothing to learn; "
            "is it the right column (--target COLUMN)?"
        )
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if not _whole(values):
            return Guess(Task.REGRESSION, f"{column!r} holds fractional numbers ({k} values)")
        if k > MAX_CLASSES:
            return Guess(Task.REGRESSION, f"{column!r} holds {k} distinct whole numbers")
        return Guess(
            Task.MULTICLASS,
            f"{column!r} holds {k} distinct whole numbers (<= {MAX_CLASSES}): class codes",
        )
    return Guess(Task.MULTICLASS, f"{column!r} holds {k} labels ({', '.join(shown)}...)")


def _guess_submission(
    task: Task, sample: pd.DataFrame, value_columns: list[str], targets: _Targets
) -> Guess[str]:
    if task is Task.REGRESSION:
        return Guess("value", "a regression submits the predicted values")
    if targets.class_columns is not None:
        return Guess("probability", "one sample column per class")
    values = sample[value_columns]
    numeric = all(pd.api.types.is_numeric_dtype(values[c]) for c in value_columns)
    if numeric and not all(_whole(values[c]) for c in value_columns):
        example = _plain(values.iloc[0, 0])
        return Guess("probability", f"the sample holds fractions ({example}): probabilities")
    if task is Task.MULTILABEL:
        return Guess("label", "the sample holds whole numbers: 0/1 labels per column")
    classes = {str(_plain(v)) for v in pd.unique(targets.frame.iloc[:, 0].dropna())}
    shown = sorted({str(_plain(v)) for v in pd.unique(values.iloc[:, 0])})[:3]
    if {str(_plain(v)) for v in pd.unique(values.iloc[:, 0])} <= classes:
        return Guess(
            "label",
            f"the sample holds class labels ({', '.join(shown)}); if the competition scores "
            "probabilities (AUC, log loss) set submission: probability",
        )
    return Guess("label", f"the sample holds whole numbers ({', '.join(shown)})")


DEFAULT_METRICS: dict[tuple[Task, str], tuple[str, str]] = {
    (Task.BINARY, "label"): ("accuracy", "the share of right labels"),
    (Task.BINARY, "probability"): ("roc_auc", "probabilities of a binary task: ROC AUC"),
    (Task.MULTICLASS, "label"): ("accuracy", "the share of right labels"),
    (Task.MULTICLASS, "probability"): ("log_loss", "class probabilities: multi-class log loss"),
    (Task.MULTILABEL, "label"): ("f1_micro", "0/1 labels per column: micro-averaged F1"),
    (Task.MULTILABEL, "probability"): ("roc_auc", "probabilities per column: mean ROC AUC"),
    (Task.REGRESSION, "value"): ("rmse", "the usual regression score: RMSE"),
}


def _skewness(values: pd.Series) -> float:
    numeric = pd.to_numeric(values, errors="coerce").dropna()
    return float(np.asarray(numeric.skew(), dtype=float)) if len(numeric) > 2 else 0.0


def _guess_metric(
    task: Task, submission: str, targets: _Targets, forced: str | None
) -> tuple[Guess[str], Guess[str]]:
    from kagglekit.metrics import get_metric

    skewed = False
    if task is Task.REGRESSION and targets.frame.shape[1] == 1:
        values = pd.to_numeric(targets.frame.iloc[:, 0], errors="coerce").dropna()
        skew = _skewness(values)
        skewed = bool(len(values) and values.min() >= 0 and skew > SKEWED)
    if forced:
        try:
            metric = get_metric(forced)
        except (ValueError, KeyError) as exc:
            raise InitError(f"--metric {forced!r}: {exc}") from None
        except KagglekitError as exc:
            raise InitError(f"--metric: {exc}") from None
        if metric.tasks is not None and task not in metric.tasks:
            allowed = sorted(name for (t, _), (name, _) in DEFAULT_METRICS.items() if t is task)
            raise InitError(
                f"--metric {forced!r} cannot score a {task.value} task; use e.g. "
                f"{', '.join(allowed)} (or --task to change the task)."
            )
        transform = "log1p" if forced == "rmsle" else "none"
        reason = "the model trains on log1p(target) to match rmsle" if transform == "log1p" else ""
        return Guess(forced, "given by --metric"), Guess(transform, reason)
    if skewed:
        skew = _skewness(targets.frame.iloc[:, 0])
        return (
            Guess(
                "rmsle",
                f"{targets.columns[0]!r} is positive and right-skewed (skewness {skew:.1f}): "
                "scored like Kaggle's price competitions, on log values",
            ),
            Guess("log1p", "the model trains on log1p(target); predictions are turned back"),
        )
    name, reason = DEFAULT_METRICS[(task, submission)]
    return Guess(name, f"{reason}; set the competition's own metric with --metric"), Guess(
        "none", ""
    )


def _guess_positive(task: Task, targets: _Targets, submission: str) -> Guess[Any]:
    """The positive class of a binary task with text labels (whose probability is predicted)."""
    if task is not Task.BINARY:
        return Guess(None, "")
    values = targets.frame.iloc[:, 0].dropna()
    labels = [_plain(v) for v in pd.unique(values)]
    if all(isinstance(v, (bool, int, float, np.bool_)) for v in labels):
        return Guess(None, "")
    text = {str(v).lower(): v for v in labels}
    for word, value in text.items():
        if word in POSITIVE_LABELS:
            return Guess(value, f"{value!r} reads as the positive class")
    negative = [v for w, v in text.items() if w in NEGATIVE_LABELS]
    if len(negative) == 1:
        positive = next(v for v in labels if v != negative[0])
        return Guess(positive, f"{negative[0]!r} reads as the negative class")
    if submission != "probability":
        return Guess(None, "")  # labels are submitted: which class is "positive" does not matter
    counts = values.value_counts()
    positive = _plain(counts.index[-1])
    return Guess(positive, f"the rarer class ({counts.iloc[-1]} of {len(values)} rows)")


# -- group and time columns -----------------------------------------------------------------------
def _guess_group(train: pd.DataFrame, test: pd.DataFrame, skip: set[str]) -> Guess[str | None]:
    for column in train.columns:
        name = str(column)
        if name in skip or not GROUP_NAME.search(name) or name not in test.columns:
            continue
        k = int(train[column].nunique())
        if 1 < k < 0.5 * len(train):
            return Guess(
                name,
                f"{name!r} repeats ({k} values over {len(train)} rows): rows of one group stay "
                "in one fold, so the CV score is that of unseen groups",
            )
    return Guess(None, "")


def _date_like(values: pd.Series) -> bool:
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return False
    head = values.dropna().astype(str).head(200)
    if head.empty or not head.str.contains(r"\d{1,4}[-/.:]\d{1,2}").all():
        return False
    parsed = pd.to_datetime(head, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.95)


def _guess_time(
    train: pd.DataFrame, test: pd.DataFrame, skip: set[str]
) -> tuple[Guess[str | None], bool]:
    """A date/time column, and whether the test rows come after the training rows."""
    for column in train.columns:
        name = str(column)
        if name in skip or name not in test.columns:
            continue
        values = train[column]
        if not _date_like(values):
            continue
        when = pd.to_datetime(values, errors="coerce", format="mixed")
        later = pd.to_datetime(test[column], errors="coerce", format="mixed")
        ordered = bool(when.is_monotonic_increasing)
        future = bool(later.min() >= when.max()) if later.notna().any() else False
        where = (
            "the test rows come after the training rows"
            if future
            else "test and training rows overlap in time"
        )
        if future and not ordered:
            where += " (train.csv is not in time order: sort it to use cv=timeseries)"
        return (
            Guess(
                name,
                f"{name!r} holds dates; {where}. Left out of the features (derive day/month "
                "columns from it if the season matters)",
            ),
            ordered and future,
        )
    return Guess(None, ""), False


def _unique_text(train: pd.DataFrame, skip: set[str]) -> list[str]:
    """Text columns with a different value in (almost) every row: names, ticket numbers."""
    out = []
    for column in train.columns:
        values = train[column]
        if str(column) in skip or pd.api.types.is_numeric_dtype(values) or len(values) < 50:
            continue
        text = values.dropna().astype(str)
        words = text.str.count(r"\s+").mean() + 1 if len(text) else 0
        if values.nunique() > 0.9 * len(values) and words < 5:
            out.append(str(column))
    return out


# -- model, cv, trainer -----------------------------------------------------------------------------
def _guess_cv(task: Task, group: str | None, timely: bool) -> Guess[str]:
    if timely:
        return Guess(
            "timeseries",
            "the test rows follow the training rows in time: each fold validates on later rows",
        )
    if group:
        if task in (Task.BINARY, Task.MULTICLASS):
            return Guess("stratified_group", f"groups in {group!r} and class proportions kept")
        return Guess("group", f"rows of one {group!r} stay in one fold")
    return {
        Task.BINARY: Guess("stratified", "classification: each fold keeps the class proportions"),
        Task.MULTICLASS: Guess(
            "stratified", "classification: each fold keeps the class proportions"
        ),
        Task.MULTILABEL: Guess(
            "multilabel_stratified", "several 0/1 targets: iterative stratification"
        ),
        Task.REGRESSION: Guess("kfold", "regression: shuffled k-fold"),
    }[task]


def _guess_trainer(features: Features, n: int) -> tuple[Guess[int], Guess[int]]:
    if features.kind in ("wide_series", "long_series"):
        batch = 16 if n < 1000 else 64
        return (
            Guess(100, "series: up to 100 epochs, early stopping ends sooner"),
            Guess(batch, f"{n} training series"),
        )
    batch = 32 if n < 2000 else 64 if n < 20_000 else 256
    epochs = 30 if features.kind in ("text", "images") else 50
    return (
        Guess(epochs, "early stopping ends the fold sooner when validation stops improving"),
        Guess(batch, f"{n} training rows"),
    )


# -- the whole guess ------------------------------------------------------------------------------
def inspect_competition(
    name: str,
    data_dir: Path | str,
    *,
    metric: str | None = None,
    target: tuple[str, ...] = (),
    task: str | None = None,
) -> Inference:
    """Read the competition's files in ``data_dir`` and guess its config (see module doc)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ConfigError(
            f"Competition name {name!r}: use letters, digits, '_', '-' or '.' (it names the "
            "config file and the run folders)."
        )
    shown_dir = str(data_dir)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InitError(
            f"Data folder {data_dir} does not exist; pass --data <folder with train.csv>."
        )
    files = _csv_files(data_dir)
    for required in ("train.csv", "test.csv"):
        if required not in files:
            raise InitError(
                f"{data_dir / required} not found (CSV files there: {files or 'none'}): "
                "`kagglekit init` needs Kaggle's train.csv, test.csv and sample_submission.csv "
                "in --data DIR."
            )
    sample_file = _find_sample(data_dir, files)
    sep = _guess_sep(data_dir / "train.csv")
    train = _read(data_dir / "train.csv", sep.value)
    decimal = _guess_decimal(train, sep.value)
    if decimal.value != ".":
        train = _read(data_dir / "train.csv", sep.value, decimal.value)
    test = _read(data_dir / "test.csv", sep.value, decimal.value)
    sample = _read(data_dir / sample_file, sep.value, decimal.value)
    if sample.shape[1] < 2:
        raise InitError(
            f"{data_dir / sample_file} has {sample.shape[1]} column(s); a sample submission has "
            "an id column and at least one value column."
        )
    extras = {
        f: _read(data_dir / f, sep.value, decimal.value)
        for f in files
        if f not in ("train.csv", "test.csv", sample_file)
    }
    id_name = str(sample.columns[0])
    value_columns = [str(c) for c in sample.columns[1:]]

    targets = _find_targets(value_columns, train, test, extras, id_name, target)
    test_id = _match(id_name, test.columns)
    train_id = _match(id_name, train.columns)
    notes: list[str] = []
    if test_id is None:
        if targets.file is not None:
            raise InitError(
                f"test.csv has no column {id_name!r} (the sample submission's id), but the "
                f"targets are in {targets.file}, keyed by it: add the id column to test.csv."
            )
        id_column: Guess[str | None] = Guess(
            None,
            f"test.csv has no column {id_name!r}: its rows line up with the sample submission "
            "by position (as in Digit Recognizer)",
        )
        if len(test) != len(sample) and len(test) < MAX_ROWS:
            notes.append(
                f"test.csv has {len(test)} rows but the sample submission {len(sample)}: "
                "check that they line up row by row."
            )
    else:
        in_train = "" if train_id else " (not in train.csv)"
        id_column = Guess(
            test_id, f"the sample submission's first column, found in test.csv{in_train}"
        )
    submission_id: Guess[str | None] = Guess(None, "")
    if test_id is not None and test_id != id_name:
        submission_id = Guess(id_name, f"the sample spells the id {id_name!r}")

    step: Guess[str | None] = Guess(None, "")
    key = id_column.value
    repeats = bool(key and key in train.columns and train[key].duplicated().any())
    if key and (repeats or targets.file is not None):
        from kagglekit.init.kinds import guess_step_column

        step = guess_step_column(train, key, exclude=set(targets.columns))
        if step.value is None and targets.file is not None:
            raise InitError(
                f"The targets are in {targets.file} (one row per {key!r}) but train.csv has no "
                f"step column ordering the rows of one {key!r}; add one (0, 1, 2...)."
            )
    if step.value is not None:
        # one row per series: the targets file's rows, or the first row of each id
        series_targets = targets.frame
        if targets.file is None:
            series_targets = train.drop_duplicates(key)[list(targets.columns)]
        targets = _Targets(
            targets.columns, series_targets, targets.file, targets.class_columns, targets.reason
        )
    task_guess = _guess_task(targets.frame, task)
    submission = _guess_submission(task_guess.value, sample, value_columns, targets)
    metric_guess, transform = _guess_metric(task_guess.value, submission.value, targets, metric)
    positive = _guess_positive(task_guess.value, targets, submission.value)

    skip = {*targets.columns, *(c for c in (id_column.value, step.value) if c)}
    group = _guess_group(train, test, skip)
    if group.value:
        skip.add(group.value)
    time, timely = _guess_time(train, test, skip)
    drop = [time.value] if time.value else []
    unique = _unique_text(train, skip | set(drop))
    drop_reason = []
    if time.value:
        drop_reason.append(time.reason)
    if unique:
        drop_reason.append(
            f"{', '.join(repr(c) for c in unique)}: a different text in (almost) every row, "
            "an identifier rather than a feature"
        )
    drop += unique
    features = guess_features(
        train,
        test,
        data_dir=data_dir,
        id_column=id_column.value,
        step_column=step.value,
        skip=skip | set(drop),
    )
    n_rows = len(targets.frame)
    epochs, batch = _guess_trainer(features.value, n_rows)
    return Inference(
        name=name,
        data_dir=shown_dir,
        train_file="train.csv",
        test_file="test.csv",
        sample_submission_file=sample_file,
        sep=sep,
        decimal=decimal,
        id_column=id_column,
        submission_id_column=submission_id,
        target=Guess(targets.columns, targets.reason),
        targets_file=Guess(
            targets.file, f"the targets are there, one row per {key!r}" if targets.file else ""
        ),
        step_column=step,
        task=task_guess,
        submission=submission,
        metric=metric_guess,
        target_transform=transform,
        positive_label=positive,
        class_columns=Guess(
            targets.class_columns,
            "submission column -> class label" if targets.class_columns else "",
        ),
        features=features,
        group_column=group,
        time_column=time,
        drop_columns=Guess(tuple(drop), "; ".join(drop_reason)),
        model=Guess(features.value.model, features.value.model_reason),
        cv=_guess_cv(task_guess.value, group.value, timely),
        epochs=epochs,
        batch_size=batch,
        n_train=n_rows,
        notes=tuple(notes),
    )
