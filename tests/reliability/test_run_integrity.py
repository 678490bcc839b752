"""Issue 9, run integrity: a run directory knows what made it (fingerprint.json), one process
writes it at a time (run.lock), and a failure is recorded in run_state.json.

Titanic, 2 folds, 2 epochs. A re-run in the same run directory resumes when nothing that
decides training changed; recomputes the test predictions from the fold checkpoints when only
the test file changed; and is refused, before it touches a file, when anything else changed.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from kagglekit import pipeline
from kagglekit.data.loading import DataError
from kagglekit.examples.titanic.prepare import prepare
from kagglekit.files import SaveError, atomic_path
from kagglekit.rundir import LOCK_FILE, RunChangedError, RunDirBusyError, hold
from tests.conftest import compose_config
from tests.reliability.helpers import ROOT, backup_epoch, env

TITANIC = [
    "competition=titanic",
    "trainer.epochs=2",
    "cv.n_splits=2",
    "trainer.verbose=0",
    "model.hidden_units=[16]",
]


def _overrides(data_dir: Path, *extra: str) -> list[str]:
    return [*TITANIC, f"competition.data_dir={data_dir}", *extra]


def train_here(run_dir: Path, data_dir: Path, *extra: str) -> pipeline.RunResult:
    """``pipeline.train`` in this process (what the tuner and ``--multirun`` jobs call)."""
    return pipeline.train(compose_config(*_overrides(data_dir, *extra)), run_dir=run_dir)


def cli(
    script: str, *args: str, timeout: float = 600, check_rc: int | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def train_args(run_dir: Path, data_dir: Path, *extra: str) -> list[str]:
    return [*_overrides(data_dir, *extra), f"hydra.run.dir={run_dir}"]


def snapshot(run_dir: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a run (content and mtime), less the lock file (it holds the last pid)."""
    return {
        str(p.relative_to(run_dir)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name != LOCK_FILE
    }


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The refusal is one line on stderr, without a traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


@pytest.fixture(scope="module")
def titanic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare(tmp_path_factory.mktemp("data") / "titanic")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, titanic: Path) -> Path:
    """One finished 2-fold run that the tests below re-run (never modify it in place)."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    train_here(run_dir, titanic)
    return run_dir


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _fold_files(run_dir: Path) -> dict[str, int]:
    return {
        f"{k}/{name}": (run_dir / f"fold_{k}" / name).stat().st_mtime_ns
        for k in range(2)
        for name in ("history.csv", "model.weights.h5", "preprocessing.json")
    }


def test_changed_test_file_recomputes_test_predictions_without_retraining(
    tmp_path: Path, titanic: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = _copy(titanic, tmp_path / "titanic")
    run_dir = tmp_path / "run"
    train_here(run_dir, data)
    trained_files = _fold_files(run_dir)
    scores = json.loads((run_dir / "scores.json").read_text())

    # 1. one column of test.csv changed
    test = pd.read_csv(data / "test.csv")
    test["Age"] = test["Age"].fillna(30) + 25
    test.to_csv(data / "test.csv", index=False)
    # 2. then new rows, in test.csv and in the sample submission
    extra = test.head(7).assign(PassengerId=test["PassengerId"].max() + 1 + np.arange(7))
    sample = pd.read_csv(data / "sample_submission.csv")
    extra_sample = pd.DataFrame({"PassengerId": extra["PassengerId"], "Survived": 0})
    changes = [
        lambda: None,
        lambda: (
            pd.concat([test, extra]).to_csv(data / "test.csv", index=False),
            pd.concat([sample, extra_sample]).to_csv(data / "sample_submission.csv", index=False),
        ),
    ]
    for step, change in enumerate(changes):
        change()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="kagglekit"):
            train_here(run_dir, data)
        log = caplog.text
        assert "the test side changed: test.csv (content changed" in log
        for k in range(2):
            assert f"Fold {k}: the test file changed since this fold was trained" in log
            assert f"Fold {k}: already complete" in log
        assert "training rows" not in log  # no fold was trained
        assert _fold_files(run_dir) == trained_files  # history and weights untouched
        rerun_scores = json.loads((run_dir / "scores.json").read_text())
        assert rerun_scores["folds"] == scores["folds"] and rerun_scores["cv"] == scores["cv"]

        fresh = tmp_path / f"fresh{step}"
        train_here(fresh, data)
        assert (run_dir / "submission.csv").read_bytes() == (fresh / "submission.csv").read_bytes()
        np.testing.assert_allclose(
            np.load(run_dir / "test_pred.npy"), np.load(fresh / "test_pred.npy"), atol=1e-6
        )
    n_rows = len(pd.read_csv(run_dir / "submission.csv"))
    assert n_rows == len(sample) + 7


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("model.hidden_units=[64,64]", "model.hidden_units ([16] -> [64, 64])"),
        ("trainer.epochs=3", "trainer.epochs (2 -> 3)"),
        ("cv.n_splits=5", "cv.n_splits (2 -> 5)"),
    ],
)
def test_training_override_is_refused_before_training(
    trained: Path, titanic: Path, override: str, named: str
) -> None:
    before = snapshot(trained)
    started = time.monotonic()
    proc = cli("train.py", *train_args(trained, titanic, override), check_rc=1)
    line = error_line(proc)
    assert line.startswith(f"Error: Run dir {trained} was trained with another setup; changed: ")
    assert named in line
    assert "hydra.run.dir=<new path>" in line and "restart=true" in line
    assert time.monotonic() - started < 60  # refused before TensorFlow/data/training
    assert snapshot(trained) == before


def test_train_refuses_too_when_called_directly(trained: Path, titanic: Path) -> None:
    """The tuner and --multirun jobs call pipeline.train: it checks the fingerprint itself."""
    before = snapshot(trained)
    with pytest.raises(RunChangedError, match=r"changed: trainer\.epochs \(2 -> 3\)"):
        train_here(trained, titanic, "trainer.epochs=3")
    assert snapshot(trained) == before


def test_cosmetic_keys_resume(trained: Path, titanic: Path, tmp_path: Path) -> None:
    run_dir = _copy(trained, tmp_path / "run")
    folds = {k: (run_dir / f"fold_{k}" / "state.json").read_bytes() for k in range(2)}
    result = train_here(
        run_dir,
        titanic,
        "trainer.verbose=2",
        "trainer.progress=false",
        "trainer.predict_batch_size=64",
    )
    assert {k: (run_dir / f"fold_{k}" / "state.json").read_bytes() for k in range(2)} == folds
    assert result.cv_score == json.loads((trained / "scores.json").read_text())["cv"]


def test_restart_moves_the_old_run_aside_and_trains_afresh(
    trained: Path, titanic: Path, tmp_path: Path
) -> None:
    run_dir = _copy(trained, tmp_path / "run")
    before = snapshot(run_dir)
    train_here(run_dir, titanic, "model.hidden_units=[8]", "restart=true")
    (aside,) = tmp_path.glob("run.old-*")
    assert snapshot(aside) == before  # moved, never deleted or changed
    fingerprint = json.loads((run_dir / "fingerprint.json").read_text())
    assert fingerprint["config"]["model.hidden_units"] == [8]
    assert json.loads((run_dir / "run_state.json").read_text())["status"] == "complete"
    assert (run_dir / "fold_1" / "history.csv").stat().st_mtime_ns > max(
        mtime for _, mtime in before.values()
    )


def test_changed_train_file_is_refused_naming_it(
    trained: Path, titanic: Path, tmp_path: Path
) -> None:
    data = _copy(titanic, tmp_path / "titanic")
    run_dir = _copy(trained, tmp_path / "run")
    train = pd.read_csv(data / "train.csv")
    train.loc[3, "Age"] = 99.0
    train.to_csv(data / "train.csv", index=False)
    before = snapshot(run_dir)
    with pytest.raises(RunChangedError, match=r"changed: train\.csv \(content changed: ") as info:
        train_here(run_dir, data)
    assert str(data / "train.csv") in str(info.value)
    assert snapshot(run_dir) == before


def test_edited_folds_file_is_refused(trained: Path, titanic: Path, tmp_path: Path) -> None:
    run_dir = _copy(trained, tmp_path / "run")
    folds = pd.read_csv(run_dir / "folds.csv")
    first0, first1 = folds.index[folds["fold"] == 0][0], folds.index[folds["fold"] == 1][0]
    folds.loc[[first0, first1], "fold"] = [1, 0]
    folds.to_csv(run_dir / "folds.csv", index=False)
    before = snapshot(run_dir)
    with pytest.raises(RunChangedError, match="does not hold the fold assignment that trained"):
        train_here(run_dir, titanic)
    assert {k: v for k, v in snapshot(run_dir).items() if k.startswith("fold_")} == {
        k: v for k, v in before.items() if k.startswith("fold_")
    }


def test_predict_refuses_an_edited_config(trained: Path, tmp_path: Path) -> None:
    run_dir = _copy(trained, tmp_path / "run")
    cfg = OmegaConf.load(run_dir / "config.yaml")
    cfg.model.hidden_units = [64, 64]
    OmegaConf.save(cfg, run_dir / "config.yaml")
    before = snapshot(run_dir)
    proc = cli("predict.py", str(run_dir), check_rc=1)
    line = error_line(proc)
    assert line.startswith(f"Error: The checkpoints of {run_dir} were trained with another setup")
    assert "model.hidden_units ([16] -> [64, 64])" in line
    assert snapshot(run_dir) == before


@pytest.mark.parametrize(
    ("raised", "status", "reason"),
    [
        (DataError("data/x/train.csv: column 'Age' is bad."), "failed", "data/x/train.csv: column"),
        (RuntimeError("boom\nsecond line"), "failed", "RuntimeError: boom second line"),
        (KeyboardInterrupt(), "interrupted", "interrupted (Ctrl-C)"),
    ],
)
def test_a_failure_is_recorded_in_run_state(
    titanic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    raised: BaseException,
    status: str,
    reason: str,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(pipeline, "load_competition", fail)
    with pytest.raises(type(raised)):
        train_here(tmp_path / "run", titanic)
    state = json.loads((tmp_path / "run" / "run_state.json").read_text())
    assert state["status"] == status
    assert state["reason"].startswith(reason) and "\n" not in state["reason"]


def test_a_failed_save_is_recorded_in_run_state(titanic: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "submission.csv").mkdir(parents=True)
    with pytest.raises(SaveError):
        train_here(run_dir, titanic)
    state = json.loads((run_dir / "run_state.json").read_text())
    assert state == {
        "status": "failed",
        "competition": "titanic",
        "pid": os.getpid(),
        "reason": f"Cannot write {run_dir / 'submission.csv'}: the path is a directory. "
        "Remove it or choose another path.",
    }


def test_concurrent_run_stops_at_once_and_a_killed_run_leaves_no_lock(
    titanic: Path, tmp_path: Path
) -> None:
    """Real processes: the second exits within 10 s naming the lock and the first's pid; after
    a SIGKILL the lock is free; resuming the killed fold with another model is refused by the
    fingerprint (not misdiagnosed as unreadable backups)."""
    run_dir = tmp_path / "run"
    long = ["trainer.epochs=300", "callbacks.early_stopping.patience=300"]
    command = [sys.executable, str(ROOT / "scripts" / "train.py"), *train_args(run_dir, titanic)]
    log = tmp_path / "first.log"
    with open(log, "wb") as out:
        first = subprocess.Popen(
            [*command, *long], cwd=ROOT, env=env(), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 300
        while backup_epoch(run_dir, 0) < 1:
            assert first.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the first run never started training"
            time.sleep(0.1)
        started = time.monotonic()
        second = cli("train.py", *train_args(run_dir, titanic, *long), timeout=60)
        elapsed = time.monotonic() - started
        assert second.returncode == 1
        assert error_line(second) == (
            f"Error: Run dir {run_dir} is in use by pid {first.pid} (lock: {run_dir / LOCK_FILE})."
            " Wait for that run to finish, or choose another hydra.run.dir=<path>."
        )
        assert elapsed < 10, f"the second process took {elapsed:.1f}s to stop"
        assert first.poll() is None  # the first run goes on
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    with hold(run_dir):  # the OS released the killed process's lock
        pass
    assert backup_epoch(run_dir, 0) >= 1 and not (run_dir / "fold_0" / "state.json").exists()
    before = snapshot(run_dir)
    other = cli("train.py", *train_args(run_dir, titanic, *long, "model.hidden_units=[64,64]"))
    assert other.returncode == 1
    line = error_line(other)
    assert "model.hidden_units ([16] -> [64, 64])" in line and "backup" not in line
    assert snapshot(run_dir) == before


def test_train_refuses_a_run_dir_that_another_process_holds(titanic: Path, tmp_path: Path) -> None:
    """pipeline.train (tuner trials, --multirun jobs) takes the same lock."""
    run_dir = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from kagglekit.rundir import acquire; acquire(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)",
            str(run_dir),
        ],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirBusyError, match=f"is in use by pid {holder.pid} "):
            train_here(run_dir, titanic)
    finally:
        holder.kill()
        holder.wait()
    assert not (run_dir / "config.yaml").exists()


# -- read-only mount, full disk ---------------------------------------------------------------
@pytest.fixture
def small_mount(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (needs root and mount rights; skipped elsewhere)."""
    point = tmp_path / "mnt"
    point.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_run_dir_on_a_read_only_mount(titanic: Path, small_mount: Path) -> None:
    run_dir = small_mount / "run"
    run_dir.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_mount)], check=True)
    proc = cli("train.py", *train_args(run_dir, titanic), check_rc=1)
    assert error_line(proc) == (
        f"Error: Cannot write to run dir {run_dir}: Read-only file system "
        f"({run_dir / LOCK_FILE}). Choose a writable hydra.run.dir=<path>."
    )


def test_run_dir_on_a_full_disk(titanic: Path, small_mount: Path) -> None:
    _fill(small_mount)
    run_dir = small_mount / "run"
    proc = cli("train.py", *train_args(run_dir, titanic), check_rc=1)
    line = error_line(proc)
    assert line.startswith(f"Error: Cannot write to run dir {run_dir}: No space left on device")


def test_disk_full_while_training_is_one_line(titanic: Path, small_mount: Path) -> None:
    """The disk is too full for fold 0's checkpoint: one line, before h5py starts writing
    (h5py fails badly on a disk that fills up mid-write: tracebacks, even a crash)."""
    run_dir = small_mount / "run"
    proc = cli("train.py", *train_args(run_dir, titanic, "model.hidden_units=[64]"), check_rc=1)
    line = error_line(proc)
    assert re.fullmatch(
        rf"Error: Cannot write {re.escape(str(run_dir))}/\S+\.weights\.h5: No space left on "
        r"device \(about \d+\.\d MB needed, 0\.\d MB free\)",
        line,
    ), line
    assert json.loads((run_dir / "run_state.json").read_text())["status"] == "failed"
    assert "Exception ignored" not in proc.stderr


def test_h5py_full_disk_error_is_one_line(tmp_path: Path) -> None:
    """h5py reports a disk that filled up while it closed the file as a multi-line RuntimeError
    (writing it for real leaves h5py unstable in this process: its text is used here)."""
    h5py_text = (
        "Disable slist on flush dest failure failed (file write failed: time = Wed Dec  2 2026\n"
        ", filename = 'x.h5', file descriptor = 6, errno = 28, error message = 'No space left on "
        "device', buf = 0x55e8, total write size = 3920)"
    )
    target = tmp_path / "model.weights.h5"
    with pytest.raises(SaveError) as info, atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError(h5py_text)
    assert str(info.value) == f"Cannot write {target}: No space left on device"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="unrelated"), atomic_path(target):
        raise RuntimeError("unrelated")  # other RuntimeErrors are bugs: kept as they are
