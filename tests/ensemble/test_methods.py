"""The blending methods on synthetic OOF predictions of every task (no training, fast)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from kagglekit.competition import Task
from kagglekit.ensemble.blend import cross_fit
from kagglekit.ensemble.methods import (
    BlendError,
    HillClimb,
    Mean,
    OptimisedWeights,
    RankMean,
    Stack,
    make_blender,
    restore_blender,
)
from kagglekit.ensemble.problem import Problem
from kagglekit.metrics import get_metric
from tests.tasks.helpers import task_for

RNG = np.random.default_rng(0)
N = 600


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def binary_inputs(n_inputs: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Noisy views of one signal: each input is right more often than chance, differently."""
    signal = RNG.normal(size=N)
    y = (signal + RNG.normal(scale=0.8, size=N) > 0).astype(float)
    preds = np.stack(
        [_sigmoid(2 * (signal + RNG.normal(scale=1.0, size=N)))[:, None] for _ in range(n_inputs)]
    )
    return preds, y


def multiclass_inputs(k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    y = RNG.integers(0, k, size=N)
    preds = []
    for _ in range(3):
        logits = 1.5 * np.eye(k)[y] + RNG.normal(scale=1.2, size=(N, k))
        p = np.exp(logits)
        preds.append(p / p.sum(axis=1, keepdims=True))
    return np.stack(preds), y


def regression_inputs() -> tuple[np.ndarray, np.ndarray]:
    y = RNG.normal(loc=10, scale=2, size=(N, 2))
    preds = np.stack([y + RNG.normal(scale=s, size=y.shape) for s in (0.5, 1.0, 2.0)])
    return preds, y


def multilabel_inputs(k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    signal = RNG.normal(size=(N, k))
    y = (signal + RNG.normal(scale=0.7, size=(N, k)) > 0).astype(float)
    preds = np.stack([_sigmoid(2 * (signal + RNG.normal(size=(N, k)))) for _ in range(3)])
    return preds, y


def problem(y: np.ndarray, task: Task, metric: str) -> Problem:
    return Problem(y, task_for(task, y), get_metric(metric))


def best_single(preds: np.ndarray, prob: Problem) -> float:
    scores = [prob.score(p) for p in preds]
    return max(scores) if prob.metric.greater_is_better else min(scores)


@pytest.mark.parametrize(
    ("make", "task", "metric"),
    [
        (binary_inputs, Task.BINARY, "accuracy"),
        (binary_inputs, Task.BINARY, "roc_auc"),
        (binary_inputs, Task.BINARY, "log_loss"),
        (multiclass_inputs, Task.MULTICLASS, "accuracy"),
        (multiclass_inputs, Task.MULTICLASS, "log_loss"),
        (multilabel_inputs, Task.MULTILABEL, "log_loss"),
        (multilabel_inputs, Task.MULTILABEL, "f1_micro"),
        (regression_inputs, Task.REGRESSION, "rmse"),
        (regression_inputs, Task.REGRESSION, "mae"),
    ],
)
@pytest.mark.parametrize("method", ["weights", "hill_climb"])
def test_fitted_weights_are_a_convex_blend_no_worse_than_the_best_input(
    make, task, metric, method
) -> None:
    preds, y = make()
    prob = problem(y, task, metric)
    blender = make_blender(method)
    blender.fit(preds, prob)
    w = blender.weights  # type: ignore[attr-defined]
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    blended = blender.apply(preds)
    assert blended.shape == preds.shape[1:]
    score, best = prob.score(blended), best_single(preds, prob)
    assert score >= best if prob.metric.greater_is_better else score <= best


def test_weights_on_a_smooth_metric_favour_the_better_input_and_beat_it() -> None:
    preds, y = regression_inputs()  # noise 0.5, 1.0, 2.0: inverse-variance weights 16:4:1
    prob = problem(y, Task.REGRESSION, "rmse")
    blender = OptimisedWeights()
    blender.fit(preds, prob)
    w = blender.weights
    assert w is not None
    assert w[0] > w[1] > w[2]
    assert w == pytest.approx(np.array([16, 4, 1]) / 21, abs=0.06)
    assert prob.score(blender.apply(preds)) < 0.98 * prob.score(preds[0])
    assert blender.describe()["optimised"] == "rmse"


def test_accuracy_weights_go_through_the_proxy_and_keep_the_best_candidate() -> None:
    preds, y = binary_inputs()
    prob = problem(y, Task.BINARY, "accuracy")
    blender = OptimisedWeights()
    blender.fit(preds, prob)
    info = blender.describe()
    assert info["optimised"] == "log_loss/mse proxy"
    assert info["chosen"] in {"optimum", "equal", "random", "nelder_mead", "single"}
    # three equally good, independent views: the blend is clearly better than any one of them
    assert prob.score(blender.apply(preds)) > best_single(preds, prob) + 0.01


def test_weights_never_lose_to_the_best_input_when_the_others_are_noise() -> None:
    preds, y = binary_inputs(1)
    noise = RNG.random(size=(2, N, 1))
    preds = np.concatenate([preds, noise])
    prob = problem(y, Task.BINARY, "accuracy")
    for blender in (OptimisedWeights(), HillClimb()):
        blender.fit(preds, prob)
        assert prob.score(blender.apply(preds)) >= prob.score(preds[0])
        assert blender.weights is not None and blender.weights[0] >= 0.5


def test_hill_climb_selects_with_replacement_and_stops_early() -> None:
    preds, y = regression_inputs()
    prob = problem(y, Task.REGRESSION, "rmse")
    blender = HillClimb(iterations=200, patience=3)
    blender.fit(preds, prob)
    info = blender.describe()
    counts = np.array(info["counts"])
    assert counts[0] > counts[1] >= counts[2] and counts.sum() == info["selected"]
    assert info["selected"] > len(preds)  # some input chosen more than once
    assert info["steps"] < 200  # stopped by patience
    assert blender.weights == pytest.approx(counts / counts.sum())


def test_rank_mean_keeps_the_rank_blend_order_on_the_probability_scale() -> None:
    preds, y = binary_inputs()
    preds[1] = preds[1] ** 4  # badly calibrated, same order
    blender = RankMean()
    blender.fit(preds, problem(y, Task.BINARY, "roc_auc"))
    out = blender.apply(preds)
    rank_mean = np.mean([np.argsort(np.argsort(p[:, 0])) for p in preds], axis=0)
    assert roc_auc_score(y, out[:, 0]) == pytest.approx(roc_auc_score(y, rank_mean))
    mean = preds.mean(axis=0)[:, 0]  # the values the ranks are mapped onto
    assert mean.min() <= out.min() and out.max() <= mean.max()
    assert out.mean() == pytest.approx(mean.mean(), abs=0.01)
    assert ((out >= 0) & (out <= 1)).all()


def test_rank_mean_of_multiclass_gives_probability_rows() -> None:
    preds, y = multiclass_inputs()
    blender = RankMean()
    prob = problem(y, Task.MULTICLASS, "roc_auc")
    blender.fit(preds, prob)
    out = blender.apply(preds)
    assert out.sum(axis=1) == pytest.approx(np.ones(N))
    assert prob.score(out) >= min(prob.score(p) for p in preds)


@pytest.mark.parametrize(
    ("make", "task", "metric", "model"),
    [
        (binary_inputs, Task.BINARY, "accuracy", "auto"),
        (binary_inputs, Task.BINARY, "roc_auc", "ridge"),
        (multiclass_inputs, Task.MULTICLASS, "log_loss", "auto"),
        (multiclass_inputs, Task.MULTICLASS, "accuracy", "ridge"),
        (multilabel_inputs, Task.MULTILABEL, "log_loss", "logistic"),
        (regression_inputs, Task.REGRESSION, "rmse", "auto"),
    ],
)
def test_stack_predicts_each_fold_from_the_other_folds(make, task, metric, model) -> None:
    preds, y = make()
    prob = problem(y, task, metric)
    folds = np.arange(N) % 3
    oof = cross_fit(lambda: Stack(model=model), preds, prob, folds)
    assert oof.shape == preds.shape[1:] and np.isfinite(oof).all()
    if task is not Task.REGRESSION:
        assert ((oof >= 0) & (oof <= 1)).all()
    if task is Task.MULTICLASS:
        assert oof.sum(axis=1) == pytest.approx(np.ones(N))
    # fold 0's predictions come from a model fitted without fold 0
    alone = Stack(model=model)
    alone.fit(preds[:, folds != 0], prob.rows(np.flatnonzero(folds != 0)))
    assert oof[folds == 0] == pytest.approx(alone.apply(preds[:, folds == 0]))
    score, mean = prob.score(oof), prob.score(preds.mean(axis=0))
    slack = 0.03 * abs(mean)
    assert score >= mean - slack if prob.metric.greater_is_better else score <= mean + slack


def test_stack_cv_is_honest_on_noise() -> None:
    """Inputs that know nothing: an in-sample stack would flatter them; the cross-fitted does not."""
    y = RNG.integers(0, 2, size=N).astype(float)
    preds = RNG.random(size=(8, N, 1))
    prob = problem(y, Task.BINARY, "accuracy")
    oof = cross_fit(Stack, preds, prob, np.arange(N) % 5)
    assert prob.score(oof) < 0.56


def test_mean_and_options_are_checked() -> None:
    preds, y = binary_inputs()
    mean = Mean()
    mean.fit(preds, problem(y, Task.BINARY, "accuracy"))
    assert mean.apply(preds) == pytest.approx(preds.mean(axis=0))
    with pytest.raises(BlendError, match="Unknown blend method 'median'"):
        make_blender("median")
    with pytest.raises(BlendError, match="logistic, ridge or auto"):
        Stack(model="forest")  # type: ignore[arg-type]
    with pytest.raises(BlendError, match="regression stacks with ridge"):
        Stack(model="logistic").fit(*_regression_problem())


def _regression_problem() -> tuple[np.ndarray, Problem]:
    preds, y = regression_inputs()
    return preds, problem(y, Task.REGRESSION, "rmse")


# -- restored from what a blend directory stores (kagglekit predict / package of a blend) ------


@pytest.mark.parametrize(
    ("make", "task", "metric", "model"),
    [
        (binary_inputs, Task.BINARY, "accuracy", "auto"),
        (multiclass_inputs, Task.MULTICLASS, "log_loss", "auto"),
        (multiclass_inputs, Task.MULTICLASS, "accuracy", "ridge"),
        (multilabel_inputs, Task.MULTILABEL, "log_loss", "logistic"),
        (regression_inputs, Task.REGRESSION, "rmsle", "auto"),
    ],
)
def test_the_level2_arrays_predict_as_scikit_learn_and_reload_without_pickle(
    make, task, metric, model, tmp_path
) -> None:
    from sklearn.linear_model import Ridge

    from kagglekit.ensemble.methods import _fit_logistic, _log

    preds, y = make()
    if metric == "rmsle":
        preds, y = np.abs(preds), np.abs(y)
    prob = problem(y, task, metric)
    stack = Stack(model=model)
    stack.fit(preds, prob)
    if stack.kind == "logistic" and prob.task.stacks_jointly:  # scikit-learn's own probabilities
        x = _log(preds)
        fitted = _fit_logistic(x, y.astype(int), stack.alpha)
        assert stack.fitted[0].proba(x, preds.shape[2]) == pytest.approx(fitted.predict_proba(x))
    elif stack.kind == "logistic":  # one model per column (binary, each label)
        x = stack._features(preds, 0)
        fitted = _fit_logistic(x, prob.task.truth_columns(y)[:, 0].astype(int), stack.alpha)
        assert stack.fitted[0].proba(x, 2) == pytest.approx(fitted.predict_proba(x))
    else:
        x = stack._features(preds, 0)
        target = prob.task.truth_columns(y)[:, 0]
        ridge = Ridge(alpha=stack.alpha).fit(x, np.log1p(target) if stack.log_scale else target)
        assert stack.fitted[0].decision(x)[:, 0] == pytest.approx(ridge.predict(x))
    info = stack.save(tmp_path / "level2.npz")
    with np.load(tmp_path / "level2.npz", allow_pickle=False) as arrays:
        assert all(a.dtype != object for a in arrays.values())
    new = RNG.permutation(preds, axis=1)[:, :50]  # other rows: as test predictions are
    restored = restore_blender("stack", None, prob.task, (info, tmp_path / "level2.npz"))
    assert np.array_equal(restored.apply(new), stack.apply(new))


@pytest.mark.parametrize("method", ["mean", "rank", "weights", "hill_climb"])
def test_each_method_is_restored_from_its_stored_weights(method: str) -> None:
    import json

    preds, y = binary_inputs()
    prob = problem(y, Task.BINARY, "log_loss")
    blender = make_blender(method)
    blender.fit(preds, prob)
    stored = json.loads(json.dumps([float(w) for w in blender.weights]))  # type: ignore[attr-defined]
    restored = restore_blender(method, stored, prob.task)
    new = preds[:, :77]
    assert np.array_equal(restored.apply(new), blender.apply(new))
    with pytest.raises(BlendError, match="needs its weights"):
        restore_blender("weights", None, prob.task)
    with pytest.raises(BlendError, match=r"level-2 models \(level2.npz\)"):
        restore_blender("stack", None, prob.task)
