"""Numeric feature embeddings in front of a tabular network (``model.numeric_embedding``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from kagglekit.models.layers import PeriodicEmbedding
from kagglekit.models.specs import InputSpec

KINDS = ("periodic",)


def embed_numeric(
    x: Any, spec: InputSpec, options: Mapping[str, Any] | None, *, name: str = "numeric_embedding"
) -> Any:
    """``x`` (``(batch, features)``) with its numeric columns embedded, or as it is when
    ``options`` is ``None``.

    The leading ``spec.numeric_features`` columns (every column when the spec does not say)
    go through a :class:`~kagglekit.models.layers.PeriodicEmbedding` and are flattened to
    ``numeric x dim`` values; the other columns (missing indicators, one-hot) join them as
    they are.

    ``options``: ``kind`` (``periodic``) and the layer's arguments: ``n_frequencies``, ``dim``,
    ``sigma``, ``lite``, ``activation``.
    """
    if options is None:
        return x
    settings = dict(options)
    kind = settings.pop("kind", "periodic")
    if kind not in KINDS:
        raise ValueError(
            f"model.numeric_embedding.kind must be one of {list(KINDS)}, but got {kind!r}; "
            "or set model.numeric_embedding=null for none."
        )
    allowed = {"n_frequencies", "dim", "sigma", "lite", "activation"}
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise ValueError(
            f"model.numeric_embedding has unknown key(s) {unknown}; allowed: kind, "
            f"{', '.join(sorted(allowed))}."
        )
    width = int(x.shape[-1])
    n_numeric = width if spec.numeric_features is None else spec.numeric_features
    if n_numeric == 0:
        return x
    numeric = x if n_numeric == width else x[:, :n_numeric]
    embedded = PeriodicEmbedding(**settings, name=name)(numeric)
    embedded = keras.layers.Flatten(name=f"{name}_flatten")(embedded)
    if n_numeric == width:
        return embedded
    rest = x[:, n_numeric:]
    return keras.layers.Concatenate(name=f"{name}_join")([embedded, rest])
