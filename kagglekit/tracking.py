"""Experiment tracking: the ``logger`` config group (none, mlflow, tensorboard, wandb).

A logger sees one training run through a narrow interface that ``pipeline.train`` calls:
:meth:`RunLogger.start` (the flattened, credential-masked config as params), a Keras callback
per fold (per-epoch metrics named ``fold_<k>/<metric>``), :meth:`RunLogger.finish` (CV score,
fold scores, artifacts) and :meth:`RunLogger.close`. :class:`SafeLogger` wraps every call so that
a tracking failure warns and never fails a run; a missing package is refused before training
by :meth:`RunLogger.check`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras

from kagglekit.errors import KagglekitError
from kagglekit.redact import mask_credentials

log = logging.getLogger(__name__)

__all__ = [
    "MlflowLogger",
    "NoLogger",
    "RunLogger",
    "SafeLogger",
    "TensorBoardLogger",
    "TrackingError",
    "WandbLogger",
    "flatten",
]


class TrackingError(KagglekitError):
    """The chosen logger cannot work here (its package is not installed)."""


def flatten(config: Mapping[Any, Any], prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": "1"}``, credentials masked (tracker params are text)."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = mask_credentials(str(value))
    return flat


def run_name(run_dir: Path) -> str:
    """The run's folder name; a sweep's trial (``<sweep dir>/trials/<n>``) is ``<sweep>-trial<n>``."""
    if run_dir.name.isdigit() and run_dir.parent.name == "trials":
        return f"{run_dir.parent.parent.name}-trial{run_dir.name}"
    return run_dir.name


def _require(module: str, option: str, install: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise TrackingError(
            f"logger={option} needs the {module} package, which is not installed: "
            f"pip install {install} (or choose logger=none)."
        )


class EpochMetrics(keras.callbacks.Callback):
    """Sends each epoch's logs of fold ``k`` to ``send(metrics, epoch)`` as ``fold_<k>/<name>``."""

    def __init__(self, fold: int, send: Any) -> None:
        super().__init__()
        self.fold = fold
        self.send = send
        self.failed = False

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.failed or not logs:
            return
        metrics = {}
        for name, value in logs.items():
            try:
                metrics[f"fold_{self.fold}/{name}"] = float(value)
            except (TypeError, ValueError):
                continue
        try:
            self.send(metrics, epoch)
        except Exception as exc:  # a tracker failure never stops training
            self.failed = True
            log.warning(
                "Experiment tracking failed in fold %d (%s); training goes on.", self.fold, exc
            )


class RunLogger:
    """No tracking; the base of every logger (each method is a hook with a no-op default)."""

    name = "none"

    def check(self) -> None:
        """Raise :class:`TrackingError` when the logger cannot work (before training)."""

    def start(self, run_dir: Path, experiment: str, params: dict[str, str]) -> None:
        """A run starts in ``run_dir``; ``experiment`` is the competition name."""

    def fold_callback(self, fold: int) -> keras.callbacks.Callback | None:
        return None

    def finish(self, scores: Mapping[str, Any], artifacts: list[Path]) -> None:
        """The run finished: its scores (``scores.json``) and the files to attach."""

    def close(self, failed: bool = False) -> None:
        """End the run (also after a failure)."""


class NoLogger(RunLogger):
    """``logger=none``."""


class MlflowLogger(RunLogger):
    """``logger=mlflow``: one MLflow run per training run, in the experiment named after the
    competition. ``tracking_uri`` None: ``$MLFLOW_TRACKING_URI``, else ``file:./mlruns``."""

    name = "mlflow"

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.client: Any = None
        self.run_id: str | None = None

    def check(self) -> None:
        _require("mlflow", self.name, "mlflow")

    def resolved_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri
        return os.environ.get("MLFLOW_TRACKING_URI") or Path("mlruns").resolve().as_uri()

    def start(self, run_dir: Path, experiment: str, params: dict[str, str]) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        uri = self.resolved_uri()
        if uri.startswith("file:") or "://" not in uri:
            # MLflow 3 keeps its file store in maintenance mode and refuses it unless allowed
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.client = MlflowClient(tracking_uri=uri)
        name = self.experiment or experiment
        found = self.client.get_experiment_by_name(name)
        experiment_id = found.experiment_id if found else self.client.create_experiment(name)
        run = self.client.create_run(
            experiment_id, run_name=run_name(run_dir), tags={"kagglekit.run_dir": str(run_dir)}
        )
        self.run_id = run.info.run_id
        items = [Param(k, v[:6000]) for k, v in params.items()]
        for i in range(0, len(items), 100):
            self.client.log_batch(self.run_id, params=items[i : i + 100])
        log.info("MLflow run %s in experiment %r at %s.", self.run_id, name, mask_credentials(uri))

    def _send(self, metrics: Mapping[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = _millis()
        self.client.log_batch(
            self.run_id, metrics=[Metric(k, v, now, step) for k, v in metrics.items()]
        )

    def fold_callback(self, fold: int) -> keras.callbacks.Callback | None:
        return EpochMetrics(fold, self._send) if self.run_id else None

    def finish(self, scores: Mapping[str, Any], artifacts: list[Path]) -> None:
        if self.run_id is None:
            return
        self._send(_score_metrics(scores), 0)
        for path in artifacts:
            self.client.log_artifact(self.run_id, str(path))

    def close(self, failed: bool = False) -> None:
        if self.run_id is not None:
            self.client.set_terminated(self.run_id, status="FAILED" if failed else "FINISHED")
            self.run_id = None


class TensorBoardLogger(RunLogger):
    """``logger=tensorboard``: Keras' TensorBoard callback per fold, logs in
    ``<run_dir>/tensorboard/fold_<k>``. It writes through TensorFlow's summary writer, so
    TensorFlow and the tensorboard package must be installed (any Keras backend)."""

    name = "tensorboard"

    def __init__(self, histogram_freq: int = 0, update_freq: str | int = "epoch") -> None:
        self.histogram_freq = histogram_freq
        self.update_freq = update_freq
        self.log_dir: Path | None = None

    def check(self) -> None:
        _require("tensorflow", self.name, "tensorflow tensorboard")
        _require("tensorboard", self.name, "tensorboard")  # tf.summary's implementation

    def start(self, run_dir: Path, experiment: str, params: dict[str, str]) -> None:
        self.log_dir = run_dir / "tensorboard"

    def fold_callback(self, fold: int) -> keras.callbacks.Callback | None:
        if self.log_dir is None:
            return None
        return keras.callbacks.TensorBoard(
            log_dir=str(self.log_dir / f"fold_{fold}"),
            histogram_freq=self.histogram_freq,
            update_freq=self.update_freq,
            write_graph=False,
        )


class WandbLogger(RunLogger):
    """``logger=wandb``: one W&B run per training run in the project named after the
    competition; ``mode`` online, offline (``wandb sync`` later) or disabled."""

    name = "wandb"

    def __init__(
        self, mode: str = "online", project: str | None = None, entity: str | None = None
    ) -> None:
        if mode not in ("online", "offline", "disabled"):
            raise ValueError(f"mode={mode!r}: choose online, offline or disabled")
        self.mode = mode
        self.project = project
        self.entity = entity
        self.run: Any = None

    def check(self) -> None:
        _require("wandb", self.name, "wandb")

    def start(self, run_dir: Path, experiment: str, params: dict[str, str]) -> None:
        import wandb

        self.run_dir = run_dir
        self.run = wandb.init(
            project=self.project or experiment,
            entity=self.entity,
            name=run_name(run_dir),
            dir=str(run_dir),
            mode=os.environ.get("WANDB_MODE") or self.mode,  # type: ignore[arg-type]
            config=params,
            reinit="create_new",
        )

    def _send(self, metrics: Mapping[str, float], step: int) -> None:
        fold = next(iter(metrics)).split("/")[0]
        self.run.log({**metrics, f"{fold}/epoch": step})

    def fold_callback(self, fold: int) -> keras.callbacks.Callback | None:
        return EpochMetrics(fold, self._send) if self.run is not None else None

    def finish(self, scores: Mapping[str, Any], artifacts: list[Path]) -> None:
        if self.run is None:
            return
        self.run.summary.update(_score_metrics(scores))
        for path in artifacts:
            self.run.save(str(path), base_path=str(path.parent), policy="now")

    def close(self, failed: bool = False) -> None:
        if self.run is not None:
            self.run.finish(exit_code=1 if failed else 0)
            self.run = None


class SafeLogger:
    """Calls a :class:`RunLogger`, turning any failure into a warning (a tracker never fails
    a run); :meth:`check` alone raises, before training."""

    def __init__(self, inner: RunLogger) -> None:
        self.inner = inner

    def check(self) -> None:
        self.inner.check()

    def _call(self, what: str, *args: Any) -> Any:
        try:
            return getattr(self.inner, what)(*args)
        except Exception as exc:
            log.warning(
                "Experiment tracking (logger=%s) failed in %s: %s; the run goes on.",
                self.inner.name,
                what,
                mask_credentials(str(exc)),
            )
            return None

    def start(self, run_dir: Path, experiment: str, params: dict[str, str]) -> None:
        self._call("start", run_dir, experiment, params)

    def fold_callbacks(self, fold: int) -> list[keras.callbacks.Callback]:
        callback = self._call("fold_callback", fold)
        return [callback] if callback is not None else []

    def finish(self, scores: Mapping[str, Any], artifacts: list[Path]) -> None:
        self._call("finish", scores, artifacts)

    def close(self, failed: bool = False) -> None:
        self._call("close", failed)


def _score_metrics(scores: Mapping[str, Any]) -> dict[str, float]:
    metric = scores.get("metric", "score")
    out = {f"cv_{metric}": float(scores["cv"]), "cv": float(scores["cv"])}
    for k, score in enumerate(scores.get("folds", [])):
        out[f"fold_{k}/score"] = float(score)  # the competition metric on the fold's rows
    for key in ("fold_mean", "fold_std"):
        if key in scores:
            out[key] = float(scores[key])
    return out


def _millis() -> int:
    import time

    return int(time.time() * 1000)
