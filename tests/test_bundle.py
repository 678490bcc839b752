"""`kagglekit package`: what a bundle carries, the wheels in it, and how predict finds its run.

The end-to-end checks (train, package, predict from the bundle byte-identically, also from a
fresh venv installed only from the bundle) are in tests/e2e/test_bundle_predict.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kagglekit.bundle import (
    MARKER,
    BundleError,
    bundle_output,
    is_bundle,
    package,
    package_main,
    run_dir_of,
    run_files,
)
from kagglekit.wheels import WheelError, repack_installed

ROOT = Path(__file__).resolve().parents[1]
PIP_INSTALL = (sys.executable, "-m", "pip", "--isolated", "install", "--no-index", "--no-deps")


def fake_run(path: Path) -> Path:
    """The files a finished run leaves behind (contents do not matter to packaging)."""
    files = {
        "config.yaml": "competition:\n  name: toy\n  kaggle_slug: toy-comp\n  test_file: t.csv\n",
        "fingerprint.json": json.dumps({"version": 1, "config": {}, "files": {}, "folds": "x"}),
        "folds.csv": "row,id,fold\n0,1,0\n1,2,1\n",
        "scores.json": json.dumps({"metric": "rmse", "cv": 0.5}),
        "run_state.json": json.dumps({"status": "complete"}),
        "submission.csv": "id,y\n1,0.5\n",
        "target_encoding.json": "{}",
        "oof.npy": "x",
        "oof.csv": "x",
        "test_pred.npy": "x",
        "test_pred.csv": "x",
        "train.log": "x",
        "report.html": "x",
        "model.png": "x",
        "model_summary.txt": "x",
        "run.lock": "123",
        "submissions.csv": "x",
        ".hydra/config.yaml": "x",
        ".submission.tmp-ab12.csv": "x",
    }
    for k in (0, 1):
        files.update(
            {
                f"fold_{k}/model.weights.h5": "w",
                f"fold_{k}/preprocessing.json": "{}",
                f"fold_{k}/preprocessing.npz": "p",
                f"fold_{k}/state.json": "{}",
                f"fold_{k}/history.csv": "x",
                f"fold_{k}/history.png": "x",
                f"fold_{k}/oof.npy": "x",
                f"fold_{k}/test_pred.npy": "x",
                f"fold_{k}/backup/model.weights.h5": "x",
            }
        )
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def test_the_bundle_carries_what_predict_needs_and_nothing_else(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run")
    carried = {p.as_posix() for p in run_files(run)}
    per_fold = {"model.weights.h5", "preprocessing.json", "preprocessing.npz", "state.json"}
    assert carried == {
        "config.yaml",
        "fingerprint.json",
        "folds.csv",
        "scores.json",
        "run_state.json",
        "submission.csv",
        "target_encoding.json",
        *(f"fold_{k}/{name}" for k in (0, 1) for name in per_fold),
    }


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of a fake run, with kagglekit's wheel built from this checkout (a few seconds)."""
    tmp = tmp_path_factory.mktemp("bundle")
    run = fake_run(tmp / "run")
    out = tmp / "bundle"
    package(run, out, deps=["colorlog"])
    return out


def test_package_writes_wheel_run_readme_and_marker(bundle: Path) -> None:
    info = json.loads((bundle / MARKER).read_text())
    assert info["kaggle_slug"] == "toy-comp" and info["cv"] == 0.5 and info["metric"] == "rmse"
    assert len(info["fingerprint"]) == 16
    assert info["wheels"][0].startswith("kagglekit-") and info["wheels"][1].startswith("colorlog-")
    wheel = bundle / "wheels" / info["wheels"][0]
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {"kagglekit/conf/config.yaml", "kagglekit/cli.py", "kagglekit/bundle.py"} <= names
    assert any(n.startswith("kagglekit/conf/model/") for n in names)
    assert (bundle / "run" / "fold_1" / "model.weights.h5").is_file()
    assert not (bundle / "run" / "fold_1" / "backup").exists()
    readme = (bundle / "README.md").read_text()
    assert (
        f"pip install --no-index --find-links /kaggle/input/{bundle.name}/wheels kagglekit"
        in readme
    )
    assert f"kagglekit predict /kaggle/input/{bundle.name}" in readme
    assert "/kaggle/input/toy-comp/t.csv" in readme


def test_building_the_wheel_leaves_the_checkout_clean(bundle: Path) -> None:
    assert not (ROOT / "build").exists()
    assert not list(ROOT.glob("*.egg-info"))


def test_predict_finds_the_run_inside_a_bundle(bundle: Path, tmp_path: Path) -> None:
    assert is_bundle(bundle) and run_dir_of(bundle) == bundle / "run"
    assert run_dir_of(tmp_path) == tmp_path  # a run directory stays itself
    assert bundle_output(bundle, None) == Path("submission.csv")  # the bundle may be read-only
    assert bundle_output(bundle, tmp_path / "x.csv") == tmp_path / "x.csv"
    assert bundle_output(tmp_path, None) is None  # a run: predict's own default


def test_package_refuses_what_is_not_a_finished_run(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"config\.yaml not found"):
        package(tmp_path, tmp_path / "out")
    run = fake_run(tmp_path / "run")
    for weights in run.glob("fold_*/model.weights.h5"):
        weights.unlink()
    with pytest.raises(BundleError, match="no fold checkpoint"):
        package(run, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_package_refuses_a_used_output_folder(tmp_path: Path) -> None:
    run = fake_run(tmp_path / "run")
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    with pytest.raises(BundleError, match="exists and is not empty"):
        package(run, used, force=True)  # --force replaces bundles only
    assert (used / "notes.txt").read_text() == "mine"
    with pytest.raises(BundleError, match="inside the run"):
        package(run, run / "bundle")


def test_package_command_line_reports_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        package_main([str(tmp_path), "-o", str(tmp_path / "out")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "config.yaml" in err[0]


def test_repacked_wheel_installs_and_matches_the_installed_files(tmp_path: Path) -> None:
    wheel = repack_installed("colorlog", tmp_path / "wheels")
    assert wheel.name.startswith("colorlog-") and wheel.name.endswith("-none-any.whl")
    target = tmp_path / "site"
    proc = subprocess.run(
        [*PIP_INSTALL, "--quiet", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    import colorlog

    installed = Path(colorlog.__file__).parent
    for source in installed.glob("*.py"):
        assert (target / "colorlog" / source.name).read_bytes() == source.read_bytes()
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert names[-1].endswith(".dist-info/RECORD")  # RECORD comes last
    assert not any("__pycache__" in n or n.endswith("INSTALLER") for n in names)


def test_repack_refuses_compiled_and_missing_packages(tmp_path: Path) -> None:
    with pytest.raises(WheelError, match="not pure Python"):
        repack_installed("numpy", tmp_path)
    with pytest.raises(WheelError, match="not installed here"):
        repack_installed("no-such-package-kk", tmp_path)
    with pytest.raises(BundleError, match="--dep no-such-package-kk: not installed"):
        package(fake_run(tmp_path / "run"), tmp_path / "out", deps=["no-such-package-kk"])
