"""Shared fixtures: compose the real configs (conf/) the way the entry point does."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under xdist (the README's `-n 2`) each core already runs a worker, often next to a
    # `train.py` subprocess: TensorFlow's per-op thread pool (one thread per core, spinning
    # between ops) would only fight the other worker. One thread per op, in this process and
    # the runs it starts. Results do not depend on it beyond float rounding.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
if importlib.util.find_spec("tensorflow") is not None:  # the default, whatever keras.json says
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

import kagglekit  # noqa: F401  (without TensorFlow: picks JAX or PyTorch before a test imports keras)
from kagglekit.search_path import CONF_DIR as SHIPPED_CONF

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = SHIPPED_CONF  # the configs of the kagglekit under test (a checkout or a wheel)

Compose = Callable[..., DictConfig]


def compose_config(*overrides: str) -> DictConfig:
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


@pytest.fixture
def compose_cfg() -> Iterator[Compose]:
    yield compose_config
    GlobalHydra.instance().clear()


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the whole session; competitions prepare themselves into it."""
    return tmp_path_factory.mktemp("data")


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist (-n 2 --dist loadfile) hands out whole files in the order collected below,
    # not its default "files with the most tests first", which left the long end-to-end
    # files (a few tests of minutes each) for last and one worker running alone at the end.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(trylast=True)  # after -m "not slow" has deselected what it deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, long files start first and short ones fill in at the end: first the files
    holding end-to-end runs marked slow, then the rest in reverse order, so tuning/ (sweeps
    with subprocesses, a PostgreSQL server) and training/ come before the many quick files of
    data/. Each file keeps its own order. The run then ends with short files on both workers
    instead of one long file on one."""
    if not hasattr(config, "workerinput"):  # one process: collection order
        return
    long_files = {item.path for item in items if item.get_closest_marker("slow")}
    position: dict[object, int] = {}
    for item in items:
        position.setdefault(item.path, len(position))
    items.sort(key=lambda item: (item.path not in long_files, -position[item.path]))
