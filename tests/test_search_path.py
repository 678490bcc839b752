"""The user's config folders come before the shipped ones, for every compose."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from kagglekit.config_check import ConfigError, check_overrides
from kagglekit.search_path import CONF_DIR, ENV_VAR, set_command_line_dirs, user_config_dirs


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    set_command_line_dirs([])
    yield
    set_command_line_dirs([])
    GlobalHydra.instance().clear()


def _compose(name: str = "config", *overrides: str) -> DictConfig:
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(name, overrides=list(overrides))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_order_is_config_dir_then_variable_then_local_conf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("cli", "env1", "env2", "conf"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv(ENV_VAR, f"env1:{tmp_path / 'env2'}")
    set_command_line_dirs(["cli"])
    assert user_config_dirs() == [tmp_path / n for n in ("cli", "env1", "env2", "conf")]


def test_no_user_folder_means_only_the_shipped_configs() -> None:
    assert user_config_dirs() == []


def test_a_named_folder_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "missing")
    with pytest.raises(ConfigError, match="KAGGLEKIT_CONFIG_DIR names missing"):
        user_config_dirs()


def test_a_user_file_replaces_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    _write(
        tmp_path / "conf/model/mlp.yaml",
        "_target_: kagglekit.models.mlp.build_mlp\nhidden_units: [3]\n",
    )
    cfg = _compose("config", "model=mlp")
    assert list(cfg.model.hidden_units) == [3]
    assert "dropout" not in cfg.model  # the whole file is the user's, not merged
    assert cfg.cv._target_  # other groups still come from the package


def test_config_dir_comes_before_local_conf(tmp_path: Path) -> None:
    _write(tmp_path / "conf/trainer/mine.yaml", "seed: 1\n")
    _write(tmp_path / "other/trainer/mine.yaml", "seed: 2\n")
    set_command_line_dirs([tmp_path / "other"])
    assert _compose("config", "trainer=mine").trainer.seed == 2


def test_the_override_checker_knows_the_users_options(tmp_path: Path) -> None:
    _write(tmp_path / "conf/model/wide.yaml", "_target_: kagglekit.models.mlp.build_mlp\n")
    assert check_overrides(["model=wide"]) == ["model=wide"]
    with pytest.raises(ConfigError, match="Did you mean 'wide'"):
        check_overrides(["model=wdie"])


def test_a_users_hparams_search_composes_into_tune(tmp_path: Path) -> None:
    _write(
        tmp_path / "conf/hparams_search/mine.yaml",
        "# @package _global_\nhparams_search:\n  params:\n    trainer.batch_size: [16, 32]\n",
    )
    cfg = _compose("tune", "hparams_search=mine")
    assert list(cfg.hparams_search.params["trainer.batch_size"]) == [16, 32]


def test_other_config_folders_are_left_alone(tmp_path: Path) -> None:
    """Another Hydra app in the same process keeps its own search path."""
    _write(tmp_path / "conf/model/mlp.yaml", "hidden_units: [3]\n")
    app = tmp_path / "app"
    _write(app / "config.yaml", "defaults:\n  - model: mlp\n")
    _write(app / "model/mlp.yaml", "hidden_units: [9]\n")
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(app), version_base="1.3"):
        assert list(compose("config").model.hidden_units) == [9]


def test_a_trial_can_choose_a_users_option(tmp_path: Path) -> None:
    """tune's trial composer (base composed once, group choices on top) sees the user's files."""
    from kagglekit.tuning.compose import TrialComposer

    _write(
        tmp_path / "conf/model/mine.yaml",
        "_target_: kagglekit.models.mlp.build_mlp\nhidden_units: [4]\n",
    )

    def compose_train(overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
        return _compose("config", *overrides)

    composer = TrialComposer(compose_train, ["competition=titanic"], {"model", "optimizer"})
    cfg = composer(["model=mine", "trainer.epochs=2"])
    assert list(cfg.model.hidden_units) == [4]
    assert cfg.trainer.epochs == 2
