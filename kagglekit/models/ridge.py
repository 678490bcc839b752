"""Ridge regression/classification solved in closed form, as a Keras model.

:func:`build_ridge` is MiniRocket's own head (``RidgeClassifierCV``) in Keras form: a
:class:`RidgeHead` output layer whose weights are not trained by gradient steps but solved on the
fold's training rows (:func:`kagglekit.training.solve.solve_model` calls
:meth:`RidgeHead.solve`): least squares on ±1 targets (one column per class; one column for a
binary target, as scikit-learn encodes them) or on the regression targets, the L2 strength chosen
among ``alphas`` by the exact leave-one-out error (scikit-learn's efficient LOO, computed from one
eigendecomposition of the Gram matrix). The weights live in the layer, so the fold's
``.weights.h5`` holds them like any model's.

A classifier's ridge scores become probabilities through a sigmoid/softmax of
``temperature * score``; the temperature is fitted on the leave-one-out scores of the training
rows (log loss, Platt's smoothed targets), so it never changes the predicted class: the class is
RidgeClassifierCV's, and the probabilities are calibrated for log-loss/AUC metrics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops
from scipy.optimize import minimize_scalar

from kagglekit.models.blocks import make_input
from kagglekit.models.specs import ModelInputs, ModelOutputs, OutputSpec, single_input

#: RidgeClassifierCV's grid in MiniRocket (aeon, sktime): ``logspace(-3, 3, 10)``
DEFAULT_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-3, 3, 10))
ACTIVATIONS = ("sigmoid", "softmax", "linear")


@dataclass(frozen=True)
class RidgeSolution:
    """A ridge fit: ``coef`` (features, targets), ``intercept`` (targets), the chosen ``alpha``,
    its mean squared leave-one-out error, and the leave-one-out predictions of the training rows."""

    coef: np.ndarray
    intercept: np.ndarray
    alpha: float
    loo_error: float
    loo_predictions: np.ndarray


def solve_ridge(
    x: np.ndarray, y: np.ndarray, alphas: Sequence[float], *, fit_intercept: bool = True
) -> RidgeSolution:
    """Ridge regression of ``y`` (n, t) on ``x`` (n, d) for the alpha of ``alphas`` with the
    least mean squared leave-one-out error (the first such alpha on ties, as scikit-learn's
    ``RidgeCV``/``RidgeClassifierCV`` with their default ``gcv_mode`` and ``scoring=None``).

    One eigendecomposition of the smaller Gram matrix (``x x'`` for fewer rows than
    features, else ``x' x``) serves every alpha, in float64: the hat matrix is
    ``U diag(s²/(s²+alpha)) U'``, and the leave-one-out residual of row i is
    ``(y_i - ŷ_i) / (1 - h_ii - 1/n)`` (``- 1/n``: the unpenalised intercept).
    """
    if not len(alphas) or min(alphas) <= 0:
        raise ValueError(f"alphas must be a non-empty list of values > 0, but got {alphas=}.")
    x = np.asarray(x, dtype="float64").reshape(len(x), -1)
    y = np.asarray(y, dtype="float64").reshape(len(y), -1)
    n, d = x.shape
    if n < 2:
        raise ValueError(f"Ridge needs at least 2 training rows, but got {n}.")
    x_mean = x.mean(axis=0) if fit_intercept else np.zeros(d)
    y_mean = y.mean(axis=0) if fit_intercept else np.zeros(y.shape[1])
    xc, yc = x - x_mean, y - y_mean
    if n <= d:  # U and s² from the (n, n) Gram matrix
        s2, u = np.linalg.eigh(xc @ xc.T)
        keep = s2 > s2.max(initial=0.0) * 1e-12
        s2, u = s2[keep], u[:, keep]
        v = None
    else:  # from the (d, d) covariance; U = x V / s
        s2, v = np.linalg.eigh(xc.T @ xc)
        keep = s2 > s2.max(initial=0.0) * 1e-12
        s2, v = s2[keep], v[:, keep]
        u = (xc @ v) / np.sqrt(s2)
    uty = u.T @ yc
    u2 = u**2
    leverage_of_intercept = 1.0 / n if fit_intercept else 0.0
    best: tuple[float, float, np.ndarray] | None = None
    for alpha in alphas:
        shrink = s2 / (s2 + alpha)
        fitted = u @ (shrink[:, None] * uty)
        h = u2 @ shrink + leverage_of_intercept
        loo_residual = (yc - fitted) / (1.0 - h)[:, None]
        error = float(np.mean(loo_residual**2))
        if best is None or error < best[1]:
            best = (float(alpha), error, loo_residual)
    assert best is not None
    alpha, error, loo_residual = best
    if v is None:  # coef = xc' U diag(1/(s²+alpha)) U' y
        coef = xc.T @ (u @ (uty / (s2 + alpha)[:, None]))
    else:  # coef = V diag(1/(s²+alpha)) V' xc' y
        coef = v @ ((v.T @ (xc.T @ yc)) / (s2 + alpha)[:, None])
    intercept = y_mean - x_mean @ coef
    return RidgeSolution(coef, intercept, alpha, error, y - loo_residual)


def ridge_targets(y: np.ndarray, activation: str, units: int) -> np.ndarray:
    """The least-squares targets of an output head: ±1 per class (softmax: ``y`` holds class
    indices; sigmoid: ``y`` holds 0/1 per unit), or the values themselves (linear)."""
    y = np.asarray(y)
    if activation == "softmax":
        index = y.reshape(len(y)).astype("int64")
        return np.where(np.arange(units)[None, :] == index[:, None], 1.0, -1.0)
    if activation == "sigmoid":
        return np.where(y.reshape(len(y), units) > 0.5, 1.0, -1.0)
    return y.reshape(len(y), units).astype("float64")


def fit_temperature(scores: np.ndarray, targets: np.ndarray, activation: str) -> float:
    """The ``t > 0`` whose ``activation(t * scores)`` has the least log loss against the ±1
    ``targets``, the 0/1 targets smoothed as Platt's (``(n₊+1)/(n₊+2)``, ``1/(n₋+2)``) so that
    separable scores get a finite temperature. Bounded to ``[1e-3, 1e3]``."""
    positive = targets > 0
    n_pos = positive.sum(axis=0, keepdims=True)
    n_neg = len(targets) - n_pos
    soft = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    if activation == "softmax":
        soft = soft / soft.sum(axis=1, keepdims=True)

    def log_loss(log_t: float) -> float:
        z = math.exp(log_t) * scores
        if activation == "softmax":
            z = z - z.max(axis=1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            return float(-(soft * log_p).sum(axis=1).mean())
        # sigmoid: q log(1 + e^-z) + (1-q) log(1 + e^z), stably
        return float((np.logaddexp(0.0, -z) * soft + np.logaddexp(0.0, z) * (1 - soft)).mean())

    found = minimize_scalar(log_loss, bounds=(math.log(1e-3), math.log(1e3)), method="bounded")
    return float(math.exp(found.x))


@keras.saving.register_keras_serializable(package="kagglekit")
class RidgeHead(keras.layers.Layer):
    """An output layer ``activation(temperature * (x @ kernel + bias))`` whose weights
    :meth:`solve` sets by ridge regression with leave-one-out alpha (see module docstring).

    Args:
        units / activation: the output head's (``sigmoid``, ``softmax`` or ``linear``).
        alphas: the L2 strengths to choose from.
        fit_intercept: an unpenalised bias (features and targets centred).
        calibrate: fit the temperature of a classifier's probabilities (else 1).
    """

    def __init__(
        self,
        units: int,
        activation: str,
        *,
        alphas: Sequence[float] = DEFAULT_ALPHAS,
        fit_intercept: bool = True,
        calibrate: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"RidgeHead's activation must be one of {ACTIVATIONS}, but got {activation=}."
            )
        if not len(alphas) or min(alphas) <= 0:
            raise ValueError(f"alphas must be a non-empty list of values > 0, but got {alphas=}.")
        self.units = int(units)
        self.activation = activation
        self.alphas = tuple(float(a) for a in alphas)
        self.fit_intercept = fit_intercept
        self.calibrate = calibrate
        #: what the last :meth:`solve` chose (``alpha``, ``loo_error``, ``temperature``)
        self.solved: dict[str, float] = {}

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = int(input_shape[-1])  # type: ignore[arg-type]
        self.kernel = self.add_weight(shape=(width, self.units), initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.temperature = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="temperature"
        )

    def call(self, inputs: Any) -> Any:
        scores = ops.matmul(ops.cast(inputs, self.compute_dtype), self.kernel) + self.bias
        if self.activation == "linear":
            return scores
        scores = scores * self.temperature
        return ops.softmax(scores) if self.activation == "softmax" else ops.sigmoid(scores)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def solve(self, features: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Set kernel, bias and temperature from the training rows' ``features`` (n, width) and
        encoded targets ``y`` (class indices, 0/1 or values, as the head is fitted on).
        Returns what it chose."""
        targets = ridge_targets(y, self.activation, self.units)
        fit = solve_ridge(features, targets, self.alphas, fit_intercept=self.fit_intercept)
        temperature = 1.0
        if self.activation != "linear" and self.calibrate:
            temperature = fit_temperature(fit.loo_predictions, targets, self.activation)
        self.kernel.assign(fit.coef.astype(self.kernel.dtype))
        self.bias.assign(fit.intercept.astype(self.bias.dtype))
        self.temperature.assign(np.asarray(temperature, dtype=self.temperature.dtype))
        self.solved = {"alpha": fit.alpha, "loo_error": fit.loo_error, "temperature": temperature}
        return self.solved

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "alphas": list(self.alphas),
            "fit_intercept": self.fit_intercept,
            "calibrate": self.calibrate,
        }


def build_ridge(
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    fit_intercept: bool = True,
    calibrate: bool = True,
    name: str = "ridge",
) -> keras.Model:
    """RidgeClassifierCV / RidgeCV as a Keras model: one :class:`RidgeHead` per output over one
    flat numeric input, solved in closed form on each fold's training rows (no epochs).

    Args:
        alphas: the L2 strengths the leave-one-out error chooses from (per fold).
        fit_intercept: an unpenalised bias per output.
        calibrate: fit the temperature of the probabilities on the leave-one-out scores.
    """
    input_name, spec = single_input(inputs, "build_ridge")
    if spec.vocabulary is not None:
        raise ValueError(
            f"build_ridge reads numeric features, but input {input_name!r} holds token ids: give "
            "it TF-IDF features (kagglekit.data.tfidf.TfidfFeatures) instead."
        )
    x_in = make_input(input_name, spec)
    x = keras.layers.Flatten(name="flatten")(x_in) if len(spec.shape) > 1 else x_in
    heads = {o.name: _head(o, alphas, fit_intercept, calibrate)(x) for o in outputs}
    return keras.Model(x_in, next(iter(heads.values())) if len(heads) == 1 else heads, name=name)


def _head(spec: OutputSpec, alphas: Sequence[float], fit_intercept: bool, calibrate: bool) -> Any:
    if spec.activation not in ACTIVATIONS:
        raise ValueError(
            f"build_ridge has heads of activation {ACTIVATIONS}, but output {spec.name!r} needs "
            f"{spec.activation!r}."
        )
    return RidgeHead(
        spec.units,
        spec.activation,
        alphas=alphas,
        fit_intercept=fit_intercept,
        calibrate=calibrate,
        dtype="float32",
        name=spec.name,
    )
