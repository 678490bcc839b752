"""`kagglekit package BLEND`: the bundle carries every input run and the blend's method, and
predicting from it (the input runs gone) gives the blend's test predictions and submission.

Two real titanic runs of different models (2 folds, 1 epoch: seconds each) on the same folds,
blended with ``stack`` (the method with the most to store: level-2 models, as arrays). How each
method is restored from what a blend directory stores is checked in test_methods.py; building
kagglekit's wheel in test_bundle.py (here a stand-in wheel keeps the test short).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kagglekit.bundle import MARKER, package, run_dir_of
from kagglekit.cli import predict_main
from kagglekit.ensemble import BlendOptions, blend
from kagglekit.pipeline import predict_test
from tests.ensemble.helpers import train_run

TINY_TITANIC = [
    "competition=titanic",
    "cv.n_splits=2",
    "trainer.epochs=1",
    "trainer.verbose=0",
    "trainer.backup=false",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("package-runs")
    data = f"competition.data_dir={shared_data_dir / 'titanic'}"
    wide = train_run(root / "wide", *TINY_TITANIC, data, "model.hidden_units=[16]")
    narrow = train_run(
        root / "narrow", *TINY_TITANIC, data, "model.hidden_units=[4, 4]", folds_from=root / "wide"
    )
    return {"runs": [wide.run_dir, narrow.run_dir], "data": shared_data_dir / "titanic"}


def stand_in_wheel(folder: Path) -> Path:
    folder.mkdir()
    wheel = folder / "kagglekit-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("kagglekit/conf/config.yaml", "defaults: []\n")
    return wheel


def test_a_packaged_blend_predicts_the_blends_submission_without_its_input_runs(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    method = "stack"
    inputs = [shutil.copytree(run, tmp_path / "inputs" / run.name) for run in runs["runs"]]
    out = tmp_path / "blend"
    blend(inputs, BlendOptions(method=method), output=out)
    bundle = tmp_path / "bundle"
    package(out, bundle, wheel=stand_in_wheel(tmp_path / "wheel"))
    shutil.rmtree(tmp_path / "inputs")  # the bundle must do without them

    info = json.loads((bundle / MARKER).read_text())
    assert info["kind"] == "blend" and info["method"] == method and len(info["inputs"]) == 2
    carried = {p.relative_to(bundle / "run").as_posix() for p in (bundle / "run").rglob("*")}
    for i in (0, 1):
        assert {f"inputs/{i}/fold_{k}/model.weights.h5" for k in (0, 1)} <= carried
        assert {f"inputs/{i}/fold_{k}/preprocessing.json" for k in (0, 1)} <= carried
        assert {f"inputs/{i}/config.yaml", f"inputs/{i}/inference.json"} <= carried
    assert {"blend.json", "fingerprint.json", "config.yaml"} <= carried
    assert "level2.npz" in carried
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in carried)
    assert "oof.npy" not in carried and "inputs/0/oof.npy" not in carried
    with np.load(bundle / "run" / "level2.npz", allow_pickle=False) as level2:
        assert level2["model0_coef"].shape == (1, 2)  # binary: one model on the two logits

    made = predict_test(run_dir_of(bundle))
    np.testing.assert_allclose(made.test_pred, np.load(out / "test_pred.npy"), rtol=0, atol=1e-7)
    written = tmp_path / "submission.csv"
    predict_main([str(bundle), "--output", str(written)])  # what the notebook runs
    assert written.read_bytes() == (out / "submission.csv").read_bytes()
    sample = pd.read_csv(runs["data"] / "sample_submission.csv")
    assert pd.read_csv(written)["PassengerId"].tolist() == sample["PassengerId"].tolist()
