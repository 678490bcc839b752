"""The parts models are composed from, and the layers the factories share.

A composed model (:func:`kagglekit.models.composed.build_composed`) is ``stem -> body ->
pooling -> head``, each part a block named by ``_target_`` in ``conf/model/<name>.yaml``:

=========  ==========================================  =======================================
part       blocks                                      called as
=========  ==========================================  =======================================
stem       :class:`SeriesInput`, :class:`TokenEmbedding`  ``stem(name, spec, mask=...)``
body       :class:`RecurrentBody`, :class:`ConvBody`   ``body(x, sequences=...)`` (a list:
                                                       applied in order)
pooling    :class:`StepPooling`                        ``pooling(x)``
head       :class:`DenseHead`                          ``head(x, outputs)``
=========  ==========================================  =======================================

A block is a frozen dataclass of its hyperparameters that builds its layers when called, so a
new architecture is a new block class or a new YAML, not a new factory.
"""

from kagglekit.models.blocks.conv import ConvBody
from kagglekit.models.blocks.dense import DenseHead, dense_stack, output_head, output_heads
from kagglekit.models.blocks.inputs import (
    SeriesInput,
    TokenEmbedding,
    make_input,
    make_inputs,
    mask_padding,
    require_series,
    require_tokens,
)
from kagglekit.models.blocks.pooling import StepPooling, pool_steps
from kagglekit.models.blocks.recurrent import RecurrentBody

__all__ = [
    "ConvBody",
    "DenseHead",
    "RecurrentBody",
    "SeriesInput",
    "StepPooling",
    "TokenEmbedding",
    "dense_stack",
    "make_input",
    "make_inputs",
    "mask_padding",
    "output_head",
    "output_heads",
    "pool_steps",
    "require_series",
    "require_tokens",
]
