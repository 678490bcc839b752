"""NumericSequences: wide columns -> (n, steps, channels), scaled on the training fold only."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.layout import to_series_rows
from kagglekit.data.preprocessing import NotFittedError
from kagglekit.data.sequences import NumericSequences


def wide(values: np.ndarray, channels: list[str] | None = None) -> pd.DataFrame:
    """(n, steps, channels) -> a wide frame (``t<i>`` for one unnamed channel)."""
    n, steps, k = values.shape
    names = channels or [""] * k
    data = {
        (f"{names[c]}_t{s}" if names[c] else f"t{s}"): values[:, s, c]
        for c in range(k)
        for s in range(steps)
    }
    return pd.DataFrame({"series_id": np.arange(n), **data})


def test_one_channel_in_step_order_even_when_columns_are_not():
    values = np.arange(2 * 12, dtype=float).reshape(2, 12, 1)
    frame = wide(values)
    shuffled = frame[["series_id", *reversed(frame.columns[1:])]]  # t11 .. t0, t10 before t2
    out = NumericSequences(scaling="none").fit(shuffled).transform(shuffled)["sequence"]
    assert out.shape == (2, 12, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out, values)


def test_several_channels_keep_their_order_and_own_statistics():
    rng = np.random.default_rng(0)
    values = np.stack([rng.normal(5, 2, (30, 8)), rng.normal(-100, 10, (30, 8))], axis=2)
    preprocessor = NumericSequences(channels=["b", "a"]).fit(wide(values, ["a", "b"]))
    out = preprocessor.transform(wide(values, ["a", "b"]))["sequence"]
    assert out.shape == (30, 8, 2)
    np.testing.assert_allclose(
        out[:, :, 0], (values[:, :, 1] - values[:, :, 1].mean()) / values[:, :, 1].std(), rtol=1e-5
    )
    np.testing.assert_allclose(out.reshape(-1, 2).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.reshape(-1, 2).std(axis=0), 1, atol=1e-5)
    assert preprocessor.input_specs()["sequence"].shape == (8, 2)
    assert preprocessor.state()["channels"] == ["b", "a"]


def test_scaling_statistics_come_from_the_training_fold_only():
    values = np.zeros((4, 3, 1))
    values[:2] = [[[1.0], [2.0], [3.0]]]  # training rows: mean 2, std sqrt(2/3)
    values[2:] = 100.0  # validation rows: far away, must not move the statistics
    frame = wide(values)
    preprocessor = NumericSequences().fit(frame.iloc[:2])
    state = preprocessor.state()
    assert state["mean"] == [pytest.approx(2.0)]
    assert state["std"] == [pytest.approx(np.sqrt(2 / 3))]
    out = preprocessor.transform(frame)["sequence"]
    assert out[2, 0, 0] == pytest.approx((100 - 2) / np.sqrt(2 / 3), rel=1e-5)
    minmax = NumericSequences(scaling="minmax").fit(frame.iloc[:2]).transform(frame)["sequence"]
    np.testing.assert_allclose(minmax[0, :, 0], [0, 0.5, 1])


def test_variable_length_series_are_padded_and_masked():
    values = np.arange(1, 13, dtype=float).reshape(3, 4, 1)
    values[1, 2:] = np.nan  # series 1 has 2 steps
    values[2, 1] = np.nan  # series 2 misses its second value (inside the series)
    frame = wide(values)
    preprocessor = NumericSequences(scaling="none", pad_value=-1).fit(frame)
    out = preprocessor.transform(frame)["sequence"][:, :, 0]
    np.testing.assert_array_equal(out[1], [5, 6, -1, -1])
    training_mean = np.nanmean(values)
    np.testing.assert_allclose(out[2], [9, training_mean, 11, 12])
    spec = preprocessor.input_specs()["sequence"]
    assert spec.mask_value == -1 and spec.shape == (4, 1)
    assert preprocessor.state()["lengths"] == {"min": 2, "max": 4}


def test_equal_lengths_need_no_mask_and_padding_sides_work():
    values = np.arange(1, 9, dtype=float).reshape(2, 4, 1)
    frame = wide(values)
    assert NumericSequences().fit(frame).input_specs()["sequence"].mask_value is None
    short = values.copy()
    short[1, 2:] = np.nan
    pre = NumericSequences(scaling="none", padding="pre").fit(wide(short))
    np.testing.assert_array_equal(pre.transform(wide(short))["sequence"][1, :, 0], [0, 0, 5, 6])
    cut = NumericSequences(scaling="none", max_length=3, truncating="pre").fit(frame)
    np.testing.assert_array_equal(cut.transform(frame)["sequence"][0, :, 0], [2, 3, 4])
    keep_start = NumericSequences(scaling="none", max_length=3).fit(frame)
    np.testing.assert_array_equal(keep_start.transform(frame)["sequence"][0, :, 0], [1, 2, 3])


def test_real_steps_equal_to_the_pad_value_are_reported(caplog):
    values = np.array([[[1.0], [2.0], [np.nan]], [[2.0], [2.0], [3.0]]])
    preprocessor = NumericSequences(scaling="none", pad_value=2.0).fit(wide(values))
    with caplog.at_level(logging.WARNING):
        preprocessor.transform(wide(values))
    assert "equal pad_value=2.0" in caplog.text


def test_long_and_wide_layouts_give_the_same_arrays():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(5, 6, 2))
    values[3, 4:] = np.nan  # one shorter series
    wide_frame = wide(values, ["x", "y"])
    long_rows = [
        {"series_id": i, "step": s * 10, "x": values[i, s, 0], "y": values[i, s, 1]}
        for i in range(5)
        for s in range(6)
        if not np.isnan(values[i, s, 0])
    ]
    long_frame = pd.DataFrame(long_rows).sample(frac=1.0, random_state=0)  # shuffled rows
    long_frame = long_frame.sort_values("series_id", kind="stable")  # ids in wide order
    series = to_series_rows(long_frame, id_column="series_id", step_column="step")
    from_long = NumericSequences().fit(series.iloc[:3]).transform(series)["sequence"]
    from_wide = NumericSequences().fit(wide_frame.iloc[:3]).transform(wide_frame)["sequence"]
    np.testing.assert_allclose(from_long, from_wide, rtol=1e-6)


def test_state_is_json():
    preprocessor = NumericSequences().fit(wide(np.ones((2, 3, 1))))
    json.dumps(preprocessor.state())


def test_refusals_name_the_problem():
    with pytest.raises(KeyError, match="No sequence column matches"):
        NumericSequences().fit(pd.DataFrame({"a": [1.0]}))
    gap = pd.DataFrame({"t0": [1.0], "t2": [2.0]})
    with pytest.raises(KeyError, match="without gaps"):
        NumericSequences().fit(gap)
    with pytest.raises(KeyError, match=r"Channel\(s\) \['z'\] not found"):
        NumericSequences(channels=["z"]).fit(wide(np.ones((2, 3, 1)), ["x"]))
    fitted = NumericSequences().fit(wide(np.ones((2, 3, 1)), ["x"]))
    with pytest.raises(KeyError, match="training fold had"):
        fitted.transform(wide(np.ones((2, 3, 1)), ["y"]))
    empty = wide(np.array([[[1.0]], [[np.nan]]]))
    with pytest.raises(ValueError, match=r"no value at all \(rows \[1\]\)"):
        NumericSequences().fit(empty)
    with pytest.raises(ValueError, match="named group `step`"):
        NumericSequences(pattern=r"^t\d+$")
    with pytest.raises(ValueError, match="scaling="):
        NumericSequences(scaling="robust")  # type: ignore[arg-type]
    with pytest.raises(NotFittedError):
        NumericSequences().transform(wide(np.ones((1, 2, 1))))


def test_a_custom_pattern_reads_other_column_names():
    frame = pd.DataFrame({"att1": [1.0, 2.0], "att2": [3.0, 4.0], "att3": [5.0, 6.0]})
    preprocessor = NumericSequences(pattern=r"^att(?P<step>\d+)$", scaling="none")
    with pytest.raises(KeyError, match="without gaps"):  # steps must start at 0
        preprocessor.fit(frame)
    frame.columns = ["att0", "att1", "att2"]
    out = preprocessor.fit(frame).transform(frame)["sequence"]
    np.testing.assert_array_equal(out[1, :, 0], [2, 4, 6])


def test_per_series_normalisation_uses_each_series_alone():
    values = np.array([[1.0, 2.0, 3.0, np.nan], [10.0, 30.0, np.nan, np.nan], [5.0, 5.0, 5.0, 5.0]])
    frame = wide(values[:, :, None])
    preprocessor = NumericSequences(normalize="series", scaling="none", pad_value=-9).fit(
        frame.iloc[:1]
    )
    out = preprocessor.transform(frame)["sequence"][:, :, 0]
    z = np.array([-1.0, 0.0, 1.0]) / np.std([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(out[0], [*z, -9], rtol=1e-6)  # padding stays padding
    np.testing.assert_allclose(out[1], [-1, 1, -9, -9])  # its own mean/std, not series 0's
    np.testing.assert_array_equal(out[2], [0, 0, 0, 0])  # constant: 0, not NaN
    assert preprocessor.state()["normalize"] == "series"
    # a shifted and stretched copy of a series gives the same model input
    scaled = NumericSequences(normalize="series").fit(frame)
    copies = wide(np.stack([values[0], values[0] * 7 + 100])[:, :, None])
    pair = scaled.transform(copies)["sequence"]
    np.testing.assert_allclose(pair[0], pair[1], atol=1e-5)
    with pytest.raises(ValueError, match="normalize must be 'series' or 'none'"):
        NumericSequences(normalize="global")
