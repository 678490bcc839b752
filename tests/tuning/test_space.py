"""Search spaces from YAML -> Optuna suggestions -> Hydra overrides."""

from __future__ import annotations

import optuna
import pytest
from omegaconf import OmegaConf

from kagglekit.tuning.overrides import parse_value
from kagglekit.tuning.space import CategoricalParam, FloatParam, IntParam, SearchSpace, make_param

YAML = """
optimizer.learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
model.block_dropout: {type: float, low: 0.1, high: 0.5, step: 0.1}
callbacks.early_stopping.patience: {type: int, low: 4, high: 12, step: 2}
trainer.batch_size: {type: categorical, choices: [32, 64, 128]}
model.filters: [[16, 32], [32, 64]]
model.dense_dropout: interval(0.2, 0.5)
model.units: tag(log, int, interval(8, 256))
optimizer: choice(adam, adamw)
++optimizer.weight_decay: range(0.0, 0.03, 0.01)
"""


@pytest.fixture
def space() -> SearchSpace:
    return SearchSpace.from_config(OmegaConf.create(YAML))


def test_every_form_becomes_the_right_distribution(space: SearchSpace) -> None:
    p = {param.name: param for param in space.params}
    assert p["optimizer.learning_rate"] == FloatParam(
        "optimizer.learning_rate", 1e-4, 1e-2, log=True
    )
    assert p["model.block_dropout"] == FloatParam("model.block_dropout", 0.1, 0.5, step=0.1)
    assert p["callbacks.early_stopping.patience"] == IntParam(
        "callbacks.early_stopping.patience", 4, 12, step=2
    )
    assert p["trainer.batch_size"] == CategoricalParam("trainer.batch_size", (32, 64, 128))
    assert p["model.filters"] == CategoricalParam("model.filters", ([16, 32], [32, 64]))
    assert p["model.dense_dropout"] == FloatParam("model.dense_dropout", 0.2, 0.5)
    assert p["model.units"] == IntParam("model.units", 8, 256, log=True)
    assert p["optimizer"] == CategoricalParam("optimizer", ("adam", "adamw"))
    # range(): stop excluded, like Python's; the + prefix stays in the override only
    wd = p["optimizer.weight_decay"]
    assert isinstance(wd, FloatParam) and wd.key == "++optimizer.weight_decay"
    assert wd.low == 0.0 and wd.high == pytest.approx(0.02) and wd.step == 0.01


def test_suggestions_become_overrides_that_hydra_reads_back(space: SearchSpace) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        values = space.suggest(trial)
        overrides = space.overrides(values)
        assert len(overrides) == len(space.params)
        for text, param in zip(overrides, space.params, strict=True):
            key, raw = text.split("=", 1)
            assert key == param.key
            assert parse_value(param.name, raw) == values[param.name]
        # lists are shown to Optuna as their override text, and decoded back
        assert trial.params["model.filters"] in ("[16,32]", "[32,64]")
        assert space.decode(trial.params) == values
        study.tell(trial, 0.0)
    lr = [t.params["optimizer.learning_rate"] for t in study.trials]
    assert all(1e-4 <= v <= 1e-2 for v in lr)
    assert all(
        t.params["callbacks.early_stopping.patience"] in (4, 6, 8, 10, 12) for t in study.trials
    )


def test_overrides_of_typical_values() -> None:
    space = SearchSpace.from_config(
        {
            "model.filters": [[16, 32]],
            "optimizer": ["adamw"],
            "trainer.loss": ["binary crossentropy"],
            "model.kernel_regularizer": [None, "l2"],
        }
    )
    assert space.overrides(
        {
            "model.filters": [16, 32],
            "optimizer": "adamw",
            "trainer.loss": "binary crossentropy",
            "model.kernel_regularizer": None,
        }
    ) == [
        "model.filters=[16,32]",
        "optimizer=adamw",
        "trainer.loss='binary crossentropy'",
        "model.kernel_regularizer=null",
    ]


def test_encode_puts_the_config_values_in_the_space(space: SearchSpace) -> None:
    values = {
        "optimizer.learning_rate": 0.001,
        "model.block_dropout": 0.3,
        "callbacks.early_stopping.patience": 8,
        "trainer.batch_size": 64,
        "model.filters": [32, 64],
        "model.dense_dropout": 0.4,
        "model.units": 128,
        "optimizer": "adam",
        "optimizer.weight_decay": 0.01,
    }
    encoded = space.encode(values)
    assert encoded is not None and encoded["model.filters"] == "[32,64]"
    assert space.decode(encoded) == values
    assert space.encode({**values, "trainer.batch_size": 256}) is None  # not a choice
    assert space.encode({**values, "optimizer.learning_rate": 0.5}) is None  # out of range


def test_grid_needs_finite_values() -> None:
    grid = SearchSpace.from_config(
        {
            "a": "range(1, 4)",
            "b": [True, False],
            "c": {"type": "float", "low": 0, "high": 1, "step": 0.5},
        }
    ).grid()
    assert grid == {"a": [1, 2, 3], "b": [True, False], "c": [0.0, 0.5, 1.0]}
    with pytest.raises(ValueError, match="needs a finite list"):
        SearchSpace.from_config({"lr": "interval(0.1, 0.2)"}).grid()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "floaty", "low": 0, "high": 1}, "must be one of"),
        ({"type": "float", "low": 1}, "needs `high`"),
        ({"type": "float", "low": 0, "high": 1, "log": True}, "log scale needs low > 0"),
        ({"type": "int", "low": 5, "high": 1}, "low must be <= high"),
        ({"type": "float", "low": 0.1, "high": 1, "stp": 0.1}, "unknown field"),
        ("0.5", "single value"),
        ([], "no choices"),
        (3, "expected a mapping"),
    ],
)
def test_mistakes_are_named(spec: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_param("model.dropout", spec)


def test_an_empty_space_is_refused() -> None:
    with pytest.raises(ValueError, match="search space is empty"):
        SearchSpace.from_config({})
