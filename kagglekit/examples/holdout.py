"""Shared by the shipped examples: a fixed, seeded held-out test split of a labelled table."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

TEST_FRACTION = 0.2
SEED = 2024


def split_holdout(frame: pd.DataFrame, stratify: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off the held-out test rows (same rows on every machine); ``stratify=None`` for
    regression targets."""
    rows = np.arange(len(frame))
    train_rows, test_rows = train_test_split(
        rows,
        test_size=TEST_FRACTION,
        random_state=SEED,
        stratify=frame[stratify] if stratify is not None else None,
    )
    return frame.iloc[np.sort(train_rows)].reset_index(drop=True), frame.iloc[
        np.sort(test_rows)
    ].reset_index(drop=True)


def prepare_module(competition: str) -> str:
    """The module of a shipped example's ``prepare``: its config's ``competition.prepare._target_``
    (``foodreviews_tokens`` shares ``kagglekit.examples.foodreviews.prepare``), else
    ``kagglekit.examples.<competition>.prepare``."""
    from importlib.resources import files

    import yaml

    config = files("kagglekit.conf") / "competition" / f"{competition}.yaml"
    if config.is_file():
        prepare = (yaml.safe_load(config.read_text()).get("competition") or {}).get("prepare")
        if isinstance(prepare, dict) and "_target_" in prepare:
            return str(prepare["_target_"]).rpartition(".")[0]
    return f"kagglekit.examples.{competition}.prepare"


def held_out_score(competition: str, submission_path: Path, metric_name: str) -> float:
    """The competition metric of a shipped example's ``submission.csv`` against its held-out
    answers (its prepare module's ``solution()``, see :func:`prepare_module`), as the e2e tests
    score it: label accuracy, or the metric on the submitted values."""
    from kagglekit.metrics import get_metric

    solution = importlib.import_module(prepare_module(competition)).solution()
    id_column, target = str(solution.columns[0]), str(solution.columns[1])
    submission = pd.read_csv(submission_path)
    merged = submission.merge(solution, on=id_column, suffixes=("", "_true"))
    if len(merged) != len(solution):
        raise ValueError(f"{submission_path} does not cover the {len(solution)} held-out ids.")
    predicted, truth = merged[target], merged[f"{target}_true"]
    if metric_name == "accuracy":
        return float((predicted.astype(str) == truth.astype(str)).mean())
    metric = get_metric(metric_name)
    values = np.asarray(predicted, dtype="float64").reshape(-1, 1)
    return metric(np.asarray(truth, dtype="float64").reshape(-1, 1), values)
