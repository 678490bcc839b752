"""Every conf/model/*.yaml builds, fits one step, and reloads its weights exactly."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import DictConfig

from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.fit import build_model
from kagglekit.training.precision import dtype_policy
from tests.conftest import Compose, options

# An example input for each factory (for a composed model: each stem); a new one adds its line.
EXAMPLE_INPUTS = {
    "kagglekit.models.mlp.build_mlp": {"features": InputSpec((12,))},
    "kagglekit.models.cnn.build_cnn": {"image": InputSpec((8, 8, 1))},
    # variable-length series: padded steps hold mask_value
    "kagglekit.models.blocks.SeriesInput": {"sequence": InputSpec((12, 2), mask_value=0.0)},
    "kagglekit.models.blocks.TokenEmbedding": {
        "text": InputSpec((10,), dtype="int32", vocabulary=50, mask_value=0)
    },
    "kagglekit.models.series_blocks.build_series_network": {
        "sequence": InputSpec((12, 2), mask_value=0.0)
    },
    "kagglekit.models.backbone.build_backbone": {"image": InputSpec((8, 8, 1))},
    "kagglekit.models.branches.InputBranches": {
        "numeric": InputSpec((5,)),
        "cat_color": InputSpec((1,), dtype="int32", vocabulary=7),
        "cat_size": InputSpec((1,), dtype="int32", vocabulary=4),
        "image": InputSpec((8, 8, 1)),
    },
    "kagglekit.models.multi_output.build_multi_output": {
        "numeric": InputSpec((6,)),
        "cat_color": InputSpec((1,), dtype="int32", vocabulary=5),
    },
    "kagglekit.models.residual_mlp.build_residual_mlp": {"features": InputSpec((12,))},
    "kagglekit.models.linear.build_linear": {"features": InputSpec((12,))},
    "kagglekit.models.ridge.build_ridge": {"features": InputSpec((12,))},
    "kagglekit.models.siamese.build_siamese": {"left": InputSpec((6,)), "right": InputSpec((6,))},
}
OUTPUTS = [OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")]
# Factories that need several heads say which (each its own loss).
EXAMPLE_OUTPUTS = {
    "kagglekit.models.multi_output.build_multi_output": [
        OutputSpec("price", 1, "linear", "mean_squared_error"),
        OutputSpec("kind", 3, "softmax", "sparse_categorical_crossentropy"),
        OutputSpec("flags", 2, "sigmoid", "binary_crossentropy"),
    ],
}


def _example_key(model_cfg: DictConfig) -> str:
    """The factory, or for a model composed of blocks its stem (what decides the input)."""
    stem = model_cfg.get("stem")
    return str(stem._target_ if stem is not None else model_cfg._target_)


def _batch(inputs: dict[str, InputSpec], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {name: _example(spec, n, rng) for name, spec in inputs.items()}


def _example(spec: InputSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    shape = (n, *(d or 4 for d in spec.shape))
    if spec.vocabulary:  # token or category ids (padded at the end when masked)
        ids = rng.integers(1, spec.vocabulary, size=shape)
        if spec.mask_value is not None:
            ids[:, shape[1] // 2 :] = spec.mask_value
        return ids.astype(spec.dtype)
    values = rng.normal(size=shape)
    if spec.mask_value is not None:  # variable length: the last steps are padding
        values[: n // 2, shape[1] // 2 :] = spec.mask_value
    return values.astype(spec.dtype)


def _targets(outputs: list[OutputSpec], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    y = {}
    for o in outputs:
        if o.activation == "softmax":
            y[o.name] = rng.integers(0, o.units, size=n)
        elif o.activation == "sigmoid":
            y[o.name] = rng.integers(0, 2, size=(n, o.units)).astype("float32")
        else:
            y[o.name] = rng.normal(size=(n, o.units)).astype("float32")
    return y


def _as_dict(predictions: object, outputs: list[OutputSpec]) -> dict[str, np.ndarray]:
    if isinstance(predictions, dict):
        return {k: np.asarray(v) for k, v in predictions.items()}
    return {outputs[0].name: np.asarray(predictions)}


@pytest.mark.parametrize("name", options("model"))
def test_model_config_builds_fits_and_round_trips(
    compose_cfg: Compose, name: str, tmp_path
) -> None:
    cfg = compose_cfg(f"model={name}")
    target = _example_key(cfg.model)
    assert target in EXAMPLE_INPUTS, f"add an example input for {target} to EXAMPLE_INPUTS"
    inputs = EXAMPLE_INPUTS[target]
    outputs = EXAMPLE_OUTPUTS.get(target, OUTPUTS)
    keras.utils.set_random_seed(0)
    model = build_model(
        instantiate(cfg.model, _convert_="all"),
        inputs,
        outputs,
        make_optimizer=lambda: keras.optimizers.Adam(1e-3),
    )
    rng = np.random.default_rng(0)
    x = _batch(inputs, 16, rng)
    y_heads = _targets(outputs, 16, rng)
    y = next(iter(y_heads.values())) if len(y_heads) == 1 else y_heads
    feed = next(iter(x.values())) if len(x) == 1 else x
    model.fit(feed, y, epochs=1, batch_size=8, verbose=0)
    before = _as_dict(model.predict(feed, verbose=0), outputs)
    assert sorted(before) == sorted(o.name for o in outputs)
    for o in outputs:
        assert np.isfinite(before[o.name]).all() and before[o.name].shape == (16, o.units)
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    clone = build_model(
        instantiate(cfg.model, _convert_="all"),
        inputs,
        outputs,
        make_optimizer=lambda: keras.optimizers.Adam(),
    )
    clone.load_weights(path)
    after = _as_dict(clone.predict(feed, verbose=0), outputs)
    for o in outputs:
        np.testing.assert_array_equal(after[o.name], before[o.name])


@pytest.mark.parametrize("name", options("model"))
def test_model_config_in_mixed_precision_keeps_float32_heads_and_loads_into_float32(
    compose_cfg: Compose, name: str, tmp_path
) -> None:
    """Under mixed_bfloat16 the body computes in bfloat16, every output head in float32, and
    the weights load into the same model built in float32 with close predictions (training
    in mixed precision is covered by tests/training/test_precision.py and the digits run)."""
    cfg = compose_cfg(f"model={name}")
    target = _example_key(cfg.model)
    inputs = EXAMPLE_INPUTS[target]
    outputs = EXAMPLE_OUTPUTS.get(target, OUTPUTS)
    keras.utils.set_random_seed(0)
    with dtype_policy("mixed_bfloat16"):
        model = build_model(
            instantiate(cfg.model, _convert_="all"),
            inputs,
            outputs,
            make_optimizer=lambda: keras.optimizers.Adam(1e-3),
        )
    assert keras.config.dtype_policy().name == "float32"  # nothing leaks out of the scope
    heads = {o.name for o in outputs}
    body = [layer for layer in model.layers if layer.weights and layer.name not in heads]
    # a linear model (rocket_linear, rocket_ridge) is its float32 head alone
    assert not body or "bfloat16" in {layer.dtype_policy.compute_dtype for layer in body}
    for o in outputs:
        head = model.get_layer(o.name)
        assert head.dtype_policy.name == "float32", f"{name}: head {o.name} is not float32"
    x = _batch(inputs, 16, np.random.default_rng(0))
    feed = next(iter(x.values())) if len(x) == 1 else x
    mixed = _as_dict(model.predict(feed, verbose=0), outputs)
    for o in outputs:
        assert mixed[o.name].dtype == np.float32
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    full = build_model(
        instantiate(cfg.model, _convert_="all"),
        inputs,
        outputs,
        make_optimizer=lambda: keras.optimizers.Adam(),
    )
    full.load_weights(path)
    assert all(w.dtype == "float32" for w in full.weights if "float" in str(w.dtype))
    after = _as_dict(full.predict(feed, verbose=0), outputs)
    for o in outputs:
        # bfloat16 keeps ~3 significant digits: the float32 model agrees to that precision
        np.testing.assert_allclose(after[o.name], mixed[o.name], atol=0.1, rtol=0.1)
