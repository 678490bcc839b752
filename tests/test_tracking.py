"""logger=mlflow / wandb / tensorboard against the real packages on a quick titanic run."""

from __future__ import annotations

import json
import logging
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from kagglekit.config_check import check_complete
from kagglekit.examples.titanic.prepare import prepare
from kagglekit.pipeline import build_parts, train
from kagglekit.tracking import MlflowLogger, RunLogger, TrackingError, flatten
from tests.conftest import compose_config, options

QUICK = (
    "competition=titanic",
    "cv.n_splits=2",
    "trainer.epochs=2",
    "trainer.verbose=0",
    "trainer.baseline=false",
    "model.hidden_units=[8]",
)


@pytest.fixture(scope="module")
def titanic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare(tmp_path_factory.mktemp("titanic") / "data")


def quick_run(data_dir: Path, run_dir: Path, *overrides: str) -> None:
    cfg = compose_config(*QUICK, f"competition.data_dir={data_dir}", *overrides)
    train(cfg, run_dir=run_dir)


@pytest.mark.parametrize("name", options("logger"))
def test_logger_options_build_loggers(name: str) -> None:
    cfg = compose_config("competition=titanic", f"logger={name}")
    check_complete(cfg)
    assert isinstance(build_parts(cfg).logger, RunLogger)


def test_default_is_no_tracking() -> None:
    assert compose_config("competition=titanic").logger._target_.endswith("NoLogger")


def test_params_are_flat_and_masked() -> None:
    flat = flatten({"a": {"b": 1, "url": "postgresql://u:secret@h/db"}, "c": [1, 2]})
    assert flat == {"a.b": "1", "a.url": "postgresql://u:***@h/db", "c": "[1, 2]"}


def test_mlflow_run_has_params_epochs_scores_and_files(titanic_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("mlflow", reason="the tracking extra: pip install -e '.[tracking]'")
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    run_dir = tmp_path / "run"
    quick_run(titanic_data, run_dir, "logger=mlflow", f"logger.tracking_uri={uri}")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("titanic")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["trainer.epochs"] == "2"
    assert run.data.params["competition.name"] == "titanic"
    scores = json.loads((run_dir / "scores.json").read_text())
    assert run.data.metrics["cv"] == pytest.approx(scores["cv"])
    for k in range(2):
        history = client.get_metric_history(run.info.run_id, f"fold_{k}/val_loss")
        assert [m.step for m in history] == [0, 1]
        assert run.data.metrics[f"fold_{k}/score"] == pytest.approx(scores["folds"][k])
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"submission.csv", "scores.json", "report.html"} <= files


def wandb_records(path: Path) -> list[Any]:
    """The records of an offline run's ``run-*.wandb`` file (LevelDB-log blocks of protobufs;
    the offline run writes no ``wandb-summary.json``)."""
    from wandb.proto import wandb_internal_pb2

    data, pos, parts, out = path.read_bytes(), 7, b"", []  # 7: the ":W&B" header
    while pos + 7 <= len(data):
        if 32768 - pos % 32768 < 7:  # block trailer
            pos += 32768 - pos % 32768
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        parts += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last piece of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(parts)
            out.append(record)
            parts = b""
    return out


def test_wandb_offline_run_writes_the_summary(
    titanic_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("wandb", reason="the tracking extra: pip install -e '.[tracking]'")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_dir = tmp_path / "run"
    quick_run(titanic_data, run_dir, "logger=wandb", "logger.mode=offline")
    (offline,) = (run_dir / "wandb").glob("offline-run-*")
    (run_file,) = offline.glob("run-*.wandb")
    deadline = time.monotonic() + 20  # wandb-core (a separate process) may still be writing
    while True:
        records = wandb_records(run_file)
        summary = {
            item.key: json.loads(item.value_json)
            for r in records
            if r.WhichOneof("record_type") == "summary"
            for item in r.summary.update
            if item.key
        }
        if "cv" in summary or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "cv" in summary, f"no CV in the offline run's summary: {sorted(summary)}"
    scores = json.loads((run_dir / "scores.json").read_text())
    assert summary["cv"] == pytest.approx(scores["cv"])
    assert summary["fold_1/score"] == pytest.approx(scores["folds"][1])
    history = [r for r in records if r.WhichOneof("record_type") == "history"]
    assert len(history) == 4  # 2 folds x 2 epochs
    assert (offline / "files" / "submission.csv").is_file()
    assert (offline / "files" / "scores.json").is_file()


def test_tensorboard_writes_events_per_fold(titanic_data: Path, tmp_path: Path) -> None:
    """On every Keras backend, as long as TensorFlow and tensorboard are installed."""
    pytest.importorskip(
        "tensorflow", reason="Keras' TensorBoard callback writes through tf.summary"
    )
    pytest.importorskip("tensorboard", reason="tf.summary's implementation")
    run_dir = tmp_path / "run"
    quick_run(titanic_data, run_dir, "logger=tensorboard")
    for k in range(2):
        assert list((run_dir / "tensorboard" / f"fold_{k}").rglob("events.out.tfevents.*"))


def test_a_failing_tracker_does_not_fail_the_run(
    titanic_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the store should be")
    run_dir = tmp_path / "run"
    with caplog.at_level(logging.WARNING):
        quick_run(titanic_data, run_dir, "logger=mlflow", f"logger.tracking_uri={blocker.as_uri()}")
    assert (run_dir / "submission.csv").is_file()
    assert "Experiment tracking (logger=mlflow) failed" in caplog.text


def test_missing_package_is_one_line_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    with pytest.raises(TrackingError, match="pip install mlflow"):
        MlflowLogger().check()


def test_missing_package_stops_the_run_before_training(
    titanic_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a)
    )
    with pytest.raises(TrackingError, match="pip install wandb"):
        quick_run(titanic_data, tmp_path / "run", "logger=wandb")
    assert not list((tmp_path / "run").glob("fold_*"))


def test_a_sweep_logs_one_run_per_trial(titanic_data: Path, tmp_path: Path) -> None:
    """Each trial trains through ``pipeline.train``, so it is one tracked run (named after its
    trial directory)."""
    import optuna

    pytest.importorskip("mlflow", reason="the tracking extra: pip install -e '.[tracking]'")
    from mlflow.tracking import MlflowClient

    from kagglekit.tuning.pruning import PruningSettings
    from kagglekit.tuning.runner import TuneSettings, tune
    from kagglekit.tuning.space import SearchSpace
    from tests.tuning.conftest import compose_train

    uri = (tmp_path / "mlruns").as_uri()
    settings = TuneSettings(
        study_name="titanic-tracked",
        n_trials=2,
        space=SearchSpace.from_config({"optimizer.learning_rate": "interval(0.001, 0.01)"}),
        make_sampler=lambda seed: optuna.samplers.RandomSampler(seed=seed),
        sampler_seed=1,
        pruner=optuna.pruners.NopPruner(),
        pruning=PruningSettings(monitor="val_loss"),
    )
    tune(
        settings,
        compose=compose_train,
        competition="titanic",
        train_overrides=[
            *QUICK[1:],
            f"competition.data_dir={titanic_data}",
            "logger=mlflow",
            f"logger.tracking_uri={uri}",
        ],
        sweep_dir=tmp_path / "sweep",
    )
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("titanic")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert len({r.data.params["optimizer.learning_rate"] for r in runs}) == 2
    assert {r.info.run_name for r in runs} == {"sweep-trial0", "sweep-trial1"}
