"""A text column -> TF-IDF weights of word n-grams, with the vocabulary and IDF of the training fold only.

The classical text representation (what ``kagglekit baseline`` feeds its logistic regression),
as a model input: a dense ``float32`` matrix ``rows x vocabulary`` that a linear or MLP head
(``model=tfidf_mlp``) reads. Dense, so that it goes through the same numpy batches as every other
input on every Keras backend; ``max_features`` bounds its width (memory: rows x max_features x 4
bytes, 4,000 reviews x 10,000 n-grams = 160 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import ModelData, NotFittedError
from kagglekit.data.text import WORD_PATTERN, text_column, tokenize
from kagglekit.models.specs import InputSpec, ModelInputs


class TfidfFeatures:
    """TF-IDF of word n-grams of one text column (scikit-learn's ``TfidfVectorizer``).

    Args:
        column: the text column; ``None`` = the frame's only text (non-numeric) column.
        ngram_range: smallest and largest n-gram (``[1, 2]``: words and word pairs).
        min_df: n-grams in fewer training documents than this are dropped (an int: a count;
            a float in (0, 1): a fraction of the training documents).
        max_df: n-grams in more documents than this (count or fraction) are dropped.
        max_features: keep the n-grams most frequent in the training fold; bounds the width
            (and memory) of the dense output.
        sublinear_tf: ``1 + log(tf)`` instead of raw counts.
        norm: ``l2`` (each row unit length), ``l1`` or ``null``.
        lowercase / strip_html / pattern: how text is cut into words (:func:`~kagglekit.data.text.tokenize`).
        input_name: name of the model input.
    """

    def __init__(
        self,
        *,
        column: str | None = None,
        ngram_range: Sequence[int] = (1, 2),
        min_df: int | float = 2,
        max_df: int | float = 1.0,
        max_features: int | None = 10000,
        sublinear_tf: bool = True,
        norm: str | None = "l2",
        lowercase: bool = True,
        strip_html: bool = True,
        pattern: str = WORD_PATTERN,
        input_name: str = "text",
    ) -> None:
        low, high = (int(n) for n in ngram_range)
        if not 1 <= low <= high:
            raise ValueError(
                f"ngram_range must be [low, high] with 1 <= low <= high, but got {ngram_range=}."
            )
        if max_features is not None and max_features < 1:
            raise ValueError(f"max_features must be at least 1 (or null), but got {max_features=}.")
        if norm not in ("l1", "l2", None):
            raise ValueError(f"norm must be 'l1', 'l2' or null, but got {norm=}.")
        self.column = column
        self.ngram_range = (low, high)
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.lowercase = lowercase
        self.strip_html = strip_html
        self.pattern = pattern
        self.input_name = input_name
        self._fitted: dict[str, Any] | None = None
        self._vectorizer: Any = None
        self._idf: np.ndarray | None = None

    def _text_column(self, frame: pd.DataFrame) -> str:
        return text_column(frame, self.column)

    def _tokenize(self, text: Any) -> list[str]:
        return tokenize(
            text, lowercase=self.lowercase, strip_html=self.strip_html, pattern=self.pattern
        )

    def _new_vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            tokenizer=self._tokenize,
            lowercase=False,
            token_pattern=None,
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            norm=self.norm,
            dtype=np.float32,
        )

    def fit(self, frame: pd.DataFrame) -> Self:
        column = self._text_column(frame)
        vectorizer = self._new_vectorizer()
        try:
            vectorizer.fit(_documents(frame[column]))
        except ValueError as error:  # sklearn: "empty vocabulary" / "max_df < min_df"
            raise ValueError(
                f"TF-IDF of column {column!r} keeps no n-gram from {len(frame)} training rows "
                f"({error}); lower competition.features.min_df."
            ) from error
        vocabulary = vectorizer.get_feature_names_out().tolist()
        self._vectorizer = vectorizer
        self._fitted = {
            "column": column,
            "n_documents": len(frame),
            "n_features": len(vocabulary),
            "vocabulary": vocabulary,
        }
        self._idf = np.asarray(vectorizer.idf_)
        return self

    def _state(self) -> dict[str, Any]:
        if self._fitted is None:
            raise NotFittedError("TfidfFeatures.fit must be called before transform.")
        return self._fitted

    @classmethod
    def from_state(
        cls, state: dict[str, Any], arrays: dict[str, np.ndarray], **options: Any
    ) -> TfidfFeatures:
        """A fitted transformer from :meth:`state`, :meth:`state_arrays` and its options."""
        return cls(**options).load_state(state, arrays)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """``idf``: the inverse document frequency of each n-gram of the vocabulary (float32)."""
        self._state()
        assert self._idf is not None
        return {"idf": self._idf}

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the vocabulary and IDF (see :mod:`kagglekit.data.state`)."""
        vocabulary = [str(t) for t in state["vocabulary"]]
        idf = np.asarray(arrays["idf"])
        if idf.shape != (len(vocabulary),):
            raise ValueError(f"{len(vocabulary)} n-grams but {idf.shape} IDF weights")
        vectorizer = self._new_vectorizer()
        vectorizer.vocabulary_ = {t: i for i, t in enumerate(vocabulary)}
        vectorizer.idf_ = idf
        self._vectorizer, self._idf = vectorizer, idf
        self._fitted = {**state, "vocabulary": vocabulary}
        return self

    def transform(self, frame: pd.DataFrame) -> ModelData:
        column = self._state()["column"]
        if column not in frame.columns:
            raise KeyError(
                f"Text column {column!r} seen in training is missing from the frame to "
                f"transform; columns: {list(frame.columns)}."
            )
        matrix = self._vectorizer.transform(_documents(frame[column]))
        return {self.input_name: np.asarray(matrix.toarray(), dtype="float32")}

    def input_specs(self) -> ModelInputs:
        return {self.input_name: InputSpec(shape=(self._state()["n_features"],))}

    def state(self) -> dict[str, Any]:
        return dict(self._state())


def _documents(series: pd.Series) -> list[str]:
    """The texts of a column, a missing one as an empty text (no n-gram)."""
    return ["" if pd.isna(text) else str(text) for text in series.tolist()]
