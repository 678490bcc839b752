"""Keras objects named in configs: a name, a ``{class_name, config}`` dict or a built object.

Layers resolve names and dicts themselves (``keras.initializers.get`` & co.). The one trap is an
initializer *object* (a ``_target_`` in YAML): shared by several layers, an unseeded one gives
them all the same starting values. :func:`fresh_initializer` hands each layer its own copy.
"""

from __future__ import annotations

from typing import Any

import keras


def fresh_initializer(value: Any) -> Any:
    """A new copy of an initializer object (a new seed when it has none); other values as given."""
    if isinstance(value, keras.initializers.Initializer):
        return type(value).from_config(value.get_config())
    return value
