"""A resumed fold continues the backend's own random state: on PyTorch an unseeded ``Dropout``
draws from torch's global generator, which the backup stores (kagglekit.training.backend_rng).
The same two-epochs-then-resume check runs on the suite's backend and, in a subprocess, on
PyTorch, where it failed before the backups held that generator."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from kagglekit.training import backend_rng
from kagglekit.training.backup import FoldBackup, _read_backup

ROOT = Path(__file__).resolve().parents[2]


def _model() -> keras.Model:
    keras.utils.set_random_seed(3)  # what each (re)started process does before building
    inputs = keras.Input((6,), name="x")
    x = keras.layers.Dense(32, activation="relu")(inputs)
    x = keras.layers.Dropout(0.5)(x)  # seed=None: torch's global generator on PyTorch
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(128, 6)).astype("float32")
    return x, (x @ rng.normal(size=6)).astype("float32")


def _weights(model: keras.Model) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.weights]


def resume_matches(folder: Path) -> None:
    """Four epochs in one go equal two epochs, a restart (reseeded, fresh model) and two more."""
    x, y = _data()
    fit = {"batch_size": 16, "shuffle": False, "verbose": 0}
    whole = _model()
    whole.fit(x, y, epochs=4, **fit)

    first = _model()
    first.fit(x, y, epochs=2, callbacks=[FoldBackup(folder, [])], **fit)
    again = _model()
    backup = FoldBackup(folder, [])
    start = backup.restore(again)
    assert start == 2
    again.fit(x, y, initial_epoch=start, epochs=4, callbacks=[backup], **fit)
    for resumed, uninterrupted in zip(_weights(again), _weights(whole), strict=True):
        np.testing.assert_array_equal(resumed, uninterrupted)


def test_a_resumed_fit_equals_an_uninterrupted_one_with_unseeded_dropout(tmp_path: Path) -> None:
    resume_matches(tmp_path / "backup")


def test_the_backup_holds_the_backends_global_random_state(tmp_path: Path) -> None:
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[FoldBackup(tmp_path, [])])
    restored = _read_backup(model, next(tmp_path.glob("epoch-*.npz")))
    assert sorted(restored.rng) == sorted(backend_rng.take())
    if keras.backend.backend() == "torch":
        assert backend_rng.CPU in restored.rng


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_on_pytorch_a_resumed_fit_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; "
        "from tests.reliability.test_backend_rng import resume_matches; "
        "resume_matches(Path(sys.argv[1]))"
    )
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "backup")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
