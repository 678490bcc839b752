"""Multi-output targets: one head per target column, each with its own loss and weight."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from kagglekit.competition import Task
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.tasks import TargetTask, make_task
from kagglekit.training.fit import build_model, per_head


def fitted(task: Task = Task.REGRESSION, heads: str = "per_target") -> TargetTask:
    first = [1.0, 2.0, 3.0] if task is Task.REGRESSION else [1, 0, 1]
    targets = pd.DataFrame({"price ($)": first, "2nd": [0, 1, 1]})
    return make_task(task, targets, heads=heads)  # type: ignore[arg-type]


def test_one_head_per_target_column_with_valid_names():
    c = fitted()
    assert c.head_names() == ["price", "t_2nd"]
    outputs = c.outputs()
    assert [(o.name, o.units, o.activation) for o in outputs] == [
        ("price", 1, "linear"),
        ("t_2nd", 1, "linear"),
    ]
    multilabel = fitted(Task.MULTILABEL).outputs()
    assert [o.loss for o in multilabel] == ["binary_crossentropy"] * 2


def test_single_head_is_unchanged():
    c = fitted(heads="single")
    assert c.outputs() == [OutputSpec("output", 2, "linear", "mean_squared_error")]
    y = np.ones((3, 2))
    assert c.for_heads(y) is y


def test_y_is_split_per_head_and_predictions_join_in_target_order():
    c = fitted()
    y = np.array([[1.0, 10.0], [2.0, 20.0]])
    split = c.for_heads(y)
    assert isinstance(split, dict)
    np.testing.assert_array_equal(split["t_2nd"], [[10.0], [20.0]])
    # a dict of head outputs in any key order comes back in target order
    joined = c.to_predictions({"t_2nd": split["t_2nd"], "price": split["price"]})
    np.testing.assert_array_equal(joined, y)
    with pytest.raises(ValueError, match=r"lack head\(s\) \['t_2nd'\]"):
        c.to_predictions({"price": split["price"]})


def test_regression_heads_start_at_the_fold_mean():
    y = np.array([[1.0, 10.0], [3.0, 30.0]])
    assert [o.bias for o in fitted().outputs(y)] == [(2.0,), (20.0,)]
    assert fitted(heads="single").outputs(y)[0].bias == (2.0, 20.0)
    assert fitted(Task.MULTILABEL).outputs(np.ones((2, 2)))[0].bias is None


def test_per_head_losses_metrics_and_weights():
    outputs = fitted().outputs()
    losses, metrics, weights = per_head(outputs, {"price": "huber"}, None, {"t_2nd": 0.5})
    assert losses == {"price": "huber", "t_2nd": "mean_squared_error"}
    assert weights == {"price": 1.0, "t_2nd": 0.5}
    assert set(metrics) == {"price", "t_2nd"}
    assert metrics["price"][0] is not metrics["t_2nd"][0]  # a metric object per head
    with pytest.raises(ValueError, match=r"names output\(s\) \['prize'\]"):
        per_head(outputs, {"prize": "mse"}, None, None)
    with pytest.raises(ValueError, match="mapping head -> weight"):
        per_head(outputs, None, None, [1.0, 2.0])
    losses, metrics, _ = per_head(outputs, "mae", ["mae"], None)
    assert losses == {"price": "mae", "t_2nd": "mae"} and metrics["t_2nd"] == ["mae"]


def test_a_multi_output_model_fits_with_head_losses():
    from kagglekit.models.multi_output import build_multi_output

    c = fitted()
    y = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    model = build_model(
        build_multi_output,
        {"features": InputSpec((3,))},
        c.outputs(y),
        make_optimizer=lambda: keras.optimizers.Adam(1e-2),
        loss={"price": "huber"},
        loss_weights={"price": 1.0, "t_2nd": 0.25},
    )
    x = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    history = model.fit(x, c.for_heads(y), epochs=1, verbose=0)
    assert {"price_loss", "t_2nd_loss"} <= set(history.history)
    predictions = c.to_predictions(model.predict(x, verbose=0))
    assert predictions.shape == (32, 2)
    np.testing.assert_allclose(model.get_layer("price").bias.numpy(), [y[:, 0].mean()], atol=0.1)
