"""TabularPreprocessor: every statistic comes from the training fold only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.preprocessing import NotFittedError, TabularPreprocessor


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 100
    age = rng.normal(30, 5, n)
    age[[3, 17, 40]] = np.nan
    fare = rng.exponential(10, n)
    # the "later" rows (validation part) are shifted, so whole-data statistics differ
    fare[60:] += 100
    port = np.where(np.arange(n) < 60, np.array(["S", "C"])[np.arange(n) % 2], "Q")
    sex = np.array(["male", "female"])[rng.integers(0, 2, n)]
    return pd.DataFrame({"age": age, "fare": fare, "port": port, "sex": sex})


@pytest.fixture
def train(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:60]


@pytest.fixture
def valid(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[60:]


def test_statistics_come_from_the_training_fold_only(frame, train):
    state = TabularPreprocessor().fit(train).state()
    assert state["numeric"] == ["age", "fare"]
    assert state["categorical"] == ["port", "sex"]
    assert state["n_rows"] == 60
    filled = train[["age", "fare"]].fillna(train[["age", "fare"]].median())
    for column in ("age", "fare"):
        assert state["median"][column] == pytest.approx(train[column].median())
        assert state["mean"][column] == pytest.approx(filled[column].mean())
        assert state["std"][column] == pytest.approx(filled[column].std(ddof=0))
    assert state["categories"]["port"] == ["C", "S"]
    assert state["categories"]["sex"] == sorted(train["sex"].unique())

    full = TabularPreprocessor().fit(frame).state()
    assert full["median"]["fare"] != pytest.approx(state["median"]["fare"])
    assert full["mean"]["fare"] != pytest.approx(state["mean"]["fare"])
    assert full["std"]["fare"] != pytest.approx(state["std"]["fare"])
    assert full["categories"]["port"] == ["C", "Q", "S"]


def test_state_is_plain_json(train):
    state = TabularPreprocessor().fit(train).state()
    assert json.loads(json.dumps(state)) == state


def test_refit_on_another_fold_replaces_the_statistics(train, valid):
    preprocessor = TabularPreprocessor()
    first = preprocessor.fit(train).state()
    second = preprocessor.fit(valid).state()
    assert second["n_rows"] == 40
    assert second["mean"]["fare"] != pytest.approx(first["mean"]["fare"])
    assert second["categories"]["port"] == ["Q"]


def test_training_fold_is_standardised(train):
    preprocessor = TabularPreprocessor(missing_indicators=False).fit(train)
    matrix = preprocessor.transform(train)["features"]
    numeric = matrix[:, :2]
    assert np.allclose(numeric.mean(axis=0), 0.0, atol=1e-5)
    assert np.allclose(numeric.std(axis=0), 1.0, atol=1e-5)


def test_validation_rows_use_training_statistics(train, valid):
    preprocessor = TabularPreprocessor().fit(train)
    state = preprocessor.state()
    fare = preprocessor.transform(valid)["features"][:, preprocessor.feature_names().index("fare")]
    expected = (valid["fare"].to_numpy() - state["mean"]["fare"]) / state["std"]["fare"]
    assert np.allclose(fare, expected, atol=1e-4)
    # shifted by +100: far from 0 on the training scale
    assert fare.mean() > 3


def test_unseen_category_goes_to_other(train, valid):
    preprocessor = TabularPreprocessor().fit(train)
    names = preprocessor.feature_names()
    matrix = preprocessor.transform(valid)["features"]
    assert "port=Q" not in names
    other = names.index("port=<other>")
    assert (matrix[:, other] == 1.0).all()
    assert (matrix[:, names.index("port=S")] == 0.0).all()
    assert (matrix[:, names.index("port=C")] == 0.0).all()


def test_missing_category_goes_to_other(train):
    preprocessor = TabularPreprocessor().fit(train)
    names = preprocessor.feature_names()
    row = train.iloc[:1].assign(port=[None])
    matrix = preprocessor.transform(row)["features"]
    assert matrix[0, names.index("port=<other>")] == 1.0
    port_columns = [i for i, n in enumerate(names) if n.startswith("port=")]
    assert matrix[0, port_columns].sum() == 1.0


def test_each_categorical_block_is_one_hot(train, valid):
    preprocessor = TabularPreprocessor().fit(train)
    names = preprocessor.feature_names()
    matrix = preprocessor.transform(pd.concat([train, valid]))["features"]
    for column in ("port", "sex"):
        block = [i for i, n in enumerate(names) if n.startswith(f"{column}=")]
        assert (matrix[:, block].sum(axis=1) == 1.0).all()


def test_missing_numeric_values_are_imputed_and_flagged(train):
    preprocessor = TabularPreprocessor().fit(train)
    state = preprocessor.state()
    names = preprocessor.feature_names()
    assert state["missing_indicators"] == ["age"]
    assert "age__missing" in names
    assert "fare__missing" not in names

    matrix = preprocessor.transform(train)["features"]
    assert not np.isnan(matrix).any()
    flag = matrix[:, names.index("age__missing")]
    assert np.flatnonzero(flag).tolist() == [3, 17, 40]
    imputed = (state["median"]["age"] - state["mean"]["age"]) / state["std"]["age"]
    assert matrix[3, names.index("age")] == pytest.approx(imputed, abs=1e-5)


def test_missing_value_only_in_later_data_is_imputed_without_a_flag(train):
    preprocessor = TabularPreprocessor().fit(train)
    state = preprocessor.state()
    row = train.iloc[:1].assign(fare=[np.nan])
    matrix = preprocessor.transform(row)["features"]
    names = preprocessor.feature_names()
    expected = (state["median"]["fare"] - state["mean"]["fare"]) / state["std"]["fare"]
    assert matrix[0, names.index("fare")] == pytest.approx(expected, abs=1e-5)


def test_no_missing_indicators_when_disabled(train):
    preprocessor = TabularPreprocessor(missing_indicators=False).fit(train)
    assert preprocessor.state()["missing_indicators"] == []
    assert "age__missing" not in preprocessor.feature_names()


def test_unscaled_numbers_are_only_imputed(train):
    preprocessor = TabularPreprocessor(scale=False).fit(train)
    matrix = preprocessor.transform(train)["features"]
    fare = matrix[:, preprocessor.feature_names().index("fare")]
    assert np.allclose(fare, train["fare"].to_numpy(), rtol=1e-6)


def test_output_shape_equals_input_specs(train, valid):
    preprocessor = TabularPreprocessor().fit(train)
    specs = preprocessor.input_specs()
    assert list(specs) == ["features"]
    (width,) = specs["features"].shape
    # 2 numeric + 1 indicator + port (C, S, other) + sex (female, male, other)
    assert width == 2 + 1 + 3 + 3 == preprocessor.n_features() == len(preprocessor.feature_names())
    for part in (train, valid):
        matrix = preprocessor.transform(part)["features"]
        assert matrix.shape == (len(part), width)
        assert matrix.dtype == np.float32


def test_custom_input_name(train):
    preprocessor = TabularPreprocessor(input_name="tabular").fit(train)
    assert list(preprocessor.transform(train)) == ["tabular"]
    assert list(preprocessor.input_specs()) == ["tabular"]


def test_declared_integer_codes_are_one_hot(train):
    frame = train.assign(pclass=np.arange(60) % 3 + 1)
    preprocessor = TabularPreprocessor(categorical=["pclass", "port", "sex"]).fit(frame)
    assert preprocessor.state()["numeric"] == ["age", "fare"]
    assert preprocessor.state()["categories"]["pclass"] == ["1", "2", "3"]


def test_integer_codes_match_when_a_missing_value_makes_them_float(train):
    # an int column read with one NaN becomes float (1.0, 2.0): same categories as 1, 2
    frame = train.assign(pclass=np.arange(60) % 3 + 1)
    preprocessor = TabularPreprocessor(categorical=["pclass"]).fit(frame)
    names = preprocessor.feature_names()
    later = frame.iloc[:3].assign(pclass=[1.0, 3.0, np.nan])
    matrix = preprocessor.transform(later)["features"]
    assert matrix[0, names.index("pclass=1")] == 1.0
    assert matrix[1, names.index("pclass=3")] == 1.0
    assert matrix[2, names.index("pclass=<other>")] == 1.0


def test_max_categories_keeps_the_most_frequent(train):
    frame = train.assign(city=["a"] * 30 + ["b"] * 20 + ["c"] * 6 + ["d"] * 4)
    preprocessor = TabularPreprocessor(categorical=["city"], max_categories=2).fit(frame)
    assert preprocessor.state()["categories"]["city"] == ["a", "b"]
    names = preprocessor.feature_names()
    matrix = preprocessor.transform(frame)["features"]
    assert matrix[:, names.index("city=<other>")].sum() == 10


def test_dropped_columns_are_ignored(train):
    preprocessor = TabularPreprocessor(drop=["sex", "not_there"]).fit(train)
    assert "sex" not in preprocessor.state()["categorical"]
    assert preprocessor.transform(train.drop(columns=["sex"]))["features"].shape[0] == 60


def test_transform_before_fit_raises(train):
    preprocessor = TabularPreprocessor()
    with pytest.raises(NotFittedError, match="fit must be called before transform"):
        preprocessor.transform(train)
    with pytest.raises(NotFittedError):
        preprocessor.input_specs()
    with pytest.raises(NotFittedError):
        preprocessor.state()


def test_transform_names_columns_missing_from_the_frame(train):
    preprocessor = TabularPreprocessor().fit(train)
    with pytest.raises(KeyError, match="'fare'"):
        preprocessor.transform(train.drop(columns=["fare"]))


def test_declared_column_absent_from_data_is_named(train):
    with pytest.raises(KeyError, match="'Pclass'"):
        TabularPreprocessor(categorical=["Pclass"]).fit(train)


def test_declared_numeric_text_column_is_refused(train):
    with pytest.raises(TypeError, match=r"\['port'\] are declared numeric"):
        TabularPreprocessor(numeric=["age", "port"], categorical=["sex"]).fit(train)


def test_quantile_scaling_maps_each_column_onto_a_standard_normal(train, valid):
    from scipy import stats
    from sklearn.preprocessing import QuantileTransformer

    pre = TabularPreprocessor(
        categorical=["port", "sex"], missing_indicators=False, scale="quantile"
    ).fit(train)
    x = pre.transform(train)["features"][:, :2]
    # fare is strongly skewed, but ranks come out evenly spread on a bell curve
    assert abs(stats.skew(x[:, 1])) < 0.3 and abs(x.mean()) < 0.1
    assert pre.state()["scale"] == "quantile"
    # the same as sklearn's transformer fitted on the imputed training columns (n_quantiles
    # capped at the 60 training rows)
    filled = train[["age", "fare"]].fillna(train[["age", "fare"]].median())
    reference = QuantileTransformer(n_quantiles=60, output_distribution="normal").fit(filled)
    np.testing.assert_allclose(x, reference.transform(filled), atol=1e-5)
    # validation rows go through the training quantiles: shifted fares land above them all
    shifted = pre.transform(valid)["features"][:, 1]
    assert shifted.min() > 2.0
    assert pre.state_arrays()["quantiles"].shape == (60, 2)


def test_quantile_scaling_is_named_in_errors_and_off_by_default(train):
    with pytest.raises(ValueError, match="scale must be true, false or 'quantile'"):
        TabularPreprocessor(scale="rank")
    with pytest.raises(ValueError, match="n_quantiles"):
        TabularPreprocessor(scale="quantile", n_quantiles=1)
    assert TabularPreprocessor(categorical=["port", "sex"]).fit(train).state_arrays() == {}


def test_quantile_scaling_is_accepted_on_the_command_line() -> None:
    from kagglekit.cli import CONF_DIR
    from kagglekit.config_check import ConfigError, check_overrides

    args = ["competition=titanic", "competition.features.scale=quantile"]
    assert check_overrides(args, CONF_DIR) == args
    with pytest.raises(ConfigError, match=r"trainer\.shuffle expects a boolean"):
        check_overrides(["trainer.shuffle=quantile"], CONF_DIR)
