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


def test_ngram_ids_follow_the_words_and_come_from_the_training_fold_only():
    frame = reviews("not good tea", "not good", "good tea", "very good tea")
    train_rows, valid_row = [0, 1, 2], 3
    preprocessor = TextSequences(max_length=3, ngrams=2, min_count=1).fit(frame.iloc[train_rows])
    state = preprocessor.state()
    # the bigrams of the training rows only, most frequent first, ids after the words'
    assert state["ngram_vocabulary"] == ["good tea", "not good"]
    words = len(state["vocabulary"])
    assert state["vocabulary_size"] == 2 + words + 2
    assert preprocessor.input_specs()["text"].shape == (3 + 2,)  # 3 words, 2 bigrams
    good_tea, not_good = 2 + words, 2 + words + 1
    ids = preprocessor.transform(frame)["text"]
    assert ids[0].tolist() == [*preprocessor.encode(["not", "good", "tea"]), not_good, good_tea]
    assert ids[1].tolist() == [*preprocessor.encode(["not", "good"]), not_good, PAD, PAD]
    # "very" and "very good" were never seen in training: both out of vocabulary
    assert ids[valid_row].tolist() == [OOV, *preprocessor.encode(["good", "tea"]), OOV, good_tea]


def test_ngrams_of_the_cut_text_min_count_and_max_ngrams():
    frame = reviews("a b c d", "a b c", "x y")
    three = TextSequences(max_length=3, ngrams=3, min_count=2).fit(frame)
    assert three.state()["ngram_vocabulary"] == ["a b", "a b c", "b c"]  # "c d" cut, "x y" once
    assert three.input_specs()["text"].shape == (3 + 2 + 1,)
    assert TextSequences(ngrams=2, max_ngrams=1).fit(frame).state()["ngram_vocabulary"] == ["a b"]
    pre = TextSequences(max_length=3, ngrams=2, padding="pre", min_count=1).fit(frame)
    row = pre.transform(frame)["text"][2].tolist()
    assert row[:2] == [PAD, PAD] and PAD not in row[2:]  # x, y, "x y" at the end
    with pytest.raises(ValueError, match="ngrams"):
        TextSequences(ngrams=0)


def test_ngram_state_round_trips_through_json():
    frame = reviews("not good tea", "good tea", "not bad")
    fitted = TextSequences(max_length=4, ngrams=2, min_count=1).fit(frame)
    state = json.loads(json.dumps(fitted.state()))
    restored = TextSequences().load_state(state, {})
    np.testing.assert_array_equal(
        restored.transform(frame)["text"], fitted.transform(frame)["text"]
    )
    assert restored.input_specs() == fitted.input_specs()
    # a state saved before n-grams existed still loads (words only)
    old = {k: v for k, v in state.items() if k not in ("ngrams", "ngram_vocabulary")}
    old["vocabulary_size"] = 2 + len(old["vocabulary"])
    assert TextSequences().load_state(old, {}).input_specs()["text"].shape == (4,)
