"""AtomicModelCheckpoint through Keras' public callback hooks: best-only saving in both
directions, NaN epochs never best, deferred weights, batch-frequency saving."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from kagglekit.errors import ConfigError
from kagglekit.training.callbacks import AtomicModelCheckpoint


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _checkpoint(path: Path, **kwargs: object) -> AtomicModelCheckpoint:
    callback = AtomicModelCheckpoint(
        str(path), save_best_only=True, save_weights_only=True, **kwargs
    )
    callback.set_model(_model())
    return callback


@pytest.mark.parametrize(
    ("monitor", "values", "saved"),
    [
        ("val_loss", [0.5, 0.7, 0.4, float("nan")], [True, False, True, False]),
        ("val_accuracy", [0.5, 0.4, 0.8, 0.6], [True, False, True, False]),
    ],
)
def test_best_only_in_the_monitor_direction(
    tmp_path: Path, monitor: str, values: list[float], saved: list[bool]
) -> None:
    path = tmp_path / "best.weights.h5"
    callback = _checkpoint(path, monitor=monitor)
    for epoch, (value, expect) in enumerate(zip(values, saved, strict=True)):
        path.unlink(missing_ok=True)
        callback.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        assert path.exists() == expect, (epoch, value)
    assert callback.best == (0.4 if monitor == "val_loss" else 0.8)


def test_deferred_best_weights_are_written_by_flush(tmp_path: Path) -> None:
    path = tmp_path / "best.weights.h5"
    callback = _checkpoint(path, monitor="val_loss")
    callback.defer = True
    callback.on_epoch_end(0, {"loss": 1.0, "val_loss": 0.3})
    assert not path.exists() and callback.pending is not None
    assert callback.pending[0] == str(path)
    callback.flush()
    assert path.exists() and callback.pending is None


def test_batch_frequency_saves_every_n_batches(tmp_path: Path) -> None:
    callback = AtomicModelCheckpoint(
        str(tmp_path / "e{epoch}-b{batch}.weights.h5"), save_weights_only=True, save_freq=2
    )
    callback.set_model(_model())
    callback.on_epoch_begin(0)
    for batch in range(5):
        callback.on_train_batch_end(batch, {"loss": 1.0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e1-b2.weights.h5", "e1-b4.weights.h5"]
    assert not callback.async_safe  # it acts per batch: Keras must wait for each batch's logs


def test_a_monitor_of_unknown_direction_asks_for_a_mode(tmp_path: Path) -> None:
    callback = _checkpoint(tmp_path / "best.weights.h5", monitor="val_gini")
    with pytest.raises(ConfigError, match="mode to min or max"):
        callback.on_epoch_end(0, {"loss": 1.0, "val_gini": 0.2})
    explicit = _checkpoint(tmp_path / "best.weights.h5", monitor="val_gini", mode="max")
    explicit.on_epoch_end(0, {"loss": 1.0, "val_gini": 0.2})
    assert explicit.best == 0.2


def test_the_fold_path_leaves_the_best_weights_to_its_checkpoint(tmp_path: Path) -> None:
    """With a best-only checkpoint the fold predicts from the checkpoint, so early stopping
    neither copies nor restores its best weights; without one it restores them as configured."""
    import functools

    from kagglekit.training.fit import TrainerSettings
    from kagglekit.training.fold import fold_callbacks

    early = functools.partial(keras.callbacks.EarlyStopping, restore_best_weights=True)
    best = functools.partial(
        AtomicModelCheckpoint, filepath="{fold_dir}/model.weights.h5", save_best_only=True
    )
    settings = TrainerSettings(backup=False)
    with_checkpoint, _, _ = fold_callbacks({"es": early, "ckpt": best}, settings, tmp_path)
    assert not with_checkpoint[0].restore_best_weights
    assert with_checkpoint[1].defers()
    alone, _, _ = fold_callbacks({"es": early}, settings, tmp_path)
    assert alone[0].restore_best_weights
