"""Every option of every config group composes and builds the object it names."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate

from kagglekit.competition import CompetitionSpec
from kagglekit.cv import assign_folds
from kagglekit.training.fit import TrainerSettings
from tests.conftest import Compose, options

GROUPS = ["competition", "model", "cv", "trainer", "callbacks", "optimizer"]


def test_every_group_has_options() -> None:
    for group in GROUPS:
        assert options(group), f"conf/{group}/ has no option"


@pytest.mark.parametrize("name", options("competition"))
def test_competition_options_build_a_spec(compose_cfg: Compose, name: str) -> None:
    cfg = compose_cfg(f"competition={name}")
    spec = instantiate(cfg.competition, _convert_="all")
    assert isinstance(spec, CompetitionSpec)
    assert spec.name == name
    assert str(spec.data_dir) == f"data/{name}"
    preprocessor = spec.features()
    assert hasattr(preprocessor, "fit") and hasattr(preprocessor, "transform")


@pytest.mark.parametrize("name", options("cv"))
def test_cv_options_split_rows(compose_cfg: Compose, name: str) -> None:
    cfg = compose_cfg(f"cv={name}")
    splitter = instantiate(cfg.cv, _convert_="all")
    n = 60
    y = np.tile([0, 1, 2], n // 3)
    if name == "multilabel_stratified":
        y = np.stack([y == 0, y == 1], axis=1).astype(int)
    groups = np.repeat(np.arange(12), n // 12)
    folds = assign_folds(splitter, n, y=y, groups=groups)
    assert folds.max() == cfg.cv.n_splits - 1
    if name != "timeseries":
        assert (folds >= 0).all()


@pytest.mark.parametrize("name", options("trainer"))
def test_trainer_options(compose_cfg: Compose, name: str) -> None:
    settings = instantiate(compose_cfg(f"trainer={name}").trainer, _convert_="all")
    assert isinstance(settings, TrainerSettings)
    assert settings.epochs >= 1


@pytest.mark.parametrize("name", options("callbacks"))
def test_callback_options_build_callbacks(compose_cfg: Compose, name: str, tmp_path) -> None:
    from kagglekit.training.callbacks import for_fold

    cfg = compose_cfg(f"callbacks={name}")
    factories = [instantiate(c, _convert_="all") for c in cfg.callbacks.values() if c is not None]
    assert factories
    built = [for_fold(f, tmp_path) for f in factories]
    assert all(isinstance(c, keras.callbacks.Callback) for c in built)
    paths = [getattr(c, "filepath", None) or getattr(c, "filename", None) for c in built]
    assert any(p is not None and str(p).startswith(str(tmp_path)) for p in paths)


@pytest.mark.parametrize("name", options("optimizer"))
def test_optimizer_options_make_fresh_optimizers(compose_cfg: Compose, name: str) -> None:
    make = instantiate(compose_cfg(f"optimizer={name}").optimizer, _convert_="all")
    assert isinstance(make, functools.partial)
    first, second = make(), make()
    assert isinstance(first, keras.optimizers.Optimizer)
    assert first is not second


def test_command_line_group_choice_wins_over_competition_default(compose_cfg: Compose) -> None:
    assert compose_cfg("competition=digits").model._target_.endswith("build_cnn")
    assert compose_cfg("competition=digits", "model=mlp").model._target_.endswith("build_mlp")
    assert compose_cfg("competition=titanic", "cv=kfold").cv._target_.endswith("KFold")


def test_tabular_defaults_keep_their_measured_sigma(compose_cfg: Compose) -> None:
    # README, "Tabular models": mlp (titanic, credit) 0.03, multi_input_plr (ames) 0.1; the
    # ames choice lives in its model config, so model=multi_input stays the plain network
    def sigma(*overrides: str) -> float:
        model = compose_cfg(*overrides).model
        embedding = model.stem.numeric_embedding if "stem" in model else model.numeric_embedding
        return float(embedding.sigma)

    assert sigma("competition=ames") == 0.1
    assert sigma("competition=titanic") == sigma("competition=credit") == 0.03
    assert compose_cfg("competition=ames", "model=multi_input").model.stem.numeric_embedding is None


def test_any_field_overrides(compose_cfg: Compose) -> None:
    cfg = compose_cfg(
        "competition=titanic", "trainer.epochs=7", "optimizer.learning_rate=0.01", "cv.n_splits=3"
    )
    assert (cfg.trainer.epochs, cfg.optimizer.learning_rate, cfg.cv.n_splits) == (7, 0.01, 3)
    assert cfg.cv.random_state == cfg.trainer.seed


def test_unknown_group_option_is_refused(compose_cfg: Compose) -> None:
    with pytest.raises(ConfigCompositionException, match="cnnn"):
        compose_cfg("model=cnnn")
