"""MiniRocketFeatures: series -> MiniRocket's PPV features, fitted on the training rows only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.minirocket import (
    N_KERNELS,
    MiniRocketFeatures,
    MiniRocketTransform,
    fit_dilations,
)
from kagglekit.data.preprocessing import NotFittedError
from kagglekit.data.sequences import NumericSequences
from kagglekit.data.state import load_preprocessing, save_preprocessing
from kagglekit.models.specs import InputSpec

N_FEATURES = 840  # 10 per kernel: fast


def waves(
    n: int, steps: int = 60, seed: int = 0, channels: tuple[str, ...] = ("",)
) -> pd.DataFrame:
    """Wide series: class 0 a slow sine, class 1 a fast one, with noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    labels = np.arange(n) % 2
    data: dict[str, object] = {"series_id": range(n), "label": labels}
    for c, channel in enumerate(channels):
        prefix = f"{channel}_" if channel else ""
        freq = np.where(labels == 1, 0.5, 0.15)[:, None] * (1 + c * 0.1)
        values = np.sin(freq * t + rng.uniform(0, 6, (n, 1))) + 0.3 * rng.normal(size=(n, steps))
        for s in range(steps):
            data[f"{prefix}t{s}"] = values[:, s]
    return pd.DataFrame(data)


def test_fit_transform_shapes_and_standardised_on_the_training_rows() -> None:
    train, test = waves(30), waves(11, seed=1)
    features = MiniRocketFeatures(n_features=N_FEATURES).fit(train)
    assert features.input_specs() == {"features": InputSpec(shape=(N_FEATURES,))}
    x_train = features.transform(train)["features"]
    x_test = features.transform(test)["features"]
    assert x_train.shape == (30, N_FEATURES) and x_test.shape == (11, N_FEATURES)
    assert x_train.dtype == np.float32 and np.isfinite(x_test).all()
    np.testing.assert_allclose(x_train.mean(axis=0), 0.0, atol=1e-4)
    # a feature that tells slow from fast waves apart on unseen rows
    labels = test["label"].to_numpy()
    gaps = np.abs(x_test[labels == 1].mean(axis=0) - x_test[labels == 0].mean(axis=0))
    assert gaps.max() > 1.5
    # each row's features depend on that row only
    np.testing.assert_allclose(features.transform(test.iloc[[3]])["features"], x_test[[3]])


def test_biases_and_scaling_come_from_the_training_rows_only() -> None:
    train, other = waves(30), waves(30, seed=7) * 5.0
    first = MiniRocketFeatures(n_features=N_FEATURES).fit(train)
    arrays = first.state_arrays()
    first.transform(other)  # transforming other rows changes nothing
    for name, value in first.state_arrays().items():
        np.testing.assert_array_equal(value, arrays[name])
    assert first.state()["n_series"] == 30
    again = MiniRocketFeatures(n_features=N_FEATURES).fit(train)
    np.testing.assert_array_equal(again.state_arrays()["biases"], arrays["biases"])
    elsewhere = MiniRocketFeatures(n_features=N_FEATURES, scaling="none").fit(other)
    assert not np.allclose(elsewhere.state_arrays()["biases"], arrays["biases"])
    with pytest.raises(NotFittedError):
        MiniRocketFeatures().transform(train)


def test_state_round_trip_gives_identical_features(tmp_path: Path) -> None:
    train, test = waves(24, channels=("x", "y", "z")), waves(9, seed=2, channels=("x", "y", "z"))
    options = {"n_features": N_FEATURES, "normalize": "series"}
    fitted = MiniRocketFeatures(**options).fit(train)
    save_preprocessing(tmp_path, fitted)
    stored = json.loads((tmp_path / "preprocessing.json").read_text())
    assert stored["sequences"]["channels"] == ["x", "y", "z"]
    restored = load_preprocessing(tmp_path, lambda: MiniRocketFeatures(**options))
    np.testing.assert_array_equal(
        restored.transform(test)["features"], fitted.transform(test)["features"]
    )


def test_multichannel_kernels_read_random_channel_subsets() -> None:
    train = waves(20, channels=("a", "b", "c", "d"))
    arrays = MiniRocketFeatures(n_features=N_FEATURES).fit(train).state_arrays()
    per = arrays["channels_per_combination"]
    assert per.min() >= 1 and per.max() <= 4 and len(set(per.tolist())) > 1
    assert set(arrays["channel_indices"].tolist()) == {0, 1, 2, 3}


def test_variable_length_series_are_read_up_to_their_own_end() -> None:
    train = waves(20, steps=50)
    short = train.copy()
    short.loc[:, [f"t{s}" for s in range(30, 50)]] = np.nan  # 30-step series, NaN-padded
    features = MiniRocketFeatures(n_features=N_FEATURES).fit(pd.concat([train, short]))
    x = features.transform(short)["features"]
    assert np.isfinite(x).all()
    # a short series' features are those of the same 30 steps alone, whatever the padding
    cut = features._transform
    assert cut is not None
    values = short[[f"t{s}" for s in range(30)]].to_numpy(dtype="float32")
    sequences = features.sequences
    scaled = (values - np.asarray(sequences.state()["shift"])) / np.asarray(
        sequences.state()["divisor"]
    )
    alone = np.zeros((len(values), 1, 50), dtype="float32")
    alone[:, 0, :30] = scaled
    raw = cut(alone, np.full(len(values), 30))
    assert features._mean is not None and features._scale is not None
    np.testing.assert_allclose(x, (raw - features._mean) / features._scale, rtol=1e-5, atol=1e-5)
    assert not np.allclose(x, features.transform(train)["features"])


def test_dilations_follow_the_paper() -> None:
    dilations, per_dilation = fit_dilations(150, 10_000, 32)
    assert dilations[0] == 1 and dilations[-1] == 18  # up to (150 - 1) / 8
    assert per_dilation.sum() * N_KERNELS == 9996
    with pytest.raises(ValueError, match="n_features"):
        MiniRocketFeatures(n_features=10)


def test_features_equal_aeons_minirocket_given_the_same_biases() -> None:
    """The PPV computation against the reference implementation (aeon's numba MiniRocket)."""
    pytest.importorskip("aeon")
    from aeon.transformations.collection.convolution_based import MiniRocket

    for channels in (("",), ("a", "b", "c")):
        frame = waves(12, steps=70, channels=channels)
        values = NumericSequences().fit(frame).transform(frame)["sequence"].transpose(0, 2, 1)
        values = np.ascontiguousarray(values, dtype="float32")
        lengths = np.full(len(values), values.shape[2])
        ours = MiniRocketTransform.fit(
            values, lengths, n_features=N_FEATURES, max_dilations_per_kernel=32, seed=3
        )
        reference = MiniRocket(n_kernels=N_FEATURES, random_state=0).fit(values)
        reference.parameters = (
            ours.channels_per_combination.astype(np.int32),
            ours.channel_indices.astype(np.int32),
            ours.dilations.astype(np.int32),
            ours.features_per_dilation.astype(np.int32),
            ours.biases.astype(np.float32),
        )
        expected = np.asarray(reference.transform(values))
        got = ours(values, lengths)
        assert got.shape == expected.shape
        # equal up to a comparison tie now and then (float sums in another order)
        assert np.abs(got - expected).max() <= 2.0 / values.shape[2] + 1e-6
        assert np.mean(got != expected) < 0.01
