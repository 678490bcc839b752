"""The cached trial composer gives exactly the config Hydra composes from the same overrides."""

from __future__ import annotations

import optuna
import pytest
from omegaconf import OmegaConf

from kagglekit.tuning.compose import TrialComposer
from kagglekit.tuning.runner import settings_from_config
from tests.tuning.conftest import compose_train, compose_tune


@pytest.mark.parametrize(("competition", "search"), [("digits", "cnn"), ("titanic", "mlp")])
def test_cached_composition_equals_a_full_compose(competition: str, search: str) -> None:
    space = settings_from_config(
        compose_tune(f"competition={competition}", f"hparams_search={search}")
    ).space
    base = [f"competition={competition}", "trainer.epochs=3", "trainer.verbose=0"]
    groups = set(compose_train(base, return_hydra_config=True).hydra.runtime.choices)
    composer = TrialComposer(compose_train, base, groups)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(6):
        trial = study.ask()
        params = space.overrides(space.suggest(trial))
        fast = composer(params)
        full = compose_train([*base, *params])
        assert OmegaConf.to_container(fast, resolve=True) == OmegaConf.to_container(
            full, resolve=True
        )
        study.tell(trial, 0.0)


def test_cached_composition_reports_unknown_keys_like_hydra() -> None:
    composer = TrialComposer(compose_train, ["competition=titanic"], {"optimizer", "model"})
    with pytest.raises(Exception, match="hiden_units"):
        composer(["model.hiden_units=[8]"])
    assert composer(["++model.extra=1"]).model.extra == 1


def test_key_overrides_follow_hydras_rules() -> None:
    from kagglekit.errors import ConfigError
    from kagglekit.tuning.compose import apply_key_overrides

    cfg = OmegaConf.create({"model": {"units": [8], "dropout": 0.1}, "trainer": {"epochs": 3}})
    OmegaConf.set_struct(cfg, True)
    apply_key_overrides(cfg, ["model.units=[16,8]", "+model.extra=1", "++trainer.seed=7"])
    apply_key_overrides(cfg, ["~model.dropout", "++trainer.epochs=5"])
    assert OmegaConf.to_container(cfg) == {
        "model": {"units": [16, 8], "extra": 1},
        "trainer": {"epochs": 5, "seed": 7},
    }
    for bad, message in [
        ("model.unit=[4]", "no such key"),
        ("+trainer.epochs=4", "already at 'trainer.epochs'"),
        ("~model.missing", "does not exist"),
        ("~trainer.epochs=9", "is 5, not 9"),
    ]:
        with pytest.raises(ConfigError, match=message):
            apply_key_overrides(cfg, [bad])
