"""The classical models a baseline fits per fold, one family per kind of data.

Every model takes the fold's training rows as the raw feature frame, builds its features with a
fresh copy of the competition's own transformer fitted on those rows only (so the validation
rows and the test set never inform a statistic), and predicts in the encoded layout of
:class:`~kagglekit.tasks.TargetTask` (``task.to_predictions`` turns that into OOF/test
predictions, exactly as for a network's outputs).

=========== ============================================================================
tabular     ``hgb``: HistGradientBoosting with native categorical splits;
            ``linear``: logistic regression / ridge on the fold-fitted one-hot + scaling
text        ``linear``: TF-IDF of word 1-2-grams + logistic regression / ridge
series      ``minirocket``: aeon's MiniRocket (multichannel) + its ridge head
images      ``linear``: logistic regression / ridge on the pixels (small sets only)
=========== ============================================================================
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
import pandas as pd

from kagglekit.baselines.kinds import BaselineError, Kind
from kagglekit.competition import Task

# the regularisation grids searched by 3-fold CV inside each training fold when C/alpha is null
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
ALPHA_GRID = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
MAX_CATEGORIES = 255  # HistGradientBoosting's limit on the categories of a categorical feature


@dataclass(frozen=True)
class BaselineSettings:
    """How the baseline is fitted (``conf/baseline/*.yaml``).

    Args:
        model: ``auto`` (tabular: both ``hgb`` and ``linear``, the better CV wins; other kinds:
            their one model), ``hgb``, ``linear`` or ``minirocket``.
        seed: random seed of the models that have one.
        C: inverse regularisation of logistic regression (alpha = 1/C for ridge); ``None``:
            chosen by 3-fold CV inside each training fold from :data:`C_GRID`.
        max_iter: iterations of the logistic-regression solver.
        hgb: keyword arguments of ``HistGradientBoostingClassifier/Regressor``.
        tfidf: keyword arguments of ``TfidfVectorizer`` (``ngram_range`` as a list).
        minirocket: keyword arguments of aeon's ``MiniRocketClassifier/Regressor``.
        max_image_values: the pixel baseline refuses more training values than this (rows x
            pixels x channels), because a linear model on raw pixels is a baseline for small
            image sets only.
        n_jobs: threads: ``n_jobs`` of the models that take it, and the cap on OpenMP/BLAS
            threads (HistGradientBoosting, linear algebra) while the baseline runs.
    """

    model: str = "auto"
    seed: int = 42
    C: float | None = None
    max_iter: int = 2000
    hgb: Mapping[str, Any] = field(default_factory=dict)
    tfidf: Mapping[str, Any] = field(default_factory=dict)
    minirocket: Mapping[str, Any] = field(default_factory=dict)
    max_image_values: int = 50_000_000
    n_jobs: int = 1


MODELS_FOR_KIND: dict[Kind, tuple[str, ...]] = {
    Kind.TABULAR: ("hgb", "linear"),
    Kind.TEXT: ("linear",),
    Kind.SERIES: ("minirocket",),
    Kind.PIXELS: ("linear",),
    Kind.IMAGE_FILES: ("linear",),
}


def model_names(kind: Kind, choice: str) -> tuple[str, ...]:
    """The models to fit for ``baseline.model=choice`` on data of this kind."""
    allowed = MODELS_FOR_KIND[kind]
    if choice == "auto":
        return allowed
    if choice not in allowed:
        raise BaselineError(
            f"baseline.model={choice!r} does not fit {kind.value} data; choose one of "
            f"{', '.join(('auto', *allowed))} (e.g. baseline={allowed[0]})."
        )
    return (choice,)


class FoldModel(Protocol):
    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> Self: ...

    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...


# -- one estimator per task -------------------------------------------------------------------
@dataclass
class TaskEstimator:
    """A classifier for binary/multiclass, one classifier per column for multilabel, a
    regressor (one per target column unless it handles several) for regression."""

    task: Task
    n_classes: int
    make_classifier: Callable[[], Any]
    make_regressor: Callable[[], Any]
    multi_output_regressor: bool = False
    models: list[Any] = field(default_factory=list)

    def fit(self, x: Any, y: np.ndarray) -> Self:
        if self.task in (Task.BINARY, Task.MULTICLASS):
            self.models = [_fit_classifier(self.make_classifier, x, y.astype(int))]
        elif self.task is Task.MULTILABEL:
            labels = y.reshape(len(y), -1).astype(int)
            self.models = [
                _fit_classifier(self.make_classifier, x, labels[:, j])
                for j in range(labels.shape[1])
            ]
        else:
            values = y.reshape(len(y), -1).astype("float64")
            if self.multi_output_regressor or values.shape[1] == 1:
                target = values if values.shape[1] > 1 else values[:, 0]
                self.models = [self.make_regressor().fit(x, target)]
            else:
                self.models = [
                    self.make_regressor().fit(x, values[:, j]) for j in range(values.shape[1])
                ]
        return self

    def predict(self, x: Any) -> np.ndarray:
        if self.task is Task.BINARY:
            return _probabilities(self.models[0], x, 2)[:, 1]
        if self.task is Task.MULTICLASS:
            return _probabilities(self.models[0], x, self.n_classes)
        if self.task is Task.MULTILABEL:
            return np.stack([_probabilities(m, x, 2)[:, 1] for m in self.models], axis=1)
        parts = [np.asarray(m.predict(x), dtype="float64") for m in self.models]
        return np.concatenate([p.reshape(len(p), -1) for p in parts], axis=1)


@dataclass
class _Constant:
    """The only class of a training fold that holds one (a rare multilabel column)."""

    label: int

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray([self.label])

    def predict_proba(self, x: Any) -> np.ndarray:
        return np.ones((_n_rows(x), 1))


def _n_rows(x: Any) -> int:
    return int(x.shape[0]) if hasattr(x, "shape") else len(x)


def _fit_classifier(make: Callable[[], Any], x: Any, y: np.ndarray) -> Any:
    classes = np.unique(y)
    if len(classes) < 2:
        return _Constant(int(classes[0]))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|max_iter).*")
        return make().fit(x, y)


def _probabilities(model: Any, x: Any, n_classes: int) -> np.ndarray:
    """``predict_proba`` laid out over classes ``0..n_classes-1`` (a class absent from the
    training fold gets probability 0)."""
    proba = np.asarray(model.predict_proba(x), dtype="float64")
    out = np.zeros((len(proba), n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = proba
    return out


def _logistic(settings: BaselineSettings) -> Callable[[], Any]:
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    if settings.C is not None:
        return lambda: LogisticRegression(
            C=settings.C, max_iter=settings.max_iter, random_state=settings.seed
        )
    # scikit-learn 1.9 warns unless these newer options are set; older versions lack them
    newer = {"l1_ratios": (0.0,), "use_legacy_attributes": False}
    accepted = inspect.signature(LogisticRegressionCV).parameters
    options = {key: value for key, value in newer.items() if key in accepted}
    return lambda: LogisticRegressionCV(
        Cs=list(C_GRID),
        cv=3,
        scoring="neg_log_loss",
        max_iter=settings.max_iter,
        random_state=settings.seed,
        n_jobs=settings.n_jobs,
        **options,
    )


def _ridge(settings: BaselineSettings) -> Callable[[], Any]:
    from sklearn.linear_model import Ridge, RidgeCV

    if settings.C is not None:
        alpha = 1.0 / settings.C
        return lambda: Ridge(alpha=alpha)
    return lambda: RidgeCV(alphas=list(ALPHA_GRID))


def linear_estimator(task: Task, n_classes: int, settings: BaselineSettings) -> TaskEstimator:
    return TaskEstimator(
        task, n_classes, _logistic(settings), _ridge(settings), multi_output_regressor=True
    )


# -- features from the competition's own transformer --------------------------------------------
def design_matrix(inputs: Mapping[str, Any], specs: Mapping[str, Any]) -> np.ndarray:
    """A transformer's model inputs side by side: float blocks flattened, integer code inputs
    (``CategoricalCodes``, with a vocabulary) one-hot encoded."""
    blocks = []
    for name, values in inputs.items():
        array = np.asarray(values)
        vocabulary = getattr(specs.get(name), "vocabulary", None)
        if vocabulary is not None and np.issubdtype(array.dtype, np.integer):
            codes = array.reshape(len(array))
            one_hot = np.zeros((len(array), int(vocabulary)), dtype="float32")
            one_hot[np.arange(len(array)), np.clip(codes, 0, int(vocabulary) - 1)] = 1.0
            blocks.append(one_hot)
        else:
            blocks.append(array.reshape(len(array), -1).astype("float32"))
    return np.concatenate(blocks, axis=1)


def _parts(preprocessor: Any) -> list[Any]:
    from kagglekit.data.mixed import MixedInputs

    return (
        list(preprocessor.parts.values())
        if isinstance(preprocessor, MixedInputs)
        else [preprocessor]
    )


def tabular_columns(preprocessor: Any) -> tuple[list[str], list[str]]:
    """The (numeric, categorical) columns a fitted tabular transformer uses."""
    from kagglekit.data.categorical import CategoricalCodes

    numeric: list[str] = []
    categorical: list[str] = []
    for part in _parts(preprocessor):
        if isinstance(part, CategoricalCodes):
            categorical += [c for c in part.state()["vocabularies"] if c not in categorical]
        else:
            state = part.state()
            numeric += [c for c in state["numeric"] if c not in numeric]
            categorical += [c for c in state["categorical"] if c not in categorical]
    numeric = [c for c in numeric if c not in categorical]
    return numeric, categorical


@dataclass
class LinearTabular:
    """Logistic regression / ridge on the competition transformer's fold-fitted output."""

    make_features: Callable[[], Any]
    estimator: TaskEstimator
    preprocessor: Any = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> Self:
        self.preprocessor = self.make_features().fit(frame)
        self.estimator.fit(self._matrix(frame), y)
        return self

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        return design_matrix(self.preprocessor.transform(frame), self.preprocessor.input_specs())

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.estimator.predict(self._matrix(frame))


@dataclass
class GradientBoostedTrees:
    """HistGradientBoosting on the columns the competition's transformer uses.

    Numeric columns go in raw (the trees need no scaling; missing values are routed by the
    trees). Categorical columns (declared in the transformer, or every text column) are
    integer-coded with the fold's training values, the :data:`MAX_CATEGORIES` most frequent
    kept; other, unseen and missing values are missing. They are passed as
    ``categorical_features``: native splits on sets of categories, no one-hot.
    """

    make_features: Callable[[], Any]
    task: Task
    n_classes: int
    settings: BaselineSettings
    numeric: list[str] = field(default_factory=list)
    categories: dict[str, dict[Any, int]] = field(default_factory=dict)
    estimator: TaskEstimator | None = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> Self:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        from kagglekit.data.preprocessing import MISSING, _as_category

        self.numeric, categorical = tabular_columns(self.make_features().fit(frame))
        self.categories = {}
        for column in categorical:
            counts = _as_category(frame[column]).value_counts().drop(MISSING, errors="ignore")
            kept = counts.index[:MAX_CATEGORIES]
            self.categories[column] = {value: code for code, value in enumerate(kept)}
        is_categorical = [False] * len(self.numeric) + [True] * len(self.categories)
        options = {
            "learning_rate": 0.05,
            "max_iter": 500,
            "early_stopping": True,
            "validation_fraction": 0.1,
            "n_iter_no_change": 30,
            "random_state": self.settings.seed,
            **dict(self.settings.hgb),
            "categorical_features": is_categorical if any(is_categorical) else None,
        }
        self.estimator = TaskEstimator(
            self.task,
            self.n_classes,
            lambda: HistGradientBoostingClassifier(**options),
            lambda: HistGradientBoostingRegressor(**options),
        ).fit(self._matrix(frame), y)
        return self

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        from kagglekit.data.preprocessing import _as_category

        blocks = [frame[self.numeric].apply(pd.to_numeric, errors="coerce").to_numpy("float64")]
        for column, codes in self.categories.items():
            values = _as_category(frame[column]).map(codes)
            blocks.append(values.to_numpy(dtype="float64").reshape(-1, 1))
        return np.concatenate(blocks, axis=1)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        assert self.estimator is not None, "fit first"
        return self.estimator.predict(self._matrix(frame))


@dataclass
class TfidfLinear:
    """TF-IDF of word 1-2-grams (the deep model's tokenizer: lower case, HTML tags removed),
    fitted on the fold's training texts, + logistic regression / ridge."""

    make_features: Callable[[], Any]
    estimator: TaskEstimator
    settings: BaselineSettings
    column: str = ""
    vectorizer: Any = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> Self:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from kagglekit.data.text import tokenize

        self.column = self.make_features()._text_column(frame)
        options = {
            "ngram_range": (1, 2),
            "min_df": 2,
            "max_features": 200_000,
            "sublinear_tf": True,
            **dict(self.settings.tfidf),
        }
        options["ngram_range"] = tuple(options["ngram_range"])
        self.vectorizer = TfidfVectorizer(
            tokenizer=tokenize, lowercase=False, token_pattern=None, **options
        )
        self.estimator.fit(self.vectorizer.fit_transform(self._texts(frame)), y)
        return self

    def _texts(self, frame: pd.DataFrame) -> list[Any]:
        return frame[self.column].tolist()

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.estimator.predict(self.vectorizer.transform(self._texts(frame)))


def _aeon_minirocket() -> tuple[Any, Any]:
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
        from aeon.regression.convolution_based import MiniRocketRegressor
    except ImportError as exc:
        raise BaselineError(
            f"The series baseline (MiniRocket) needs aeon, which cannot be imported ({exc}). "
            "Install it: pip install aeon (or pip install 'kagglekit[examples]')."
        ) from exc
    return MiniRocketClassifier, MiniRocketRegressor


@dataclass
class MiniRocket:
    """aeon's MiniRocket on the competition's sequences (the fold-fitted ``NumericSequences``:
    its channels, per-channel scaling and length; shorter series padded with its pad value),
    every channel at once, with MiniRocket's own ridge head (RidgeClassifierCV / RidgeCV)."""

    make_features: Callable[[], Any]
    task: Task
    n_classes: int
    settings: BaselineSettings
    preprocessor: Any = None
    estimator: TaskEstimator | None = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> Self:
        classifier, regressor = _aeon_minirocket()
        options = {
            "random_state": self.settings.seed,
            "n_jobs": self.settings.n_jobs,
            **dict(self.settings.minirocket),
        }
        features = self.make_features()
        # MiniRocketFeatures: the baseline computes its own MiniRocket from the same sequences
        sequences = getattr(features, "sequence_features", None)
        self.preprocessor = (sequences() if sequences else features).fit(frame)
        self.estimator = TaskEstimator(
            self.task,
            self.n_classes,
            lambda: classifier(**options),
            lambda: regressor(**options),
        ).fit(self._series(frame), y)
        return self

    def _series(self, frame: pd.DataFrame) -> np.ndarray:
        (values,) = self.preprocessor.transform(frame).values()
        # (n, steps, channels) -> aeon's (n, channels, steps)
        return np.ascontiguousarray(np.asarray(values).transpose(0, 2, 1), dtype="float64")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        assert self.estimator is not None, "fit first"
        return self.estimator.predict(self._series(frame))


@dataclass
class PixelLinear:
    """Logistic regression / ridge on the raw pixels as the competition's transformer scales
    them (pixel columns or image files read whole, without augmentation or TTA)."""

    make_features: Callable[[], Any]
    estimator: TaskEstimator
    settings: BaselineSettings
    preprocessor: Any = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> Self:
        self.preprocessor = self.make_features().fit(frame)
        (spec,) = self.preprocessor.input_specs().values()
        n_values = len(frame) * int(np.prod(spec.shape))
        if n_values > self.settings.max_image_values:
            raise BaselineError(
                f"The pixel baseline is for small image sets: {len(frame)} training images of "
                f"{tuple(spec.shape)} are {n_values:,} values, more than "
                f"baseline.max_image_values={self.settings.max_image_values:,}. Raise it, or "
                "compare against a small CNN instead."
            )
        self.estimator.fit(self._pixels(frame), y)
        return self

    def _pixels(self, frame: pd.DataFrame) -> np.ndarray:
        (values,) = self.preprocessor.transform(frame).values()
        if hasattr(values, "load"):  # image files, read lazily by the deep model
            plain = dataclasses.replace(values, augment=None, views=("identity",))
            values = plain.load(np.arange(len(plain)))
        array = np.asarray(values, dtype="float32")
        return array.reshape(len(array), -1)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.estimator.predict(self._pixels(frame))


def make_model(
    name: str,
    kind: Kind,
    make_features: Callable[[], Any],
    task: Task,
    n_classes: int,
    settings: BaselineSettings,
) -> FoldModel:
    """A fresh, unfitted model ``name`` for one fold."""
    if name == "hgb":
        return GradientBoostedTrees(make_features, task, n_classes, settings)
    if name == "minirocket":
        return MiniRocket(make_features, task, n_classes, settings)
    linear = linear_estimator(task, n_classes, settings)
    if kind is Kind.TEXT:
        return TfidfLinear(make_features, linear, settings)
    if kind in (Kind.PIXELS, Kind.IMAGE_FILES):
        return PixelLinear(make_features, linear, settings)
    return LinearTabular(make_features, linear)


DESCRIPTIONS = {
    (Kind.TABULAR, "hgb"): "HistGradientBoosting (native categoricals)",
    (Kind.TABULAR, "linear"): "logistic regression / ridge on one-hot + scaled columns",
    (Kind.TEXT, "linear"): "TF-IDF word 1-2-grams + logistic regression / ridge",
    (Kind.SERIES, "minirocket"): "MiniRocket (aeon) + ridge",
    (Kind.PIXELS, "linear"): "logistic regression / ridge on pixels",
    (Kind.IMAGE_FILES, "linear"): "logistic regression / ridge on pixels",
}
