"""Cross-checks of a run's parts before the first fold: task, metric, loss, submission, folds.

Each refusal is one line naming the key or file, the value and the fix, raised before any
training (the loading-level checks of the files themselves are in :mod:`kagglekit.data.loading`).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from kagglekit.competition import CompetitionSpec, Task
from kagglekit.data.loading import DataError, sample_id_column
from kagglekit.errors import ConfigError
from kagglekit.metrics import Metric
from kagglekit.models.specs import OutputSpec
from kagglekit.tasks import SingleLabelTask, TargetTask

log = logging.getLogger(__name__)

# losses that do not fit an output activation, and the loss to use instead
_CATEGORICAL = {
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
}
_CLASSIFICATION = _CATEGORICAL | {
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "hinge",
    "squared_hinge",
}
WRONG_LOSSES: dict[str, tuple[set[str], str]] = {
    # a sigmoid head (binary, multilabel) predicts independent 0/1 probabilities
    "sigmoid": (_CATEGORICAL, "binary_crossentropy"),
    # a softmax head is trained on class indices (y is 0..k-1, not one-hot)
    "softmax": (
        _CLASSIFICATION - {"sparse_categorical_crossentropy"},
        "sparse_categorical_crossentropy",
    ),
    # a linear head predicts values
    "linear": (_CLASSIFICATION, "mean_squared_error"),
}
_ALIASES = ("mse", "mae", "mape", "msle", "kld", "logcosh")


def closest_first(name: str, valid: Iterable[str]) -> list[str]:
    """``valid`` sorted by similarity to ``name`` (the most similar first)."""
    return sorted(valid, key=lambda v: (-difflib.SequenceMatcher(None, name.lower(), v).ratio(), v))


def loss_names() -> list[str]:
    import keras

    names = [
        n
        for n in dir(keras.losses)
        if n.islower() and not n.startswith("_") and n not in ("get", "serialize", "deserialize")
    ]
    return sorted({*names, *(a for a in _ALIASES if _is_loss(a))})


def _is_loss(name: str) -> bool:
    import keras

    try:
        keras.losses.get(name)
    except (ValueError, TypeError):
        return False
    return True


def _canonical_loss(name: str) -> str:
    import keras

    function = keras.losses.get(name)
    return str(getattr(function, "__name__", name))


def check_loss(loss: Any, outputs: Sequence[OutputSpec], task: Task) -> None:
    """``trainer.loss``: a known name that fits each output head (a dict: per head)."""
    if loss is None:
        return
    per_head: Mapping[str, Any] = (
        loss if isinstance(loss, Mapping) else {o.name: loss for o in outputs}
    )
    for output in outputs:
        value = per_head.get(output.name)
        if not isinstance(value, str) or ">" in value:
            continue  # the task's default, a loss object built with _target_, or a registered one
        key = "trainer.loss" if not isinstance(loss, Mapping) else f"trainer.loss.{output.name}"
        if not _is_loss(value):
            valid = closest_first(value, loss_names())
            raise ConfigError(
                f"{key}={value!r} is not a Keras loss. Valid (closest first): {valid}."
            )
        wrong, instead = WRONG_LOSSES.get(output.activation, (set(), ""))
        if _canonical_loss(value) in wrong or value in wrong:
            raise ConfigError(
                f"{key}={value!r} does not fit a {task.value} task (its {output.name!r} head has "
                f"{output.units} {output.activation} unit(s)): use {key}={instead} or drop the "
                "override (the task's default loss)."
            )


def check_metric(metric: Metric, task: Task) -> None:
    """``competition.metric`` fits the task (rmse scores values, accuracy scores labels)."""
    if metric.tasks is None or task in metric.tasks:
        return
    from kagglekit.metrics import METRICS

    fitting = sorted(n for n, m in METRICS.items() if m.tasks is None or task in m.tasks)
    raise ConfigError(
        f"competition.metric={metric.name!r} does not fit a {task.value} task (it scores "
        f"{', '.join(sorted(t.value for t in metric.tasks))} tasks). Metrics for "
        f"{task.value}: {fitting}."
    )


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_label_kind(spec: CompetitionSpec, task: TargetTask, sample: pd.DataFrame) -> None:
    """Class labels of the kind the sample submission holds: ``yes``/``no`` where the sample
    holds ``0`` would be rejected by Kaggle (or scored as all wrong)."""
    if spec.submission != "label" or not isinstance(task, SingleLabelTask):
        return
    id_column = sample_id_column(spec, sample)
    classes = list(task.classes)
    for column in [c for c in sample.columns if c != id_column]:
        values = sample[column].dropna()
        if values.empty:
            continue
        sample_numeric = pd.api.types.is_numeric_dtype(values) or all(
            _is_number(v) for v in values.unique()[:100]
        )
        labels_numeric = all(_is_number(c) for c in classes)
        if sample_numeric == labels_numeric:
            continue
        example = values.iloc[0]
        example = example.item() if hasattr(example, "item") else example
        target = spec.target[0]
        if sample_numeric:
            fix = (
                f"recode {target!r} in {spec.train_file} to the sample's values (e.g. "
                + ", ".join(f"{c!r} -> {i}" for i, c in enumerate(classes[:4]))
                + ")"
            )
        else:
            fix = f"recode {target!r} in {spec.train_file} to the sample's labels"
        raise DataError(
            f"{spec.sample_submission_path}: column {column!r} holds "
            f"{'numbers' if sample_numeric else 'text'} ({example!r}) but the target {target!r} of "
            f"{spec.train_file} holds labels {classes[:10]}: the submission would not be in the "
            f"sample's value type. Fix: {fix}."
        )


def check_fold_selection(selected: Sequence[int] | None, n_folds: int) -> None:
    """``trainer.folds``: null (every fold) or fold numbers that exist."""
    if selected is None:
        return
    valid = list(range(n_folds))
    chosen = list(selected)
    unknown = [k for k in chosen if not isinstance(k, int) or isinstance(k, bool) or k not in valid]
    if not chosen or unknown:
        what = "selects no fold" if not chosen else f"names fold(s) {unknown} that do not exist"
        raise ConfigError(
            f"trainer.folds={chosen} {what}: the valid fold numbers are {valid} "
            f"({n_folds} folds); name some of them, or set trainer.folds=null for every fold."
        )


def warn_constant_columns(spec: CompetitionSpec, preprocessor: Any, train: pd.DataFrame) -> None:
    """Name the feature columns that the preprocessor drops (all missing or constant in train)."""
    find = getattr(preprocessor, "constant_columns", None)
    if find is None:
        return
    columns = find(train)
    if columns:
        log.warning(
            "%s: column(s) %s are all missing or constant in the training rows: dropped from "
            "the features (their test values are ignored).",
            spec.train_path,
            columns,
        )


def check_run(
    spec: CompetitionSpec,
    task: TargetTask,
    metric: Metric,
    loss: Any,
    sample: pd.DataFrame,
    train: pd.DataFrame,
) -> None:
    """Every cross-check that needs no fold: metric and loss against the task, the labels
    against the sample submission's value type, and the columns that will be dropped."""
    check_metric(metric, spec.task)
    check_loss(loss, task.outputs(), spec.task)
    check_label_kind(spec, task, sample)
    warn_constant_columns(spec, spec.features(), train)
