"""Every conf/model/*.yaml builds, fits one step, and reloads its weights exactly."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hydra.utils import instantiate

from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.fit import build_model
from tests.conftest import Compose, options

# An example input for each factory; a new factory adds its line here.
EXAMPLE_INPUTS = {
    "kagglekit.models.mlp.build_mlp": {"features": InputSpec((12,))},
    "kagglekit.models.cnn.build_cnn": {"image": InputSpec((8, 8, 1))},
    # variable-length series: padded steps hold mask_value
    "kagglekit.models.rnn.build_rnn": {"sequence": InputSpec((12, 2), mask_value=0.0)},
    "kagglekit.models.conv1d.build_conv1d": {"sequence": InputSpec((12, 2))},
    "kagglekit.models.text.build_text_rnn": {
        "text": InputSpec((10,), dtype="int32", vocabulary=50, mask_value=0)
    },
    "kagglekit.models.text.build_text_cnn": {
        "text": InputSpec((10,), dtype="int32", vocabulary=50, mask_value=0)
    },
}
OUTPUTS = [OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")]


def _batch(inputs: dict[str, InputSpec], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {name: _example(spec, n, rng) for name, spec in inputs.items()}


def _example(spec: InputSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    shape = (n, *(d or 4 for d in spec.shape))
    if spec.vocabulary:  # token ids, the last ones padding
        ids = rng.integers(1, spec.vocabulary, size=shape)
        ids[:, shape[1] // 2 :] = 0
        return ids.astype(spec.dtype)
    values = rng.normal(size=shape)
    if spec.mask_value is not None:  # variable length: the last steps are padding
        values[: n // 2, shape[1] // 2 :] = spec.mask_value
    return values.astype(spec.dtype)


@pytest.mark.parametrize("name", options("model"))
def test_model_config_builds_fits_and_round_trips(
    compose_cfg: Compose, name: str, tmp_path
) -> None:
    cfg = compose_cfg(f"model={name}")
    target = cfg.model._target_
    assert target in EXAMPLE_INPUTS, f"add an example input for {target} to EXAMPLE_INPUTS"
    inputs = EXAMPLE_INPUTS[target]
    keras.utils.set_random_seed(0)
    model = build_model(
        instantiate(cfg.model, _convert_="all"),
        inputs,
        OUTPUTS,
        make_optimizer=lambda: keras.optimizers.Adam(1e-3),
    )
    rng = np.random.default_rng(0)
    x = _batch(inputs, 16, rng)
    y = rng.integers(0, 3, size=16)
    feed = next(iter(x.values())) if len(x) == 1 else x
    model.fit(feed, y, epochs=1, batch_size=8, verbose=0)
    before = model.predict(feed, verbose=0)
    assert np.isfinite(before).all() and before.shape == (16, 3)
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    clone = build_model(
        instantiate(cfg.model, _convert_="all"),
        inputs,
        OUTPUTS,
        make_optimizer=lambda: keras.optimizers.Adam(),
    )
    clone.load_weights(path)
    np.testing.assert_array_equal(clone.predict(feed, verbose=0), before)
