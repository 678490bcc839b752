"""Run the real entry point as a process that a test can kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# a small, quick digits configuration: 3 folds, 6 epochs, early stopping that can trigger,
# a backup after every epoch (the tests kill a run once it has backed up n epochs)
QUICK_DIGITS = [
    "competition=digits",
    "trainer.backup_every_s=0",
    "cv.n_splits=3",
    "trainer.epochs=6",
    "trainer.verbose=0",
    "model.filters=[8]",
    "model.dense_units=[16]",
    "callbacks.early_stopping.patience=2",
    "callbacks.reduce_lr.patience=1",
]


def train_command(run_dir: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "scripts" / "train.py"),
        *QUICK_DIGITS,
        f"competition.data_dir={data_dir}",
        f"hydra.run.dir={run_dir}",
        *extra,
    ]


def env() -> dict[str, str]:
    """The subprocess environment; the repository root goes first on the path so that test-only
    objects (``tests.reliability.poison``) can be named by ``_target_``."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}


def run(command: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        command, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def kill_when(command: list[str], ready: Callable[[], bool], timeout: float = 300) -> None:
    """Start ``command`` and SIGKILL it as soon as ``ready()`` is true."""
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            if proc.poll() is not None:
                raise AssertionError(
                    f"the run ended before it could be killed:\n{proc.stderr.read().decode()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError("the run never reached the point where it should be killed")
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def backup_epoch(run_dir: Path, fold: int) -> int:
    latest = run_dir / f"fold_{fold}" / "backup" / "latest.json"
    try:
        return int(json.loads(latest.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0
