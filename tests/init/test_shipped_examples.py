"""`kagglekit init` on every shipped example's files guesses what its shipped config declares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hydra.utils import instantiate
from omegaconf import OmegaConf

from kagglekit.competition import CompetitionSpec
from kagglekit.init import inspect_competition, render_yaml
from tests.init.conftest import SHIPPED, shipped_config

METRIC_FAMILIES = {
    "labels": {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_micro", "mcc", "qwk"},
    "probabilities": {"log_loss", "roc_auc"},
    "values": {"rmse", "rmsle", "mse", "mae", "r2"},
}
# Where init picks another transformer than a shipped variant, and why that is no worse:
# foodreviews_tokens is the token-id variant of foodreviews (same files), whose shipped default
# reads TF-IDF features (CV 0.822; word and bigram ids + fasttext: 0.821; README "Quality").
PREFERRED_FEATURES = {"foodreviews_tokens": "kagglekit.data.tfidf.TfidfFeatures"}


def family(metric: str) -> str:
    return next(name for name, members in METRIC_FAMILIES.items() if metric in members)


@pytest.mark.parametrize("name", SHIPPED)
def test_init_guesses_what_the_shipped_config_declares(
    name: str, example_files: Callable[[str], Path]
) -> None:
    shipped = shipped_config(name)["competition"]
    inference = inspect_competition(name, example_files(name))

    assert inference.id_column.value == shipped["id_column"]
    target = shipped["target"]
    assert inference.target.value == ((target,) if isinstance(target, str) else tuple(target))
    assert inference.task.value.value == shipped["task"]
    assert inference.submission.value == shipped["submission"]
    assert family(inference.metric.value) == family(shipped["metric"])
    assert inference.target_transform.value == shipped.get("target_transform", "none")
    assert inference.step_column.value == shipped.get("step_column")
    assert inference.targets_file.value == shipped.get("targets_file")
    assert inference.features.value.id_is_feature == shipped.get("id_is_feature", False)
    expected = PREFERRED_FEATURES.get(name, shipped["features"]["_target_"])
    assert inference.features.value.target == expected
    if "positive_label" in shipped:
        assert inference.positive_label.value == shipped["positive_label"]
    for key, guess in inference.guesses():
        assert guess.reason, f"{key} has no reason"


@pytest.mark.parametrize("name", ["titanic", "digits_images", "gunpoint", "ames"])
def test_the_written_yaml_builds_a_competition_spec_and_features(
    name: str, example_files: Callable[[str], Path]
) -> None:
    folder = example_files(name)
    text = render_yaml(inspect_competition(name, folder))
    assert text.startswith("# @package _global_\n")
    config = OmegaConf.create(yaml.safe_load(text))
    spec = instantiate(config.competition)
    assert isinstance(spec, CompetitionSpec)
    assert spec.data_dir == folder
    assert all(path.exists() for path in spec.paths)
    features = spec.features()  # a fresh, unfitted transformer
    assert type(features).__module__ + "." + type(features).__name__ == str(
        config.competition.features._target_
    )
    defaults = config.defaults
    assert {"override /model", "override /cv"} <= {k for item in defaults for k in item}
