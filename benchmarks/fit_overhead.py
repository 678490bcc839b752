"""What kagglekit's fold-training path costs over plain ``model.fit``, at the sizes users bring.

    python benchmarks/fit_overhead.py [--epochs 2] [--repeats 3] [--min-seconds 3] [--cases mlp-10k,mlp-100k,...]
    KERAS_BACKEND=jax python benchmarks/fit_overhead.py

For each case, the same model (same seed) is trained on the same data two ways in one process:

* plain: ``model.fit(x, y, shuffle=True, validation_data=(x_valid, y_valid))``;
* kagglekit: the fold path of ``scripts/train.py``: ``fit_model`` with the callbacks of
  ``kagglekit/conf/callbacks/default.yaml`` built for a fold folder, the NaN guard and the fold backup with
  the default policy of ``kagglekit/conf/trainer/default.yaml`` (``trainer.backup_every_s``). The time
  runs from building the callbacks to the end of ``fit`` (the last backup included); the one
  write of the fold's best weights that follows (as any training script saves its model) is
  reported on stderr, with the backups' cost.

Each way first trains one epoch on a small slice with the same batch shapes (tracing and
compiling, not timed), then the
timed fit runs ``--epochs`` epochs. The two ways alternate ``--repeats`` times, or more for a
short case (until each way has run ``--min-seconds`` in all, as ``timeit`` autoranges: at 10k rows a
fit lasts 0.1 s), and the best time of each is kept (the machine is shared: the best is the least
disturbed). It prints one line per
case, ``rows=<n> model=<name> backend=<b> plain=<s> kagglekit=<s> ratio=<x>``, and last a JSON
object mapping each case to its ratio. It never asserts a time.

Cases: ``mlp-10k``, ``mlp-100k``, ``mlp-400k``, ``mlp-1m`` (40 features, batch 512, a 256-128 MLP with batch
norm and dropout) and ``cnn-60k`` (random 28x28x1 images, 10 classes, a small conv net, batch 128).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from hydra.utils import instantiate
from omegaconf import OmegaConf

import kagglekit
from kagglekit.models.cnn import build_cnn
from kagglekit.models.mlp import build_mlp
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.fit import TrainerSettings, fit_model
from kagglekit.training.fold import fold_callbacks, write_checkpoints

CONF = Path(kagglekit.__file__).resolve().parent / "conf"
SEED = 0


@dataclass(frozen=True)
class Case:
    name: str
    model: str
    rows: int
    batch_size: int


CASES = {
    "mlp-10k": Case("mlp-10k", "mlp", 10_000, 512),
    "mlp-100k": Case("mlp-100k", "mlp", 100_000, 512),
    "mlp-400k": Case("mlp-400k", "mlp", 400_000, 512),
    "mlp-1m": Case("mlp-1m", "mlp", 1_000_000, 512),
    "cnn-60k": Case("cnn-60k", "cnn", 60_000, 128),
}


def make_data(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training rows and a validation set of a fifth as many rows."""
    rng = np.random.default_rng(SEED)
    n_valid = case.rows // 5
    n = case.rows + n_valid
    if case.model == "mlp":
        x = rng.normal(size=(n, 40)).astype("float32")
        w = rng.normal(size=40).astype("float32")
        y = (x @ w + rng.normal(size=n) > 0).astype("float32")
    else:
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, size=n).astype("int32")
    return x[: case.rows], y[: case.rows], x[case.rows :], y[case.rows :]


def make_model(case: Case) -> keras.Model:
    keras.utils.set_random_seed(SEED)
    if case.model == "mlp":
        model = build_mlp(
            {"x": InputSpec((40,))}, [OutputSpec("output", 1, "sigmoid", "binary_crossentropy")]
        )
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
    else:
        model = build_cnn(
            {"x": InputSpec((28, 28, 1))},
            [OutputSpec("output", 10, "softmax", "sparse_categorical_crossentropy")],
            filters=(16, 32),
            convs_per_block=1,
            dense_units=(64,),
        )
        model.compile(
            keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
        )
    return model


def default_settings(case: Case, epochs: int) -> TrainerSettings:
    """kagglekit/conf/trainer/default.yaml with this case's epochs and batch size, silent."""
    cfg = OmegaConf.load(CONF / "trainer" / "default.yaml")
    settings: TrainerSettings = instantiate(cfg, _convert_="all")
    return replace(settings, epochs=epochs, batch_size=case.batch_size, verbose=0)


def default_callbacks() -> list[Any]:
    """The callback factories of kagglekit/conf/callbacks/default.yaml."""
    cfg = OmegaConf.load(CONF / "callbacks" / "default.yaml")
    return [instantiate(node) for node in cfg.values() if node is not None]


def warm_rows(n: int, batch_size: int) -> int:
    """Rows for a warm-up that meets every batch shape of ``n`` rows (one full batch, and the
    same last partial batch), so that the timed fit compiles nothing."""
    return min(n, batch_size + n % batch_size)


def plain_way(case: Case, data: tuple[np.ndarray, ...], epochs: int) -> Callable[[], float]:
    xt, yt, xv, yv = data
    warm, warm_valid = warm_rows(len(xt), case.batch_size), warm_rows(len(xv), case.batch_size)

    def run() -> float:
        model = make_model(case)
        model.fit(
            xt[:warm],
            yt[:warm],
            validation_data=(xv[:warm_valid], yv[:warm_valid]),
            batch_size=case.batch_size,
            epochs=1,
            verbose=0,
        )
        start = time.perf_counter()
        model.fit(
            xt,
            yt,
            batch_size=case.batch_size,
            epochs=epochs,
            shuffle=True,
            validation_data=(xv, yv),
            verbose=0,
        )
        return time.perf_counter() - start

    return run


def kagglekit_way(
    case: Case, data: tuple[np.ndarray, ...], epochs: int, stats: dict[str, float]
) -> Callable[[], float]:
    xt, yt, xv, yv = data
    settings = default_settings(case, epochs)
    warm = warm_rows(len(xt), case.batch_size)
    warm_valid = warm_rows(len(xv), settings.predict_batch_size)
    factories = default_callbacks()

    def run() -> float:
        model = make_model(case)
        fit_model(
            model,
            ({"x": xt[:warm]}, yt[:warm]),
            ({"x": xv[:warm_valid]}, yv[:warm_valid]),
            settings=replace(settings, epochs=1),
            callbacks=[],
        )
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            directory = Path(tmp) / "fold_0"
            directory.mkdir()
            callbacks, _, backup = fold_callbacks(factories, settings, directory)
            initial_epoch = backup.restore(model) if backup is not None else 0
            fit_model(
                model,
                ({"x": xt}, yt),
                ({"x": xv}, yv),
                settings=settings,
                callbacks=callbacks,
                initial_epoch=initial_epoch,
            )
            seconds = time.perf_counter() - start
            # after the fit, train_fold writes the fold's best weights (once per fold)
            write_start = time.perf_counter()
            write_checkpoints(callbacks)
            stats["checkpoint_s"] = time.perf_counter() - write_start
            if backup is not None:
                backup.discard()
        stats["backup_s"] = backup.seconds_saving if backup is not None else 0.0
        stats["backups"] = len(backup.saved_epochs) if backup is not None else 0
        return seconds

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=3.0,
        help="repeat a short case until each way has run about this long in all (timeit's "
        "autorange): a 0.1 s fit needs tens of tries for its best to be undisturbed",
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated: " + ",".join(CASES)
    )
    parser.add_argument("--rows", type=float, default=1.0, help="scale every case's rows (debug)")
    args = parser.parse_args()
    backend = keras.backend.backend()
    ratios: dict[str, float] = {}
    for name in args.cases.split(","):
        case = CASES[name]
        case = replace(case, rows=max(int(case.rows * args.rows), 2 * case.batch_size))
        data = make_data(case)
        stats: dict[str, float] = {}
        ways = {
            "plain": plain_way(case, data, args.epochs),
            "kagglekit": kagglekit_way(case, data, args.epochs, stats),
        }
        best = {way: float("inf") for way in ways}
        repeats, done = args.repeats, 0
        while done < repeats:
            for way, run in ways.items():
                best[way] = min(best[way], run())
            done += 1
            if done == 1:
                repeats = max(args.repeats, math.ceil(args.min_seconds / best["plain"]))
        ratios[name] = round(best["kagglekit"] / best["plain"], 3)
        print(
            f"rows={case.rows} model={case.model} backend={backend} plain={best['plain']:.3f} "
            f"kagglekit={best['kagglekit']:.3f} ratio={ratios[name]:.3f}",
            flush=True,
        )
        print(
            f"  {name}: best of {repeats}, {args.epochs} epochs; the last kagglekit run "
            f"wrote {int(stats['backups'])} backup(s) in {stats['backup_s']:.3f} s (training "
            f"thread), then the fold's checkpoint in {stats['checkpoint_s']:.3f} s",
            file=sys.stderr,
            flush=True,
        )
    print(json.dumps(ratios))


if __name__ == "__main__":
    main()
