"""trainer.precision / jit_compile / steps_per_execution: policies are scoped, float16 gets loss
scaling, and the compile knobs leave batch order and the NaN guard as they were."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kagglekit.models.mlp import build_mlp
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.fit import TrainerSettings, build_model, fit_model
from kagglekit.training.nan_guard import NanGuard
from kagglekit.training.precision import dtype_policy

INPUTS = {"features": InputSpec((6,))}
OUTPUTS = [OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")]


def _model(**compile_options: object) -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_model(
        lambda inputs, outputs: build_mlp(
            inputs, outputs, hidden_units=(8,), dropout=0.0, batch_norm=False
        ),
        INPUTS,
        OUTPUTS,
        make_optimizer=lambda: keras.optimizers.Adam(1e-2),
        **compile_options,  # type: ignore[arg-type]
    )


def _data(n: int = 60) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype("float32")
    return {"features": x}, (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")


def test_policy_applies_inside_the_scope_and_is_restored_even_on_error() -> None:
    assert keras.config.dtype_policy().name == "float32"
    with dtype_policy("mixed_bfloat16"):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        model = _model()
    assert keras.config.dtype_policy().name == "float32"
    assert model.get_layer("output").dtype_policy.name == "float32"
    with pytest.raises(RuntimeError), dtype_policy("mixed_float16"):
        raise RuntimeError("boom")
    assert keras.config.dtype_policy().name == "float32"


def test_mixed_float16_compiles_with_loss_scaling_and_others_without() -> None:
    with dtype_policy("mixed_float16"):
        scaled = _model()
    assert isinstance(scaled.optimizer, keras.optimizers.LossScaleOptimizer)
    with dtype_policy("mixed_bfloat16"):
        plain = _model()
    assert not isinstance(plain.optimizer, keras.optimizers.LossScaleOptimizer)
    # the scaled model trains, its predictions are float32
    x, y = _data()
    with dtype_policy("mixed_float16"):
        history = scaled.fit(x["features"], y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert scaled.predict(x["features"], verbose=0).dtype == np.float32


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("precision", "float16", "trainer.precision must be one of"),
        ("distribution", "mirrored", "trainer.distribution must be null or 'data_parallel'"),
        ("jit_compile", "yes", "trainer.jit_compile must be 'auto', true or false"),
        ("steps_per_execution", 0, "trainer.steps_per_execution must be at least 1"),
    ],
)
def test_bad_values_name_the_key(option: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainerSettings(**{option: value})  # type: ignore[arg-type]


def test_compile_knobs_reach_the_model() -> None:
    model = _model(jit_compile=False, steps_per_execution=4)
    assert model.jit_compile is False
    assert model.steps_per_execution == 4


def test_steps_per_execution_keeps_batch_order_and_history() -> None:
    """Several steps per compiled call train on the same batches in the same order."""
    x, y = _data(70)  # 70 rows / batch 8: 9 batches, not a multiple of 4 steps
    settings = TrainerSettings(epochs=3, batch_size=8, verbose=0, predict_batch_size=16)
    runs = {}
    for steps in (1, 4):
        model = _model(steps_per_execution=steps)
        history = fit_model(model, (x, y), (x, y), settings=settings, callbacks=[], initial_epoch=0)
        runs[steps] = (history.history, model.get_weights())
    assert runs[1][0].keys() == runs[4][0].keys()
    for key in runs[1][0]:
        np.testing.assert_allclose(runs[4][0][key], runs[1][0][key], rtol=1e-5, atol=1e-6)
    for a, b in zip(runs[1][1], runs[4][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_nan_guard_trips_with_several_steps_per_execution() -> None:
    x, _ = _data(64)
    y = x["features"][:, :1].copy()
    y[20] = np.nan  # batch 2 of the first epoch (unshuffled) has a NaN target
    settings = TrainerSettings(epochs=5, batch_size=8, verbose=0, shuffle=False)
    guard = NanGuard()
    keras.utils.set_random_seed(0)
    model = build_model(
        lambda inputs, outputs: build_mlp(inputs, outputs, hidden_units=(8,), batch_norm=False),
        INPUTS,
        [OutputSpec("output", 1, "linear", "mean_squared_error")],
        make_optimizer=lambda: keras.optimizers.Adam(1e-2),
        steps_per_execution=4,
    )
    history = fit_model(model, (x, y), (x, y), settings=settings, callbacks=[guard])
    assert guard.tripped is not None
    epoch, batch, loss = guard.tripped
    assert epoch == 0 and not np.isfinite(loss)
    assert batch == 3  # seen at the end of the compiled call (batches 0-3) that held it
    assert len(history.epoch) == 1  # training stopped in the first epoch
