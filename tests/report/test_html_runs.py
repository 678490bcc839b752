"""report.html of real finished runs: a digits run (classification) rendered in headless
Chromium, a regression run whose report failed (the run still finishes) rebuilt by
``kagglekit report``."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.cli import report_main
from kagglekit.report import html as report_html
from kagglekit.report.html import REPORT_FILE
from tests.ensemble.helpers import QUICK_DIGITS, synthetic_regression, train_run
from tests.report.browser import distinct_colours, needs_chromium, render
from tests.report.test_html import check_self_contained

pytestmark = pytest.mark.slow  # real runs


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> Path:
    run = tmp_path_factory.mktemp("digits") / "run"
    train_run(run, *QUICK_DIGITS, f"competition.data_dir={shared_data_dir / 'digits'}")
    return run


@pytest.fixture(scope="module")
def digits_truth(digits_run: Path, shared_data_dir: Path) -> np.ndarray:
    return pd.read_csv(shared_data_dir / "digits" / "train.csv")["label"].to_numpy()


def test_a_finished_digits_run_writes_its_report(
    digits_run: Path, digits_truth: np.ndarray
) -> None:
    page = (digits_run / REPORT_FILE).read_text()
    scores = json.loads((digits_run / "scores.json").read_text())
    assert f"CV accuracy = {scores['cv']:.6f}" in page
    assert f"{scores['fold_mean']:.6f} ± {scores['fold_std']:.6f}" in page
    # the OOF accuracy on the page is the one recomputed from oof.npy and train.csv's labels
    oof = np.load(digits_run / "oof.npy")
    accuracy = float((oof.argmax(axis=1) == digits_truth).mean())
    assert accuracy == pytest.approx(scores["cv"])
    assert f"Accuracy of the predicted labels: <b>{accuracy:.4f}</b>" in page
    assert page.count('<td class="l">') >= 10  # one per-class row per digit (and config rows)
    assert "Total params" in page and "Learning curves" in page
    if (digits_run / "model.png").exists():
        assert 'alt="model graph"' in page
    check_self_contained(page)
    assert len(page) > 40_000


@needs_chromium
def test_the_digits_report_renders_in_headless_chromium(digits_run: Path, tmp_path: Path) -> None:
    rendered = render(digits_run / REPORT_FILE, tmp_path, height=3600)
    assert rendered.console == []
    assert "Out-of-fold diagnostics" in rendered.dom and "Per-class scores" in rendered.dom
    assert rendered.screenshot.stat().st_size > 50_000
    assert distinct_colours(rendered.screenshot) > 50


def test_kagglekit_report_rebuilds_it_in_a_new_process(digits_run: Path) -> None:
    """``kagglekit report RUN`` loads the competition from config.yaml for the OOF truth."""
    page = digits_run / REPORT_FILE
    before = page.read_text()
    page.unlink()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-m", "kagglekit.cli", "report", str(digits_run)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=digits_run,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(str(page))
    after = page.read_text()
    assert "Per-class scores" in after and "Not available" not in after
    strip = lambda text: text[: text.index("Written ")]  # noqa: E731 - only the time stamp differs
    assert strip(after) == strip(before)


def test_a_failing_report_never_fails_the_run_and_is_rebuilt_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    competition = synthetic_regression(tmp_path / "data")

    def broken(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_html, "write_report", broken)
    with caplog.at_level(logging.WARNING):
        result = train_run(tmp_path / "run", *competition, "trainer.epochs=3")
    assert (result.run_dir / "submission.csv").exists()
    assert not (result.run_dir / REPORT_FILE).exists()
    assert "Could not write" in caplog.text and "disk full" in caplog.text
    monkeypatch.undo()

    report_main([str(result.run_dir)])
    page = (result.run_dir / REPORT_FILE).read_text()
    # one target: its RMSE over all OOF rows is the run's CV
    assert f'<td class="l">y</td><td>{result.cv_score:.6g}</td>' in page
    assert "lower is better" in page and "confusion" not in page.lower()
