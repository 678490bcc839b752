"""model=rocket_ridge: the closed-form ridge head equals scikit-learn's RidgeClassifierCV/RidgeCV,
gives valid probabilities, survives a weights round trip, and the fold path solves it."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifierCV, RidgeCV

from kagglekit.models.ridge import DEFAULT_ALPHAS, RidgeHead, build_ridge, solve_ridge
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.fit import TrainerSettings, build_model
from kagglekit.training.solve import closed_form_heads, solve_model, solves_in_closed_form

BINARY = OutputSpec("output", 1, "sigmoid", "binary_crossentropy")


def _problem(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random rows (n train + 40 test) and class indices of a noisy linear k-class problem."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n + 40, d)).astype("float32")
    y = (x @ rng.normal(size=(d, k)) + 4 * rng.normal(size=(n + 40, k))).argmax(axis=1)
    return x[:n], y[:n], x[n:]


def _ridge_model(d: int, output: OutputSpec) -> keras.Model:
    return build_model(
        build_ridge,
        {"features": InputSpec((d,))},
        [output],
        make_optimizer=lambda: keras.optimizers.Adam(),
    )


@pytest.mark.parametrize(("n", "d", "k"), [(40, 300, 3), (60, 200, 5), (300, 40, 4)])
def test_multiclass_head_equals_ridge_classifier_cv(n: int, d: int, k: int) -> None:
    x, y, x_test = _problem(n, d, k)
    reference = RidgeClassifierCV(alphas=DEFAULT_ALPHAS).fit(x, y)
    model = _ridge_model(d, OutputSpec("output", k, "softmax", "sparse_categorical_crossentropy"))
    head = model.get_layer("output")
    chosen = head.solve(x, y)
    assert chosen["alpha"] == pytest.approx(reference.alpha_)
    np.testing.assert_allclose(
        x_test @ np.asarray(head.kernel) + np.asarray(head.bias),
        reference.decision_function(x_test),
        rtol=1e-4,
        atol=1e-4,
    )
    proba = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(proba.argmax(axis=1), reference.predict(x_test))


def test_binary_head_equals_ridge_classifier_cv() -> None:
    x, y, x_test = _problem(50, 400, 2, seed=1)
    reference = RidgeClassifierCV(alphas=DEFAULT_ALPHAS).fit(x, y)
    model = _ridge_model(400, BINARY)
    model.get_layer("output").solve(x, y.astype("float32"))
    p = model.predict(x_test, verbose=0)[:, 0]
    assert ((p > 0) & (p < 1)).all()
    np.testing.assert_array_equal((p > 0.5).astype(int), reference.predict(x_test))


def test_regression_head_equals_ridge_cv() -> None:
    x, _, x_test = _problem(80, 30, 2, seed=2)
    y = x[:, :2] @ np.array([[1.0, -2.0], [0.5, 3.0]]) + 0.1 * x[:, 2:4] + 7.0
    reference = RidgeCV(alphas=DEFAULT_ALPHAS).fit(x, y)
    model = _ridge_model(30, OutputSpec("output", 2, "linear", "mean_squared_error"))
    model.get_layer("output").solve(x, y)
    np.testing.assert_allclose(
        model.predict(x_test, verbose=0), reference.predict(x_test), rtol=1e-3, atol=1e-3
    )


def test_leave_one_out_error_is_the_real_one() -> None:
    """The efficient LOO residual equals refitting without each row (with the intercept)."""
    x, y, _ = _problem(15, 25, 2, seed=3)
    targets = np.where(y == 1, 1.0, -1.0)[:, None]
    fit = solve_ridge(x, targets, [3.0])
    for i in range(len(x)):
        rest = np.arange(len(x)) != i
        alone = solve_ridge(x[rest], targets[rest], [3.0])
        held_out = x[i] @ alone.coef + alone.intercept
        np.testing.assert_allclose(fit.loo_predictions[i], held_out, rtol=1e-6, atol=1e-8)


def test_solved_weights_round_trip_through_the_weights_file(tmp_path: Path) -> None:
    x, y, x_test = _problem(40, 100, 3)
    output = OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")
    model = _ridge_model(100, output)
    model.get_layer("output").solve(x, y)
    assert float(np.asarray(model.get_layer("output").temperature)) != 1.0
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    again = _ridge_model(100, output)
    again.load_weights(path)
    np.testing.assert_allclose(
        again.predict(x_test, verbose=0), model.predict(x_test, verbose=0), rtol=1e-6
    )


def test_temperature_keeps_the_class_and_calibrates() -> None:
    """Calibrated probabilities pick the ridge's class, and are less extreme than hard 0/1
    where the LOO scores are unsure (here: noisy labels)."""
    x, y, x_test = _problem(60, 200, 2, seed=4)
    calibrated, plain = _ridge_model(200, BINARY), _ridge_model(200, BINARY)
    calibrated.get_layer("output").solve(x, y)
    plain.get_layer("output").calibrate = False
    plain.get_layer("output").solve(x, y)
    p, q = calibrated.predict(x_test, verbose=0), plain.predict(x_test, verbose=0)
    np.testing.assert_array_equal(p > 0.5, q > 0.5)
    assert float(np.asarray(plain.get_layer("output").temperature)) == 1.0


def test_solve_model_is_one_epoch_with_callbacks(tmp_path: Path) -> None:
    x, y, _ = _problem(60, 50, 3)
    model = _ridge_model(50, OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy"))
    assert solves_in_closed_form(model)
    assert [head.name for head in closed_form_heads(model)] == ["output"]
    seen: list[str] = []
    recorder = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append("begin"),
        on_epoch_end=lambda epoch, logs: seen.append(f"epoch {epoch}: {sorted(logs)}"),
        on_train_end=lambda logs: seen.append("end"),
    )
    history = solve_model(
        model,
        ({"features": x[:45]}, y[:45]),
        ({"features": x[45:]}, y[45:]),
        settings=TrainerSettings(),
        callbacks=[recorder],
    )
    assert history.epoch == [0]
    assert seen == ["begin", "epoch 0: ['accuracy', 'loss', 'val_accuracy', 'val_loss']", "end"]
    assert history.history["accuracy"][0] > 0.9  # more features than rows: fits the training rows


def test_a_gradient_model_is_not_solved() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="output")])
    assert not solves_in_closed_form(model)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="alphas"):
        RidgeHead(2, "softmax", alphas=[0.0, 1.0])
    with pytest.raises(ValueError, match="activation"):
        RidgeHead(2, "relu")
    with pytest.raises(ValueError, match="token ids"):
        build_ridge({"text": InputSpec((5,), dtype="int32", vocabulary=9)}, [BINARY])
