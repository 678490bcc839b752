"""MiniRocketFeatures: series -> MiniRocket's PPV features, fitted on the training rows only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.data import minirocket
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


@pytest.mark.parametrize("channels", [("",), ("a", "b", "c")])
def test_a_series_features_do_not_depend_on_the_series_transformed_with_it(
    channels: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transform works on chunks of series (all 84 kernels at once): one series at a time,
    all in one chunk, or any other split gives the same floats, at any lengths."""
    frame = waves(30, steps=64, channels=channels)
    values = NumericSequences().fit(frame).transform(frame)["sequence"].transpose(0, 2, 1)
    values = np.ascontiguousarray(values, dtype="float32")
    lengths = np.resize([64, 40, 17, 9, 3], len(values))
    for i, length in enumerate(lengths):
        values[i, :, length:] = 0.0
    transform = MiniRocketTransform.fit(
        values, lengths, n_features=N_FEATURES, max_dilations_per_kernel=32, seed=1
    )
    monkeypatch.setattr(minirocket, "_CHUNK_ELEMENTS", 1 << 30)
    together = transform(values, lengths)
    monkeypatch.setattr(minirocket, "_CHUNK_ELEMENTS", 1)  # one series a chunk
    alone = transform(values, lengths)
    np.testing.assert_array_equal(alone, together)
    assert np.isfinite(together).all() and together.std() > 0.1
    # and each series' features are those of it transformed on its own
    for i in (0, 7, 29):
        np.testing.assert_array_equal(transform(values[i : i + 1], lengths[i : i + 1])[0], alone[i])


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


def _ragged(frame: pd.DataFrame, lengths: list[int]) -> pd.DataFrame:
    """``frame`` with row i NaN after step ``lengths[i % len(lengths)]`` (variable lengths)."""
    out = frame.copy()
    steps = [c for c in out.columns if str(c).startswith("t")]
    for i in range(len(out)):
        out.loc[out.index[i], steps[lengths[i % len(lengths)] :]] = np.nan
    return out


def test_pad_zeros_reads_series_whole_to_the_training_folds_longest_length() -> None:
    # the step columns run to 60 (as a long layout's file pivoted whole) but the training
    # rows end by step 40: the padded length is fitted on them
    train = _ragged(waves(24, steps=60), [25, 40, 32])
    zeros = MiniRocketFeatures(n_features=N_FEATURES, pad="zeros").fit(train)
    own = MiniRocketFeatures(n_features=N_FEATURES).fit(train)
    assert zeros.state()["pad"] == "zeros" and zeros.state()["pad_length"] == 40
    assert own.state()["pad"] == "none" and "pad_length" not in own.state()
    # the features are the whole zero-padded 40 steps, for every kernel
    assert zeros._transform is not None and zeros._mean is not None and zeros._scale is not None
    series, lengths = zeros._series(train)
    assert series.shape[2] == 40 and (lengths == 40).all()
    assert (series[0, 0, 25:] == 0).all() and (series[1, 0, :40] != 0).all()
    x = zeros.transform(train)["features"]
    raw = zeros._transform(series, np.full(len(series), 40))
    np.testing.assert_allclose(x, (raw - zeros._mean) / zeros._scale, rtol=1e-5, atol=1e-5)
    # ... which differ from reading each series to its own end (the padding is seen)
    assert not np.allclose(x, zeros._transform(series, np.array([25, 40, 32] * 8)))
    # a test series longer than the training fold's longest is cut after 40 steps
    longer = waves(4, steps=60, seed=5)
    cut = longer.copy()
    cut.loc[:, [f"t{s}" for s in range(40, 60)]] = np.nan
    np.testing.assert_allclose(
        zeros.transform(longer)["features"], zeros.transform(cut)["features"], atol=1e-6
    )
    assert not np.allclose(own.transform(longer)["features"], own.transform(cut)["features"])
    # equal-length series read the same either way
    equal = waves(20, steps=50)
    np.testing.assert_allclose(
        MiniRocketFeatures(n_features=N_FEATURES, pad="zeros")
        .fit(equal)
        .transform(equal)["features"],
        MiniRocketFeatures(n_features=N_FEATURES).fit(equal).transform(equal)["features"],
    )
    with pytest.raises(ValueError, match="pad"):
        MiniRocketFeatures(pad="edge")  # type: ignore[arg-type]


def test_pad_zeros_state_round_trip(tmp_path: Path) -> None:
    train, test = _ragged(waves(24, steps=60), [25, 40, 32]), _ragged(waves(9, seed=2), [10, 60])
    fitted = MiniRocketFeatures(n_features=N_FEATURES, pad="zeros").fit(train)
    save_preprocessing(tmp_path, fitted)
    stored = json.loads((tmp_path / "preprocessing.json").read_text())
    assert stored["pad"] == "zeros" and stored["pad_length"] == 40
    assert not list(tmp_path.glob("*.pkl"))
    # the stored state decides, whatever the fresh transformer was configured with
    restored = load_preprocessing(tmp_path, lambda: MiniRocketFeatures(n_features=N_FEATURES))
    assert restored.pad == "zeros"
    np.testing.assert_array_equal(
        restored.transform(test)["features"], fitted.transform(test)["features"]
    )


def test_seed_bagging_draws_other_biases_unless_the_seed_is_pinned() -> None:
    train = waves(30)
    default = MiniRocketFeatures(n_features=N_FEATURES).fit(train).state_arrays()["biases"]
    bag0 = MiniRocketFeatures(n_features=N_FEATURES).with_seed(0).fit(train)
    bag1 = MiniRocketFeatures(n_features=N_FEATURES).with_seed(1).fit(train)
    np.testing.assert_array_equal(bag0.state_arrays()["biases"], default)
    assert not np.allclose(bag1.state_arrays()["biases"], default)
    pinned = MiniRocketFeatures(n_features=N_FEATURES, seed=0).with_seed(1).fit(train)
    np.testing.assert_array_equal(pinned.state_arrays()["biases"], default)


def test_each_bagged_unit_fits_its_features_with_its_bag_seed() -> None:
    from types import SimpleNamespace

    from kagglekit.training.fold import fit_preprocessor

    train = waves(30)
    parts: Any = SimpleNamespace(
        make_preprocessor=lambda: MiniRocketFeatures(n_features=N_FEATURES)
    )

    def biases(seed: int | None) -> np.ndarray:
        fitted = fit_preprocessor(parts, train, seed)
        assert isinstance(fitted, MiniRocketFeatures)
        return fitted.state_arrays()["biases"]

    unbagged = biases(None)
    np.testing.assert_array_equal(biases(0), unbagged)  # seed 0 of a bag: the unbagged draw
    assert not np.allclose(biases(2), unbagged)


def test_pad_both_concatenates_the_own_end_and_zero_padded_readings() -> None:
    train = _ragged(waves(24, steps=60), [25, 40, 32])
    test = _ragged(waves(9, seed=2), [10, 60])
    both = MiniRocketFeatures(n_features=N_FEATURES, pad="both").fit(train)
    own = MiniRocketFeatures(n_features=N_FEATURES).fit(train)
    zeros = MiniRocketFeatures(n_features=N_FEATURES, pad="zeros").fit(train)
    assert both.input_specs() == {"features": InputSpec(shape=(2 * N_FEATURES,))}
    assert both.state()["pad"] == "both" and both.state()["pad_length"] == 40
    # each half is that reading's transform, fitted on the training rows as alone
    arrays = both.state_arrays()
    for name in ("dilations", "biases", "channel_indices"):
        np.testing.assert_array_equal(arrays[name], own.state_arrays()[name])
        np.testing.assert_array_equal(arrays[f"zeros_{name}"], zeros.state_arrays()[name])
    x = both.transform(test)["features"]
    np.testing.assert_allclose(x[:, :N_FEATURES], own.transform(test)["features"], atol=1e-5)
    np.testing.assert_allclose(x[:, N_FEATURES:], zeros.transform(test)["features"], atol=1e-5)
    np.testing.assert_allclose(both.transform(train)["features"].mean(axis=0), 0.0, atol=1e-4)
    # transforming other rows changes nothing fitted
    both.transform(waves(30, seed=7) * 5.0)
    for name, value in both.state_arrays().items():
        np.testing.assert_array_equal(value, arrays[name])


def test_pad_both_state_round_trip(tmp_path: Path) -> None:
    train, test = _ragged(waves(24, steps=60), [25, 40, 32]), _ragged(waves(9, seed=2), [10, 60])
    fitted = MiniRocketFeatures(n_features=N_FEATURES, pad="both").fit(train)
    save_preprocessing(tmp_path, fitted)
    stored = json.loads((tmp_path / "preprocessing.json").read_text())
    assert stored["pad"] == "both" and stored["pad_length"] == 40
    # the stored state decides, whatever the fresh transformer was configured with
    restored = load_preprocessing(tmp_path, lambda: MiniRocketFeatures(n_features=N_FEATURES))
    assert restored.pad == "both"
    np.testing.assert_array_equal(
        restored.transform(test)["features"], fitted.transform(test)["features"]
    )
    # a state without the second reading's arrays is refused
    arrays = {k: v for k, v in fitted.state_arrays().items() if not k.startswith("zeros_")}
    with pytest.raises(KeyError):
        MiniRocketFeatures().load_state(fitted.state(), arrays)
