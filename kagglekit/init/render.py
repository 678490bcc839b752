"""An :class:`~kagglekit.init.inspect.Inference` as a competition YAML, each guess commented."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import Any

import yaml

from kagglekit.init.inspect import Guess, Inference

WIDTH = 96


def scalar(value: Any) -> str:
    """``value`` as one YAML flow value (quoted where YAML would misread it)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True)
    text = text.strip()
    return text[: -len("...")].strip() if text.endswith("...") else text


def _comment(text: str, indent: str) -> list[str]:
    if not text:
        return []
    lines = textwrap.wrap(
        text, WIDTH - len(indent) - 2, break_long_words=False, break_on_hyphens=False
    )
    return [f"{indent}# {line}" for line in lines]


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: str = "") -> None:
        self.lines.extend(_comment(text, indent))

    def key(self, key: str, value: Any, why: str = "", indent: str = "  ") -> None:
        """``key: value`` with its reason above it; dicts are written as nested blocks."""
        self.comment(why, indent)
        if isinstance(value, dict):
            self.lines.append(f"{indent}{key}:")
            for k, v in value.items():
                self.key(k, v, indent=indent + "  ")
        else:
            self.lines.append(f"{indent}{key}: {scalar(value)}")

    def guess(self, key: str, guess: Guess[Any], indent: str = "  ") -> None:
        self.key(key, guess.value, guess.reason, indent)

    def blank(self) -> None:
        self.lines.append("")


def _features(writer: _Writer, params: dict[str, Any], comments: dict[str, str], path: str) -> None:
    indent = "  " * (2 + (path.count(".") + 1 if path else 0))
    for key, value in params.items():
        dotted = f"{path}.{key}" if path else key
        why = comments.get(dotted, "") if key != "_target_" else ""
        if isinstance(value, dict):
            writer.comment(why, indent)
            writer.lines.append(f"{indent}{key}:")
            _features(writer, value, comments, dotted)
        else:
            writer.key(key, value, why, indent)


def render_yaml(inference: Inference, *, command: str = "") -> str:
    """The competition config file's text (a Hydra ``@package _global_`` config)."""
    inf = inference
    w = _Writer()
    w.lines.append("# @package _global_")
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    w.comment(
        f"Written by `{command or f'kagglekit init {inf.name} --data {inf.data_dir}'}` on {when} "
        "from the files in that folder. Each guess has its reason above it: change what you "
        "know better (the competition's metric above all), then:"
    )
    w.lines.append(f"#   kagglekit train competition={inf.name}")
    for note in inf.notes:
        w.comment(f"Check: {note}")
    w.lines.append("defaults:")
    w.comment(inf.model.reason, "  ")
    w.lines.append(f"  - override /model: {inf.model.value}")
    w.comment(inf.cv.reason, "  ")
    w.lines.append(f"  - override /cv: {inf.cv.value}")
    w.blank()

    features = inf.features.value
    w.lines.append("competition:")
    w.key("_target_", "kagglekit.competition.CompetitionSpec")
    w.key("name", inf.name)
    w.key(
        "description", f"{inf.name}: {inf.task.value.value}, {features.kind.replace('_', ' ')} data"
    )
    w.key("data_dir", inf.data_dir, "the folder given by --data (relative to where you run)")
    w.key("train_file", inf.train_file)
    w.key("test_file", inf.test_file)
    w.key("sample_submission_file", inf.sample_submission_file)
    w.guess("id_column", inf.id_column)
    if inf.submission_id_column.value is not None:
        w.guess("submission_id_column", inf.submission_id_column)
    if features.id_is_feature:
        w.key("id_is_feature", True, "the image files are named by id")
    if inf.step_column.value is not None:
        w.guess("step_column", inf.step_column)
    if inf.targets_file.value is not None:
        w.guess("targets_file", inf.targets_file)
    target = inf.target.value
    w.key("target", target[0] if len(target) == 1 else list(target), inf.target.reason)
    w.guess("task", Guess(inf.task.value.value, inf.task.reason))
    w.guess("metric", inf.metric)
    if inf.target_transform.value != "none":
        w.guess("target_transform", inf.target_transform)
    w.guess("submission", inf.submission)
    if inf.positive_label.value is not None:
        w.guess("positive_label", inf.positive_label)
    if inf.class_columns.value is not None:
        w.guess("class_columns", inf.class_columns)
    if inf.group_column.value is not None:
        w.guess("group_column", inf.group_column)
    if inf.drop_columns.value:
        w.key("drop_columns", list(inf.drop_columns.value), inf.drop_columns.reason)
    w.key("sep", inf.sep.value, inf.sep.reason)
    w.key("decimal", inf.decimal.value, inf.decimal.reason)
    w.key("na_values", [], 'cell texts read as missing, e.g. [unknown, "?"]')
    w.comment(inf.features.reason, "  ")
    w.lines.append("  features:")
    _features(w, features.params, features.comments, "")
    w.blank()

    w.lines.append("trainer:")
    w.guess("epochs", inf.epochs)
    w.guess("batch_size", inf.batch_size)
    if features.kind in ("wide_series", "long_series"):
        w.blank()
        w.comment(
            "Small series sets train long: keep the best validation loss, stop after 20 epochs "
            "without improvement, halve the learning rate after 8."
        )
        w.lines.append("callbacks:")
        w.lines.append("  early_stopping:")
        w.lines.append("    patience: 20")
        w.lines.append("  reduce_lr:")
        w.lines.append("    patience: 8")
    return "\n".join(w.lines) + "\n"
