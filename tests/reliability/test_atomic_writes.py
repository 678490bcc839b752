"""3: every checkpoint and result file is written atomically: a SIGKILL during the write leaves
the previous good file, and no partial file ever sits at the final path."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

from tests.reliability.helpers import ROOT, env


def _check_complete(folder: Path) -> set[int]:
    values = set()
    big = np.load(folder / "big.npy", allow_pickle=False)
    assert big.shape == (4_000_000,) and (big == big[0]).all()
    values.add(int(big[0]))
    with h5py.File(folder / "model.weights.h5", "r") as f:
        arrays: list[np.ndarray] = []
        f.visititems(
            lambda _, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None
        )
    assert len(arrays) == 4
    weights = {float(a.flat[0]) for a in arrays}
    assert len(weights) == 1 and all((a == a.flat[0]).all() for a in arrays)
    values.add(int(weights.pop()))
    values.add(json.loads((folder / "state.json").read_text())["written"])
    return values


def test_sigkill_mid_write_never_leaves_a_partial_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    seen: set[int] = set()
    for _ in range(6):
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "reliability" / "atomic_writer.py"),
                str(tmp_path),
            ],
            cwd=ROOT,
            env=env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # one full round written: every file exists
        assert first.strip(), "the writer died before writing anything"
        time.sleep(float(rng.uniform(0.0, 0.6)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        seen |= _check_complete(tmp_path)
        # the final names hold complete files; a temporary file may be left, never a final one
        for path in tmp_path.iterdir():
            assert (
                path.name in {"big.npy", "model.weights.h5", "state.json"} or ".tmp-" in path.name
            )
    assert len(seen) >= 2, (
        f"the kills always landed between rounds ({seen}); the test proved nothing"
    )
    # the next run sweeps away what the killed writers left
    from kagglekit.files import remove_stale_temporaries

    remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "big.npy",
        "model.weights.h5",
        "state.json",
    ]
