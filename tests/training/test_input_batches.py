"""InputBatches: arrays and lazy inputs batched by (seed, epoch), augmentation, TTA views."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import keras
import numpy as np
import pytest

from kagglekit.data.lazy import LazyInput, LoaderOptions, n_views
from kagglekit.training.batches import EpochSync
from kagglekit.training.fit import TrainerSettings, average, fit_model, predict
from kagglekit.training.input_batches import InputBatches


@dataclass(frozen=True)
class Rows:
    """A lazy input whose row i reads as [i]; augmentation adds 1000, view v adds 100 * v."""

    index: np.ndarray
    views: int = 1
    loader: LoaderOptions = field(default_factory=LoaderOptions)

    @property
    def n_views(self) -> int:
        return self.views

    def __len__(self) -> int:
        return len(self.index)

    def take(self, rows: np.ndarray) -> Rows:
        return replace(self, index=self.index[rows])

    def load(self, rows, *, rng=None, view=0):
        values = self.index[rows].astype("float32")[:, None] + 100.0 * view
        if rng is not None:
            values = values + 1000.0 * rng.integers(1, 3, size=values.shape)
        return values


def test_a_stand_in_is_a_lazy_input():
    assert isinstance(Rows(np.arange(3)), LazyInput)
    assert not isinstance(np.arange(3), LazyInput)


def test_every_row_once_per_epoch_in_an_order_fixed_by_seed_and_epoch():
    batches = InputBatches({"x": Rows(np.arange(10))}, np.arange(10), batch_size=4, shuffle=True)
    assert len(batches) == 3

    def epoch_rows(epoch: int) -> list[int]:
        batches.epoch = epoch
        seen = [batches[i][0][:, 0].astype(int).tolist() for i in range(len(batches))]
        assert [len(b) for b in seen] == [4, 4, 2]
        return [r for b in seen for r in b]

    first, second = epoch_rows(0), epoch_rows(1)
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert first != second
    assert epoch_rows(0) == first  # a resumed epoch sees the same batches
    x, y = batches[0]
    np.testing.assert_array_equal(x[:, 0], y)  # targets follow their rows


def test_without_shuffle_rows_stay_in_order_and_prediction_batches_have_no_targets():
    batches = InputBatches({"x": Rows(np.arange(5))}, batch_size=2)
    assert [batches[i][0][:, 0].tolist() for i in range(3)] == [[0, 1], [2, 3], [4]]
    assert len(batches[0]) == 1


def test_arrays_beside_lazy_inputs_and_dict_targets():
    numeric = np.arange(12, dtype="float32").reshape(6, 2)
    batches = InputBatches(
        {"image": Rows(np.arange(6)), "numeric": numeric},
        {"a": np.arange(6), "b": np.arange(6) * 10},
        batch_size=4,
        shuffle=True,
        seed=3,
    )
    x, y = batches[0]
    rows = x["image"][:, 0].astype(int)
    np.testing.assert_array_equal(x["numeric"], numeric[rows])
    np.testing.assert_array_equal(y["b"], rows * 10)


def test_augmentation_is_seeded_by_seed_epoch_and_batch():
    data = {"x": Rows(np.arange(8))}
    a = InputBatches(data, np.zeros(8), batch_size=4, augment=True, seed=1)
    b = InputBatches(data, np.zeros(8), batch_size=4, augment=True, seed=1)
    np.testing.assert_array_equal(a[1][0], b[1][0])
    assert (a[0][0] >= 1000).all()
    a.epoch = 1
    assert not np.array_equal(a[0][0], b[0][0])
    plain = InputBatches(data, np.zeros(8), batch_size=4)
    assert (plain[0][0] < 1000).all()


def test_view_and_loader_options():
    data = {"x": Rows(np.arange(4), views=3, loader=LoaderOptions(workers=2, max_queue_size=4))}
    batches = InputBatches(data, batch_size=4, view=2)
    np.testing.assert_array_equal(batches[0][0][:, 0], [200, 201, 202, 203])
    assert (batches.workers, batches.use_multiprocessing, batches.max_queue_size) == (2, False, 4)
    assert n_views(data) == 3
    with pytest.raises(ValueError, match="different numbers of test-time augmentation views"):
        n_views({"a": Rows(np.arange(2), views=2), "b": Rows(np.arange(2), views=3)})


def test_mismatched_rows_are_refused():
    with pytest.raises(ValueError, match="different numbers of rows"):
        InputBatches({"a": Rows(np.arange(3)), "b": np.zeros((4, 1))}, batch_size=2)
    with pytest.raises(ValueError, match="3 input rows"):
        InputBatches({"a": Rows(np.arange(3))}, np.zeros(4), batch_size=2)


def test_epoch_sync_sets_the_epoch():
    batches = InputBatches({"x": Rows(np.arange(4))}, np.zeros(4), batch_size=2, shuffle=True)
    EpochSync(batches).on_epoch_begin(5)
    assert batches.epoch == 5


def _linear_model() -> keras.Model:
    inputs = keras.Input((1,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(1, name="output")(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e-9), loss="mse")
    return model


def test_predict_averages_over_views():
    keras.utils.set_random_seed(0)
    model = _linear_model()
    rows = Rows(np.arange(5), views=3)
    averaged = predict(model, {"x": rows}, batch_size=2)
    one_by_one = [
        model.predict(rows.load(np.arange(5), view=v), verbose=0) for v in range(rows.n_views)
    ]
    np.testing.assert_allclose(averaged, np.mean(one_by_one, axis=0), rtol=1e-5)
    single = predict(model, {"x": Rows(np.arange(5))}, batch_size=2)
    np.testing.assert_allclose(single, one_by_one[0], rtol=1e-5)


def test_average_of_dict_predictions():
    views = [
        {"a": np.array([1.0]), "b": np.array([2.0])},
        {"a": np.array([3.0]), "b": np.array([4.0])},
    ]
    assert average(views) == {"a": 2.0, "b": 3.0}


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_fit_model_trains_on_lazy_inputs_with_workers(use_multiprocessing):
    keras.utils.set_random_seed(0)
    model = _linear_model()
    loader = LoaderOptions(workers=2, use_multiprocessing=use_multiprocessing)
    rows = Rows(np.arange(16), loader=loader)
    history = fit_model(
        model,
        ({"x": rows}, np.arange(16, dtype="float32")),
        ({"x": rows.take(np.arange(4))}, np.arange(4, dtype="float32")),
        settings=TrainerSettings(epochs=2, batch_size=4, verbose=0),
        callbacks=[],
    )
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["val_loss"]).all()
