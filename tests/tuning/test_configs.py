"""Every conf/hparams_search, conf/sampler and conf/pruner option composes and builds."""

from __future__ import annotations

import optuna
import pytest

from kagglekit.tuning.runner import settings_from_config
from kagglekit.tuning.space import SearchSpace
from tests.conftest import options
from tests.tuning.conftest import compose_train, compose_tune

COMPETITION = {"cnn": "digits", "mlp": "titanic"}


@pytest.mark.parametrize("name", options("hparams_search"))
def test_search_space_fits_its_competition_and_holds_the_defaults(name: str) -> None:
    competition = COMPETITION.get(name, "digits")
    cfg = compose_tune(f"competition={competition}", f"hparams_search={name}")
    settings = settings_from_config(cfg)
    assert settings.n_trials >= 1 and settings.space.params
    base = [f"competition={competition}", *(f"{k}={v}" for k, v in settings.fixed.items())]
    train_cfg = compose_train(base, return_hydra_config=True)
    choices = dict(train_cfg.hydra.runtime.choices)
    defaults = settings.space.current_values(train_cfg, choices)
    # the untuned config is a point of the space: it runs first as trial 0
    assert settings.space.encode(defaults) is not None, defaults
    compose_train([*base, *settings.space.overrides(defaults)])


@pytest.mark.parametrize("sampler", [s for s in options("sampler") if s != "grid"])
def test_every_sampler_builds(sampler: str) -> None:
    cfg = compose_tune("competition=titanic", "hparams_search=mlp", f"sampler={sampler}")
    settings = settings_from_config(cfg)
    built = settings.make_sampler(settings.sampler_seed)
    assert isinstance(built, optuna.samplers.BaseSampler)


def test_grid_sampler_walks_the_grid_of_the_space() -> None:
    cfg = compose_tune("competition=titanic", "hparams_search=mlp", "sampler=grid")
    settings = settings_from_config(cfg)
    with pytest.raises(ValueError, match=r"optimizer\.learning_rate is a continuous float"):
        settings.make_sampler(0)  # the mlp space has a continuous learning rate
    space = SearchSpace.from_config({"a": [1, 2], "b": "range(0, 2)"})
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(space.grid(), seed=0))
    study.optimize(lambda t: sum(space.suggest(t).values()), n_trials=4)
    assert sorted(tuple(t.params.values()) for t in study.trials) == [
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
    ]


@pytest.mark.parametrize("pruner", options("pruner"))
def test_every_pruner_builds(pruner: str) -> None:
    cfg = compose_tune("competition=titanic", "hparams_search=mlp", f"pruner={pruner}")
    assert isinstance(settings_from_config(cfg).pruner, optuna.pruners.BasePruner)
