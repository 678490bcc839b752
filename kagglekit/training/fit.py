"""Build, compile and fit one fold's model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from kagglekit.backend import epoch_dataset, feeds_through_tf_data
from kagglekit.data.lazy import InputValue, Targets, is_lazy, n_views, take
from kagglekit.errors import ConfigError
from kagglekit.models.specs import ModelInputs, ModelOutputs
from kagglekit.training.batches import EpochBatches, EpochSync
from kagglekit.training.devices import (
    EvenBatches,
    batch_shards,
    check_distribution,
    pad_rows,
    round_up,
    trim_rows,
)
from kagglekit.training.input_batches import InputBatches
from kagglekit.training.precision import check_precision

ModelFactory = Callable[..., keras.Model]
OptimizerFactory = Callable[[], keras.optimizers.Optimizer]


@dataclass(frozen=True)
class TrainerSettings:
    """How each fold is fitted (``conf/trainer``)."""

    epochs: int = 30
    batch_size: int = 64
    seed: int = 42
    # seed bagging: train every fold once per seed (``fold_<k>/seed_<s>/``) and average them
    seeds: Sequence[int] | None = None
    verbose: int = 0
    progress: bool = True
    shuffle: bool = True
    predict_batch_size: int = 1024
    loss: Any = None
    metrics: Sequence[Any] | None = None
    loss_weights: Any = None
    folds: Sequence[int] | None = None
    on_nan: str = "error"
    backup: bool = True
    backup_every_s: float = 30.0
    deterministic: bool = False
    precision: str = "float32"
    distribution: str | None = None
    jit_compile: bool | str = "auto"
    steps_per_execution: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    # read by pipeline.train, not here: also fit the classical baseline on the run's folds
    baseline: bool = False

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"trainer.epochs must be at least 1, but got {self.epochs}.")
        if self.batch_size < 1:
            raise ConfigError(f"trainer.batch_size must be at least 1, but got {self.batch_size}.")
        if self.backup_every_s < 0:
            raise ConfigError(
                f"trainer.backup_every_s must be at least 0 (0: every epoch), "
                f"but got {self.backup_every_s}."
            )
        if self.seeds is not None:
            seeds = list(self.seeds)
            if not seeds or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds
            ):
                raise ConfigError(
                    f"trainer.seeds must be null or a non-empty list of integers >= 0 such as "
                    f"[0, 1, 2], but got {self.seeds!r}."
                )
            if len(set(seeds)) != len(seeds):
                raise ConfigError(
                    f"trainer.seeds lists a seed twice ({self.seeds!r}): give each seed once."
                )
            object.__setattr__(self, "seeds", tuple(seeds))
        if self.on_nan not in ("error", "stop"):
            raise ConfigError(f"trainer.on_nan must be 'error' or 'stop', but got {self.on_nan!r}.")
        check_precision(self.precision)
        check_distribution(self.distribution)
        if self.jit_compile not in ("auto", True, False):
            raise ConfigError(
                f"trainer.jit_compile must be 'auto', true or false, but got {self.jit_compile!r}."
            )
        if self.steps_per_execution < 1:
            raise ConfigError(
                "trainer.steps_per_execution must be at least 1, "
                f"but got {self.steps_per_execution}."
            )


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
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
) -> keras.Model:
    """Call the factory and compile with the task's default loss unless the config gives one.

    Under a ``mixed_float16`` dtype policy Keras' ``compile`` wraps the optimizer in a
    ``LossScaleOptimizer`` (every backend), so float16 gradients do not underflow.
    """
    model = make_model(inputs=inputs, outputs=outputs)
    if not isinstance(model, keras.Model):
        raise TypeError(f"The model factory returned {type(model).__name__}, not a keras.Model.")
    if loss is None:
        loss = outputs[0].loss if len(outputs) == 1 else {o.name: o.loss for o in outputs}
    chosen: Any = list(metrics) if metrics is not None else default_metrics(outputs)
    if len(outputs) > 1:
        loss, chosen, loss_weights = per_head(outputs, loss, metrics, loss_weights)
    model.compile(
        optimizer=make_optimizer(),
        loss=loss,
        metrics=chosen,
        loss_weights=loss_weights,
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def per_head(
    outputs: ModelOutputs, loss: Any, metrics: Sequence[Any] | None, loss_weights: Any
) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, float] | None]:
    """Loss, metrics and loss weights of a multi-output model as dicts keyed by head name.

    A dict must name heads of the model; a single loss or metric list applies to every head
    (the task's default loss per head when ``loss`` is null); a missing loss weight is 1.
    """
    names = [o.name for o in outputs]

    def by_head(value: Any, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ConfigError(
                f"trainer.{what} names output(s) {unknown}, but the model's heads are {names}."
            )
        return value

    losses = by_head(loss, "loss")
    if losses is None:
        losses = {name: loss for name in names}
    missing = [name for name in names if losses.get(name) is None]
    if missing:
        defaults = {o.name: o.loss for o in outputs}
        losses = {**losses, **{name: defaults[name] for name in missing}}
    weights = by_head(loss_weights, "loss_weights")
    if weights is not None:
        weights = {name: float(weights.get(name, 1.0)) for name in names}
    elif loss_weights is not None:
        raise ConfigError(
            f"trainer.loss_weights of a multi-output model is a mapping head -> weight "
            f"(heads: {names}), but got {loss_weights!r}."
        )
    chosen_metrics = by_head(metrics, "metrics")
    if chosen_metrics is None:
        chosen_metrics = {
            o.name: [_clone_metric(m) for m in metrics]
            if metrics is not None
            else default_metrics([o])
            for o in outputs
        }
    return losses, {k: list(v) for k, v in chosen_metrics.items()}, weights


def _clone_metric(metric: Any) -> Any:
    """A fresh metric object per head (Keras refuses one metric object on two outputs)."""
    if isinstance(metric, keras.metrics.Metric):
        return keras.metrics.deserialize(keras.metrics.serialize(metric))
    return metric


def as_model_input(data: Mapping[str, Any]) -> Any:
    """A single input goes in as its array, several as a dict keyed by input name."""
    return next(iter(data.values())) if len(data) == 1 else data


def take_rows(data: dict[str, InputValue], rows: np.ndarray) -> dict[str, InputValue]:
    """The rows of every input (lazy inputs are restricted, not read)."""
    return {name: take(value, rows) for name, value in data.items()}


def fit_model(
    model: keras.Model,
    train: tuple[dict[str, InputValue], Targets],
    valid: tuple[dict[str, InputValue], Targets],
    *,
    settings: TrainerSettings,
    callbacks: list[keras.callbacks.Callback],
    initial_epoch: int = 0,
) -> keras.callbacks.History:
    """Fit with batches ordered by (seed, epoch), so a fit resumed at ``initial_epoch`` sees
    the same batches as an uninterrupted one.

    ``y`` is an array, or a dict per output head (multi-output models). When an input is lazy
    (image files), both sets go in as :class:`InputBatches`, the training one augmented.
    Under a data-parallel distribution every batch splits evenly over the devices
    (:mod:`kagglekit.training.devices`).
    """
    x_train, y_train = train
    x_valid, y_valid = valid
    shards = batch_shards()
    valid_batch = round_up(settings.predict_batch_size, shards)
    if is_lazy(x_train) or is_lazy(x_valid):
        return fit_batches(
            model,
            InputBatches(
                x_train,
                y_train,
                batch_size=settings.batch_size,
                seed=settings.seed,
                shuffle=settings.shuffle,
                augment=True,
            ),
            InputBatches(x_valid, y_valid, batch_size=valid_batch),
            settings=settings,
            callbacks=callbacks,
            initial_epoch=initial_epoch,
        )
    batches = EpochBatches(
        x_train,  # type: ignore[arg-type]  # no lazy input here
        y_train,
        settings.batch_size,
        seed=settings.seed,
        shuffle=settings.shuffle,
    )
    valid_x: Any = as_model_input(x_valid)
    if shards > 1:
        valid_x, y_valid = trim_rows(valid_x, shards), trim_rows(y_valid, shards)
    endless = shards == 1 and feeds_through_tf_data() and endless_feed(model, batches)
    return model.fit(
        training_feed(batches, initial_epoch, endless=endless)
        if shards == 1
        else EvenBatches(batches, shards),
        steps_per_epoch=len(batches) if endless else None,
        validation_data=(valid_x, y_valid),
        validation_batch_size=valid_batch,
        epochs=settings.epochs,
        shuffle=False,
        callbacks=[EpochSync(batches), *callbacks],
        verbose=settings.verbose,
        initial_epoch=initial_epoch,
    )


def endless_feed(model: keras.Model, batches: EpochBatches) -> bool:
    """Whether ``fit`` can read every epoch from one endless dataset: when each compiled call's
    ``steps_per_execution`` steps end with the epoch (a call does not stop at an epoch's last
    batch in an endless dataset, where it does at the end of a dataset of one epoch)."""
    steps = int(getattr(model, "steps_per_execution", 1) or 1)
    return len(batches) % steps == 0


def training_feed(batches: EpochBatches, first_epoch: int = 0, *, endless: bool = True) -> Any:
    """What ``fit`` trains on: ``batches`` itself, or on TensorFlow the same batches in the
    same order through ``tf.data`` (see :func:`kagglekit.backend.epoch_dataset`): endless,
    every epoch from ``first_epoch`` on (``fit`` takes ``len(batches)`` steps an epoch), or
    the epoch that :class:`EpochSync` last set, one per iterator."""
    if not feeds_through_tf_data():
        return batches
    x = next(iter(batches.x.values())) if len(batches.x) == 1 else batches.x
    return epoch_dataset(
        (x, batches.y),
        batches.n,
        batches.batch_size,
        batches.order_of,
        first_epoch,
        current_epoch=None if endless else lambda: batches.epoch,
    )


def fit_batches(
    model: keras.Model,
    train: InputBatches,
    valid: InputBatches,
    *,
    settings: TrainerSettings,
    callbacks: list[keras.callbacks.Callback],
    initial_epoch: int = 0,
) -> keras.callbacks.History:
    """Fit on batch datasets (they shuffle and augment themselves, by epoch)."""
    shards = batch_shards()
    return model.fit(
        train if shards == 1 else EvenBatches(train, shards),
        validation_data=valid if shards == 1 else EvenBatches(valid, shards),
        epochs=settings.epochs,
        shuffle=False,
        callbacks=[EpochSync(train), *callbacks],
        verbose=settings.verbose,
        initial_epoch=initial_epoch,
    )


Predictions = np.ndarray | dict[str, np.ndarray]


def predict(model: keras.Model, data: dict[str, InputValue], batch_size: int) -> Predictions:
    """Model outputs for ``data``: an array, or a dict per head for a dict-output model.

    Lazy inputs are read batch by batch; when they offer several views (test-time
    augmentation), the outputs are averaged over the views. Under a data-parallel
    distribution the last batch is padded to split evenly, and the padding cut off.
    """
    shards = batch_shards()
    batch_size = round_up(batch_size, shards)
    if not is_lazy(data):
        x = as_model_input(data)
        n = len(next(iter(data.values())))
        if shards > 1:
            x = pad_rows(x, shards)
        return _first_rows(_outputs(model.predict(x, batch_size=batch_size, verbose=0)), n)
    views = []
    for v in range(n_views(data)):
        batches = InputBatches(data, batch_size=batch_size, view=v)
        dataset = batches if shards == 1 else EvenBatches(batches, shards, mode="pad")
        views.append(_first_rows(_outputs(model.predict(dataset, verbose=0)), batches.n))
    return average(views)


def _first_rows(out: Predictions, n: int) -> Predictions:
    if isinstance(out, dict):
        return {name: value[:n] for name, value in out.items()}
    return out[:n]


def average(views: Sequence[Predictions]) -> Predictions:
    """The mean of several predictions of the same rows (arrays, or dicts per head)."""
    first = views[0]
    if isinstance(first, dict):
        return {
            name: np.mean([view[name] for view in views if isinstance(view, dict)], axis=0)
            for name in first
        }
    return np.mean([np.asarray(view) for view in views], axis=0)


def _outputs(out: Any) -> Predictions:
    if isinstance(out, dict):
        return {name: np.asarray(value) for name, value in out.items()}
    if isinstance(out, list):
        out = np.concatenate([np.asarray(v).reshape(len(v), -1) for v in out], axis=1)
    return np.asarray(out)
