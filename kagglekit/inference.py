"""What a run needs to predict without its training data (``inference.json``) and the test side.

``inference.json`` (in the run directory, written when training starts) holds the target
encoding (task, classes, transform, threshold, heads), the feature columns the folds were trained
on, and the sample submission's header, so that ``kagglekit predict RUN --test FILE`` needs
neither ``train.csv`` nor the competition's ``data_dir``. With each fold's stored preprocessing
(:mod:`kagglekit.data.state`) and weights, the run directory is self-contained.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd

from kagglekit.competition import CompetitionSpec, Task
from kagglekit.data.layout import STEP_SEPARATOR, to_series_rows
from kagglekit.data.loading import (
    CompetitionData,
    DataError,
    _first_column,
    check_finite,
    check_ids,
    check_ids_match_sample,
    check_numbered_columns,
    check_numeric_text,
    read_options,
    read_table,
    require_columns,
    sample_id_column,
)
from kagglekit.data.state import PreprocessingStateError, state_digest
from kagglekit.errors import KagglekitError
from kagglekit.files import read_json, write_json
from kagglekit.tasks import TASKS, TargetTask

if TYPE_CHECKING:
    from kagglekit.parts import RunParts

log = logging.getLogger(__name__)

FORMAT = 1
INFERENCE_FILE = "inference.json"


@dataclass(frozen=True)
class SampleHeader:
    """The sample submission's shape: its columns, id column, value types and, for a test file
    without ids, the first of its consecutive ids (``ImageId`` 1, 2, ...)."""

    columns: tuple[str, ...]
    id_column: str
    dtypes: dict[str, str]
    first_id: int | None = None

    @classmethod
    def of(cls, sample: pd.DataFrame, id_column: str) -> SampleHeader:
        ids = pd.to_numeric(sample[id_column], errors="coerce")
        first = None
        if ids.notna().all() and len(ids):
            start = int(ids.iloc[0])
            consecutive = np.arange(start, start + len(ids))
            if np.array_equal(ids.to_numpy(), consecutive) and sample[id_column].astype(
                str
            ).tolist() == [str(i) for i in consecutive]:
                first = start
        return cls(
            columns=tuple(str(c) for c in sample.columns),
            id_column=id_column,
            dtypes={str(c): str(sample[c].dtype) for c in sample.columns if c != id_column},
            first_id=first,
        )

    def frame(self, test_ids: pd.Series | None, n_rows: int) -> pd.DataFrame:
        """A sample submission for ``n_rows`` test rows (values are placeholders of its types)."""
        if test_ids is not None:
            ids = test_ids.astype(str).to_numpy()
        elif self.first_id is not None:
            ids = np.asarray([str(self.first_id + i) for i in range(n_rows)], dtype=object)
        else:
            raise InferenceError(
                "The test file has no id column and the run's sample submission ids are not "
                "consecutive numbers: pass its sample submission (--sample-submission FILE)."
            )
        columns: dict[str, Any] = {}
        for column in self.columns:
            if column == self.id_column:
                columns[column] = ids
            else:
                columns[column] = _placeholder(self.dtypes.get(column, "object"), len(ids))
        return pd.DataFrame(columns)


def _placeholder(dtype: str, n: int) -> np.ndarray:
    if dtype.startswith(("int", "uint", "Int")):
        return np.zeros(n, dtype="int64")
    if dtype.startswith("float"):
        return np.zeros(n, dtype="float64")
    if dtype == "bool":
        return np.zeros(n, dtype=bool)
    return np.full(n, "", dtype=object)


class InferenceError(KagglekitError, ValueError):
    """The run cannot predict this test file on its own; the message says what to pass."""


@dataclass(frozen=True)
class InferenceInfo:
    """The contents of ``inference.json``."""

    task: TargetTask
    feature_columns: tuple[str, ...]
    sample: SampleHeader

    def to_json(self) -> dict[str, Any]:
        body = {
            "format": FORMAT,
            "targets": encoding_json(self.task),
            "features": {"columns": list(self.feature_columns)},
            "sample_submission": {
                "columns": list(self.sample.columns),
                "id_column": self.sample.id_column,
                "dtypes": self.sample.dtypes,
                "first_id": self.sample.first_id,
            },
        }
        return {**body, "sha256": state_digest(body)}

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> InferenceInfo:
        body = {k: v for k, v in data.items() if k != "sha256"}
        if body.get("format") != FORMAT:
            raise InferenceError(
                f"{path} has format {body.get('format')!r}; this kagglekit reads format {FORMAT}."
            )
        if state_digest(body) != data.get("sha256"):
            raise PreprocessingStateError(
                f"{path} was edited after training (digest differs). Restore it as the run "
                "wrote it."
            )
        sample = body["sample_submission"]
        task = encoding_from_json(body["targets"])
        header = SampleHeader(
            columns=tuple(sample["columns"]),
            id_column=str(sample["id_column"]),
            dtypes=dict(sample["dtypes"]),
            first_id=sample.get("first_id"),
        )
        return cls(task, tuple(body["features"]["columns"]), header)


def encoding_json(task: TargetTask) -> dict[str, Any]:
    """The fitted task as JSON: its kind and its fields (target columns, classes in their
    encoded order, regression transform, threshold, output heads)."""
    fields = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)}
    return {
        "task": task.kind.value,
        **{k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()},
    }


def encoding_from_json(targets: dict[str, Any]) -> TargetTask:
    """The task of :func:`encoding_json`, as fitted on the training targets."""
    kind = TASKS[Task.parse(targets["task"])]
    fields: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in targets.items() if k != "task"
    }
    return kind(**fields)


def write_inference_info(
    run_dir: Path, spec: CompetitionSpec, task: TargetTask, data: CompetitionData
) -> Path:
    """``inference.json`` of a run about to train on ``data``."""
    sample = data.sample_submission
    info = InferenceInfo(
        task=task,
        feature_columns=tuple(str(c) for c in data.train.columns),
        sample=SampleHeader.of(sample, sample_id_column(spec, sample)),
    )
    return write_json(Path(run_dir) / INFERENCE_FILE, info.to_json())


def read_inference_info(run_dir: Path) -> InferenceInfo | None:
    """The run's ``inference.json``; ``None`` for a run trained before it was written."""
    path = Path(run_dir) / INFERENCE_FILE
    if not path.is_file():
        return None
    try:
        data = read_json(path)
    except (OSError, ValueError) as exc:
        raise InferenceError(f"{path} is unreadable ({exc}).") from exc
    return InferenceInfo.from_json(data, path)


@dataclass(frozen=True)
class TestSide:
    """The test rows of a run's features, the sample submission and the test ids."""

    test: pd.DataFrame
    sample_submission: pd.DataFrame
    test_ids: pd.Series | None


_STEP = re.compile(rf"^.+{re.escape(STEP_SEPARATOR)}(\d+)$")


def _long_width(columns: Sequence[str]) -> int:
    """The number of steps the training frame's wide columns had (long layout)."""
    steps = [int(m.group(1)) for c in columns if (m := _STEP.match(c))]
    return max(steps) + 1 if steps else 0


def load_test_side(
    spec: CompetitionSpec, info: InferenceInfo, *, sample_given: bool = False
) -> TestSide:
    """Read ``spec.test_path`` (and its sample submission) without the training files.

    The test file gets the checks training gives it (ids, numbers, the training's feature
    columns). Without a sample submission file (none given and the run's one is gone), one is
    built from the test ids and the header stored at training.
    """
    if not spec.test_path.is_file():
        raise InferenceError(
            f"Test file {spec.test_path} not found: pass the file to predict with --test FILE."
        )
    options = read_options(spec)
    ids = [spec.id_column] if spec.id_column else []
    test = read_table(spec.test_path, options, ids)
    skip = {*spec.target, *spec.drop_columns}
    skip.update(c for c in (spec.id_column, spec.group_column, spec.step_column) if c)
    columns = [c for c in test.columns if c not in skip]
    check_numeric_text(test, columns, spec.test_path)
    check_finite(test, columns, spec.test_path)
    if spec.step_column is not None and spec.id_column is not None:
        test = to_series_rows(
            test,
            id_column=spec.id_column,
            step_column=spec.step_column,
            per_series=[spec.group_column] if spec.group_column else [],
            drop=spec.drop_columns,
            n_steps=_long_width(info.feature_columns),
            path=spec.test_path,
        )
    test_ids = None
    if spec.id_column is not None:
        require_columns(test, [spec.id_column], spec.test_path, "id")
        test_ids = test[spec.id_column].reset_index(drop=True)
        check_ids(test_ids, spec.id_column, spec.test_path)
    features = list(info.feature_columns)
    check_numbered_columns(features, [str(c) for c in test.columns], spec)
    missing = [c for c in features if c not in test.columns]
    if missing:
        raise DataError(
            f"{spec.test_path}: feature column(s) {missing[:20]} the run was trained on are "
            "missing from the test file."
        )
    extra = [c for c in test.columns if c not in features and c not in skip]
    if extra:
        log.warning(
            "%s: ignoring column(s) absent from the training file: %s", spec.test_path, extra
        )
    sample = _sample(spec, info, test_ids, len(test), sample_given)
    if test_ids is not None:
        column = sample_id_column(spec, sample)
        check_ids_match_sample(test_ids, sample[column], spec, column)
    return TestSide(
        test=test[features].reset_index(drop=True), sample_submission=sample, test_ids=test_ids
    )


def _sample(
    spec: CompetitionSpec,
    info: InferenceInfo,
    test_ids: pd.Series | None,
    n_rows: int,
    given: bool,
) -> pd.DataFrame:
    path = spec.sample_submission_path
    if given or path.exists():
        options = read_options(spec)
        sample_ids = [spec.submission_id_column] if spec.submission_id_column else []
        if not sample_ids and path.suffix.lower() not in (".parquet", ".pq"):
            sample_ids = [_first_column(path, options.sep)]
        sample = read_table(path, options, sample_ids)
        column = sample_id_column(spec, sample)
        require_columns(sample, [column], path, "id")
        check_ids(sample[column], column, path)
        return sample
    log.info(
        "%s not found: the sample submission is built from the test file's %s and the header "
        "stored in the run (%s).",
        path,
        f"ids ({spec.id_column})" if test_ids is not None else "rows",
        list(info.sample.columns),
    )
    return info.sample.frame(test_ids, n_rows)


def predict_fold(
    parts: RunParts,
    task: TargetTask,
    weights: Path,
    preprocessor: Any,
    frames: Sequence[pd.DataFrame],
) -> list[np.ndarray]:
    """Predictions of ``frames`` by a fold's ``weights`` with its restored ``preprocessor``
    (under the run's precision and distribution, as in training)."""
    from kagglekit.training.crossval import FoldStateError, build_fold_model, fold_scope
    from kagglekit.training.fit import predict

    keras.backend.clear_session()
    with fold_scope(parts.settings):
        model = build_fold_model(parts, task, preprocessor)
        model.optimizer.build(model.trainable_variables)  # checkpoints hold the optimizer too
        try:
            model.load_weights(str(weights))
        except (OSError, ValueError) as exc:
            raise FoldStateError(
                f"Cannot load {weights} ({exc}): it does not fit the stored preprocessing and "
                "config. Restore the run's files as training wrote them."
            ) from exc
        batch = parts.settings.predict_batch_size
        return [
            task.to_predictions(predict(model, preprocessor.transform(f), batch)) for f in frames
        ]
