"""The recurrent body block: stacked (bidirectional) LSTM/GRU layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import keras

from kagglekit.errors import ConfigError
from kagglekit.models.keras_objects import fresh_initializer

Cell = Literal["lstm", "gru"]

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


@dataclass(frozen=True, kw_only=True)
class RecurrentBody:
    """One LSTM/GRU layer per entry of ``units`` (stacked); takes the stem's mask, so padded
    steps are skipped.

    Args:
        cell: ``lstm`` or ``gru``.
        units: width of each recurrent layer; several entries stack layers.
        bidirectional: wrap each layer in ``Bidirectional`` (``merge_mode``: ``concat``...).
        dropout / recurrent_dropout: Keras' input and recurrent-state dropout of each layer.
        activation ... recurrent_constraint: any Keras name, ``{class_name, config}`` dict or
            object (``_target_`` in YAML), passed to every layer.
    """

    cell: Cell = "lstm"
    units: Sequence[int] = (64,)
    bidirectional: bool = False
    merge_mode: str = "concat"
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    activation: Any = "tanh"
    recurrent_activation: Any = "sigmoid"
    kernel_initializer: Any = "glorot_uniform"
    recurrent_initializer: Any = "orthogonal"
    kernel_regularizer: Any = None
    recurrent_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    recurrent_constraint: Any = None

    @property
    def takes_mask(self) -> bool:
        return True

    def __call__(self, x: Any, *, sequences: bool) -> Any:
        """``sequences``: the last layer returns every step (for a pooling over steps), else
        its final state."""
        if self.cell not in CELLS:
            raise ConfigError(
                f"model.body.cell must be one of {sorted(CELLS)}, but got cell={self.cell!r}."
            )
        if not self.units:
            raise ConfigError(
                "model.body.units is empty: give the width of at least one recurrent layer."
            )
        for i, n in enumerate(self.units):
            layer = CELLS[self.cell](
                n,
                activation=self.activation,
                recurrent_activation=self.recurrent_activation,
                kernel_initializer=fresh_initializer(self.kernel_initializer),
                recurrent_initializer=fresh_initializer(self.recurrent_initializer),
                kernel_regularizer=self.kernel_regularizer,
                recurrent_regularizer=self.recurrent_regularizer,
                bias_regularizer=self.bias_regularizer,
                kernel_constraint=self.kernel_constraint,
                recurrent_constraint=self.recurrent_constraint,
                dropout=self.dropout,
                recurrent_dropout=self.recurrent_dropout,
                return_sequences=sequences or i < len(self.units) - 1,
                name=f"{self.cell}_{i}",
            )
            if self.bidirectional:
                layer = keras.layers.Bidirectional(
                    layer, merge_mode=self.merge_mode, name=f"bi{self.cell}_{i}"
                )
            x = layer(x)
        return x
