"""Load a page in Debian's headless Chromium: its console messages and a screenshot."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium absent: apt-get install chromium (Debian)"
)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


@dataclass(frozen=True)
class Rendered:
    dom: str
    console: list[str]  # every console message (errors, uncaught exceptions, logs)
    screenshot: Path


def render(page: Path, work: Path, height: int = 3000) -> Rendered:
    """Load ``page`` headless twice: once dumping the DOM with console logging on stderr, once
    taking a 1280-wide screenshot. A fresh profile each time, so parallel runs do not clash."""
    assert CHROMIUM is not None
    work.mkdir(parents=True, exist_ok=True)
    common = [
        CHROMIUM,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={work / 'profile'}",
    ]
    url = page.resolve().as_uri()
    dumped = _run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", url])
    screenshot = work / "screenshot.png"
    _run([*common, f"--screenshot={screenshot}", f"--window-size=1280,{height}", url])
    return Rendered(dumped.stdout, CONSOLE.findall(dumped.stderr), screenshot)


def _run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run Chromium in its own process group and kill the whole group on a timeout:
    ``subprocess.run(timeout=...)`` kills only the browser, then waits for its pipes, which
    the browser's helper processes (zygote, GPU, renderer) still hold: that wait never ends."""
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"Chromium did not finish in {timeout:g} s: {' '.join(command)}\n{stderr[-2000:]}"
            ) from None
        finally:
            with contextlib.suppress(ProcessLookupError):  # helpers a browser left behind
                os.killpg(process.pid, signal.SIGKILL)
    if process.returncode != 0:
        raise AssertionError(f"Chromium exited with {process.returncode}: {stderr[-2000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def distinct_colours(png: Path) -> int:
    """How many distinct colours a PNG has (a blank page has one)."""
    from matplotlib.image import imread

    pixels = imread(png)[::4, ::4, :3].reshape(-1, 3)
    return len(np.unique((pixels * 255).astype(np.uint8), axis=0))
