"""Random state a backend keeps outside Keras variables, taken into a fold's backups.

Keras keeps its own random state in variables (every ``SeedGenerator``'s state), which the
backups hold with the model's. PyTorch is the exception: Keras' torch backend draws an unseeded
``Dropout`` (the layer's default, ``seed=None``) from torch's global generator, for speed. A
resumed fold must continue that generator where the uninterrupted fold had it, so on torch the
backup also stores ``torch.random.get_rng_state()`` (and each CUDA device's generator once CUDA
is in use). On TensorFlow and JAX there is nothing to store.

This is the one place of the training path that calls a backend directly (imported lazily,
only on torch).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import keras
import numpy as np

log = logging.getLogger(__name__)

PREFIX = "rng_"  # the names of these arrays in a backup file
CPU = "torch_cpu"
CUDA = "torch_cuda"  # + the device index


def take() -> dict[str, np.ndarray]:
    """The backend's global random state, as named uint8 arrays (empty off torch)."""
    if keras.backend.backend() != "torch":
        return {}
    import torch

    state = {CPU: torch.random.get_rng_state().numpy().copy()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, device_state in enumerate(torch.cuda.get_rng_state_all()):
            state[f"{CUDA}{index}"] = device_state.cpu().numpy().copy()
    return state


def put(state: Mapping[str, np.ndarray]) -> None:
    """Put back what :func:`take` returned. On torch, a backup without it (written by an
    earlier kagglekit) resumes with a warning: unseeded dropout then draws other masks than
    the uninterrupted fold would have."""
    if keras.backend.backend() != "torch":
        return
    import torch

    if CPU not in state:
        log.warning(
            "The backup holds no PyTorch random state (written by an earlier kagglekit): "
            "the resumed fold's dropout masks differ from an uninterrupted fold's."
        )
        return
    torch.random.set_rng_state(torch.from_numpy(np.ascontiguousarray(state[CPU], dtype=np.uint8)))
    devices = sorted(key for key in state if key.startswith(CUDA))
    if devices and torch.cuda.is_available():
        count = torch.cuda.device_count()
        for key in devices:
            index = int(key[len(CUDA) :])
            if index < count:
                torch.cuda.set_rng_state(
                    torch.from_numpy(np.ascontiguousarray(state[key], dtype=np.uint8)), index
                )
