"""Fold-safe preprocessing: every statistic is fitted on the training part of a fold only.

A preprocessor turns a feature frame into the model's inputs (a dict ``name -> array``, or
``name -> LazyInput`` for data read batch by batch, see :mod:`kagglekit.data.lazy`).
The pipeline builds a fresh one per fold from the competition's ``features`` factory, fits
it on the fold's training rows, then transforms the fold's validation rows and the test set.
``state()`` returns the fitted statistics as plain JSON and ``load_state`` puts them back into an
unfitted instance (``fold_<k>/preprocessing.json``, see :mod:`kagglekit.data.state`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd
from sklearn.preprocessing import QuantileTransformer

from kagglekit.data.lazy import InputValue
from kagglekit.models.specs import InputSpec, ModelInputs

log = logging.getLogger(__name__)

ModelData = dict[str, InputValue]

MISSING = "__missing__"


class Preprocessor(Protocol):
    def fit(self, frame: pd.DataFrame) -> Self: ...

    def transform(self, frame: pd.DataFrame) -> ModelData: ...

    def input_specs(self) -> ModelInputs: ...

    def state(self) -> dict[str, Any]: ...

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self: ...


@runtime_checkable
class SeededPreprocessor(Preprocessor, Protocol):
    """A preprocessor that draws at random (MiniRocket's biases): ``with_seed`` sets the seed
    of its draw unless its config pins one (seed bagging gives each unit its bag seed)."""

    def with_seed(self, seed: int) -> Self: ...


class NotFittedError(RuntimeError):
    pass


class TabularPreprocessor:
    """Numeric columns: median imputation (+ missing indicators), standardisation.
    Categorical columns: one-hot over the (at most ``max_categories`` most frequent) categories
    seen in the training fold, plus one ``<column>=<other>`` column: a category unseen in
    training, a pooled rare one, or a missing value sets that column.

    Args:
        categorical: categorical columns; ``None`` = every non-numeric column. List integer
            codes (``Pclass``) here to one-hot them instead of scaling them.
        numeric: numeric columns; ``None`` = every numeric column not declared categorical.
        drop: columns to ignore.
        missing_indicators: add a 0/1 column per numeric column that has missing values in training.
        scale: ``true`` standardises numeric columns (mean 0, std 1 on the training fold);
            ``quantile`` maps each through its training fold's quantiles onto a standard normal
            (sklearn's ``QuantileTransformer(output_distribution="normal")``, at most
            ``n_quantiles`` quantiles and never more than the fold has rows): skewed columns,
            outliers and odd units all come out on one bell-shaped scale, which suits networks
            (and numeric embeddings) better than a mean and a std; ``false`` leaves values as
            they are.
        n_quantiles: the number of quantiles ``scale: quantile`` keeps per column.
        max_categories: keep the most frequent categories per column, pool the rest (into the
            ``<other>`` column).
        input_name: name of the model input.
        log1p: numeric columns replaced by ``log1p(value)`` before imputation and scaling: a
            list of columns, or ``skewed`` for every non-negative column whose skewness on the
            training fold exceeds ``skew_threshold`` (areas, prices, counts).
        skew_threshold: the skewness above which ``log1p: skewed`` transforms a column.
        clip: clip standardised values to [-clip, clip], so that extreme rows (a house ten
            times the usual size) do not push a network far outside what it was trained on.
        drop_constant: leave out numeric columns that are all missing or hold one value in the
            training rows: they carry nothing, and standardising them (mean 0 / std 1 from no
            data) would feed raw test values to weights that never saw them.
    """

    def __init__(
        self,
        *,
        categorical: Sequence[str] | None = None,
        numeric: Sequence[str] | None = None,
        drop: Sequence[str] = (),
        missing_indicators: bool = True,
        scale: bool | str = True,
        n_quantiles: int = 1000,
        max_categories: int = 50,
        input_name: str = "features",
        log1p: Sequence[str] | str | None = None,
        skew_threshold: float = 0.75,
        clip: float | None = None,
        drop_constant: bool = True,
    ) -> None:
        if isinstance(log1p, str) and log1p != "skewed":
            raise ValueError(
                f"log1p must be a list of columns, 'skewed' or null, but got {log1p=}."
            )
        if not isinstance(scale, bool) and scale != "quantile":
            raise ValueError(f"scale must be true, false or 'quantile', but got {scale=}.")
        if n_quantiles < 2:
            raise ValueError(f"n_quantiles must be at least 2, but got {n_quantiles=}.")
        if clip is not None and clip <= 0:
            raise ValueError(f"clip must be positive or null, but got {clip=}.")
        self.log1p = log1p if log1p is None or isinstance(log1p, str) else list(log1p)
        self.skew_threshold = skew_threshold
        self.clip = clip
        self.drop_constant = drop_constant
        self.categorical = list(categorical) if categorical is not None else None
        self.numeric = list(numeric) if numeric is not None else None
        self.drop = list(drop)
        self.missing_indicators = missing_indicators
        self.scale = scale
        self.n_quantiles = n_quantiles
        self._quantiles: QuantileTransformer | None = None
        self.max_categories = max_categories
        self.input_name = input_name
        self._fitted: dict[str, Any] | None = None

    def fit(self, frame: pd.DataFrame) -> Self:
        frame = frame.drop(columns=[c for c in self.drop if c in frame.columns])
        unknown = [
            c for c in (self.categorical or []) + (self.numeric or []) if c not in frame.columns
        ]
        if unknown:
            raise KeyError(
                f"Preprocessing names column(s) {unknown} absent from the data: {list(frame.columns)}."
            )
        categorical, numeric = self._columns(frame)
        bad = [c for c in numeric if not _is_numeric(frame[c])]
        if bad:
            raise TypeError(f"Column(s) {bad} are declared numeric but hold text values.")
        dropped = self._constant(frame, numeric)
        if dropped:
            log.info("Column(s) %s are all missing or constant in these rows: left out.", dropped)
        numeric = [c for c in numeric if c not in dropped]
        values = frame[numeric].astype("float64") if numeric else pd.DataFrame(index=frame.index)
        log_columns = self._log_columns(values, dropped)
        values[log_columns] = np.log1p(values[log_columns].clip(lower=0.0))
        medians = values.median().fillna(0.0)
        filled = values.fillna(medians)
        standardise = self.scale is True
        means = filled.mean() if standardise else pd.Series(0.0, index=numeric)
        stds = (
            filled.std(ddof=0).replace(0.0, 1.0) if standardise else pd.Series(1.0, index=numeric)
        )
        self._quantiles = None
        if self.scale == "quantile" and numeric:
            self._quantiles = _fit_quantiles(filled.to_numpy(), self.n_quantiles)
        indicators = [c for c in numeric if self.missing_indicators and values[c].isna().any()]
        categories: dict[str, list[str]] = {}
        for column in categorical:
            counts = _as_category(frame[column]).value_counts()
            counts = counts.drop(MISSING, errors="ignore")
            categories[column] = sorted(counts.index[: self.max_categories].tolist())
        self._fitted = {
            "numeric": numeric,
            "categorical": categorical,
            "median": {c: float(medians[c]) for c in numeric},
            "mean": {c: float(means[c]) for c in numeric},
            "std": {c: float(stds[c]) for c in numeric},
            "missing_indicators": indicators,
            "categories": categories,
            "n_rows": len(frame),
            "log1p": log_columns,
            "clip": self.clip,
            "dropped": dropped,
            "scale": "quantile" if self._quantiles is not None else bool(self.scale),
        }
        return self

    def _columns(self, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
        """The categorical and the numeric feature columns of ``frame``."""
        categorical = self.categorical
        if categorical is None:
            categorical = [c for c in frame.columns if not _is_numeric(frame[c])]
        numeric = self.numeric
        if numeric is None:
            numeric = [c for c in frame.columns if c not in categorical and _is_numeric(frame[c])]
        return list(categorical), list(numeric)

    def _constant(self, frame: pd.DataFrame, numeric: list[str]) -> list[str]:
        if not self.drop_constant:
            return []
        return [c for c in numeric if frame[c].nunique(dropna=True) <= 1]

    def constant_columns(self, frame: pd.DataFrame) -> list[str]:
        """The numeric columns that ``fit`` on ``frame`` leaves out (all missing or constant)."""
        frame = frame.drop(columns=[c for c in self.drop if c in frame.columns])
        _, numeric = self._columns(frame)
        return self._constant(frame, [c for c in numeric if c in frame.columns])

    def _log_columns(self, values: pd.DataFrame, dropped: Sequence[str] = ()) -> list[str]:
        if self.log1p is None:
            return []
        if self.log1p == "skewed":
            skew = values.skew()
            return [
                c for c in values.columns if values[c].min() >= 0 and skew[c] > self.skew_threshold
            ]
        unknown = [c for c in self.log1p if c not in values.columns and c not in dropped]
        if unknown:
            raise KeyError(f"log1p names column(s) {unknown} that are not numeric features.")
        kept = [c for c in self.log1p if c in values.columns]
        negative = [c for c in kept if values[c].min() < 0]
        if negative:
            raise ValueError(
                f"log1p column(s) {negative} hold negative values; remove them from `log1p`."
            )
        return kept

    def _state(self) -> dict[str, Any]:
        if self._fitted is None:
            raise NotFittedError("TabularPreprocessor.fit must be called before transform.")
        return self._fitted

    def n_features(self) -> int:
        s = self._state()
        return (
            len(s["numeric"])
            + len(s["missing_indicators"])
            + sum(len(v) + 1 for v in s["categories"].values())
        )

    def feature_names(self) -> list[str]:
        s = self._state()
        names = list(s["numeric"]) + [f"{c}__missing" for c in s["missing_indicators"]]
        for column, cats in s["categories"].items():
            names += [f"{column}={v}" for v in cats] + [f"{column}=<other>"]
        return names

    def transform(self, frame: pd.DataFrame) -> ModelData:
        s = self._state()
        missing = [c for c in s["numeric"] + s["categorical"] if c not in frame.columns]
        if missing:
            raise KeyError(
                f"Column(s) {missing} seen in training are missing from the frame to transform."
            )
        blocks: list[np.ndarray] = []
        if s["numeric"]:
            values = frame[s["numeric"]].apply(pd.to_numeric, errors="coerce").astype("float64")
            isna = values.isna()
            logged = s.get("log1p", [])
            values[logged] = np.log1p(values[logged].clip(lower=0.0))
            values = values.fillna(pd.Series(s["median"]))
            values = (values - pd.Series(s["mean"])) / pd.Series(s["std"])
            if s.get("scale") == "quantile":
                values = pd.DataFrame(
                    self._quantile_transformer().transform(values.to_numpy()),
                    index=values.index,
                    columns=values.columns,
                )
            if s.get("clip") is not None:
                values = values.clip(-s["clip"], s["clip"])
            blocks.append(values.to_numpy())
            if s["missing_indicators"]:
                blocks.append(isna[s["missing_indicators"]].to_numpy(dtype="float64"))
        for column, cats in s["categories"].items():
            series = _as_category(frame[column])
            one_hot = np.zeros((len(frame), len(cats) + 1))
            index = {c: i for i, c in enumerate(cats)}
            other = len(cats)
            positions = np.array([index.get(v, other) for v in series], dtype=int)
            one_hot[np.arange(len(frame)), positions] = 1.0
            blocks.append(one_hot)
        matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0))
        return {self.input_name: matrix.astype("float32")}

    def input_specs(self) -> ModelInputs:
        numeric = len(self._state()["numeric"])
        return {self.input_name: InputSpec(shape=(self.n_features(),), numeric_features=numeric)}

    def _quantile_transformer(self) -> QuantileTransformer:
        if self._quantiles is None:
            raise NotFittedError("TabularPreprocessor has scale: quantile but no fitted quantiles.")
        return self._quantiles

    def state(self) -> dict[str, Any]:
        return dict(self._state())

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The fitted quantiles of ``scale: quantile`` (``{}`` otherwise)."""
        self._state()
        if self._quantiles is None:
            return {}
        return {
            "quantiles": np.asarray(self._quantiles.quantiles_, dtype="float64"),
            "references": np.asarray(self._quantiles.references_, dtype="float64"),
        }

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the statistics of :meth:`state` and :meth:`state_arrays` (see
        :mod:`kagglekit.data.state`)."""
        missing = [k for k in ("numeric", "categorical", "median", "mean", "std") if k not in state]
        if missing:
            raise KeyError(f"the stored state lacks {missing}")
        self._quantiles = None
        if state.get("scale") == "quantile":
            absent = [k for k in ("quantiles", "references") if k not in arrays]
            if absent:
                raise KeyError(
                    f"the stored state has scale: quantile but lacks the arrays {absent}"
                )
            self._quantiles = _restore_quantiles(arrays["quantiles"], arrays["references"])
        self._fitted = dict(state)
        return self


def _fit_quantiles(values: np.ndarray, n_quantiles: int) -> QuantileTransformer:
    """A normal-output QuantileTransformer fitted on ``values`` (rows x numeric columns)."""
    transformer = QuantileTransformer(
        n_quantiles=max(2, min(n_quantiles, len(values))),
        output_distribution="normal",
        subsample=100_000,
        random_state=0,
    )
    return transformer.fit(values)


def _restore_quantiles(quantiles: np.ndarray, references: np.ndarray) -> QuantileTransformer:
    """The fitted transformer of :func:`_fit_quantiles` rebuilt from its two arrays."""
    if quantiles.ndim != 2 or references.shape != (quantiles.shape[0],):
        raise ValueError(
            f"stored quantiles of shape {quantiles.shape} do not match references of shape "
            f"{references.shape}."
        )
    transformer = QuantileTransformer(
        n_quantiles=quantiles.shape[0], output_distribution="normal", random_state=0
    )
    transformer.quantiles_ = quantiles
    transformer.references_ = references
    transformer.n_features_in_ = quantiles.shape[1]
    return transformer


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _as_category(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        present = series.dropna()
        if ((present == present.round()) & (present.abs() < 2**53)).all():
            # integer codes made float by a missing value: 1.0 is the category "1"
            series = series.astype("Int64")
    return series.astype("object").where(series.notna(), MISSING).astype(str)
