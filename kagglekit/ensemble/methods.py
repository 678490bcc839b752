"""Blending methods: each is fitted on the inputs' OOF predictions and applied to any rows.

``preds`` is always ``(inputs, rows, columns)`` (see :mod:`kagglekit.ensemble.problem`):
probabilities of the positive class (binary), class probabilities (multiclass), label
probabilities (multilabel) or values on the original scale (regression). Weights apply to
those probabilities/values.

- ``mean``: the plain average.
- ``rank``: the average of each column's ranks, for order-based metrics (AUC); see
  :class:`RankMean` for how the ranks become probabilities again.
- ``weights``: non-negative weights summing to 1, optimised on the OOF predictions.
- ``hill_climb``: Caruana et al. (2004), ensemble selection with replacement.
- ``stack``: a level-2 scikit-learn model on the inputs' predictions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
from scipy import optimize, special, stats

from kagglekit.ensemble.problem import Problem
from kagglekit.errors import KagglekitError
from kagglekit.files import save_npz
from kagglekit.tasks import TargetTask

EPS = 1e-15
# level-2 features: log(1e-15) = -34 would dwarf every other value; 1e-6 (-14) is already sure
FEATURE_EPS = 1e-6


class BlendError(KagglekitError, ValueError):
    """The inputs cannot be blended, or not with this method; the message says why."""


class Blender(Protocol):
    name: ClassVar[str]
    # fitted on OOF rows, applied to other rows: its CV must be estimated by cross-fitting
    learns: ClassVar[bool]

    def fit(self, preds: np.ndarray, problem: Problem) -> None: ...

    def apply(self, preds: np.ndarray) -> np.ndarray: ...

    def describe(self) -> dict[str, Any]: ...


def weighted(preds: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i w_i * preds_i``: ``(inputs, rows, columns)`` -> ``(rows, columns)``."""
    return np.tensordot(np.asarray(weights, dtype="float64"), preds, axes=1)


@dataclass
class Mean:
    name: ClassVar[str] = "mean"
    learns: ClassVar[bool] = False
    weights: np.ndarray | None = None

    def fit(self, preds: np.ndarray, problem: Problem) -> None:
        self.weights = np.full(len(preds), 1 / len(preds))

    def apply(self, preds: np.ndarray) -> np.ndarray:
        return np.asarray(preds.mean(axis=0))

    def describe(self) -> dict[str, Any]:
        return {}


@dataclass
class RankMean:
    """Average each column's ranks over the inputs, then map back onto the probability scale.

    Ranks (within the rows blended: the OOF rows, or the test rows) ignore how each input is
    calibrated, which is what an order-based metric such as AUC rewards. The averaged ranks
    are then mapped monotonically onto the values of the plain mean (the rows with the
    ``q``-th smallest averaged rank get the ``q``-th smallest mean prediction), so the result
    keeps the rank blend's order (its AUC) while being probabilities of a sensible scale
    (a threshold of 0.5 and the submission's probability check still work).

    Multiclass and multilabel: every class/label column is ranked on its own (what one-vs-rest
    AUC scores); for multiclass the rows are then rescaled to sum to 1, which keeps the argmax
    sensible but may reorder a column slightly. Prefer ``mean``/``weights`` for multiclass.
    Regression: the same per target column (for rank correlation metrics).
    """

    name: ClassVar[str] = "rank"
    learns: ClassVar[bool] = False
    task: TargetTask | None = None
    weights: np.ndarray | None = None

    def fit(self, preds: np.ndarray, problem: Problem) -> None:
        self.task = problem.task
        self.weights = np.full(len(preds), 1 / len(preds))

    def apply(self, preds: np.ndarray) -> np.ndarray:
        n = preds.shape[1]
        # summed, not averaged: sums of (half-)integer ranks are exact, so equal rank sums
        # stay ties instead of being ordered by rounding noise
        rank_sum = stats.rankdata(preds, axis=1).sum(axis=0)
        mean = preds.mean(axis=0)
        out = np.empty_like(mean)
        grid = np.arange(n, dtype="float64")
        for j in range(mean.shape[1]):
            position = stats.rankdata(rank_sum[:, j]) - 1  # ties share a position
            out[:, j] = np.interp(position, grid, np.sort(mean[:, j]))
        assert self.task is not None, "fit first"
        return self.task.valid_blend(out)  # multiclass: rows rescaled to sum to 1

    def describe(self) -> dict[str, Any]:
        return {"mapped_onto": "mean"}


@dataclass
class OptimisedWeights:
    """Non-negative weights summing to 1 that optimise the competition metric on the OOF rows.

    A smooth metric (log-loss, RMSE, ...) is minimised directly with SLSQP on the simplex. An
    accuracy-like metric is piecewise constant in the weights (its gradient is zero almost
    everywhere) and AUC depends only on the order of the predictions, so gradient steps on them
    go nowhere: SLSQP then minimises a smooth proxy (log-loss; MSE for regression), and the
    candidates - that optimum, equal weights, ``n_random`` random points of the simplex, a
    Nelder-Mead search on the metric itself from the proxy optimum, and every single input -
    are scored with the competition metric; the best one is kept. As every single input is a
    candidate, the blend's OOF score is never worse than the best input's.
    """

    name: ClassVar[str] = "weights"
    learns: ClassVar[bool] = True
    n_random: int = 256
    seed: int = 0
    weights: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def fit(self, preds: np.ndarray, problem: Problem) -> None:
        m = len(preds)
        smooth = problem.proxy_loss if not problem.is_smooth else problem.loss
        singles = list(np.eye(m))
        best_single = min(singles, key=lambda w: problem.loss(weighted(preds, w)))
        solved = _simplex_minimum(lambda w: smooth(weighted(preds, w)), m, best_single)
        candidates = [("optimum", solved), ("equal", np.full(m, 1 / m))]
        if not problem.is_smooth:
            rng = np.random.default_rng(self.seed)
            candidates += [("random", w) for w in rng.dirichlet(np.ones(m), self.n_random)]
            candidates.append(("nelder_mead", _nelder_mead(preds, problem, solved)))
        candidates += [("single", w) for w in singles]
        losses = [problem.loss(weighted(preds, w)) for _, w in candidates]
        best = int(np.argmin(losses))  # the first of equals: the smooth optimum before a single
        self.weights = _tidy(candidates[best][1])
        self.info = {
            "optimised": problem.metric.name if problem.is_smooth else "log_loss/mse proxy",
            "chosen": candidates[best][0],
        }

    def apply(self, preds: np.ndarray) -> np.ndarray:
        assert self.weights is not None, "fit first"
        return weighted(preds, self.weights)

    def describe(self) -> dict[str, Any]:
        return dict(self.info)


def _simplex_minimum(objective: Any, m: int, start: np.ndarray) -> np.ndarray:
    """Minimise ``objective(w)`` over ``w >= 0, sum(w) = 1`` (SLSQP) from two starting points."""
    best_w, best_value = start, float(objective(start))
    for x0 in (np.full(m, 1 / m), start):
        result = optimize.minimize(
            objective,
            x0,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * m,
            constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
            options={"maxiter": 200, "ftol": 1e-10},
        )
        w = _tidy(result.x)
        value = float(objective(w))
        if value < best_value:
            best_w, best_value = w, value
    return best_w


def _nelder_mead(preds: np.ndarray, problem: Problem, start: np.ndarray) -> np.ndarray:
    """A derivative-free search on the metric itself; weights are ``|x| / sum|x|``."""

    def loss(x: np.ndarray) -> float:
        w = np.abs(x)
        total = w.sum()
        return problem.loss(weighted(preds, w / total)) if total > 0 else np.inf

    result = optimize.minimize(
        loss, start + 1e-3, method="Nelder-Mead", options={"maxfev": 100 * len(start)}
    )
    w = np.abs(result.x)
    return _tidy(w) if w.sum() > 0 else start


def _tidy(w: np.ndarray) -> np.ndarray:
    """Clip tiny and negative weights (optimiser noise) to 0 and rescale to sum 1."""
    w = np.where(np.asarray(w, dtype="float64") < 1e-6, 0.0, w)
    return w / w.sum()


@dataclass
class HillClimb:
    """Caruana et al. (2004), *Ensemble selection from libraries of models*.

    Start from the best single input; at each step add (with replacement) the input that gives
    the best metric of the averaged selection. Steps that do not improve are still taken (with
    replacement, a plateau can be left later), but after ``patience`` of them in a row, or
    ``iterations`` steps in all, the climb stops and the best selection seen is kept. Weights
    are how often each input was selected. For a piecewise-constant metric, ties between
    candidates are broken by the smooth proxy (log-loss/MSE). Never worse than the best input
    on the OOF rows.
    """

    name: ClassVar[str] = "hill_climb"
    learns: ClassVar[bool] = True
    iterations: int = 100
    patience: int = 10
    weights: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def fit(self, preds: np.ndarray, problem: Problem) -> None:
        m = len(preds)

        def key(p: np.ndarray) -> tuple[float, float]:
            return problem.loss(p), 0.0 if problem.is_smooth else problem.proxy_loss(p)

        counts = np.zeros(m, dtype=int)
        first = min(range(m), key=lambda i: key(preds[i]))
        counts[first] = 1
        total = preds[first].copy()
        best_counts, best_key = counts.copy(), key(preds[first])
        stale = steps = 0
        for steps in range(1, self.iterations + 1):  # noqa: B007 - steps is reported
            size = counts.sum()
            keys = [key((total + preds[i]) / (size + 1)) for i in range(m)]
            i = min(range(m), key=keys.__getitem__)
            counts[i] += 1
            total += preds[i]
            if keys[i] < best_key:
                best_counts, best_key, stale = counts.copy(), keys[i], 0
            else:
                stale += 1
                if stale >= self.patience:
                    break
        self.weights = best_counts / best_counts.sum()
        self.info = {
            "selected": int(best_counts.sum()),
            "steps": steps,
            "counts": best_counts.tolist(),
        }

    def apply(self, preds: np.ndarray) -> np.ndarray:
        assert self.weights is not None, "fit first"
        return weighted(preds, self.weights)

    def describe(self) -> dict[str, Any]:
        return {"iterations": self.iterations, "patience": self.patience, **self.info}


Level2 = Literal["auto", "logistic", "ridge"]


@dataclass(frozen=True)
class Linear:
    """A fitted level-2 model as plain arrays (no pickle: it is saved with ``np.savez``).

    ``decision(x) = ((x - mean) / scale) @ coef.T + intercept``: the logistic model's
    standardisation and coefficients, or a ridge model's (``mean`` 0, ``scale`` 1). ``classes``:
    the class indices a logistic model was fitted on (one only: it always predicts that class).
    """

    coef: np.ndarray  # (outputs, features)
    intercept: np.ndarray  # (outputs,)
    mean: np.ndarray  # (features,)
    scale: np.ndarray  # (features,)
    classes: np.ndarray  # (classes,) logistic; empty for ridge

    @classmethod
    def of(cls, model: Any, n_features: int) -> Linear:
        """The arrays of a fitted scikit-learn ridge, scaler + logistic pipeline or constant."""
        zeros, ones = np.zeros(n_features), np.ones(n_features)
        if isinstance(model, _Constant):
            return cls(np.zeros((1, n_features)), np.zeros(1), zeros, ones, model.classes_)
        if hasattr(model, "steps"):  # StandardScaler + LogisticRegression
            scaler, logistic = model[0], model[-1]
            return cls(
                np.atleast_2d(np.asarray(logistic.coef_, dtype="float64")),
                np.atleast_1d(np.asarray(logistic.intercept_, dtype="float64")),
                np.asarray(scaler.mean_, dtype="float64"),
                np.asarray(scaler.scale_, dtype="float64"),
                np.asarray(logistic.classes_).astype(int),
            )
        return cls(  # Ridge on one target column
            np.atleast_2d(np.asarray(model.coef_, dtype="float64")),
            np.atleast_1d(np.asarray(model.intercept_, dtype="float64")),
            zeros,
            ones,
            np.zeros(0, dtype=int),
        )

    def decision(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(((x - self.mean) / self.scale) @ self.coef.T + self.intercept)

    def proba(self, x: np.ndarray, n_classes: int) -> np.ndarray:
        """Class probabilities in all ``n_classes`` columns (classes unseen in training get 0),
        as scikit-learn's logistic regression computes them (sigmoid, or softmax)."""
        out = np.zeros((len(x), n_classes))
        classes = self.classes.astype(int)
        if len(classes) == 1:
            out[:, classes[0]] = 1.0
            return out
        z = self.decision(x)
        if len(classes) == 2:
            p = special.expit(z[:, 0])
            out[:, classes[0]], out[:, classes[1]] = 1 - p, p
            return out
        out[:, classes] = special.softmax(z, axis=1)
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}{k}": getattr(self, k) for k in LINEAR_FIELDS}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> Linear:
        return cls(*(np.asarray(arrays[f"{prefix}{k}"]) for k in LINEAR_FIELDS))


LINEAR_FIELDS = ("coef", "intercept", "mean", "scale", "classes")


@dataclass
class Stack:
    """A level-2 scikit-learn model on the inputs' predictions.

    ``logistic`` (classification): binary on the inputs' logits; multiclass one multinomial
    model on the inputs' log-probabilities of every class; multilabel one model per label on
    that label's logits. ``ridge``: per output column, a ridge regression on the inputs'
    values of that column (on log1p values when the metric is RMSLE); for classification its
    outputs are clipped to [0, 1] (multiclass rows rescaled to sum to 1). ``auto``: logistic
    for classification, ridge for regression. ``alpha`` is the L2 strength (``C = 1/alpha``;
    the logistic model sees standardised features, probabilities clipped to [1e-6, 1 - 1e-6]).

    The fitted models are kept as plain arrays (:class:`Linear`) and applied with numpy, so
    that a blend directory stores them without pickle (:meth:`save`, :meth:`load`) and a
    packaged blend predicts exactly as the blend did.
    """

    name: ClassVar[str] = "stack"
    learns: ClassVar[bool] = True
    model: Level2 = "auto"
    alpha: float = 1.0
    task: TargetTask | None = None
    log_scale: bool = False
    fitted: list[Linear] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.model not in ("auto", "logistic", "ridge"):
            raise BlendError(f"Unknown level-2 model {self.model!r}: use logistic, ridge or auto.")
        if self.alpha <= 0:
            raise BlendError(f"The level-2 alpha must be positive, but got {self.alpha}.")

    @property
    def kind(self) -> str:
        if self.model != "auto":
            return self.model
        return self.task.level2 if self.task is not None else "logistic"

    def fit(self, preds: np.ndarray, problem: Problem) -> None:
        self.task = task = problem.task
        if self.kind == "logistic" and task.level2 != "logistic":
            raise BlendError(
                f"--stack-model logistic is for classification; a {task.kind.value} stacks with "
                f"{task.level2}."
            )
        self.log_scale = problem.metric.name == "rmsle"  # a regression metric
        truth = np.asarray(problem.truth)
        if self.kind == "logistic" and task.stacks_jointly:
            x = _log(preds)
            self.fitted = [Linear.of(_fit_logistic(x, truth.astype(int), self.alpha), x.shape[1])]
            return
        columns = preds.shape[2]
        targets = task.truth_columns(truth)
        self.fitted = [
            self._fit_column(self._features(preds, j), targets[:, j]) for j in range(columns)
        ]

    def _features(self, preds: np.ndarray, j: int) -> np.ndarray:
        values = preds[:, :, j].T  # (rows, inputs)
        if self.kind == "logistic":
            p = np.clip(values, FEATURE_EPS, 1 - FEATURE_EPS)
            return np.log(p / (1 - p))
        return np.log1p(np.clip(values, -1 + EPS, None)) if self.log_scale else values

    def _fit_column(self, x: np.ndarray, y: np.ndarray) -> Linear:
        if self.kind == "logistic":
            return Linear.of(_fit_logistic(x, y.astype(int), self.alpha), x.shape[1])
        from sklearn.linear_model import Ridge

        target = np.log1p(y) if self.log_scale else y
        return Linear.of(Ridge(alpha=self.alpha).fit(x, target), x.shape[1])

    def apply(self, preds: np.ndarray) -> np.ndarray:
        assert self.fitted and self.task is not None, "fit first"
        if self.kind == "logistic" and self.task.stacks_jointly:
            return self.fitted[0].proba(_log(preds), preds.shape[2])
        out = np.empty(preds.shape[1:], dtype="float64")
        for j, model in enumerate(self.fitted):
            x = self._features(preds, j)
            if self.kind == "logistic":
                out[:, j] = model.proba(x, 2)[:, 1]
            else:
                out[:, j] = model.decision(x)[:, 0]
        if self.log_scale:
            out = np.expm1(out)
        if self.kind == "ridge":  # probabilities clipped to [0, 1], multiclass rows sum to 1
            out = self.task.valid_blend(out)
        return out

    def describe(self) -> dict[str, Any]:
        models = [{"coef": m.coef.tolist(), "intercept": m.intercept.tolist()} for m in self.fitted]
        scale = "standardised features" if self.kind == "logistic" else "raw features"
        return {"level2": self.kind, "alpha": self.alpha, "coef_of": scale, "models": models}

    # -- stored without pickle ------------------------------------------------------------------
    def save(self, path: Path) -> dict[str, Any]:
        """Write the fitted models' arrays to ``path`` (``.npz``); return what restores them."""
        assert self.fitted, "fit first"
        arrays: dict[str, np.ndarray] = {}
        for i, model in enumerate(self.fitted):
            arrays.update(model.arrays(f"model{i}_"))
        save_npz(path, arrays)
        return {
            "file": path.name,
            "level2": self.kind,
            "alpha": self.alpha,
            "log_scale": self.log_scale,
            "models": len(self.fitted),
        }

    @classmethod
    def load(cls, info: Mapping[str, Any], path: Path, task: TargetTask) -> Stack:
        """The stack :meth:`save` wrote, ready to :meth:`apply` (``task``: the inputs' task)."""
        with np.load(path, allow_pickle=False) as data:
            fitted = [Linear.from_arrays(data, f"model{i}_") for i in range(int(info["models"]))]
        return cls(
            model=info["level2"],
            alpha=float(info["alpha"]),
            task=task,
            log_scale=bool(info["log_scale"]),
            fitted=fitted,
        )


class _Constant:
    """A level-2 'model' for a column whose training rows hold a single class."""

    def __init__(self, value: int) -> None:
        self.classes_ = np.array([value])


def _fit_logistic(x: np.ndarray, y: np.ndarray, alpha: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(y)) < 2:
        return _Constant(int(y[0]))
    # standardised features: lbfgs converges in far fewer steps, alpha means the same everywhere
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1 / alpha, max_iter=1000))
    return model.fit(x, y)


def _log(preds: np.ndarray) -> np.ndarray:
    """``(inputs, rows, classes)`` log-probabilities side by side: ``(rows, inputs*classes)``."""
    logs = np.log(np.clip(preds, FEATURE_EPS, 1.0))
    return np.concatenate(list(logs), axis=1)


METHODS = ("mean", "rank", "weights", "hill_climb", "stack")


def make_blender(
    method: str,
    *,
    iterations: int = 100,
    patience: int = 10,
    stack_model: Level2 = "auto",
    alpha: float = 1.0,
    seed: int = 0,
) -> Blender:
    if method == "mean":
        return Mean()
    if method == "rank":
        return RankMean()
    if method == "weights":
        return OptimisedWeights(seed=seed)
    if method == "hill_climb":
        if iterations < 1 or patience < 1:
            raise BlendError(
                f"hill_climb needs iterations >= 1 and patience >= 1, got {iterations=}, {patience=}."
            )
        return HillClimb(iterations=iterations, patience=patience)
    if method == "stack":
        return Stack(model=stack_model, alpha=alpha)
    raise BlendError(f"Unknown blend method {method!r}; choose one of {', '.join(METHODS)}.")


def restore_blender(
    method: str,
    weights: Sequence[float] | None,
    task: TargetTask,
    level2: tuple[Mapping[str, Any], Path] | None = None,
) -> Blender:
    """A fitted blender from what a blend directory stored (``blend.json``'s method and
    weights; for ``stack`` its level-2 info and arrays file), to apply to new predictions."""
    if method == "stack":
        if level2 is None:
            raise BlendError("A stack blend needs its level-2 models (level2.npz): blend again.")
        return Stack.load(level2[0], level2[1], task)
    if method not in METHODS:
        raise BlendError(f"Unknown blend method {method!r}; choose one of {', '.join(METHODS)}.")
    blender = make_blender(method)
    if method == "rank":
        assert isinstance(blender, RankMean)
        blender.task = task
    if method in ("weights", "hill_climb"):
        if weights is None:
            raise BlendError(f"A {method} blend needs its weights (blend.json): blend again.")
        blender.weights = np.asarray(weights, dtype="float64")  # type: ignore[attr-defined]
    return blender
