"""Make installed packages look absent, for tests of a machine without them.

In this process: :func:`hide`. For a script in a subprocess:
``python -m tests.hide_packages tensorflow,jax scripts/train.py competition=titanic``.
A hidden package is not found by ``importlib.util.find_spec`` and its import raises
``ModuleNotFoundError``, as on a machine where it was never installed.
"""

from __future__ import annotations

import importlib.abc
import runpy
import sys
from collections.abc import Iterable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class HiddenPackages(importlib.abc.MetaPathFinder):
    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden)", name=fullname)
        return None


def hide(names: Iterable[str]) -> HiddenPackages:
    """Hide ``names`` (top-level packages) from imports in this process; they must not be
    imported yet."""
    finder = HiddenPackages(names)
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in finder.names)
    if loaded:
        raise RuntimeError(f"already imported, cannot hide: {loaded[:5]}")
    sys.meta_path.insert(0, finder)
    return finder


def main(argv: list[str]) -> None:
    names, script, *args = argv
    hide(n for n in names.split(",") if n)
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
