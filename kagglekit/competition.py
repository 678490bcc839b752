"""The competition spec: files, columns, task type, metric and submission format.

A competition is declared in ``conf/competition/<name>.yaml``; Hydra builds a
:class:`CompetitionSpec` from it at the entry point, and library code receives the typed spec.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kagglekit.errors import ConfigError

SubmissionKind = Literal["label", "probability", "value"]
Heads = Literal["single", "per_target"]
HEADS: tuple[Heads, ...] = ("single", "per_target")


def check_heads(heads: str) -> Heads:
    """``heads`` is a layout of output heads; raises ``ValueError`` naming the choices."""
    if heads not in HEADS:
        raise ValueError(
            f"heads={heads!r}; expected 'single' (one output head) or 'per_target' (one head per "
            "target column)."
        )
    return heads


class Task(enum.StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    MULTILABEL = "multilabel"
    REGRESSION = "regression"

    @classmethod
    def parse(cls, value: str | Task) -> Task:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise ConfigError(f"Unknown task {value!r}; expected one of: {allowed}.") from None


@dataclass(frozen=True)
class CompetitionSpec:
    """Everything particular to one competition.

    Attributes:
        name: short name, used for the data folder and the run directory.
        task: binary, multiclass, multilabel or regression.
        target: target column name(s) in the training file.
        metric: a name from :mod:`kagglekit.metrics` (``accuracy``, ``roc_auc``, ``rmse``...).
        features: factory of a fresh, unfitted preprocessor (``_partial_: true`` in YAML).
        data_dir: folder holding the files (default ``data/<name>``).
        id_column: id column of train/test files; ``None`` when the test rows line up with
            ``sample_submission.csv`` by position (Kaggle's Digit Recognizer).
        submission: ``label`` (class labels), ``probability`` or ``value`` (regression).
        submission_id_column: id column of ``sample_submission.csv`` (default: its first column).
        group_column: column holding groups for Group/StratifiedGroup k-fold.
        drop_columns: columns never used as features (besides id, target and group).
        positive_label: for binary tasks, the label whose probability is predicted.
        threshold: probability above which a binary/multilabel prediction becomes label 1.
        class_columns: for multiclass probability submissions, submission column -> class label
            (default: the submission's columns in the order of the sorted classes).
        target_transform: ``log1p`` trains a regression on log1p(target) and inverts predictions.
        prepare: optional callable ``prepare(data_dir)`` that writes the files of a shipped
            example competition on first use.
        step_column: set for the *long* layout, where the train/test files hold one row per
            time step: the rows sharing an ``id_column`` value form one series, ordered by this
            column, and are loaded as one row per series (see :mod:`kagglekit.data.layout`).
        targets_file: a file of ``id_column`` + target column(s), one row per id (Kaggle's
            ``y_train.csv``), when the targets are not in the train file.
        heads: ``single`` (one output head) or ``per_target`` (one head per target column,
            each with its own loss and loss weight; for multi-output models).
        id_is_feature: keep the id column among the features, for preprocessors that need it
            (image files named by id).
        sep: the field separator of the CSV files (``;`` or ``\t`` for files saved so).
        decimal: the decimal mark of numbers in the CSV files (``,`` for ``29,5``).
        na_values: cell texts read as missing values besides pandas' defaults (``""``,
            ``NA``, ``NaN``...), e.g. ``[unknown, "?"]``.
        kaggle_slug: the competition's name on Kaggle (``kaggle.com/competitions/<slug>``),
            where ``kagglekit submit`` sends the submission; ``--competition`` overrides it.
    """

    name: str
    task: Task
    target: tuple[str, ...]
    metric: str
    features: Callable[[], Any]
    data_dir: Path
    train_file: str = "train.csv"
    test_file: str = "test.csv"
    sample_submission_file: str = "sample_submission.csv"
    id_column: str | None = None
    submission: SubmissionKind = "label"
    submission_id_column: str | None = None
    group_column: str | None = None
    drop_columns: tuple[str, ...] = ()
    positive_label: Any = None
    threshold: float = 0.5
    class_columns: dict[str, Any] | None = None
    target_transform: Literal["none", "log1p"] = "none"
    prepare: Callable[[Path], Any] | None = None
    heads: Heads = "single"
    id_is_feature: bool = False
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    step_column: str | None = None
    targets_file: str | None = None
    sep: str = ","
    decimal: str = "."
    na_values: tuple[str, ...] = ()
    kaggle_slug: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "task", Task.parse(self.task))
        target: str | Sequence[str] = self.target
        set_(self, "target", (target,) if isinstance(target, str) else tuple(target))
        if not self.target:
            raise ConfigError(f"Competition {self.name!r}: `target` names no column.")
        set_(self, "data_dir", Path(self.data_dir))
        set_(self, "drop_columns", tuple(self.drop_columns))
        na_values: str | Sequence[str] = self.na_values
        set_(self, "na_values", (na_values,) if isinstance(na_values, str) else tuple(na_values))
        if not self.sep or len(self.decimal) != 1:
            raise ConfigError(
                f"Competition {self.name!r}: sep={self.sep!r}, decimal={self.decimal!r}; the "
                "separator must be non-empty and the decimal mark one character."
            )
        if self.submission not in ("label", "probability", "value"):
            raise ConfigError(
                f"Competition {self.name!r}: submission={self.submission!r}; "
                "expected 'label', 'probability' or 'value'."
            )
        if self.task is Task.REGRESSION and self.submission != "value":
            set_(self, "submission", "value")
        if self.task is not Task.REGRESSION and self.submission == "value":
            raise ConfigError(
                f"Competition {self.name!r}: submission='value' is for regression; "
                f"a {self.task.value} task submits 'label' or 'probability'."
            )
        if self.task in (Task.BINARY, Task.MULTICLASS) and len(self.target) != 1:
            raise ConfigError(
                f"Competition {self.name!r}: a {self.task.value} task has one target column, "
                f"got {list(self.target)}. Use task: multilabel for several binary targets."
            )
        if (self.step_column is not None or self.targets_file is not None) and not self.id_column:
            option = "step_column" if self.step_column is not None else "targets_file"
            raise ConfigError(
                f"Competition {self.name!r}: {option} needs `id_column` (the series/row id that "
                "ties the rows together); set it in the competition config."
            )
        try:
            check_heads(self.heads)
        except ValueError as exc:
            raise ConfigError(f"Competition {self.name!r}: {exc}") from None
        if self.id_is_feature and self.id_column is None:
            raise ConfigError(
                f"Competition {self.name!r}: id_is_feature=true needs an `id_column`."
            )
        if self.target_transform not in ("none", "log1p"):
            raise ConfigError(
                f"Competition {self.name!r}: target_transform={self.target_transform!r}; "
                "expected 'none' or 'log1p'."
            )

    @property
    def train_path(self) -> Path:
        return self.data_dir / self.train_file

    @property
    def test_path(self) -> Path:
        return self.data_dir / self.test_file

    @property
    def sample_submission_path(self) -> Path:
        return self.data_dir / self.sample_submission_file

    @property
    def targets_path(self) -> Path | None:
        return None if self.targets_file is None else self.data_dir / self.targets_file

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file the competition reads (the targets file too when it has one)."""
        optional = () if self.targets_path is None else (self.targets_path,)
        return self.train_path, self.test_path, self.sample_submission_path, *optional
