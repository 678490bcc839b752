"""trainer.distribution=data_parallel: even batches, a clear error off JAX, and (in a JAX
subprocess with two simulated CPU devices) training laid out on both devices, the same CV as
one device, and resume after a kill."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest

from kagglekit.training.batches import EpochBatches
from kagglekit.training.devices import DistributionError, EvenBatches, device_distribution
from kagglekit.training.input_batches import InputBatches
from tests.reliability.helpers import ROOT, backup_epoch, kill_when, run, train_command

needs_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None,
    reason="runs a JAX subprocess: pip install -e '.[jax]' (CI: the JAX venv step)",
)

TWO_DEVICES = {
    "KERAS_BACKEND": "jax",
    "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    "JAX_PLATFORMS": "cpu",
}


def test_even_batches_trim_training_and_pad_prediction_batches() -> None:
    x = {"a": np.arange(21.0)[:, None]}
    y = np.arange(21)
    batches = EpochBatches(x, y, 8, seed=0)  # batches of 8, 8, 5 rows
    trimmed = EvenBatches(batches, 2)
    assert len(trimmed) == 3
    sizes = [len(trimmed[i][1]) for i in range(3)]
    assert sizes == [8, 8, 4]
    xb, yb = trimmed[2]
    np.testing.assert_array_equal(xb[:, 0], yb)  # rows stay paired
    # a last batch smaller than the device count is dropped, not sent empty
    assert len(EvenBatches(EpochBatches(x, y, 10, seed=0), 2)) == 2
    padded = EvenBatches(InputBatches(x, batch_size=8), 2, mode="pad")
    last = padded[2][0]
    assert len(last) == 6 and last[-1, 0] == last[-2, 0] == 20.0


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="data_parallel runs on JAX")
def test_data_parallel_off_jax_is_one_clear_line() -> None:
    with pytest.raises(DistributionError) as error, device_distribution("data_parallel", 64):
        pass
    message = str(error.value)
    assert "\n" not in message
    assert "KERAS_BACKEND=jax" in message and keras.backend.backend() in message
    assert keras.distribution.distribution() is None


LAYOUT_CHECK = """
import json, keras, numpy as np
from kagglekit.models.mlp import build_mlp
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.devices import DistributionError, device_distribution
from kagglekit.training.fit import TrainerSettings, build_model, fit_model, predict

inputs = {"features": InputSpec((6,))}
outputs = [OutputSpec("output", 3, "softmax", "sparse_categorical_crossentropy")]
rng = np.random.default_rng(0)
x = {"features": rng.normal(size=(101, 6)).astype("float32")}  # odd row counts everywhere
y = (x["features"][:, 0] > 0).astype("int32")
settings = TrainerSettings(epochs=2, batch_size=16, verbose=0, predict_batch_size=30)

def make():
    keras.utils.set_random_seed(0)
    return build_model(lambda inputs, outputs: build_mlp(inputs, outputs, hidden_units=(8,)),
                       inputs, outputs, make_optimizer=lambda: keras.optimizers.Adam(1e-2))

out = {}
with device_distribution("data_parallel", settings.batch_size) as n:
    model = make()
    mesh = keras.distribution.distribution().device_mesh
    out["shards"] = n
    out["mesh_devices"] = len(mesh.devices.flatten())
    out["kernel_devices"] = len(model.get_layer("output").kernel.value.sharding.device_set)
    history = fit_model(model, (x, y), (x, y), settings=settings, callbacks=[])
    out["loss"] = history.history["loss"]
    p2 = predict(model, x, settings.predict_batch_size)
    weights = model.get_weights()
out["after"] = repr(keras.distribution.distribution())
single = make()
single.set_weights(weights)
p1 = predict(single, x, settings.predict_batch_size)
out["rows"] = len(p2)
out["max_diff"] = float(np.abs(p1 - p2).max())
try:
    with device_distribution("data_parallel", 15):
        pass
except DistributionError as e:
    out["odd_batch"] = str(e)
print(json.dumps(out))
"""


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": path, **extra}


@needs_jax
def test_data_parallel_lays_variables_and_batches_on_two_devices() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", LAYOUT_CHECK],
        cwd=ROOT,
        env=_env(**TWO_DEVICES),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["shards"] == out["mesh_devices"] == out["kernel_devices"] == 2
    assert np.isfinite(out["loss"]).all()
    assert out["after"] == "None"  # the distribution does not outlive the scope
    # every row predicted, the same as the single-device model with the same weights
    assert out["rows"] == 101 and out["max_diff"] < 1e-5
    assert "trainer.batch_size=15" in out["odd_batch"] and "multiple of 2" in out["odd_batch"]


@pytest.fixture(scope="module")
def on_two_devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A quick digits run on two simulated JAX devices: (data dir, run dir)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in TWO_DEVICES.items():
            patch.setenv(key, value)
        base = tmp_path_factory.mktemp("two_devices")
        data_dir, run_dir = base / "digits", base / "parallel"
        proc = run(train_command(run_dir, data_dir, "trainer.distribution=data_parallel"))
        assert "Data parallel over 2 device(s)" in proc.stdout + proc.stderr
        yield data_dir, run_dir


def _cv(run_dir: Path) -> float:
    return float(json.loads((run_dir / "scores.json").read_text())["cv"])


@needs_jax
@pytest.mark.slow
def test_digits_on_two_devices_matches_one_device(
    on_two_devices: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, parallel = on_two_devices
    single = tmp_path / "single"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in TWO_DEVICES.items():
            patch.setenv(key, value)
        run(train_command(single, data_dir))
    # the same CV within noise (two devices drop < 2 rows of each epoch's last batch); the
    # quick config (6 epochs, 8 filters) is far from converged, but well above chance (0.1)
    assert abs(_cv(parallel) - _cv(single)) <= 0.03
    assert _cv(parallel) >= 0.2


@needs_jax
@pytest.mark.slow
def test_digits_on_two_devices_resumes_after_a_kill(
    on_two_devices: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, parallel = on_two_devices
    resumed = tmp_path / "resumed"
    command = train_command(resumed, data_dir, "trainer.distribution=data_parallel")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in TWO_DEVICES.items():
            patch.setenv(key, value)
        kill_when(command, lambda: backup_epoch(resumed, 1) >= 1)
        assert not (resumed / "fold_1" / "state.json").exists()
        proc = run(command)
    log = proc.stdout + proc.stderr
    assert "Fold 0: already complete" in log and "resuming after epoch" in log
    np.testing.assert_allclose(
        np.load(resumed / "oof.npy"), np.load(parallel / "oof.npy"), rtol=1e-4, atol=1e-5
    )
    assert _cv(resumed) == pytest.approx(_cv(parallel), abs=1e-9)
