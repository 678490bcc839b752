"""14: no pickle on load paths, models loaded with Keras safe mode (weights only), and
credentials in a storage URL masked in every saved config, log line and console message."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kagglekit
from kagglekit.examples.titanic.prepare import prepare
from kagglekit.redact import install_log_filter
from tests.reliability.helpers import ROOT, env

PASSWORD = "hunter2-Zq7"  # unique: found nowhere unless leaked
STORAGE = f"postgresql://kaggle:{PASSWORD}@localhost:5432/runs"
MASKED = "postgresql://kaggle:***@localhost:5432/runs"
QUICK_TITANIC = [
    "competition=titanic",
    "cv.n_splits=2",
    "trainer.epochs=1",
    "trainer.verbose=0",
    "model.hidden_units=[8]",
    f"+storage={STORAGE}",
]
# the kagglekit under test (the checkout, or site-packages when CI installed the wheel) and scripts/
SOURCES = [Path(kagglekit.__file__).resolve().parent, ROOT / "scripts"]


def entry_point(*overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), *overrides],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def titanic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A quick titanic run through the entry point with a password in a storage URL."""
    base = tmp_path_factory.mktemp("hygiene")
    data_dir, run_dir = prepare(base / "data"), base / "run"
    proc = entry_point(
        *QUICK_TITANIC, f"competition.data_dir={data_dir}", f"hydra.run.dir={run_dir}"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir, proc.stdout + proc.stderr


def leaks(run_dir: Path) -> list[str]:
    return [
        p.relative_to(run_dir).as_posix()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and PASSWORD.encode() in p.read_bytes()
    ]


# -- no pickle --------------------------------------------------------------------------------


def test_14_every_saved_array_loads_without_pickle(titanic_run: tuple[Path, str]) -> None:
    run_dir, _ = titanic_run
    arrays = sorted(run_dir.rglob("*.npy")) + sorted(run_dir.rglob("*.npz"))
    names = {p.relative_to(run_dir).as_posix() for p in arrays}
    assert {"oof.npy", "test_pred.npy", "fold_0/oof.npy", "fold_1/test_pred.npy"} <= names
    for path in arrays:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                assert all(loaded[key].dtype != object for key in loaded.files)
        else:
            assert loaded.dtype != object and np.isfinite(loaded).all(), path
    assert not [p for p in run_dir.rglob("*") if p.suffix in {".pkl", ".pickle", ".joblib"}]


def _unsafe_loads(source: str, filename: str) -> list[str]:
    """Load calls that could run code from a file: pickle and friends, ``np.load`` without
    ``allow_pickle=False``, Keras loading with ``safe_mode=False`` or unsafe deserialization."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            modules.append(getattr(node, "module", None) or "")
            for module in modules:
                if module.split(".")[0] in {"pickle", "cPickle", "dill", "cloudpickle", "joblib"}:
                    found.append(f"{filename}:{node.lineno}: imports {module}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
        keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
        where = f"{filename}:{node.lineno}: {ast.unparse(func)}"
        if name in {"read_pickle", "enable_unsafe_deserialization"} or (
            name == "load" and owner in {"pickle", "joblib", "dill", "torch"}
        ):
            found.append(where)
        if name == "load" and owner in {"np", "numpy"} and keywords.get("allow_pickle") != "False":
            found.append(f"{where} without allow_pickle=False")
        if name in {"load_model", "deserialize_keras_object"} and keywords.get("safe_mode") in {
            "False",
            "0",
        }:
            found.append(f"{where} with safe_mode=False")
    return found


@pytest.mark.parametrize(
    ("source", "unsafe"),
    [
        ("import pickle\npickle.load(f)", True),
        ("import joblib", True),
        ("import numpy as np\nnp.load(p)", True),
        ("import numpy as np\nnp.load(p, allow_pickle=True)", True),
        ("keras.models.load_model(p, safe_mode=False)", True),
        ("keras.saving.load_model(p, safe_mode=False)", True),
        ("keras.config.enable_unsafe_deserialization()", True),
        ("pd.read_pickle(p)", True),
        ("import numpy as np\nnp.load(p, allow_pickle=False)", False),
        ("keras.saving.load_model(p)", False),
        ("model.load_weights(p)", False),
    ],
)
def test_14_the_source_scan_recognises_unsafe_loads(source: str, unsafe: bool) -> None:
    assert bool(_unsafe_loads(source, "example.py")) is unsafe


def test_14_no_pickle_and_only_safe_mode_keras_loads_in_the_source() -> None:
    files = [(p, folder) for folder in SOURCES for p in sorted(folder.rglob("*.py"))]
    assert len(files) > 20
    found = [
        hit
        for p, folder in files
        for hit in _unsafe_loads(p.read_text(), str(p.relative_to(folder.parent)))
    ]
    assert not found, "\n".join(found)


# -- credentials ------------------------------------------------------------------------------


def test_14_storage_password_is_masked_in_every_file_and_message(
    titanic_run: tuple[Path, str],
) -> None:
    run_dir, console = titanic_run
    for name in ("config.yaml", ".hydra/config.yaml", ".hydra/overrides.yaml", ".hydra/hydra.yaml"):
        text = (run_dir / name).read_text()
        assert MASKED in text, name  # the key was saved, with its password masked
    assert (run_dir / "train.log").stat().st_size > 0
    assert leaks(run_dir) == []
    assert PASSWORD not in console


def test_14_storage_password_is_masked_when_the_run_fails(tmp_path: Path) -> None:
    """A run that crashes (an unknown Keras loss, raised inside fold 0) must not print the
    password either: Hydra's own report lists the command-line overrides."""
    data_dir, run_dir = prepare(tmp_path / "data"), tmp_path / "run"
    proc = entry_point(
        *QUICK_TITANIC,
        "trainer.loss=no_such_loss",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
    )
    assert proc.returncode != 0
    assert "no_such_loss" in proc.stderr, proc.stderr[-3000:]
    assert PASSWORD not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    assert leaks(run_dir) == []


def test_14_log_lines_are_masked(tmp_path: Path) -> None:
    root = logging.getLogger()
    handler = logging.FileHandler(tmp_path / "run.log")
    root.addHandler(handler)
    try:
        install_log_filter()
        logging.getLogger("kagglekit.storage").warning("Saving trials to %s", STORAGE)
        logging.getLogger("kagglekit.storage").warning(f"Connected to {STORAGE}")
    finally:
        root.removeHandler(handler)
        handler.close()
    text = (tmp_path / "run.log").read_text()
    assert text.count(MASKED) == 2 and PASSWORD not in text
