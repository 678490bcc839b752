"""Mixed precision by config: the Keras dtype policy that a fold's model is built under.

``trainer.precision`` names a Keras dtype policy: ``float32`` (the default), ``mixed_bfloat16``
(bfloat16 compute, float32 variables: the fast choice on recent GPUs/TPUs and on CPUs with
AVX512-BF16/AMX) or ``mixed_float16`` (float16 compute; Keras' ``compile`` then wraps the
optimizer in a ``LossScaleOptimizer`` on every backend, so small gradients do not underflow).

Variables stay float32 under the mixed policies, so a checkpoint written in mixed precision
loads into a float32 model and back. Output heads are built with ``dtype="float32"``
(:func:`kagglekit.models.blocks.output_head`), so predictions and losses are float32.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keras

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def check_precision(name: str) -> str:
    if name not in PRECISIONS:
        raise ValueError(
            f"trainer.precision must be one of {', '.join(PRECISIONS)}, but got {name!r}."
        )
    return name


@contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Build (and train) models under the policy ``name``; the previous global policy comes
    back on exit, so nothing leaks into the next fold, run or test."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(check_precision(name))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
