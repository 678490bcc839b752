"""Cross-validation folds: any sklearn-style splitter -> one fold id per training row.

``assign_folds`` turns a splitter (``split(X, y, groups)``) into an array ``fold[i]`` = the fold in
which row ``i`` is validated, or ``-1`` for rows never validated (the first block of a
``TimeSeriesSplit``). ``folds.csv`` stores it; a rerun reuses the file after checking that it
matches the data.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
)

from kagglekit.errors import KagglekitError
from kagglekit.files import write_csv


class Splitter(Protocol):
    def split(self, X: Any, y: Any = None, groups: Any = None) -> Any: ...


class FoldsError(KagglekitError, ValueError):
    """The folds cannot be made from, or do not match, the data."""


def _splitter_name(splitter: Splitter) -> str:
    return type(splitter).__name__


# sklearn's splitters that stratify on one label column
STRATIFIED = (
    StratifiedKFold,
    RepeatedStratifiedKFold,
    StratifiedShuffleSplit,
    StratifiedGroupKFold,
)


def needs_groups(splitter: Splitter) -> bool:
    """Whether ``split`` uses ``groups``: what the splitter's sklearn metadata routing says
    (GroupKFold, StratifiedGroupKFold, LeaveOneGroupOut...); a splitter of another library
    says so with a true ``needs_groups`` attribute."""
    routing = getattr(splitter, "get_metadata_routing", None)
    if routing is not None:
        return "groups" in routing().consumes("split", ["groups"])
    return bool(getattr(splitter, "needs_groups", False))


def stratifies(splitter: Splitter) -> bool:
    """Whether the splitter stratifies on one label column (sklearn's stratified splitters)."""
    return isinstance(splitter, STRATIFIED)


def assign_folds(
    splitter: Splitter,
    n_rows: int,
    *,
    y: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Run the splitter once and return the fold id of every row (``-1``: never validated)."""
    name = _splitter_name(splitter)
    if needs_groups(splitter) and groups is None:
        raise FoldsError(
            f"{name} needs groups: set `group_column` in the competition config "
            "(e.g. competition.group_column=patient_id)."
        )
    stratify = y
    if y is not None and stratifies(splitter):
        if np.asarray(y).ndim > 1 and np.asarray(y).shape[1] > 1:
            raise FoldsError(
                f"{name} stratifies on one label column, but the target has {np.asarray(y).shape[1]}. "
                "Use cv=multilabel_stratified for multilabel targets."
            )
        if np.issubdtype(np.asarray(y).dtype, np.floating) and len(np.unique(y)) > 50:
            raise FoldsError(
                f"{name} needs class labels, but the target looks continuous "
                f"({len(np.unique(y))} distinct values). Use cv=kfold for regression."
            )
        stratify = np.asarray(y).reshape(len(y), -1)[:, 0] if np.asarray(y).ndim > 1 else y
    folds = np.full(n_rows, -1, dtype=np.int64)
    X = np.zeros((n_rows, 1))
    try:
        splits = list(splitter.split(X, stratify, groups if needs_groups(splitter) else None))
    except ValueError as exc:
        raise FoldsError(f"{name} could not split {n_rows} rows: {exc}") from exc
    for k, (_, valid) in enumerate(splits):
        if (folds[valid] != -1).any():
            raise FoldsError(
                f"{name} validates some rows in more than one fold; kagglekit needs each row "
                "validated at most once (use a k-fold style splitter)."
            )
        folds[valid] = k
    return folds


def n_folds(folds: np.ndarray) -> int:
    return int(folds.max()) + 1


def is_forward_only(splitter: Splitter) -> bool:
    """Time-series splitters train each fold on earlier rows only: sklearn's
    ``TimeSeriesSplit``, or a splitter with a true ``forward_only`` attribute."""
    return isinstance(splitter, TimeSeriesSplit) or bool(getattr(splitter, "forward_only", False))


def fold_indices(
    folds: np.ndarray, k: int, *, forward_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation row indices of fold ``k``.

    With ``forward_only`` (time-series splits) only the rows validated in earlier folds, or never
    validated, train fold ``k``: the model never sees the future.
    """
    valid = np.flatnonzero(folds == k)
    if forward_only:
        train = np.flatnonzero((folds < k) & (np.arange(len(folds)) < valid.min()))
    else:
        train = np.flatnonzero(folds != k)
    return train, valid


def save_folds(path: Path, folds: np.ndarray, ids: pd.Series | None) -> None:
    frame = pd.DataFrame({"row": np.arange(len(folds)), "fold": folds})
    if ids is not None:
        frame.insert(1, "id", ids.to_numpy())
    write_csv(path, frame)


def load_folds(path: Path, n_rows: int, ids: pd.Series | None) -> np.ndarray:
    """Read ``folds.csv`` and refuse it when it does not match the data."""
    try:
        # ids stay text: "007" must not come back as 7
        frame = pd.read_csv(path, dtype={"id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise FoldsError(f"Cannot read {path}: {exc}. Delete it to make new folds.") from exc
    if "fold" not in frame.columns:
        raise FoldsError(f"{path} has no `fold` column (columns: {list(frame.columns)}).")
    if len(frame) != n_rows:
        raise FoldsError(
            f"{path} assigns folds to {len(frame)} rows but the training data has {n_rows}. "
            "It belongs to other data: delete it or use another run directory."
        )
    if ids is not None and "id" in frame.columns:
        stored = frame["id"].astype(str).to_numpy()
        current = ids.astype(str).to_numpy()
        mismatch = np.flatnonzero(stored != current)
        if len(mismatch):
            raise FoldsError(
                f"{path} does not match the training ids: {len(mismatch)} row(s) differ, first "
                f"at row {int(mismatch[0])} ({stored[mismatch[0]]!r} in the file, "
                f"{current[mismatch[0]]!r} in the data). Delete it or use another run directory."
            )
    folds = frame["fold"].to_numpy(dtype=np.int64)
    if folds.max() < 0:
        raise FoldsError(f"{path} validates no row.")
    return folds


def check_groups_not_split(folds: np.ndarray, groups: np.ndarray) -> None:
    """Every group's rows sit in one fold (leakage guard for group splitters)."""
    frame = pd.DataFrame({"g": groups, "f": folds})
    spread = frame.groupby("g")["f"].nunique()
    bad = spread[spread > 1]
    if len(bad):
        raise FoldsError(
            f"{len(bad)} group(s) are validated in more than one fold, first: {bad.index[:5].tolist()}."
        )


class MultilabelStratifiedKFold:
    """K-fold for multilabel targets by iterative stratification (Sechidis et al., 2011).

    Each fold receives about ``1/n_splits`` of the positives of every label: rows are given out
    label by label, rarest label first, to the fold that still wants most of that label.
    """

    def __init__(self, n_splits: int = 5, *, shuffle: bool = True, random_state: int | None = None):
        if n_splits < 2:
            raise FoldsError(
                f"cv.n_splits must be at least 2, but got {n_splits=} (set cv.n_splits=5, say)."
            )
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def __repr__(self) -> str:
        return (
            f"MultilabelStratifiedKFold(n_splits={self.n_splits}, shuffle={self.shuffle}, "
            f"random_state={self.random_state})"
        )

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Any:
        if y is None:
            raise ValueError("MultilabelStratifiedKFold needs the label matrix y.")
        labels = np.asarray(y).reshape(len(y), -1).astype(bool)
        n, _ = labels.shape
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        labels = labels[order]
        k = self.n_splits
        wanted_rows = np.full(k, n / k)
        wanted_labels = np.tile(labels.sum(axis=0) / k, (k, 1)).astype(float)
        assignment = np.full(n, -1)
        remaining = np.ones(n, dtype=bool)
        while remaining.any():
            counts = labels[remaining].sum(axis=0)
            if counts.sum() == 0:
                rows = np.flatnonzero(remaining)
                for row in rows:
                    fold = int(np.argmax(wanted_rows + rng.random(k) * 1e-9))
                    assignment[row] = fold
                    wanted_rows[fold] -= 1
                break
            label = int(np.argmin(np.where(counts > 0, counts, np.inf)))
            rows = np.flatnonzero(remaining & labels[:, label])
            for row in rows:
                need = wanted_labels[:, label]
                best = np.flatnonzero(need == need.max())
                if len(best) > 1:
                    best = best[wanted_rows[best] == wanted_rows[best].max()]
                fold = int(best[rng.integers(len(best))]) if len(best) > 1 else int(best[0])
                assignment[row] = fold
                wanted_rows[fold] -= 1
                wanted_labels[fold] -= labels[row]
                remaining[row] = False
        folds = np.empty(n, dtype=int)
        folds[order] = assignment
        for fold in range(k):
            yield np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)


def describe(splitter: Splitter) -> str:
    params = {}
    for name in inspect.signature(type(splitter).__init__).parameters:
        if name != "self" and hasattr(splitter, name):
            params[name] = getattr(splitter, name)
    return f"{_splitter_name(splitter)}({', '.join(f'{k}={v!r}' for k, v in params.items())})"
