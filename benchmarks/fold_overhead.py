"""What reliability costs per fold on the digits CNN: epoch-seeded batches, backups after every
epoch and backups on the default time budget, vs plain Keras fit.

    python benchmarks/fold_overhead.py [--epochs 15] [--repeats 3]

Trains the digits CNN on one fold's worth of data four ways, in the same process, and prints
the time of each relative to the baseline (plain ``model.fit`` on numpy arrays, Keras shuffling),
and the share of the training time the backups took on the training thread.
(``benchmarks/fit_overhead.py`` measures the whole fold path at 10k-1M rows.)
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

BACKUP_SECONDS: dict[str, float] = {}


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

    def with_backup(every_s: float, name: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            m = model()
            backup = FoldBackup(Path(tmp), [], every_s=every_s)
            fit_model(
                m,
                ({"image": xt}, yt),
                ({"image": xv}, yv),
                settings=settings,
                callbacks=[backup],
            )
            BACKUP_SECONDS[name] = backup.seconds_saving

    every_epoch = "batches + backup every epoch"
    budget = f"batches + backup every {TrainerSettings().backup_every_s:g} s"
    variants = {
        "plain keras fit (baseline)": plain,
        "epoch-seeded batches": batches,
        every_epoch: lambda: with_backup(0, every_epoch),
        budget: lambda: with_backup(TrainerSettings().backup_every_s, budget),
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
        share = (
            f"   backups {100 * BACKUP_SECONDS[name] / seconds:.1f} % of it"
            if name in BACKUP_SECONDS
            else ""
        )
        print(f"  {name:36s} {seconds:7.2f} s   x{seconds / base:.2f}{share}")


if __name__ == "__main__":
    main()
