"""TfidfFeatures: text -> TF-IDF of word n-grams, with the vocabulary and IDF of the training fold only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.preprocessing import NotFittedError
from kagglekit.data.tfidf import TfidfFeatures
from kagglekit.models.specs import InputSpec


def reviews(*texts: str | None) -> pd.DataFrame:
    return pd.DataFrame({"id": range(len(texts)), "review": list(texts)})


TRAIN = reviews("good tea", "good coffee", "bad tea", "bad<br />coffee", "good good tea")


def test_vocabulary_and_idf_come_from_the_training_rows_only() -> None:
    features = TfidfFeatures(min_df=1).fit(TRAIN)
    vocabulary = features.state()["vocabulary"]
    assert "good tea" in vocabulary and "bad" in vocabulary
    assert "br" not in vocabulary  # tags are stripped as in TextSequences
    x = features.transform(reviews("awful cake", "good tea awful"))["text"]
    assert x.shape == (2, len(vocabulary)) and x.dtype == np.float32
    assert not x[0].any()  # only words never seen in training: an all-zero row
    assert "awful" not in features.state()["vocabulary"]
    np.testing.assert_allclose(np.linalg.norm(x[1]), 1.0, rtol=1e-6)
    # refitting on other rows changes the vocabulary: nothing is shared between folds
    other = TfidfFeatures(min_df=1).fit(reviews("awful cake", "awful tea"))
    assert "awful" in other.state()["vocabulary"] and "good" not in other.state()["vocabulary"]


def test_idf_weights_rare_ngrams_higher_and_tf_is_sublinear() -> None:
    features = TfidfFeatures(min_df=1, ngram_range=(1, 1), norm=None).fit(TRAIN)
    index = {t: i for i, t in enumerate(features.state()["vocabulary"])}
    x = features.transform(reviews("good coffee", "good good good good"))["text"]
    assert x[0, index["coffee"]] > x[0, index["good"]]  # coffee: 2 of 5 docs, good: 3 of 5
    idf_good = features.state_arrays()["idf"][index["good"]]
    np.testing.assert_allclose(x[1, index["good"]], (1 + np.log(4)) * idf_good, rtol=1e-6)


def test_min_df_and_max_features_cut_the_vocabulary() -> None:
    assert TfidfFeatures(min_df=2, ngram_range=(1, 1)).fit(TRAIN).state()["vocabulary"] == [
        "bad",
        "coffee",
        "good",
        "tea",
    ]
    features = TfidfFeatures(min_df=1, max_features=3).fit(TRAIN)
    assert features.state()["n_features"] == 3
    assert features.input_specs() == {"text": InputSpec((3,))}


def test_missing_text_is_an_all_zero_row_and_the_text_column_is_found() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "stars": [5, 1, 3], "review": ["good tea", None, "tea"]})
    features = TfidfFeatures(min_df=1).fit(frame)
    assert features.state()["column"] == "review"
    x = features.transform(frame)["text"]
    assert not x[1].any() and x[0].any()


def test_state_is_json_and_round_trips() -> None:
    features = TfidfFeatures(min_df=1, input_name="tfidf").fit(TRAIN)
    state = json.loads(json.dumps(features.state()))
    restored = TfidfFeatures.from_state(
        state, features.state_arrays(), min_df=1, input_name="tfidf"
    )
    frame = reviews("good coffee tea", "bad good", None)
    np.testing.assert_array_equal(
        restored.transform(frame)["tfidf"], features.transform(frame)["tfidf"]
    )
    assert restored.input_specs() == features.input_specs()


def test_refusals() -> None:
    with pytest.raises(NotFittedError):
        TfidfFeatures().transform(TRAIN)
    with pytest.raises(ValueError, match="ngram_range"):
        TfidfFeatures(ngram_range=(2, 1))
    with pytest.raises(ValueError, match="max_features"):
        TfidfFeatures(max_features=0)
    with pytest.raises(ValueError, match="min_df"):
        TfidfFeatures(min_df=10).fit(TRAIN)
    with pytest.raises(KeyError, match="column"):
        TfidfFeatures(column="text").fit(TRAIN)
    with pytest.raises(KeyError, match="review"):
        TfidfFeatures(min_df=1).fit(TRAIN).transform(pd.DataFrame({"body": ["tea"]}))


def test_the_mlp_refuses_token_ids_and_reads_tfidf() -> None:
    from kagglekit.data.text import TextSequences
    from kagglekit.models.mlp import build_mlp
    from kagglekit.models.specs import OutputSpec

    outputs = [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
    tokens = TextSequences(max_length=4).fit(TRAIN).input_specs()
    with pytest.raises(ValueError, match="TfidfFeatures"):
        build_mlp(tokens, outputs)
    tfidf = TfidfFeatures(min_df=1).fit(TRAIN)
    model = build_mlp(tfidf.input_specs(), outputs, hidden_units=[4])
    assert model.predict(tfidf.transform(TRAIN)["text"], verbose=0).shape == (5, 1)
