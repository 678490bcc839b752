"""kagglekit's numpy MiniRocket transform against aeon's (numba) on the same series and biases.

    python benchmarks/minirocket_speed.py [--series 2000] [--steps 500]

Fits our transform (10,000 features) on random series, hands its dilations, biases and channel
subsets to aeon's ``MiniRocket`` (as ``tests/data/test_minirocket.py`` does), and times the
transform of the same series both ways, in the same process: one channel at equal lengths, one
channel at lengths from half the steps to all of them (read to each series' own end: aeon takes
equal lengths only, so its time there is that of the padded series), and six channels. aeon's
numba functions are compiled on a small call first, outside the timing. Prints one line a case,
``case=<name> series=<n> channels=<c> steps=<l> aeon=<s> kagglekit=<s> ratio=<x>``, and as its
last line a JSON object mapping each case to its ratio (kagglekit / aeon: above 1 is slower).
Needs aeon (``pip install -e ".[examples]"``).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from kagglekit.data.minirocket import MiniRocketTransform


def series(n: int, channels: int, steps: int, ragged: bool, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(size=(n, channels, steps)), axis=2).astype(np.float32)
    lengths = rng.integers(steps // 2, steps + 1, size=n) if ragged else np.full(n, steps)
    for i in range(n):
        values[i, :, lengths[i] :] = 0.0  # the transform's contract: 0 after a series' end
    return values, lengths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    from aeon.transformations.collection.convolution_based import MiniRocket

    cases = {
        "equal": (1, False),
        "ragged": (1, True),
        "channels-6": (6, False),
    }
    ratios: dict[str, float] = {}
    for name, (channels, ragged) in cases.items():
        values, lengths = series(args.series, channels, args.steps, ragged, seed=0)
        ours = MiniRocketTransform.fit(
            values[:200], lengths[:200], n_features=10_000, max_dilations_per_kernel=32, seed=0
        )
        reference = MiniRocket(n_kernels=10_000, random_state=0).fit(values[:20])
        reference.parameters = (
            ours.channels_per_combination.astype(np.int32),
            ours.channel_indices.astype(np.int32),
            ours.dilations.astype(np.int32),
            ours.features_per_dilation.astype(np.int32),
            ours.biases.astype(np.float32),
        )
        reference.transform(values[:8])  # numba compiles here, outside the timing
        start = time.perf_counter()
        reference.transform(values)
        aeon_s = time.perf_counter() - start
        start = time.perf_counter()
        ours(values, lengths)
        ours_s = time.perf_counter() - start
        ratios[name] = round(ours_s / aeon_s, 2)
        print(
            f"case={name} series={args.series} channels={channels} steps={args.steps} "
            f"aeon={aeon_s:.2f} kagglekit={ours_s:.2f} ratio={ratios[name]:.2f}",
            flush=True,
        )
    print(json.dumps(ratios))


if __name__ == "__main__":
    main()
