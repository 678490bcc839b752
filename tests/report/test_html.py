"""report.html from run, sweep and blend directories written here (no training): its content,
that it is self-contained, and that a headless browser renders it without console errors."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path

import matplotlib.style
import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_fscore_support

from kagglekit.cli import report_main
from kagglekit.competition import Task
from kagglekit.report.html import REPORT_FILE, ReportError, Truth, write_report, write_report_safely
from kagglekit.tuning.results import write_plots
from tests.report.browser import distinct_colours, needs_chromium, render

PNG = b"\x89PNG\r\n\x1a\n"
CONFIG = """\
competition:
  name: toy
  task: {task}
  metric: {metric}
  target: label
  data_dir: data/toy
model:
  _target_: kagglekit.models.mlp.build_mlp
  hidden_units: [32, 16]
  dropout: 0.1
cv:
  _target_: sklearn.model_selection.StratifiedKFold
  n_splits: 3
trainer:
  epochs: 4
  batch_size: 64
storage: postgresql://kaggle:s3cret@db.example:5432/optuna
"""


def make_run(
    directory: Path, oof: np.ndarray, *, task: str, metric: str, folds: list[float], greater=True
) -> Path:
    """A finished run's files as pipeline.run writes them."""
    directory.mkdir(parents=True)
    (directory / "config.yaml").write_text(CONFIG.format(task=task, metric=metric))
    (directory / ".hydra").mkdir()
    (directory / ".hydra" / "overrides.yaml").write_text("- competition=toy\n- trainer.epochs=4\n")
    np.save(directory / "oof.npy", oof)
    scores = {
        "metric": metric,
        "greater_is_better": greater,
        "cv": float(np.mean(folds)),
        "folds": folds,
        "fold_mean": float(np.mean(folds)),
        "fold_std": float(np.std(folds)),
        "n_folds": len(folds),
        "oof_rows": len(oof),
        "competition": "toy",
        "task": task,
        "epochs": [4] * len(folds),
        "elapsed_s": 12.5,
    }
    (directory / "scores.json").write_text(json.dumps(scores))
    for k in range(len(folds)):
        fold = directory / f"fold_{k}"
        fold.mkdir()
        epochs = np.arange(4)
        pd.DataFrame(
            {
                "epoch": epochs,
                "loss": 1.0 / (epochs + 1 + k),
                "val_loss": 1.2 / (epochs + 1 + k),
                "learning_rate": 0.001,
            }
        ).to_csv(fold / "history.csv", index=False)
        (fold / "state.json").write_text(json.dumps({"status": "complete", "seconds": 3.25 + k}))
    (directory / "model_summary.txt").write_text(
        'Model: "toy"\n Total params: 1,234 (4.82 KB)\n Trainable params: 1,234 (4.82 KB)\n'
        " Non-trainable params: 0 (0.00 B)\n"
    )
    return directory


def images(page: str) -> list[bytes]:
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert all(s.startswith("data:image/png;base64,") for s in sources), sources
    return [base64.b64decode(s.split(",", 1)[1]) for s in sources]


def check_self_contained(page: str) -> None:
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    assert all(data.startswith(PNG) for data in images(page))
    assert len(page) < 600_000


@pytest.fixture
def multiclass(tmp_path: Path) -> tuple[Path, Truth, np.ndarray]:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, size=300)
    logits = rng.normal(size=(300, 3)) + 2.0 * np.eye(3)[truth]
    oof = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    run = make_run(
        tmp_path / "run", oof, task="multiclass", metric="accuracy", folds=[0.8, 0.85, 0.9]
    )
    return run, Truth(truth.astype(float), Task.MULTICLASS, ("cat", "dog", "fox")), oof


def test_a_multiclass_run_page_has_every_section(multiclass) -> None:
    run, truth, oof = multiclass
    page = write_report(run, truth=truth).read_text()
    assert (run / REPORT_FILE).exists()
    check_self_contained(page)
    # command and key config, the storage password masked
    assert "python scripts/train.py competition=toy trainer.epochs=4" in page
    assert "kagglekit.models.mlp.build_mlp" in page and "[32, 16]" in page
    assert "s3cret" not in page and "kaggle:***@db.example" in page
    # CV per fold, mean ± std, timings
    assert "CV accuracy = 0.850000" in page
    assert f"0.850000 ± {np.std([0.8, 0.85, 0.9]):.6f}" in page
    assert "<td>0.900000</td><td>4</td><td>5.2</td>" in page  # fold 2: score, epochs, seconds
    # per-class scores computed from oof.npy and the truth
    precision, recall, f1, support = precision_recall_fscore_support(
        truth.values.astype(int), oof.argmax(axis=1), labels=[0, 1, 2]
    )
    assert (
        f'<td class="l">dog</td><td>{precision[1]:.4f}</td><td>{recall[1]:.4f}</td>'
        f"<td>{f1[1]:.4f}</td><td>{support[1]}</td>"
    ) in page
    accuracy = float((oof.argmax(axis=1) == truth.values).mean())
    assert f"Accuracy of the predicted labels: <b>{accuracy:.4f}</b>" in page
    assert "Calibration" in page and "Learning curves" in page
    assert "Total params: <b>1,234 (4.82 KB)</b>" in page
    assert len(images(page)) == 3  # learning curves, confusion matrix, calibration


def test_the_model_graph_is_embedded_when_the_run_has_one(multiclass) -> None:
    run, truth, _ = multiclass
    picture = images(write_report(run, truth=truth).read_text())[0]
    (run / "model.png").write_bytes(picture)
    page = write_report(run, truth=truth).read_text()
    assert images(page)[-1] == picture and 'alt="model graph"' in page


def test_the_plots_ignore_a_style_the_process_set_before(multiclass) -> None:
    """A sweep draws Optuna's plots, which switch pyplot to ggplot for the whole process."""
    run, truth, _ = multiclass
    before = images(write_report(run, truth=truth).read_text())
    with matplotlib.style.context("ggplot"):
        after = images(write_report(run, truth=truth).read_text())
    assert after == before


def test_a_binary_run_page_uses_the_threshold_and_a_reliability_curve(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, size=400).astype(float)
    oof = np.clip(0.5 + (truth - 0.5) * 0.6 + rng.normal(scale=0.25, size=400), 0, 1)
    run = make_run(tmp_path / "bin", oof, task="binary", metric="roc_auc", folds=[0.9, 0.92])
    page = write_report(run, truth=Truth(truth, Task.BINARY, ("died", "survived"), 0.3)).read_text()
    accuracy = float(((oof >= 0.3) == truth).mean())
    assert f"<b>{accuracy:.4f}</b> (threshold 0.3)" in page
    assert '<td class="l">survived</td>' in page and "Calibration" in page
    assert len(images(page)) == 3


def test_a_regression_run_page_shows_errors_per_target(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    truth = rng.normal(size=(250, 2)) * [10, 1] + [100, 0]
    oof = truth + rng.normal(scale=[2.0, 0.5], size=(250, 2))
    oof[:5] = np.nan  # rows no fold validated (forward-only CV) are left out
    run = make_run(
        tmp_path / "reg", oof, task="regression", metric="rmse", folds=[2.1, 1.9], greater=False
    )
    page = write_report(run, truth=Truth(truth, Task.REGRESSION, ("price", "rooms"))).read_text()
    check_self_contained(page)
    error = oof[5:, 0] - truth[5:, 0]
    assert f'<td class="l">price</td><td>{np.sqrt(np.mean(error**2)):.6g}</td>' in page
    assert "245 out-of-fold rows" in page and "lower is better" in page
    assert page.count("<h3>price</h3>") == 1 and page.count("<h3>rooms</h3>") == 1
    assert len(images(page)) == 3  # curves + one scatter/residual pair per target
    assert "confusion" not in page.lower()


def test_a_multilabel_run_page_has_per_label_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, size=(200, 2)).astype(float)
    oof = np.clip(truth * 0.7 + rng.uniform(0, 0.3, size=(200, 2)), 0, 1)
    run = make_run(tmp_path / "ml", oof, task="multilabel", metric="log_loss", folds=[0.3, 0.4])
    page = write_report(run, truth=Truth(truth, Task.MULTILABEL, ("a", "b"))).read_text()
    assert "Per-label scores" in page and f"<td>{truth[:, 1].mean():.4f}</td>" in page


def test_missing_data_leaves_a_note_not_a_failure(tmp_path: Path, caplog) -> None:
    """Without a truth the report loads the competition from config.yaml; if its data is gone
    the diagnostics say why and the rest of the page is written."""
    run = make_run(
        tmp_path / "run", np.zeros((10, 3)), task="multiclass", metric="accuracy", folds=[0.5]
    )
    with caplog.at_level(logging.WARNING):
        page = write_report(run).read_text()
    assert 'Out-of-fold diagnostics</h2><p class="note">Not available:' in page
    assert "CV accuracy = 0.500000" in page


def test_a_sweep_page_has_optuna_plots_and_the_trials_table(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(
        lambda t: (
            (t.suggest_float("lr", 1e-4, 1e-1, log=True) - 0.01) ** 2
            + t.suggest_int("units", 8, 64) / 1e4
        ),
        n_trials=12,
    )
    plots = write_plots(study, sweep)
    assert plots
    frame = study.trials_dataframe()[["number", "value", "params_lr", "params_units", "state"]]
    frame.to_csv(sweep / "trials.csv", index=False)
    best = {
        "value": study.best_value,
        "params": study.best_params,
        "metric": "rmse",
        "direction": "minimize",
        "trial": study.best_trial.number,
        "competition": "toy",
        "command": "python scripts/train.py competition=toy optimizer.learning_rate=0.01",
        "trials": {"complete": 12, "pruned": 0},
        "run_dir": str(sweep / "trials" / "0007"),
    }
    (sweep / "best.json").write_text(json.dumps(best))
    page = write_report(sweep).read_text()
    check_self_contained(page)
    assert "Sweep: toy" in page and f"rmse = {study.best_value:.6f}" in page
    assert len(images(page)) == len(plots)
    assert "<h2>Trials (12)</h2>" in page
    # best first: the table is sorted by value in the study's direction
    first = re.search(r"<tbody><tr><td class=\"l\">(\d+)</td>", page)
    assert first is not None and int(first.group(1)) == study.best_trial.number


def test_a_blend_page_shows_weights_and_each_inputs_cv(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 2, size=100).astype(float)
    oof = np.clip(truth * 0.6 + rng.uniform(0, 0.4, size=100), 0, 1)
    blend = make_run(tmp_path / "blend", oof, task="binary", metric="roc_auc", folds=[0.9, 0.91])
    inputs = [
        {"name": "mlp", "cv": 0.88, "cv_recomputed": 0.881, "path": "/runs/mlp"},
        {"name": "resnet", "cv": 0.87, "cv_recomputed": 0.872, "path": "/runs/resnet"},
    ]
    scores = json.loads((blend / "scores.json").read_text())
    scores.update(inputs=inputs, method="weights", weights={"mlp": 0.7, "resnet": 0.3})
    scores["cross_fitted"] = {"cv": 0.899}
    (blend / "scores.json").write_text(json.dumps(scores))
    (blend / "blend.json").write_text(
        json.dumps(
            {
                "method": "weights",
                "competition": "toy",
                "weights": {"mlp": 0.7, "resnet": 0.3},
                "cv": scores["cv"],
                "command": "kagglekit blend /runs/mlp /runs/resnet --method weights",
                "inputs": inputs,
            }
        )
    )
    page = write_report(blend, truth=Truth(truth, Task.BINARY, ("0", "1"))).read_text()
    check_self_contained(page)
    assert "<h2>Model</h2>" not in page  # a blend has no model of its own
    assert "Blend: toy (weights)" in page and "kagglekit blend /runs/mlp" in page
    assert '<td class="l">mlp</td><td>0.880000</td><td>0.881000</td><td>0.7000</td>' in page
    assert "cross-fitted CV (weights fitted on the other folds): 0.899000" in page


def test_a_folder_that_is_no_run_is_refused(tmp_path: Path, capsys) -> None:
    with pytest.raises(ReportError, match="not a kagglekit run, sweep or blend directory"):
        write_report(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        report_main([str(tmp_path)])
    assert exit_info.value.code == 1
    assert "not a kagglekit run" in capsys.readouterr().err


def test_a_broken_report_only_warns(multiclass, caplog) -> None:
    run, _, _ = multiclass
    (run / "scores.json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert write_report_safely(run) is None
    assert f"Could not write {run / REPORT_FILE}" in caplog.text


def test_kagglekit_report_rebuilds_the_page(multiclass, capsys) -> None:
    run, _, _ = multiclass
    report_main([str(run)])
    assert capsys.readouterr().out.strip() == str(run / REPORT_FILE)
    assert "CV accuracy" in (run / REPORT_FILE).read_text()


@needs_chromium
def test_the_page_renders_in_headless_chromium(multiclass, tmp_path: Path) -> None:
    run, truth, _ = multiclass
    page = write_report(run, truth=truth)
    rendered = render(page, tmp_path / "browser")
    assert rendered.console == []
    assert "CV accuracy = 0.850000" in rendered.dom
    assert rendered.dom.count("<img") == 3
    assert rendered.screenshot.stat().st_size > 30_000
    assert distinct_colours(rendered.screenshot) > 50  # text, tables and plots, not a blank page


@needs_chromium
def test_the_browser_check_sees_console_errors(tmp_path: Path) -> None:
    """The check above would catch a page that logs errors."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><p>x</p><script>throw new Error('boom')</script></body></html>")
    rendered = render(bad, tmp_path / "browser")
    assert any("Uncaught Error: boom" in line for line in rendered.console)
    assert distinct_colours(rendered.screenshot) < 10
