"""TextSequences: text -> token ids, with the vocabulary of the training fold only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kagglekit.data.preprocessing import NotFittedError
from kagglekit.data.text import OOV, PAD, TextSequences, tokenize


def reviews(*texts: str | None) -> pd.DataFrame:
    return pd.DataFrame({"id": range(len(texts)), "review": list(texts)})


def test_tokenize_lowercases_drops_tags_and_keeps_inner_apostrophes():
    assert tokenize("Don't buy it!<br />SO bad...") == ["don't", "buy", "it", "so", "bad"]
    assert tokenize("Don't", lowercase=False) == ["Don't"]
    assert tokenize("a<b>c", strip_html=False) == ["a", "b", "c"]
    assert tokenize(None) == [] and tokenize(float("nan")) == []


def test_a_word_seen_only_in_validation_rows_is_out_of_vocabulary():
    frame = reviews("good tea", "bad tea", "tea", "superb tea")
    train_rows, valid_rows = [0, 1, 2], [3]
    preprocessor = TextSequences(max_length=2).fit(frame.iloc[train_rows])
    assert "superb" not in preprocessor.state()["vocabulary"]
    ids = preprocessor.transform(frame)["text"]
    assert ids[valid_rows[0]].tolist() == [OOV, preprocessor.encode(["tea"])[0]]


def test_ids_follow_frequency_then_alphabet_and_zero_is_padding():
    frame = reviews("b a c c", "c b", "d")
    preprocessor = TextSequences(max_length=5).fit(frame)
    assert preprocessor.state()["vocabulary"] == ["c", "b", "a", "d"]
    assert preprocessor.encode(["c", "b", "a", "d", "zzz"]) == [2, 3, 4, 5, OOV]
    ids = preprocessor.transform(frame)["text"]
    assert ids.dtype == np.int32
    assert ids.tolist() == [[3, 4, 2, 2, PAD], [2, 3, PAD, PAD, PAD], [5, PAD, PAD, PAD, PAD]]
    spec = preprocessor.input_specs()["text"]
    assert (spec.shape, spec.dtype, spec.vocabulary, spec.mask_value) == ((5,), "int32", 6, 0)


def test_min_count_and_max_tokens_cut_the_vocabulary():
    frame = reviews("a a a b b c")
    assert TextSequences(min_count=2).fit(frame).state()["vocabulary"] == ["a", "b"]
    assert TextSequences(max_tokens=3).fit(frame).state()["vocabulary"] == ["a"]


def test_lengths_padding_and_truncating():
    frame = reviews("one two three four", "one", "one two")
    quantile = TextSequences(length_quantile=0.5).fit(frame)
    assert quantile.state()["max_length"] == 2
    post = TextSequences(max_length=3).fit(frame)
    one, two, three = post.encode(["one", "two", "three"])
    assert post.transform(frame)["text"][0].tolist() == [one, two, three]
    pre = TextSequences(max_length=3, padding="pre", truncating="pre").fit(frame)
    out = pre.transform(frame)["text"]
    assert out[0].tolist() == pre.encode(["two", "three", "four"])
    assert out[1].tolist() == [PAD, PAD, *pre.encode(["one"])]


def test_missing_text_is_all_padding():
    frame = reviews("tea", None)
    assert TextSequences(max_length=2).fit(frame).transform(frame)["text"][1].tolist() == [0, 0]


def test_the_only_text_column_is_found_and_ambiguity_is_refused():
    frame = reviews("a b")
    assert TextSequences().fit(frame).state()["column"] == "review"
    frame["product"] = "x"
    with pytest.raises(KeyError, match="set `column`"):
        TextSequences().fit(frame)
    with pytest.raises(KeyError, match="'summary' not found"):
        TextSequences(column="summary").fit(frame)


def test_state_is_json_and_refusals():
    json.dumps(TextSequences().fit(reviews("a b", "c")).state())
    with pytest.raises(NotFittedError):
        TextSequences().transform(reviews("a"))
    with pytest.raises(ValueError, match="max_tokens"):
        TextSequences(max_tokens=2)
    with pytest.raises(ValueError, match="padding"):
        TextSequences(padding="middle")  # type: ignore[arg-type]
