"""Load a page in Debian's headless Chromium: its console messages and a screenshot."""

from __future__ import annotations

import re
import shutil
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
    dumped = subprocess.run(
        [*common, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    screenshot = work / "screenshot.png"
    subprocess.run(
        [*common, f"--screenshot={screenshot}", f"--window-size=1280,{height}", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Rendered(dumped.stdout, CONSOLE.findall(dumped.stderr), screenshot)


def distinct_colours(png: Path) -> int:
    """How many distinct colours a PNG has (a blank page has one)."""
    from matplotlib.image import imread

    pixels = imread(png)[::4, ::4, :3].reshape(-1, 3)
    return len(np.unique((pixels * 255).astype(np.uint8), axis=0))
