"""The held-out answers of every shipped example are found from its config (benchmarks/quality.py)."""

from __future__ import annotations

import importlib

import pytest

from kagglekit.examples.holdout import prepare_module
from tests.conftest import options


def test_a_variant_scores_against_the_answers_of_the_example_it_shares_files_with():
    assert prepare_module("foodreviews_tokens") == "kagglekit.examples.foodreviews.prepare"
    assert prepare_module("titanic") == "kagglekit.examples.titanic.prepare"


@pytest.mark.parametrize("name", options("competition"))
def test_every_shipped_example_has_a_solution(name: str):
    assert callable(importlib.import_module(prepare_module(name)).solution)
