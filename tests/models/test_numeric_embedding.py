"""Periodic numeric embeddings (``model.numeric_embedding``) and quantile scaling end to end."""

from __future__ import annotations

from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras import ops

from kagglekit.models.layers import PeriodicEmbedding
from kagglekit.models.mlp import build_mlp
from kagglekit.models.specs import InputSpec, OutputSpec
from tests.e2e.helpers import run_script, scores

BINARY = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
EMBEDDING = {"kind": "periodic", "n_frequencies": 4, "dim": 3}


def test_layer_shape_and_per_feature_weights() -> None:
    layer = PeriodicEmbedding(n_frequencies=4, dim=3)
    out = layer(np.zeros((5, 7), dtype="float32"))
    assert tuple(out.shape) == (5, 7, 3)
    assert tuple(layer.frequencies.shape) == (7, 4)
    assert tuple(layer.kernel.shape) == (7, 8, 3)  # one linear map per feature
    lite = PeriodicEmbedding(n_frequencies=4, dim=3, lite=True)
    lite(np.zeros((5, 7), dtype="float32"))
    assert tuple(lite.kernel.shape) == (8, 3)  # one shared by every feature


def test_features_are_embedded_independently() -> None:
    layer = PeriodicEmbedding(n_frequencies=6, dim=5, sigma=1.0, activation=None)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    base = ops.convert_to_numpy(layer(x))
    changed = x.copy()
    changed[:, 1] += 1.0
    moved = ops.convert_to_numpy(layer(changed))
    np.testing.assert_allclose(moved[:, [0, 2]], base[:, [0, 2]], rtol=1e-6)
    assert not np.allclose(moved[:, 1], base[:, 1])
    # by hand: cos/sin of 2*pi*c*x, then the feature's own linear map
    c, w, b = (ops.convert_to_numpy(v) for v in (layer.frequencies, layer.kernel, layer.bias))
    angles = 2 * np.pi * x[:, 1:2] * c[1]
    expected = np.concatenate([np.cos(angles), np.sin(angles)], axis=-1) @ w[1] + b[1]
    np.testing.assert_allclose(base[:, 1], expected, rtol=1e-4, atol=1e-5)


def test_frequencies_kernel_and_bias_all_get_gradients() -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), PeriodicEmbedding(4, 2), keras.layers.Flatten()])
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    y = np.sin(3 * x[:, :1]).astype("float32")
    embedding = model.layers[0]
    before = [np.asarray(v).copy() for v in embedding.trainable_weights]
    assert len(before) == 3
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for old, new in zip(before, embedding.trainable_weights, strict=True):
        assert not np.allclose(old, np.asarray(new)), new.path


def test_a_saved_model_with_the_layer_loads_by_name(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = build_mlp(
        {"features": InputSpec((6,), numeric_features=4)},
        BINARY,
        hidden_units=[8],
        numeric_embedding={**EMBEDDING, "lite": True, "sigma": 0.5},
    )
    x = np.random.default_rng(2).normal(size=(10, 6)).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("numeric_embedding")
    assert isinstance(layer, PeriodicEmbedding)
    assert (layer.lite, layer.sigma, layer.dim, layer.n_frequencies) == (True, 0.5, 3, 4)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_mlp_embeds_the_numeric_columns_and_passes_the_rest() -> None:
    model = build_mlp(
        {"features": InputSpec((6,), numeric_features=4)},
        BINARY,
        hidden_units=[8],
        numeric_embedding=EMBEDDING,
    )
    assert tuple(model.get_layer("numeric_embedding").kernel.shape) == (4, 8, 3)
    assert tuple(model.get_layer("numeric_embedding_join").output.shape) == (None, 4 * 3 + 2)
    # one-hot columns reach the dense layers untouched: a change there is not embedded
    x = np.zeros((2, 6), dtype="float32")
    x[1, 5] = 1.0
    joined = keras.Model(model.input, model.get_layer("numeric_embedding_join").output)
    out = ops.convert_to_numpy(joined(x))
    np.testing.assert_array_equal(out[:, -2:], x[:, -2:])
    np.testing.assert_allclose(out[0, :-2], out[1, :-2])
    # without numeric_features every column is embedded; null means no embedding at all
    every = build_mlp({"features": InputSpec((6,))}, BINARY, numeric_embedding=EMBEDDING)
    assert tuple(every.get_layer("numeric_embedding").kernel.shape) == (6, 8, 3)
    plain = build_mlp({"features": InputSpec((6,))}, BINARY, numeric_embedding=None)
    assert not any(isinstance(layer, PeriodicEmbedding) for layer in plain.layers)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "piecewise"}, "numeric_embedding.kind must be one of"),
        ({"kind": "periodic", "frequencies": 8}, "unknown key"),
        ({"kind": "periodic", "sigma": 0.0}, "sigma > 0"),
    ],
)
def test_bad_options_are_refused_with_the_key(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_mlp({"features": InputSpec((6,))}, BINARY, numeric_embedding=options)


def test_tiny_titanic_run_with_quantiles_and_embeddings(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_script(
        "train.py",
        "competition=titanic",
        f"competition.data_dir={tmp_path / 'titanic'}",
        f"hydra.run.dir={run_dir}",
        "competition.features.scale=quantile",
        "model.numeric_embedding={kind:periodic,n_frequencies:4,dim:4}",
        "model.hidden_units=[16]",
        "cv.n_splits=2",
        "trainer.folds=[0]",
        "trainer.epochs=2",
        "trainer.verbose=0",
    )
    assert 0.5 < scores(run_dir)["cv"] <= 1.0
    with np.load(run_dir / "fold_0" / "preprocessing.npz", allow_pickle=False) as arrays:
        quantiles = arrays["quantiles"]
        assert quantiles.shape[1] >= 2 and np.all(np.diff(quantiles, axis=0) >= 0)
    with h5py.File(run_dir / "fold_0" / "model.weights.h5", "r") as weights:
        names: list[str] = []
        weights.visit(names.append)
    assert any("periodic_embedding" in n or "numeric_embedding" in n for n in names)


def test_mlp_ensemble_averages_members_with_their_own_embeddings() -> None:
    keras.utils.set_random_seed(0)
    model = build_mlp(
        {"features": InputSpec((6,), numeric_features=4)},
        BINARY,
        hidden_units=[8],
        numeric_embedding=EMBEDDING,
        ensemble=3,
    )
    x = np.random.default_rng(3).normal(size=(5, 6)).astype("float32")
    members = [keras.Model(model.input, model.get_layer(f"m{i}_output").output) for i in range(3)]
    each = [np.asarray(m.predict(x, verbose=0)) for m in members]
    assert not np.allclose(each[0], each[1])  # members start apart
    np.testing.assert_allclose(model.predict(x, verbose=0), np.mean(each, axis=0), rtol=1e-5)
    frequencies = [model.get_layer(f"m{i}_numeric_embedding").frequencies for i in range(3)]
    assert len({id(f) for f in frequencies}) == 3
