"""Fixtures for the tuning tests: tiny real trials, the real configs, a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from tests.conftest import CONF_DIR, ROOT

# A titanic trial in a few seconds: 2 folds, 2 epochs, a 16-unit MLP.
TINY_TITANIC = [
    "trainer.epochs=2",
    "cv.n_splits=2",
    "trainer.verbose=0",
    "model.hidden_units=[16]",
]


def compose_train(overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
    """The train config, composed like ``scripts/train.py`` (what each trial runs)."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=overrides, return_hydra_config=return_hydra_config)


def compose_tune(*overrides: str) -> DictConfig:
    """The tune config (conf/tune.yaml); ``study_name`` is given since no Hydra run sets it."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("tune", overrides=["study_name=test", *overrides])


def titanic_data(shared_data_dir: Path) -> str:
    return f"competition.data_dir={shared_data_dir / 'titanic'}"


def run_tune(
    *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "tune.py"), *args],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"tune.py {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def start_tune(*args: str, log: Path) -> subprocess.Popen[Any]:
    """A tune.py worker in the background, its output in ``log``."""
    handle = open(log, "w")  # noqa: SIM115 - closed with the process by the caller
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "tune.py"), *args],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"},
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def write_search_space(folder: Path, name: str, text: str) -> str:
    """A user search space in its own config dir; returns the ``hydra.searchpath`` override."""
    (folder / "hparams_search").mkdir(parents=True, exist_ok=True)
    (folder / "hparams_search" / f"{name}.yaml").write_text(text)
    return f"hydra.searchpath=[file://{folder}]"


# --- PostgreSQL: a throw-away cluster in a temp dir, 127.0.0.1 only ---------------------------


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_pg_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


def _start_postgres() -> tuple[str, Path, str]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin): "
            "apt-get install -y postgresql"
        )
    folder = Path(tempfile.mkdtemp(prefix="kagglekit-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    data = folder / "data"
    port = _free_port()
    steps = [
        [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        [
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=200",
            "-w",
            "-t",
            "60",
            "start",
        ],
    ]
    for cmd in steps:
        proc = subprocess.run(_as_pg_user(cmd), capture_output=True, text=True, cwd=folder)
        if proc.returncode != 0:
            log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"{Path(cmd[0]).name} failed: {proc.stderr or proc.stdout}{log}")
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, pg_ctl


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session; skipped (outside CI only) if none can start."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        reason = f"PostgreSQL tests need the psycopg driver (pip install -e '.[dev]'): {exc}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        url, folder, pg_ctl = _start_postgres()
    except (RuntimeError, OSError) as exc:
        reason = f"no PostgreSQL server could be started: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI=true: these tests must run)")
        pytest.skip(reason)
    try:
        yield url
    finally:
        subprocess.run(
            _as_pg_user([pg_ctl, "-D", str(folder / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(condition: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
