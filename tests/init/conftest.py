"""Shipped examples' files, prepared once per session into the shared data folder."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kagglekit.examples.packages import MissingExamplePackage
from tests.conftest import CONF_DIR

SHIPPED = sorted(p.stem for p in (CONF_DIR / "competition").glob("*.yaml"))


def shipped_config(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONF_DIR / "competition" / f"{name}.yaml").read_text())


def _prepare_function(name: str) -> tuple[str, Callable[[Path], Any]]:
    """The example whose files config ``name`` reads (foodreviews_tokens reads foodreviews'),
    and its prepare function."""
    target = shipped_config(name)["competition"]["prepare"]["_target_"]
    module, function = target.rsplit(".", 1)
    example = module.split(".")[-2]
    return example, getattr(importlib.import_module(module), function)


@pytest.fixture(scope="session")
def example_files(shared_data_dir: Path) -> Callable[[str], Path]:
    """``example_files(name)``: the folder holding shipped example ``name``'s Kaggle files."""

    def files(name: str) -> Path:
        example, prepare = _prepare_function(name)
        folder = shared_data_dir / example
        if not (folder / "sample_submission.csv").exists():
            try:
                prepare(folder)
            except MissingExamplePackage as exc:
                pytest.skip(str(exc))
        return folder

    return files
