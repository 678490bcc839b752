"""Write the same files over and over until killed (used by test_atomic_writes)."""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

from kagglekit.files import atomic_path, save_array, write_json


def main(folder: Path) -> None:
    inputs = keras.Input((512,))
    model = keras.Model(inputs, keras.layers.Dense(1024)(keras.layers.Dense(1024)(inputs)))
    i = 0
    while True:
        i += 1
        save_array(folder / "big.npy", np.full(4_000_000, i, dtype="float64"))
        for variable in model.trainable_variables:
            variable.assign(np.full(variable.shape, float(i), dtype="float32"))
        with atomic_path(folder / "model.weights.h5") as tmp:
            model.save_weights(str(tmp))
        write_json(folder / "state.json", {"written": i, "pad": "x" * 200_000})
        print(i, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
