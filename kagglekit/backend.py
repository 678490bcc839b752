"""The one module that knows which Keras backend runs: optional op determinism on GPU.

On CPU, kagglekit runs are bit-for-bit reproducible with the same seed on every backend (the
seed goes through ``keras.utils.set_random_seed``; batches are ordered by (seed, epoch)).
On GPU some kernels (cuDNN convolutions' backward pass, scatter/segment sums, atomics in
reductions) are non-deterministic; ``trainer.deterministic=true`` asks the backend for
deterministic kernels, at some cost in speed.
"""

from __future__ import annotations

import logging
import os

import keras

log = logging.getLogger(__name__)


def enable_op_determinism() -> str:
    """Ask the active backend for deterministic kernels; returns the backend's name."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # the only TensorFlow call in kagglekit, and an optional one

        tf.config.experimental.enable_op_determinism()
    elif backend == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_gpu_deterministic_ops" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_gpu_deterministic_ops=true".strip()
            log.info(
                "XLA_FLAGS=%s (set it before starting Python to be sure it applies).",
                os.environ["XLA_FLAGS"],
            )
    elif backend == "torch":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        import torch

        torch.use_deterministic_algorithms(True)
    return backend
