"""The blend directory as a run-like folder: its fingerprint, the re-run rule, submit and the
refusals of package. The inputs are fabricated run directories (real titanic data and config,
random predictions, no training): a few seconds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from kagglekit import cv as cvlib
from kagglekit.bundle import BundleError, fingerprint_digest, package
from kagglekit.data.loading import load_competition
from kagglekit.ensemble import BlendOptions, blend
from kagglekit.ensemble.record import blend_fingerprint
from kagglekit.files import save_array, write_json
from kagglekit.pipeline import build_parts, make_task, prediction_frame
from kagglekit.rundir import RunChangedError
from kagglekit.submit import submit
from tests.conftest import compose_config
from tests.ensemble.helpers import QUICK_TITANIC


def fake_run(path: Path, data_dir: Path, seed: int, *, baseline: bool = False) -> Path:
    """A finished titanic run directory with random predictions on fixed 2-fold folds."""
    cfg = compose_config(*QUICK_TITANIC, f"competition.data_dir={data_dir}")
    spec = build_parts(cfg).spec
    data = load_competition(spec)
    task = make_task(spec, data)
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    cvlib.save_folds(path / "folds.csv", np.arange(data.n_train) % 2, data.train_ids)
    rng = np.random.default_rng(seed)
    save_array(path / "oof.npy", rng.uniform(size=data.n_train))
    test_pred = rng.uniform(size=len(data.test))
    save_array(path / "test_pred.npy", test_pred)
    prediction_frame(test_pred, task, data.test_ids, "PassengerId").to_csv(
        path / "test_pred.csv", index=False
    )
    scores = {"metric": "accuracy", "greater_is_better": True, "cv": 0.5, "folds": [0.5, 0.5]}
    write_json(path / "scores.json", {**scores, "competition": "titanic", "task": "binary"})
    state = {"status": "complete", "competition": "titanic"}
    write_json(path / "run_state.json", {**state, "baseline": True} if baseline else state)
    fingerprint = {"version": 1, "config": {"seed": seed}, "files": {}, "folds": None}
    write_json(path / "fingerprint.json", fingerprint)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fake-runs")
    data = shared_data_dir / "titanic"
    return {
        "a": fake_run(root / "a", data, 1),
        "b": fake_run(root / "b", data, 2),
        "c": fake_run(root / "c", data, 3),
        "baseline": fake_run(root / "baseline", data, 4, baseline=True),
    }


def test_a_blend_dir_carries_a_fingerprint_naming_its_inputs(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)
    stored = json.loads((out / "fingerprint.json").read_text())
    record = json.loads((out / "blend.json").read_text())
    assert stored == blend_fingerprint(record).to_json()
    config = stored["config"]
    assert config["blend.method"] == "mean" and config["blend.inputs"] == 2
    assert config["blend.inputs.1.path"] == str(runs["b"].resolve())
    assert config["blend.inputs.0.fingerprint"] == fingerprint_digest(runs["a"])
    assert "blend.options.top" not in config  # picks a sweep's trials, not how they blend
    assert stored["folds"] == record["folds_sha256"]
    assert len(fingerprint_digest(out)) == 16


def test_a_re_run_with_other_inputs_or_method_is_refused_unless_restarted(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)
    before = (out / "submission.csv").read_bytes()
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)  # the same: fine
    with pytest.raises(RunChangedError, match=r"blend\.method \('mean' -> 'rank'\).*--restart"):
        blend([runs["a"], runs["b"]], BlendOptions(method="rank"), output=out)
    with pytest.raises(RunChangedError, match=r"changed: input 1 \(.*/b -> .*/c\)\. Choose"):
        blend([runs["a"], runs["c"]], BlendOptions(method="mean"), output=out)
    assert (out / "submission.csv").read_bytes() == before  # nothing was written
    assert json.loads((out / "blend.json").read_text())["method"] == "mean"

    blend([runs["a"], runs["c"]], BlendOptions(method="rank"), output=out, restart=True)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("blend.old-")]
    assert len(aside) == 1 and json.loads((aside[0] / "blend.json").read_text())["method"] == "mean"
    assert json.loads((out / "blend.json").read_text())["method"] == "rank"


def test_a_blend_never_overwrites_a_training_run(runs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(RunChangedError, match="holds a training run, not a blend"):
        blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=runs["c"])
    assert (runs["c"] / "oof.npy").is_file() and not (runs["c"] / "blend.json").exists()


def test_a_blend_made_before_fingerprints_is_checked_from_its_blend_json(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)
    (out / "fingerprint.json").unlink()
    record = json.loads((out / "blend.json").read_text())
    for item in record["inputs"]:
        del item["fingerprint"]  # what the first blend.json held
    write_json(out / "blend.json", record)
    with pytest.raises(RunChangedError, match=r"blend\.method"):
        blend([runs["a"], runs["b"]], BlendOptions(method="rank"), output=out)
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)
    assert (out / "fingerprint.json").is_file()


def test_submit_takes_a_blend_dir_like_a_run(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["b"]], BlendOptions(method="weights"), output=out)
    sent = submit(out, "blend of a and b", competition="titanic", dry_run=True)
    assert sent.file == out / "submission.csv"
    assert sent.row["fingerprint"] == fingerprint_digest(out) and len(sent.row["fingerprint"]) == 16
    assert sent.row["metric"] == "accuracy"


def test_package_refuses_a_blend_with_a_baseline_input_naming_it(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["baseline"]], BlendOptions(method="mean"), output=out)
    with pytest.raises(BundleError) as refused:
        package(out, tmp_path / "bundle")
    message = str(refused.value)
    assert "Input 1" in message and str(runs["baseline"].resolve()) in message
    assert "classical baseline run" in message and "pickle" in message and "\n" not in message
    assert not (tmp_path / "bundle").exists()
    with pytest.raises(BundleError, match="classical baseline run"):
        package(runs["baseline"], tmp_path / "bundle")


def test_package_refuses_a_blend_whose_input_has_no_checkpoint_or_was_retrained(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)
    with pytest.raises(BundleError, match=r"Input 0 of the blend .*no fold checkpoint"):
        package(out, tmp_path / "bundle")
    record = json.loads((out / "blend.json").read_text())
    record["inputs"][1]["fingerprint"] = "0123456789abcdef"  # as if b was trained again
    write_json(out / "blend.json", record)
    with pytest.raises(BundleError, match=r"Input 1 of the blend .* was trained again"):
        package(out, tmp_path / "bundle")


def test_a_blend_stopped_before_blend_json_is_still_known_as_a_blend(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "blend"
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)
    (out / "blend.json").unlink()  # fingerprint.json is written first, blend.json last
    with pytest.raises(RunChangedError, match=r"holds another blend; changed: blend\.method"):
        blend([runs["a"], runs["b"]], BlendOptions(method="rank"), output=out)
    blend([runs["a"], runs["b"]], BlendOptions(method="mean"), output=out)  # finishes it
    assert (out / "blend.json").is_file()
