"""The one module that knows which Keras backend runs: optional op determinism on GPU, and the
``tf.data`` feed of epoch-ordered batches on TensorFlow.

On CPU, kagglekit runs are bit-for-bit reproducible with the same seed on every backend (the
seed goes through ``keras.utils.set_random_seed``; batches are ordered by (seed, epoch)).
On GPU some kernels (cuDNN convolutions' backward pass, scatter/segment sums, atomics in
reductions) are non-deterministic; ``trainer.deterministic=true`` asks the backend for
deterministic kernels, at some cost in speed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

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


def feeds_through_tf_data() -> bool:
    """Whether in-memory batches go through :func:`epoch_dataset` (TensorFlow) rather than a
    ``keras.utils.PyDataset`` (JAX, torch: Keras iterates those in Python anyway)."""
    return keras.backend.backend() == "tensorflow"


def epoch_dataset(
    data: tuple[Any, Any],
    n: int,
    batch_size: int,
    order_of: Callable[[int], np.ndarray],
    first_epoch: int = 0,
    current_epoch: Callable[[], int] | None = None,
) -> Any:
    """A ``tf.data.Dataset`` of ``data`` (a nest of numpy arrays) batched in the row order
    ``order_of(epoch)``: endless, epoch ``first_epoch``'s batches, then the next epoch's and so
    on (``fit`` takes it with ``steps_per_epoch`` = the batches of an epoch); or, given
    ``current_epoch``, the batches of the one epoch that ``current_epoch()`` names when an
    iterator starts (Keras starts one per epoch).

    Built like Keras' own pipeline for numpy inputs: each epoch's order is split into batches
    of indices and each batch is one ``tf.gather`` per array in parallel ``map`` calls, so the
    Python cost is one call per epoch (``PyDataset`` on TensorFlow goes through
    ``from_generator``: Python and a copy per batch). The endless dataset serves every epoch
    from one iterator (Keras keeps it when ``steps_per_epoch`` is given), where a dataset of
    one epoch needs a new iterator each epoch: tens of ms for a model with tens of inputs.
    """
    import tensorflow as tf

    n_full = n // batch_size
    rest = n - n_full * batch_size

    def permutation(epoch: Any) -> Any:
        rows = tf.numpy_function(
            lambda e: order_of(int(e)).astype(np.int64), [epoch], tf.int64, stateful=True
        )
        return tf.ensure_shape(rows, [n])

    def split(rows: Any) -> Any:
        full = tf.data.Dataset.from_tensor_slices(
            tf.reshape(rows[: n_full * batch_size], [n_full, batch_size])
        )
        if rest:
            full = full.concatenate(tf.data.Dataset.from_tensors(rows[n_full * batch_size :]))
        return full

    if current_epoch is None:
        # the epoch comes with the data (not from a callback's "epoch begins"): the pipeline
        # may prefetch the next epoch's first batches while this one ends
        epochs = tf.data.Dataset.range(first_epoch, np.iinfo(np.int64).max)
    else:
        epochs = tf.data.Dataset.range(1).map(
            lambda _: tf.numpy_function(
                lambda: np.int64(current_epoch()), [], tf.int64, stateful=True
            )
        )
    indices = epochs.map(permutation).flat_map(split)
    tensors = tf.nest.map_structure(tf.convert_to_tensor, data)
    dataset = tf.data.Dataset.zip((indices, tf.data.Dataset.from_tensors(tensors).repeat()))
    dataset = dataset.map(
        lambda rows, arrays: tf.nest.map_structure(lambda a: tf.gather(a, rows), arrays),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    options.experimental_external_state_policy = tf.data.experimental.ExternalStatePolicy.IGNORE
    dataset = dataset.with_options(options)
    if current_epoch is not None:
        n_batches = n_full + (1 if rest else 0)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(n_batches))
    return dataset.prefetch(tf.data.AUTOTUNE)
