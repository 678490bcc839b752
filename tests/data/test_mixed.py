"""MixedInputs: several preprocessors side by side, each feeding its own model input(s)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.categorical import CategoricalCodes
from kagglekit.data.mixed import MixedInputs
from kagglekit.data.preprocessing import TabularPreprocessor


def frame(offset: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": np.array([1.0, 2.0, 3.0, 4.0]) + offset,
            "rooms": [1, 2, 2, 3],
            "town": ["a", "b", "a", "c"],
        }
    )


def parts() -> dict:
    return {
        "numeric": TabularPreprocessor(categorical=[], input_name="numeric"),
        "categorical": CategoricalCodes(),
    }


def test_inputs_of_every_part_side_by_side():
    mixed = MixedInputs(parts=parts()).fit(frame())
    specs = mixed.input_specs()
    assert sorted(specs) == ["cat_town", "numeric"]
    assert specs["numeric"].shape == (2,) and specs["cat_town"].vocabulary == 4
    out = mixed.transform(frame())
    assert out["numeric"].shape == (4, 2) and out["cat_town"].shape == (4, 1)
    assert set(mixed.state()) == {"numeric", "categorical"}


def test_each_fold_gets_fresh_parts_fitted_on_its_own_rows():
    make = functools.partial(MixedInputs, parts=parts())  # what Hydra's _partial_ gives
    first, second = make().fit(frame()), make().fit(frame(offset=100.0))
    assert first.parts["numeric"] is not second.parts["numeric"]
    assert first.state()["numeric"]["mean"]["area"] == pytest.approx(2.5)
    assert second.state()["numeric"]["mean"]["area"] == pytest.approx(102.5)
    # a town unseen by the first fold's training rows gets the reserved code
    out = first.transform(pd.DataFrame({"area": [1.0], "rooms": [1], "town": ["z"]}))
    assert out["cat_town"][0, 0] == 0


def test_parts_given_as_factories_are_called():
    mixed = MixedInputs(parts={"c": functools.partial(CategoricalCodes, prefix="k_")})
    assert list(mixed.fit(frame()).input_specs()) == ["k_town"]


def test_clashing_input_names_and_bad_parts_are_refused():
    clash = MixedInputs(
        parts={"a": TabularPreprocessor(input_name="x"), "b": TabularPreprocessor(input_name="x")}
    )
    with pytest.raises(ValueError, match="both produce the model input 'x'"):
        clash.fit(frame())
    with pytest.raises(TypeError, match="not a preprocessor"):
        MixedInputs(parts={"a": 3})
    with pytest.raises(ValueError, match="at least one part"):
        MixedInputs(parts={})
    assert list(MixedInputs(parts={**parts(), "image": None}).parts) == ["numeric", "categorical"]


def test_tabular_log1p_and_clip_are_fitted_on_the_training_rows():
    train = pd.DataFrame({"area": [10.0, 20.0, 30.0, 10_000.0], "t": [-1.0, 0.0, 1.0, 2.0]})
    pre = TabularPreprocessor(log1p="skewed", clip=1.5, missing_indicators=False).fit(train)
    assert pre.state()["log1p"] == ["area"]  # skewed and non-negative; t has negatives
    out = pre.transform(pd.DataFrame({"area": [1e9], "t": [100.0]}))["features"]
    np.testing.assert_allclose(out[0], [1.5, 1.5])  # clipped
    listed = TabularPreprocessor(log1p=["area"]).fit(train)
    assert listed.state()["log1p"] == ["area"]
    with pytest.raises(ValueError, match="negative values"):
        TabularPreprocessor(log1p=["t"]).fit(train)
    with pytest.raises(ValueError, match="log1p must be"):
        TabularPreprocessor(log1p="all")
