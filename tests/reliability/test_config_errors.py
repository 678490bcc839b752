"""8 and 9: config mistakes are refused at start-up with a message that names the key.

8: every mandatory value left as ``???`` is listed at once, before the run writes anything but
Hydra's own files. 9: a misspelt key or option, or a wrongly typed value, stops the real entry
point with exit code 2, the key and the closest valid ones (or the expected type); valid
overrides pass the check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from kagglekit.cli import check_command_line
from kagglekit.config_check import ConfigError
from kagglekit.pipeline import train
from tests.conftest import CONF_DIR
from tests.reliability.helpers import ROOT, env

# Hydra's own files: written before the task function runs, so they may exist after a refusal
# Hydra's own files, and the run's lock (taken before anything else is written)
HYDRA_OWN = {
    ".hydra/config.yaml",
    ".hydra/hydra.yaml",
    ".hydra/overrides.yaml",
    "train.log",
    "run.lock",
}


def entry_point(*overrides: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python scripts/train.py <overrides>``, whatever its exit code."""
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), *overrides],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def written(run_dir: Path) -> set[str]:
    if not run_dir.exists():
        return set()
    return {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}


# -- 8 ----------------------------------------------------------------------------------------


def test_8_every_unset_mandatory_value_is_listed_by_the_entry_point(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = entry_point(
        "competition=titanic",
        f"competition.data_dir={tmp_path / 'data'}",
        "competition.metric=???",
        "trainer.batch_size=???",
        "+competition.api_token=???",
        f"hydra.run.dir={run_dir}",
    )
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "Error in the command line" not in proc.stderr  # ??? is allowed for any type
    assert "3 mandatory config value(s) are not set" in proc.stderr, proc.stderr[-3000:]
    for key in ("competition.metric", "trainer.batch_size", "competition.api_token"):
        assert f"  {key}\n" in proc.stderr
    # nothing of the run itself: no config.yaml, run_state.json, data, folds or fold folders
    assert written(run_dir) <= HYDRA_OWN, written(run_dir)
    assert not (tmp_path / "data").exists()


def test_8_unset_values_in_config_files_are_all_listed(tmp_path: Path) -> None:
    """The usual case: ``???`` in a YAML file (a copy of conf/ with two mandatory values)."""
    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    titanic = conf / "competition" / "titanic.yaml"
    text = titanic.read_text()
    assert "  metric: accuracy\n" in text and "  id_column: PassengerId\n" in text
    titanic.write_text(
        text.replace("  metric: accuracy\n", "  metric: ???\n").replace(
            "  id_column: PassengerId\n", "  id_column: ???\n"
        )
    )
    (conf / "model" / "mlp.yaml").write_text(
        (CONF_DIR / "model" / "mlp.yaml").read_text().replace("dropout: 0.3", "dropout: ???")
    )
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
            cfg = compose("config", overrides=["competition=titanic"])
    finally:
        GlobalHydra.instance().clear()
    run_dir = tmp_path / "run"
    with pytest.raises(ConfigError) as info:
        train(cfg, run_dir=run_dir)
    message = str(info.value)
    assert "3 mandatory config value(s)" in message
    for key in ("competition.metric", "competition.id_column", "model.dropout"):
        assert key in message
    assert not run_dir.exists()


# -- 9 ----------------------------------------------------------------------------------------

MISTAKES = {
    "misspelt_key": ("trainer.epoch=5", ["'trainer.epoch'", "Did you mean 'trainer.epochs'"]),
    "misspelt_option": ("model=cnnn", ["model=cnnn", "Did you mean 'cnn'", "Options: ", " mlp,"]),
    "wrong_type": ("trainer.epochs=abc", ["trainer.epochs expects an integer", "'abc'"]),
    "misspelt_group_option": ("optimizer=adamm", ["'adamm'", "'adam'"]),
    "misspelt_nested_key": (
        "callbacks.early_stoping.patience=3",
        ["'callbacks.early_stoping.patience'", "'callbacks.early_stopping.patience'"],
    ),
    "wrong_type_bool": ("trainer.shuffle=maybe", ["trainer.shuffle expects a boolean"]),
}


@pytest.mark.parametrize(("override", "expected"), list(MISTAKES.values()), ids=list(MISTAKES))
def test_9_misspelt_or_mistyped_override_stops_the_entry_point(
    tmp_path: Path, override: str, expected: list[str]
) -> None:
    run_dir = tmp_path / "run"
    proc = entry_point("competition=titanic", override, f"hydra.run.dir={run_dir}", timeout=60)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Error in the command line" in proc.stderr
    for text in expected:
        assert text in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not run_dir.exists()  # refused before Hydra created anything


VALID = {
    "drop_callback": ["~callbacks.reduce_lr"],
    "null_callback": ["callbacks.reduce_lr=null"],
    "one_fold": ["trainer.folds=[0]"],
    "run_dir": ["hydra.run.dir=outputs/digits/my-run"],
    "readme_titanic": [
        "competition=titanic",
        "model.hidden_units=[64,32]",
        "optimizer=adamw",
        "cv.n_splits=10",
    ],
    "keras_names": ["model.activation=gelu", "trainer.loss=huber", "model.kernel_regularizer=l2"],
    "add_key": ["+trainer.extra.x=1", "+competition.extra.note=hello"],
    "force_add": ["++trainer.epochs=3"],
    "group_cv": ["cv=group", "+competition.group_column=family"],
    "no_callbacks": ["callbacks=none"],
    "int_for_float": ["optimizer.learning_rate=1"],
    "null_id": ["competition.id_column=null"],
    "interpolation": ["trainer.epochs=${trainer.seed}", "optimizer.learning_rate=${oc.env:LR,0.1}"],
    "sweep": ["hydra.mode=MULTIRUN", "trainer.epochs=1,2", "cv.n_splits=range(2,4)"],
    "hydra_group": ["hydra/job_logging=disabled"],
    "nested": ["callbacks.early_stopping.patience=3", "competition.features.scale=255"],
    "mandatory": ["trainer.batch_size=???"],
}


@pytest.mark.parametrize("overrides", list(VALID.values()), ids=list(VALID))
def test_9_valid_overrides_pass_the_check(overrides: list[str]) -> None:
    check_command_line(overrides)  # exits with code 2 on a refusal


def test_9_valid_overrides_reach_the_run_through_the_entry_point(tmp_path: Path) -> None:
    """No false alarm end to end: the run gets past the check and stops at the (missing) data."""
    missing = tmp_path / "no-such-folder"
    proc = entry_point(
        "competition=titanic",
        f"competition.data_dir={missing}",
        "competition.prepare=null",
        "~callbacks.reduce_lr",
        "callbacks.csv_logger=null",
        "trainer.folds=[0]",
        "trainer.epochs=${trainer.seed}",
        "model.activation=gelu",
        "+competition.extra.note=hello",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Error in the command line" not in proc.stderr
    assert f"Data folder {missing} does not exist" in proc.stderr, proc.stderr[-3000:]
    config = (tmp_path / "run" / "config.yaml").read_text()
    assert "epochs: 42" in config and "note: hello" in config and "reduce_lr" not in config


def test_a_target_parameter_left_out_of_the_yaml_can_still_be_set() -> None:
    """Any argument of the object a node builds is settable without Hydra's `+`."""
    from kagglekit.cli import CONF_DIR
    from kagglekit.config_check import ConfigError, check_overrides

    args = [
        "competition=titanic",
        "competition.group_column=Pclass",
        "model.name=small",
        "trainer.epochs=3",
    ]
    assert check_overrides(args, CONF_DIR) == [
        "competition=titanic",
        "+competition.group_column=Pclass",
        "+model.name=small",
        "trainer.epochs=3",
    ]
    with pytest.raises(ConfigError, match="group_colum"):
        check_overrides(["competition.group_colum=Pclass"], CONF_DIR)
