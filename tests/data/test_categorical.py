"""CategoricalCodes: per-fold vocabularies, unseen values -> the reserved code 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.categorical import UNSEEN, CategoricalCodes, unseen_share
from kagglekit.data.preprocessing import NotFittedError
from kagglekit.files import write_json


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "color": ["red", "blue", "red", None, "green"],
            "Lot Shape": ["a", "a", "b", "b", "b"],
            "area": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )


def test_each_text_column_becomes_an_integer_input_with_its_vocabulary():
    codes = CategoricalCodes().fit(frame())
    specs = codes.input_specs()
    assert sorted(specs) == ["cat_Lot_Shape", "cat_color"]  # numeric columns are left alone
    assert specs["cat_color"].shape == (1,) and specs["cat_color"].dtype == "int32"
    assert specs["cat_color"].vocabulary == 5  # blue, green, red, __missing__ + unseen
    assert codes.vocabulary("color") == ["__missing__", "blue", "green", "red"]
    out = codes.transform(pd.DataFrame({"color": ["red", "purple", None], "Lot Shape": "a"}))
    np.testing.assert_array_equal(out["cat_color"][:, 0], [4, UNSEEN, 1])
    assert out["cat_color"].dtype == np.int32 and out["cat_color"].shape == (3, 1)


def test_vocabulary_comes_from_the_training_rows_only():
    train, valid = frame().iloc[:3], frame().iloc[3:]
    codes = CategoricalCodes(columns=["color"]).fit(train)
    assert codes.vocabulary("color") == ["blue", "red"]
    out = codes.transform(valid)["cat_color"][:, 0]
    assert (out == UNSEEN).all() and unseen_share(out) == 1.0


def test_rare_values_share_the_unseen_code_and_max_categories_keeps_the_most_frequent():
    data = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 2 + ["c"]})
    assert CategoricalCodes(min_count=2).fit(data).vocabulary("c") == ["a", "b"]
    assert CategoricalCodes(max_categories=1).fit(data).vocabulary("c") == ["a"]


def test_integer_coded_columns_can_be_declared_categorical():
    data = pd.DataFrame({"Pclass": [1, 2, 3, 1]})
    codes = CategoricalCodes(columns=["Pclass"]).fit(data)
    assert codes.vocabulary("Pclass") == ["1", "2", "3"]
    np.testing.assert_array_equal(codes.transform(data)["cat_Pclass"][:, 0], [1, 2, 3, 1])


def test_errors_name_the_columns():
    with pytest.raises(KeyError, match=r"\['size'\]"):
        CategoricalCodes(columns=["size"]).fit(frame())
    with pytest.raises(ValueError, match="clashing input names"):
        CategoricalCodes().fit(pd.DataFrame({"a b": ["x"], "a-b": ["y"]}))
    with pytest.raises(NotFittedError):
        CategoricalCodes().transform(frame())
    codes = CategoricalCodes().fit(frame())
    with pytest.raises(KeyError, match="color"):
        codes.transform(frame().drop(columns=["color"]))


def test_state_is_json(tmp_path):
    state = CategoricalCodes().fit(frame()).state()
    write_json(tmp_path / "s.json", state)
    assert state["unseen_code"] == 0 and "color" in state["vocabularies"]
