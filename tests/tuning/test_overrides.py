"""Values as Hydra override text, and a tune command line split into its two parts."""

from __future__ import annotations

import pytest

from kagglekit.tuning.overrides import format_value, parse_value, split_overrides, without_group


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -3,
        0.001,
        1e-07,
        0.30000000000000004,
        "relu",
        "he_normal",
        "a b",
        "it's",
        "true",
        "null",
        "1.0",
        "",
        [32, 64],
        [[1, 2], [3]],
        {"a": 1, "b": [2]},
        [],
        "x/y.z",
    ],
)
def test_format_value_round_trips_through_hydra(value: object) -> None:
    assert parse_value("key", format_value(value)) == value
    assert type(parse_value("key", format_value(value))) is type(value)


def test_split_keeps_train_overrides_and_drops_the_sweep_keys() -> None:
    train, tune = split_overrides(
        [
            "competition=digits",
            "hparams_search=cnn",
            "n_trials=12",
            "storage=postgresql://u:p@h/db",
            "trainer.epochs=3",
            "+model.extra=1",
            "sampler=random",
            "sampler.seed=3",
            "tune.grace_period=5",
            "hparams_search.pruning.monitor=null",
            "hydra.run.dir=/tmp/x",
        ]
    )
    assert train == ["competition=digits", "trainer.epochs=3", "+model.extra=1"]
    assert "storage=postgresql://u:p@h/db" in tune and len(tune) == 8
    assert without_group(train, "competition") == ["trainer.epochs=3", "+model.extra=1"]
