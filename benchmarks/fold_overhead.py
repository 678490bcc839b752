"""What reliability costs per fold: epoch-seeded batches and per-epoch backups vs plain Keras fit.

    python benchmarks/fold_overhead.py [--epochs 15] [--repeats 3]

Trains the digits CNN on one fold's worth of data three ways, in the same process, and prints
the time of each relative to the baseline (plain ``model.fit`` on numpy arrays, Keras shuffling).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from sklearn.datasets import load_digits

from kagglekit.models.cnn import build_cnn
from kagglekit.models.specs import InputSpec, OutputSpec
from kagglekit.training.backup import FoldBackup
from kagglekit.training.fit import TrainerSettings, fit_model


def model() -> keras.Model:
    keras.utils.set_random_seed(0)
    m = build_cnn(
        {"image": InputSpec((8, 8, 1))},
        [OutputSpec("output", 10, "softmax", "sparse_categorical_crossentropy")],
    )
    m.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    digits = load_digits()
    x = (digits.data / 16).reshape(-1, 8, 8, 1).astype("float32")
    y = digits.target.astype("int32")
    xt, yt, xv, yv = x[:1437], y[:1437], x[1437:], y[1437:]
    settings = TrainerSettings(epochs=args.epochs, batch_size=64, verbose=0)

    def plain() -> None:
        model().fit(
            xt,
            yt,
            validation_data=(xv, yv),
            epochs=args.epochs,
            batch_size=64,
            shuffle=True,
            verbose=0,
        )

    def batches() -> None:
        fit_model(
            model(), ({"image": xt}, yt), ({"image": xv}, yv), settings=settings, callbacks=[]
        )

    def batches_and_backup() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            m = model()
            fit_model(
                m,
                ({"image": xt}, yt),
                ({"image": xv}, yv),
                settings=settings,
                callbacks=[FoldBackup(Path(tmp), [])],
            )

    variants = {
        "plain keras fit (baseline)": plain,
        "epoch-seeded batches": batches,
        "batches + per-epoch backup": batches_and_backup,
    }
    for fn in variants.values():  # warm-up: imports, tracing
        fn()
    times: dict[str, float] = {}
    for name, fn in variants.items():
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        times[name] = best
    base = times["plain keras fit (baseline)"]
    print(
        f"{args.epochs} epochs, 1437 rows, best of {args.repeats}, backend {keras.backend.backend()}"
    )
    for name, seconds in times.items():
        print(f"  {name:32s} {seconds:7.2f} s   x{seconds / base:.2f}")


if __name__ == "__main__":
    main()
