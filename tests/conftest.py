"""Shared fixtures: compose the real configs (conf/) the way the entry point does."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
