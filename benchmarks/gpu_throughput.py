"""The GPU path, measured: plain ``model.fit`` vs kagglekit's fold-training path, samples/s.

    KERAS_BACKEND=jax python benchmarks/gpu_throughput.py            # one GPU, < 5 minutes
    KERAS_BACKEND=jax python benchmarks/gpu_throughput.py --tiny     # CPU smoke run, seconds

Two models, each trained twice in this process on the same random data held in host memory:

- ``cnn``: a ResNet-9-style CNN on 32x32x3 images, batch 512, ``mixed_bfloat16``, 50k images;
- ``bilstm``: Embedding + Bidirectional LSTM(128) on length-200 token sequences, batch 256,
  float32, 50k sequences.

``plain`` is ``model.fit(x, y, shuffle=True, validation_data=...)``; ``kagglekit`` is the path
``scripts/train.py`` takes for a fold: ``fit_model`` (epoch-seeded batches) with the callbacks of
``conf/callbacks/default.yaml`` (early stopping, atomic checkpoint, LR schedule, CSV log), the NaN
guard and the fold backup, under ``trainer.precision``. Throughput is training rows / epoch time
(training + the same validation set in both), best of epochs 2..N (epoch 1 compiles). It prints
one line per model and, last, a JSON object of the figures.

Needs only what a JAX GPU machine carries (Python 3.12, numpy, pandas, h5py) plus keras,
hydra-core, omegaconf (and antlr4-python3-runtime); optuna is not imported. Reference, plain
Keras-JAX on one H200: CNN 111.6k samples/s (bf16), BiLSTM 23.6k samples/s (fp32).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from hydra.utils import instantiate
from omegaconf import OmegaConf

from kagglekit.training.fit import TrainerSettings, fit_model
from kagglekit.training.fold import fold_callbacks, write_checkpoints
from kagglekit.training.precision import dtype_policy

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], keras.Model]
    x: np.ndarray
    y: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    batch_size: int
    precision: str


class EpochTimes(keras.callbacks.Callback):
    """Wall time of every epoch (Keras turns the logs into numbers at its end: synchronised)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.times.append(time.perf_counter() - self._start)


def conv_bn(x: Any, filters: int, name: str) -> Any:
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def resnet9(size: int, width: int, classes: int = 10) -> keras.Model:
    """Myrtle's ResNet-9 (DAWNBench CIFAR-10): prep, 3 stages with pooling, 2 residual blocks."""
    x_in = keras.Input((size, size, 3), name="image")
    x = conv_bn(x_in, width, "prep")
    for stage, (factor, residual) in enumerate([(2, True), (4, False), (8, True)], start=1):
        x = conv_bn(x, width * factor, f"stage{stage}")
        x = keras.layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
        if residual:
            r = conv_bn(x, width * factor, f"stage{stage}_res1")
            r = conv_bn(r, width * factor, f"stage{stage}_res2")
            x = keras.layers.Add(name=f"stage{stage}_add")([x, r])
    x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
    out = keras.layers.Dense(classes, activation="softmax", dtype="float32", name="output")(x)
    return keras.Model(x_in, out, name="resnet9")


def bilstm(length: int, vocabulary: int, units: int) -> keras.Model:
    x_in = keras.Input((length,), dtype="int32", name="text")
    x = keras.layers.Embedding(vocabulary, 128, name="embedding")(x_in)
    x = keras.layers.Bidirectional(keras.layers.LSTM(units), name="bilstm")(x)
    out = keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="output")(x)
    return keras.Model(x_in, out, name="bilstm")


def compiled(build: Callable[[], keras.Model], loss: str) -> Callable[[], keras.Model]:
    def make() -> keras.Model:
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(keras.optimizers.Adam(1e-3), loss, metrics=["accuracy"])
        return model

    return make


def plain_fit(case: Case, epochs: int) -> list[float]:
    timer = EpochTimes()
    with dtype_policy(case.precision):
        case.build().fit(
            case.x,
            case.y,
            batch_size=case.batch_size,
            epochs=epochs,
            shuffle=True,
            validation_data=(case.x_valid, case.y_valid),
            validation_batch_size=1024,
            callbacks=[timer],
            verbose=0,
        )
    return timer.times


def kagglekit_fit(case: Case, epochs: int, fold_dir: Path) -> list[float]:
    """What ``kagglekit.training.fold.train_fold`` does around ``fit_model``."""
    trainer = OmegaConf.load(ROOT / "conf" / "trainer" / "default.yaml")
    trainer.merge_with(
        {
            "epochs": epochs,
            "batch_size": case.batch_size,
            "verbose": 0,
            "precision": case.precision,
        }
    )
    settings: TrainerSettings = instantiate(trainer, _convert_="all")
    factories = instantiate(
        OmegaConf.load(ROOT / "conf" / "callbacks" / "default.yaml"), _convert_="all"
    )
    timer = EpochTimes()
    with dtype_policy(settings.precision):
        model = case.build()
        callbacks, _, _ = fold_callbacks(list(factories.values()), settings, fold_dir)
        fit_model(
            model,
            ({"input": case.x}, case.y),
            ({"input": case.x_valid}, case.y_valid),
            settings=settings,
            callbacks=[timer, *callbacks],
        )
        write_checkpoints(callbacks)
    return timer.times


def measure(case: Case, epochs: int) -> dict[str, float]:
    n = len(case.x)
    with tempfile.TemporaryDirectory() as tmp:
        plain = plain_fit(case, epochs)
        ours = kagglekit_fit(case, epochs, Path(tmp))
    figures = {
        "plain": n / min(plain[1:]),
        "kagglekit": n / min(ours[1:]),
    }
    figures["ratio"] = figures["kagglekit"] / figures["plain"]
    print(
        f"model={case.name} precision={case.precision} batch={case.batch_size} rows={n} "
        f"backend={keras.backend.backend()} plain={figures['plain']:.0f} samples/s "
        f"kagglekit={figures['kagglekit']:.0f} samples/s ratio={figures['ratio']:.3f}",
        flush=True,
    )
    return {k: round(v, 4 if k == "ratio" else 1) for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="CPU smoke sizes (seconds)")
    parser.add_argument("--epochs", type=int, default=3, help="best of epochs 2..N")
    parser.add_argument("--models", default="cnn,bilstm")
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=64, help="ResNet-9 base filters")
    parser.add_argument("--cnn-batch", type=int, default=512)
    parser.add_argument("--cnn-precision", default="mixed_bfloat16")
    parser.add_argument("--sequences", type=int, default=50_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--vocabulary", type=int, default=20_000)
    parser.add_argument("--lstm-units", type=int, default=128)
    parser.add_argument("--lstm-batch", type=int, default=256)
    parser.add_argument("--lstm-precision", default="float32")
    parser.add_argument("--valid-fraction", type=float, default=0.1)
    args = parser.parse_args()
    if args.tiny:
        args.images, args.width, args.cnn_batch = 512, 4, 64
        args.sequences, args.length, args.lstm_units, args.lstm_batch = 512, 20, 8, 64
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (epoch 1 compiles and is not counted)")

    rng = np.random.default_rng(0)
    devices = keras.distribution.list_devices()
    print(f"backend={keras.backend.backend()} devices={devices}", flush=True)
    results: dict[str, Any] = {"backend": keras.backend.backend(), "device": devices[0]}
    for name in args.models.split(","):
        if name == "cnn":
            n = args.images
            x = rng.random((n, args.image_size, args.image_size, 3), dtype=np.float32)
            y = rng.integers(0, 10, n).astype("int32")
            build = compiled(
                lambda: resnet9(args.image_size, args.width), "sparse_categorical_crossentropy"
            )
            batch, precision = args.cnn_batch, args.cnn_precision
        elif name == "bilstm":
            n = args.sequences
            x = rng.integers(1, args.vocabulary, (n, args.length)).astype("int32")
            y = rng.integers(0, 2, (n, 1)).astype("float32")
            build = compiled(
                lambda: bilstm(args.length, args.vocabulary, args.lstm_units),
                "binary_crossentropy",
            )
            batch, precision = args.lstm_batch, args.lstm_precision
        else:
            parser.error(f"--models: unknown model {name!r} (cnn, bilstm)")
        n_valid = max(int(n * args.valid_fraction), batch)
        results[name] = measure(
            Case(name, build, x, y, x[:n_valid], y[:n_valid], batch, precision), args.epochs
        )
        results[name].update(batch=batch, precision=precision, rows=n)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
