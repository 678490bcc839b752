"""Build, compile and fit one fold's model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from kagglekit.models.specs import ModelInputs, ModelOutputs
from kagglekit.training.batches import EpochBatches, EpochSync

ModelFactory = Callable[..., keras.Model]
OptimizerFactory = Callable[[], keras.optimizers.Optimizer]


@dataclass(frozen=True)
class TrainerSettings:
    """How each fold is fitted (``conf/trainer``)."""

    epochs: int = 30
    batch_size: int = 64
    seed: int = 42
    verbose: int = 2
    shuffle: bool = True
    predict_batch_size: int = 1024
    loss: Any = None
    metrics: Sequence[Any] | None = None
    loss_weights: Any = None
    folds: Sequence[int] | None = None
    on_nan: str = "error"
    backup: bool = True
    deterministic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"trainer.epochs must be at least 1, but got {self.epochs}.")
        if self.batch_size < 1:
            raise ValueError(f"trainer.batch_size must be at least 1, but got {self.batch_size}.")
        if self.on_nan not in ("error", "stop"):
            raise ValueError(f"trainer.on_nan must be 'error' or 'stop', but got {self.on_nan!r}.")


def default_metrics(outputs: ModelOutputs) -> list[Any]:
    """Keras metrics shown during training when the config names none."""
    kinds = {o.activation for o in outputs}
    if "softmax" in kinds or "sigmoid" in kinds:
        return ["accuracy"]
    return [keras.metrics.RootMeanSquaredError(name="rmse")]


def build_model(
    make_model: ModelFactory,
    inputs: ModelInputs,
    outputs: ModelOutputs,
    *,
    make_optimizer: OptimizerFactory,
    loss: Any = None,
    metrics: Sequence[Any] | None = None,
    loss_weights: Any = None,
) -> keras.Model:
    """Call the factory and compile with the task's default loss unless the config gives one."""
    model = make_model(inputs=inputs, outputs=outputs)
    if not isinstance(model, keras.Model):
        raise TypeError(f"The model factory returned {type(model).__name__}, not a keras.Model.")
    if loss is None:
        loss = outputs[0].loss if len(outputs) == 1 else {o.name: o.loss for o in outputs}
    chosen = list(metrics) if metrics is not None else default_metrics(outputs)
    model.compile(optimizer=make_optimizer(), loss=loss, metrics=chosen, loss_weights=loss_weights)
    return model


def as_model_input(data: dict[str, np.ndarray]) -> Any:
    """A single input goes in as its array, several as a dict keyed by input name."""
    return next(iter(data.values())) if len(data) == 1 else data


def take_rows(data: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {name: array[rows] for name, array in data.items()}


def fit_model(
    model: keras.Model,
    train: tuple[dict[str, np.ndarray], np.ndarray],
    valid: tuple[dict[str, np.ndarray], np.ndarray],
    *,
    settings: TrainerSettings,
    callbacks: list[keras.callbacks.Callback],
    initial_epoch: int = 0,
) -> keras.callbacks.History:
    """Fit with batches ordered by (seed, epoch), so a fit resumed at ``initial_epoch`` sees
    the same batches as an uninterrupted one."""
    x_train, y_train = train
    x_valid, y_valid = valid
    batches = EpochBatches(
        x_train, y_train, settings.batch_size, seed=settings.seed, shuffle=settings.shuffle
    )
    return model.fit(
        batches,
        validation_data=(as_model_input(x_valid), y_valid),
        validation_batch_size=settings.predict_batch_size,
        epochs=settings.epochs,
        shuffle=False,
        callbacks=[EpochSync(batches), *callbacks],
        verbose=settings.verbose,
        initial_epoch=initial_epoch,
    )


def predict(model: keras.Model, data: dict[str, np.ndarray], batch_size: int) -> np.ndarray:
    out = model.predict(as_model_input(data), batch_size=batch_size, verbose=0)
    if isinstance(out, dict):
        out = np.concatenate([np.asarray(v).reshape(len(v), -1) for v in out.values()], axis=1)
    elif isinstance(out, list):
        out = np.concatenate([np.asarray(v).reshape(len(v), -1) for v in out], axis=1)
    return np.asarray(out)
