"""A text column -> padded sequences of token ids, with the vocabulary of the training fold only.

Plain Python and numpy, so the same ids come out on every Keras backend. Ids: ``0`` is
padding, ``1`` a token outside the vocabulary (OOV), ``2, 3, ...`` the training fold's tokens,
most frequent first (ties in alphabetical order). With ``ngrams=2`` (or more) the word n-grams
of the training fold follow the words, fastText style (Joulin et al. 2016, "Bag of Tricks for
Efficient Text Classification"): each text becomes its word ids, then the ids of its bigrams
(trigrams, ...); an n-gram not counted in the training fold is OOV.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import ModelData, NotFittedError
from kagglekit.models.specs import InputSpec, ModelInputs

PAD, OOV = 0, 1
RESERVED = 2
WORD_PATTERN = r"\w+(?:'\w+)*"
NGRAM_JOIN = " "  # words of an n-gram in the stored vocabulary: "not good"
HTML_TAG = re.compile(r"<[^>]*>")

Side = Literal["pre", "post"]


def tokenize(
    text: Any, *, lowercase: bool = True, strip_html: bool = True, pattern: str = WORD_PATTERN
) -> list[str]:
    """Words of ``text`` (missing text gives no token); ``<br />`` and other tags become spaces."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    text = str(text)
    if strip_html:
        text = HTML_TAG.sub(" ", text)
    if lowercase:
        text = text.lower()
    return re.findall(pattern, text)


def text_column(frame: pd.DataFrame, column: str | None) -> str:
    """``column`` checked against ``frame``, or the frame's only text (non-numeric) column."""
    if column is not None:
        if column not in frame.columns:
            raise KeyError(f"Text column {column!r} not found; columns: {list(frame.columns)}.")
        return column
    texts = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if len(texts) != 1:
        raise KeyError(
            f"Cannot tell the text column among {texts or list(frame.columns)}; set "
            "`column` (e.g. competition.features.column=review)."
        )
    return texts[0]


class TextSequences:
    """Tokenize a text column and map the tokens to ids padded to one length.

    Args:
        column: the text column; ``None`` = the frame's only text (non-numeric) column.
        max_tokens: vocabulary size including the padding and OOV ids.
        min_count: tokens seen fewer times in the training fold are OOV.
        max_length: tokens per text; ``None`` = the ``length_quantile`` of the training fold's
            text lengths.
        length_quantile: see ``max_length``.
        lowercase / strip_html / pattern: how text is cut into tokens (:func:`tokenize`).
        padding / truncating: ``post`` pads or cuts at the end, ``pre`` at the start.
        ngrams: ``1`` = words only; ``n > 1`` appends the ids of the 2..n-word n-grams of the
            (cut) text after its word ids, so a text of ``max_length`` words gives
            ``max_length + (max_length - 1) + ...`` ids. The n-gram vocabulary is counted on
            the training fold only (``min_count`` applies); unseen n-grams are OOV.
        max_ngrams: n-gram vocabulary size (on top of ``max_tokens``), most frequent first.
        input_name: name of the model input.
    """

    def __init__(
        self,
        *,
        column: str | None = None,
        max_tokens: int = 20000,
        min_count: int = 1,
        max_length: int | None = None,
        length_quantile: float = 0.95,
        lowercase: bool = True,
        strip_html: bool = True,
        pattern: str = WORD_PATTERN,
        padding: Side = "post",
        truncating: Side = "post",
        ngrams: int = 1,
        max_ngrams: int = 100000,
        input_name: str = "text",
    ) -> None:
        if max_tokens <= RESERVED:
            raise ValueError(
                f"max_tokens counts the padding and OOV ids, so it must exceed {RESERVED}, "
                f"but got {max_tokens=}."
            )
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be at least 1 (or null), but got {max_length=}.")
        if not 0 < length_quantile <= 1:
            raise ValueError(f"length_quantile must be in (0, 1], but got {length_quantile=}.")
        if ngrams < 1:
            raise ValueError(f"ngrams must be at least 1 (1 = words only), but got {ngrams=}.")
        if max_ngrams < 0:
            raise ValueError(f"max_ngrams must be 0 or more, but got {max_ngrams=}.")
        for name, side in (("padding", padding), ("truncating", truncating)):
            if side not in ("pre", "post"):
                raise ValueError(f"{name} must be 'pre' or 'post', but got {side!r}.")
        self.column = column
        self.max_tokens = max_tokens
        self.min_count = min_count
        self.max_length = max_length
        self.length_quantile = length_quantile
        self.lowercase = lowercase
        self.strip_html = strip_html
        self.pattern = pattern
        self.padding = padding
        self.truncating = truncating
        self.ngrams = ngrams
        self.max_ngrams = max_ngrams
        self.input_name = input_name
        self._fitted: dict[str, Any] | None = None
        self._index: dict[str, int] = {}
        self._ngram_index: dict[tuple[str, ...], int] = {}

    def _text_column(self, frame: pd.DataFrame) -> str:
        return text_column(frame, self.column)

    def _tokens(self, frame: pd.DataFrame) -> list[list[str]]:
        column = self._text_column(frame)
        return [
            tokenize(t, lowercase=self.lowercase, strip_html=self.strip_html, pattern=self.pattern)
            for t in frame[column].tolist()
        ]

    def fit(self, frame: pd.DataFrame) -> Self:
        documents = self._tokens(frame)
        counts = Counter(token for tokens in documents for token in tokens)
        ranked = sorted(
            (t for t, n in counts.items() if n >= self.min_count), key=lambda t: (-counts[t], t)
        )
        vocabulary = ranked[: self.max_tokens - RESERVED]
        lengths = np.array([len(tokens) for tokens in documents])
        if self.max_length is not None:
            length = self.max_length
        else:
            length = max(1, int(np.ceil(np.quantile(lengths, self.length_quantile))))
        ngram_vocabulary = self._count_ngrams(documents, length)
        self._set_index(vocabulary, ngram_vocabulary)
        self._fitted = {
            "column": self._text_column(frame),
            "max_length": length,
            "ngrams": self.ngrams,
            "vocabulary_size": len(vocabulary) + len(ngram_vocabulary) + RESERVED,
            "n_documents": len(documents),
            "distinct_tokens_seen": len(counts),
            "vocabulary": vocabulary,
            "ngram_vocabulary": [NGRAM_JOIN.join(g) for g in ngram_vocabulary],
        }
        return self

    def _cut(self, tokens: list[str], length: int) -> list[str]:
        return tokens[:length] if self.truncating == "post" else tokens[-length:]

    def _count_ngrams(self, documents: list[list[str]], length: int) -> list[tuple[str, ...]]:
        """The training fold's 2..``ngrams``-word n-grams (of the cut texts), most frequent first."""
        if self.ngrams == 1 or self.max_ngrams == 0:
            return []
        counts = Counter(
            g for tokens in documents for g in word_ngrams(self._cut(tokens, length), self.ngrams)
        )
        ranked = sorted(
            (g for g, n in counts.items() if n >= self.min_count), key=lambda g: (-counts[g], g)
        )
        return ranked[: self.max_ngrams]

    def _set_index(self, vocabulary: list[str], ngram_vocabulary: list[tuple[str, ...]]) -> None:
        self._index = {token: i for i, token in enumerate(vocabulary, start=RESERVED)}
        first = RESERVED + len(vocabulary)
        self._ngram_index = {g: i for i, g in enumerate(ngram_vocabulary, start=first)}

    def width(self) -> int:
        """Ids per text: the words, then each n-gram order's (``max_length - n + 1`` each)."""
        s = self._state()
        length, n_max = int(s["max_length"]), int(s.get("ngrams", 1))
        return sum(max(length - n + 1, 0) for n in range(1, n_max + 1))

    def _state(self) -> dict[str, Any]:
        if self._fitted is None:
            raise NotFittedError("TextSequences.fit must be called before transform.")
        return self._fitted

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Token ids of one text, unpadded (OOV tokens give id 1)."""
        self._state()
        return [self._index.get(token, OOV) for token in tokens]

    def encode_ngrams(self, tokens: list[str]) -> list[int]:
        """Ids of the 2..``ngrams``-word n-grams of one (cut) text (unseen ones give id 1)."""
        n_max = int(self._state().get("ngrams", 1))
        return [self._ngram_index.get(g, OOV) for g in word_ngrams(tokens, n_max)]

    def transform(self, frame: pd.DataFrame) -> ModelData:
        length = self._state()["max_length"]
        width = self.width()
        out = np.full((len(frame), width), PAD, dtype="int32")
        for row, tokens in enumerate(self._tokens(frame)):
            kept = self._cut(tokens, length)
            ids = self.encode(kept) + self.encode_ngrams(kept)
            if not ids:
                continue
            if self.padding == "post":
                out[row, : len(ids)] = ids
            else:
                out[row, width - len(ids) :] = ids
        return {self.input_name: out}

    def input_specs(self) -> ModelInputs:
        s = self._state()
        return {
            self.input_name: InputSpec(
                shape=(self.width(),),
                dtype="int32",
                vocabulary=s["vocabulary_size"],
                mask_value=PAD,
            )
        }

    def state(self) -> dict[str, Any]:
        return dict(self._state())

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the vocabulary and length of :meth:`state` (see :mod:`kagglekit.data.state`)."""
        del arrays
        vocabulary = [str(t) for t in state["vocabulary"]]
        ngram_vocabulary = [str(g) for g in state.get("ngram_vocabulary", [])]
        if len(vocabulary) + len(ngram_vocabulary) + RESERVED != state["vocabulary_size"]:
            raise ValueError("the stored vocabulary does not match its vocabulary_size")
        self.column = str(state["column"])
        self.ngrams = int(state.get("ngrams", 1))
        self._set_index(vocabulary, [tuple(g.split(NGRAM_JOIN)) for g in ngram_vocabulary])
        self._fitted = {
            **state,
            "vocabulary": vocabulary,
            "ngram_vocabulary": ngram_vocabulary,
            "ngrams": self.ngrams,
            "max_length": int(state["max_length"]),
        }
        return self


def word_ngrams(tokens: list[str], n_max: int) -> list[tuple[str, ...]]:
    """The 2..``n_max``-word n-grams of ``tokens``: all bigrams in order, then all trigrams..."""
    return [
        tuple(tokens[i : i + n]) for n in range(2, n_max + 1) for i in range(len(tokens) - n + 1)
    ]
