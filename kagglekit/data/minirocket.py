"""Numeric series -> MiniRocket features (Dempster, Schmidt & Webb, KDD 2021), in numpy.

MiniRocket convolves each series with 84 fixed kernels of length 9 (weights -1, three of them 2)
at a range of dilations, and keeps, per (kernel, dilation), the proportion of positive values
(PPV) of the convolution output minus a few biases. The biases are quantiles of the convolution
output of training series: the only thing learnt, fitted on each fold's training rows. A
classical, fast feature set that a linear head reads (``model=rocket_linear``), as TF-IDF is for
text (:mod:`kagglekit.data.tfidf`).

Multi-channel series follow MiniRocket's multivariate variant (each (kernel, dilation) sums its
convolution over a random subset of channels). Series of different lengths are handled as
their own length by default (``pad: none``): the convolution is zero-padded at the series' own
end and the PPV counts only its own positions (the reference implementation takes equal lengths
only). ``pad: zeros`` instead pads every series with zeros to the training fold's longest length,
as aeon's MiniRocket is given variable-length series, so that the kernels also see where (and
so how long) each series ends. ``pad: both`` reads each series both ways, with a transform
(dilations, biases) for each, and concatenates the two feature sets.

The fitted state is arrays (dilations, features per dilation, biases, channel subsets, feature
mean and scale), stored in ``preprocessing.npz``; the transform is rebuilt from them, no pickle.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import ModelData, NotFittedError
from kagglekit.data.sequences import DEFAULT_PATTERN, Normalize, NumericSequences, Scaling
from kagglekit.models.specs import InputSpec, ModelInputs

KERNEL_LENGTH = 9
# The 84 kernels: the 3 positions (of 9) that weigh 2; the other six weigh -1.
KERNELS = np.array(list(itertools.combinations(range(KERNEL_LENGTH), 3)), dtype=np.int64)
N_KERNELS = len(KERNELS)
_GOLDEN = (np.sqrt(5.0) + 1.0) / 2.0

Pad = Literal["none", "zeros", "both"]
PADS: tuple[Pad, ...] = ("none", "zeros", "both")


def fit_dilations(
    n_timepoints: int, n_features: int, max_dilations_per_kernel: int
) -> tuple[np.ndarray, np.ndarray]:
    """MiniRocket's dilations (exponentially spaced up to the series length) and how many
    features each dilation gives per kernel."""
    per_kernel = n_features // N_KERNELS
    n_dilations = min(per_kernel, max_dilations_per_kernel)
    multiplier = per_kernel / n_dilations
    max_exponent = np.log2(max(n_timepoints - 1, 1) / (KERNEL_LENGTH - 1))
    dilations, counts = np.unique(
        np.logspace(0, max(max_exponent, 0.0), n_dilations, base=2).astype(np.int64),
        return_counts=True,
    )
    per_dilation = (counts * multiplier).astype(np.int64)
    remainder = per_kernel - int(per_dilation.sum())
    i = 0
    while remainder > 0:
        per_dilation[i] += 1
        remainder -= 1
        i = (i + 1) % len(per_dilation)
    return dilations, per_dilation


def quantiles(n: int) -> np.ndarray:
    """The low-discrepancy sequence of quantiles MiniRocket draws its biases at."""
    return (np.arange(1, n + 1) * _GOLDEN) % 1


# Elements of one chunk's (84 kernels, series, channels, steps) convolution array: the series
# are transformed a few at a time so that a chunk's arrays stay in the CPU's cache (2**18 was
# the fastest of 2**14-2**24: 1.7x faster than 2**24 on 500 series of 500 steps).
_CHUNK_ELEMENTS = 1 << 18


def _shifted(values: np.ndarray, dilation: int) -> np.ndarray:
    """``out[j, ..., t] = values[..., t + (j - 4) * dilation]``, zero outside the series."""
    n_steps = values.shape[-1]
    out = np.zeros((KERNEL_LENGTH, *values.shape), dtype=values.dtype)
    for j in range(KERNEL_LENGTH):
        offset = (j - KERNEL_LENGTH // 2) * dilation
        if offset >= 0 and offset < n_steps:
            out[j, ..., : n_steps - offset] = values[..., offset:]
        elif offset < 0 and -offset < n_steps:
            out[j, ..., -offset:] = values[..., : n_steps + offset]
    return out


def _kernel_outputs(
    values: np.ndarray,
    dilation: int,
    kernels: np.ndarray,
    channels: np.ndarray | None,
    *,
    paired: bool = False,
) -> np.ndarray:
    """The convolutions of ``values`` ``(n, C, L)`` with ``kernels`` (indices into
    :data:`KERNELS`) at ``dilation``, each summed over its channels: ``(len(kernels), n, L)``;
    ``paired``: series ``i`` with kernel ``i`` only, ``(n, L)``.

    ``channels``: ``(len(kernels), C)`` 0/1 weights, the channel subset of each kernel
    (``None``: every channel). A kernel's output is ``-sum(x) + 3 (x_a + x_b + x_c)`` over the
    nine dilated taps, summed in the same order for every kernel and series, so an output is
    the same float whichever other kernels or series it is computed with."""
    shifted = _shifted(values, dilation)  # (9, n, C, L)
    alpha = -shifted.sum(axis=0)
    gamma = 3.0 * shifted
    a, b, c = KERNELS[kernels].T
    rows = np.arange(len(values)) if paired else slice(None)
    out = gamma[a, rows]
    out += alpha
    out += gamma[b, rows]
    out += gamma[c, rows]
    if channels is not None and values.shape[1] > 1:
        weights = channels[:, :, None] if paired else channels[:, None, :, None]
        out *= weights  # a left-out channel adds exactly 0
    return out[..., 0, :] if values.shape[1] == 1 else out.sum(axis=-2)


def _ppv(convolutions: np.ndarray, biases: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The proportion of positions where each kernel's output exceeds each of its biases:
    ``convolutions`` ``(84, n, L)``, ``biases`` ``(84, count)`` -> ``(n, 84, count)``.

    ``positions``: ``(2, n, L)`` booleans, the positions that even and odd kernels count."""
    n_kernels, n_series, n_steps = convolutions.shape
    pairs = convolutions.reshape(n_kernels // 2, 2, n_series, n_steps)
    read = np.where(positions, pairs, -np.inf).reshape(n_kernels, n_series, n_steps)
    hits = (read[:, :, None, :] > biases[:, None, :, None]).sum(axis=-1, dtype=np.int32)
    counted = np.tile(positions.sum(axis=-1), (n_kernels // 2, 1))  # (84, n)
    return (hits / counted[:, :, None]).transpose(1, 0, 2)


class MiniRocketTransform:
    """The fitted MiniRocket transform, rebuilt from its arrays (see :meth:`arrays`)."""

    def __init__(
        self,
        dilations: np.ndarray,
        features_per_dilation: np.ndarray,
        biases: np.ndarray,
        channels_per_combination: np.ndarray,
        channel_indices: np.ndarray,
    ) -> None:
        self.dilations = np.asarray(dilations, dtype=np.int64)
        self.features_per_dilation = np.asarray(features_per_dilation, dtype=np.int64)
        self.biases = np.asarray(biases, dtype=np.float32)
        self.channels_per_combination = np.asarray(channels_per_combination, dtype=np.int64)
        self.channel_indices = np.asarray(channel_indices, dtype=np.int64)
        n_combinations = len(self.dilations) * N_KERNELS
        if self.features_per_dilation.shape != self.dilations.shape:
            raise ValueError(
                f"{len(self.dilations)} dilations but {self.features_per_dilation.shape} "
                "feature counts"
            )
        if len(self.biases) != N_KERNELS * int(self.features_per_dilation.sum()):
            raise ValueError(f"{len(self.biases)} biases do not fit the dilations")
        if len(self.channels_per_combination) != n_combinations or len(self.channel_indices) != int(
            self.channels_per_combination.sum()
        ):
            raise ValueError("the channel subsets do not fit the dilations")
        starts = np.concatenate([[0], np.cumsum(self.channels_per_combination)])
        self._channels = [
            self.channel_indices[starts[i] : starts[i + 1]] for i in range(n_combinations)
        ]

    @property
    def n_features(self) -> int:
        return len(self.biases)

    @classmethod
    def fit(
        cls,
        values: np.ndarray,
        lengths: np.ndarray,
        *,
        n_features: int,
        max_dilations_per_kernel: int,
        seed: int,
    ) -> MiniRocketTransform:
        """Dilations from the longest series, biases from one random training series per
        (kernel, dilation) at MiniRocket's quantiles. ``values``: ``(n, channels, steps)``."""
        n_series, n_channels, n_steps = values.shape
        rng = np.random.default_rng(seed)
        dilations, per_dilation = fit_dilations(n_steps, n_features, max_dilations_per_kernel)
        n_combinations = len(dilations) * N_KERNELS
        max_channels = min(n_channels, KERNEL_LENGTH)
        channels_per = (2 ** rng.uniform(0, np.log2(max_channels + 1), n_combinations)).astype(
            np.int64
        )
        channels_per = np.clip(channels_per, 1, max_channels)
        channel_indices = np.concatenate(
            [np.sort(rng.choice(n_channels, size=int(m), replace=False)) for m in channels_per]
        )
        transform = cls(
            dilations,
            per_dilation,
            np.zeros(N_KERNELS * int(per_dilation.sum()), dtype=np.float32),
            channels_per,
            channel_indices,
        )
        all_quantiles = quantiles(transform.n_features)
        examples = rng.integers(n_series, size=n_combinations)
        kernels = np.arange(N_KERNELS)
        biases: list[float] = []
        for d, (dilation, count) in enumerate(zip(dilations, per_dilation, strict=True)):
            chosen = examples[d * N_KERNELS : (d + 1) * N_KERNELS]
            # kernel k reads its own example series (the steps after a series' end are 0, so
            # its output up to its own length is that of the series cut there)
            outputs = _kernel_outputs(
                values[chosen],
                int(dilation),
                kernels,
                transform._channel_mask(d, kernels, n_channels),
                paired=True,
            )
            for k in range(N_KERNELS):
                start = len(biases)
                conv = outputs[k, : lengths[chosen[k]]]
                biases.extend(np.quantile(conv, all_quantiles[start : start + int(count)]))
        transform.biases = np.asarray(biases, dtype=np.float32)
        return transform

    def _channel_mask(self, d: int, kernels: np.ndarray, n_channels: int) -> np.ndarray | None:
        """``(len(kernels), n_channels)`` booleans: the channels each kernel of dilation ``d``
        sums over (``None`` for one channel)."""
        if n_channels == 1:
            return None
        mask = np.zeros((len(kernels), n_channels), dtype=np.float32)
        for row, k in enumerate(kernels):
            mask[row, self._channels[d * N_KERNELS + int(k)]] = 1.0
        return mask

    def __call__(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """PPV features ``(n, n_features)`` of ``values`` ``(n, channels, steps)``, each series
        read up to its own length (steps after it must be 0)."""
        n_series, n_channels, n_steps = values.shape
        out = np.empty((n_series, self.n_features), dtype=np.float32)
        rows = max(1, _CHUNK_ELEMENTS // (N_KERNELS * n_channels * max(n_steps, 1)))
        kernels = np.arange(N_KERNELS)
        channels = [self._channel_mask(d, kernels, n_channels) for d in range(len(self.dilations))]
        for start in range(0, n_series, rows):
            chunk = slice(start, start + rows)
            out[chunk] = self._features(values[chunk], lengths[chunk], channels)
        return out

    def _features(
        self, values: np.ndarray, lengths: np.ndarray, channels: list[np.ndarray | None]
    ) -> np.ndarray:
        """:meth:`__call__` on one chunk of series; ``channels``: each dilation's kernels'
        channel subsets (:meth:`_channel_mask`)."""
        n_series, _, n_steps = values.shape
        out = np.empty((n_series, self.n_features), dtype=np.float32)
        positions = np.arange(n_steps)[None, :]
        kernels = np.arange(N_KERNELS)
        column = 0
        for d, (dilation, count) in enumerate(
            zip(self.dilations, self.features_per_dilation, strict=True)
        ):
            padding = ((KERNEL_LENGTH - 1) * int(dilation)) // 2
            full = positions < lengths[:, None]
            inner = (positions >= padding) & (positions < (lengths - padding)[:, None])
            inner = np.where(inner.any(axis=1, keepdims=True), inner, full)
            # MiniRocket alternates per kernel: all positions, or only those the kernel covers
            # whole (even kernels at even dilation indices count all, odd kernels the inner)
            read = np.stack([full, inner] if d % 2 == 0 else [inner, full])
            conv = _kernel_outputs(values, int(dilation), kernels, channels[d])
            width = N_KERNELS * int(count)
            biases = self.biases[column : column + width].reshape(N_KERNELS, int(count))
            out[:, column : column + width] = _ppv(conv, biases, read).reshape(n_series, width)
            column += width
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "dilations": self.dilations,
            "features_per_dilation": self.features_per_dilation,
            "biases": self.biases,
            "channels_per_combination": self.channels_per_combination,
            "channel_indices": self.channel_indices,
        }


class MiniRocketFeatures:
    """Numeric series (wide or long layout) -> MiniRocket's ~10,000 PPV features, standardised.

    The series are read as :class:`~kagglekit.data.sequences.NumericSequences` reads them
    (channels, per-series ``normalize``, per-channel ``scaling`` fitted on the fold's training
    rows), then transformed; the bias quantiles and the features' mean and scale come from the
    fold's training rows only.

    Args:
        n_features: features wanted; MiniRocket keeps a multiple of 84 (10,000 -> 9,996).
        max_dilations_per_kernel: at most this many dilations (32 in the paper).
        standardize: scale each feature to mean 0, std 1 over the training fold (what a
            linear head with L2 expects).
        seed: seed of the random training series each bias comes from and of the channel
            subsets of multi-channel series; ``None`` = 0, or under seed bagging
            (``trainer.seeds``) the bag seed of the (fold, seed) unit (:meth:`with_seed`), so
            that the bag averages several feature draws.
        pad: how series of different lengths are read. ``none``: each to its own end (the PPV
            counts its own positions only). ``zeros``: every series zero-padded (after scaling)
            to the training fold's longest length and read whole, longer test series cut
            after that many steps (as aeon's MiniRocket is given them): the features then
            also see each series' length. Equal-length series read the same either way.
            ``both``: the two, each with its own fitted transform (``n_features`` each), the
            features concatenated (own-end first).
        channels / pattern / normalize / scaling / max_length: as for ``NumericSequences``.
        input_name: name of the model input.
    """

    def __init__(
        self,
        *,
        n_features: int = 10000,
        max_dilations_per_kernel: int = 32,
        standardize: bool = True,
        seed: int | None = None,
        pad: Pad = "none",
        channels: Sequence[str] | None = None,
        pattern: str = DEFAULT_PATTERN,
        normalize: Normalize = "none",
        scaling: Scaling = "standard",
        max_length: int | None = None,
        input_name: str = "features",
    ) -> None:
        if n_features < N_KERNELS:
            raise ValueError(
                f"n_features must be at least {N_KERNELS} (one per kernel), but got {n_features=}."
            )
        if max_dilations_per_kernel < 1:
            raise ValueError(
                f"max_dilations_per_kernel must be at least 1, but got {max_dilations_per_kernel=}."
            )
        if pad not in PADS:
            raise ValueError(f"pad must be one of {list(PADS)}, but got {pad=}.")
        self.n_features = int(n_features)
        self.max_dilations_per_kernel = int(max_dilations_per_kernel)
        self.standardize = standardize
        self.seed = None if seed is None else int(seed)
        self.pad: Pad = pad
        self.input_name = input_name
        # NaN padding marks where each series ends (missing values inside are filled)
        self.sequences = NumericSequences(
            channels=channels,
            pattern=pattern,
            normalize=normalize,
            scaling=scaling,
            max_length=max_length,
            pad_value=float("nan"),
            mask=True,
        )
        self._fitted: dict[str, Any] | None = None
        self._transforms: list[MiniRocketTransform] | None = None
        self._mean: np.ndarray | None = None
        self._scale: np.ndarray | None = None

    def sequence_features(self) -> NumericSequences:
        """A fresh ``NumericSequences`` reading the series as this transformer does (shorter
        series padded with 0): what the MiniRocket baseline and the deep models take."""
        s = self.sequences
        return NumericSequences(
            channels=s.channels,
            pattern=s.pattern.pattern,
            normalize=s.normalize,
            scaling=s.scaling,
            max_length=s.max_length,
        )

    def _series(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(n, channels, steps)`` float32, 0 after each series' end, and the lengths: read
        as ``pad`` says (``both``: zero-padded; :meth:`_inputs` gives both readings)."""
        own = self._own_end(frame)
        return self._zero_padded(*own) if self.pad != "none" else own

    def _inputs(self, frame: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(series, lengths)`` of each reading, one per transform."""
        own = self._own_end(frame)
        if self.pad == "none":
            return [own]
        padded = self._zero_padded(*own)
        return [own, padded] if self.pad == "both" else [padded]

    def _own_end(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each series read to its own end: 0 after it, and the lengths."""
        (raw,) = self.sequences.transform(frame).values()
        values = np.asarray(raw)
        padded = np.isnan(values).all(axis=2)
        lengths = np.where(padded.all(axis=1), 0, values.shape[1] - np.argmin(padded[:, ::-1], 1))
        series = np.nan_to_num(np.asarray(values, dtype=np.float32)).transpose(0, 2, 1)
        return np.ascontiguousarray(series), lengths.astype(np.int64)

    def _zero_padded(
        self, series: np.ndarray, lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every series read whole to the training fold's longest length, longer ones cut
        (the frame's step columns may run longer: a long layout's file is pivoted whole)."""
        length = int(lengths.max()) if self._fitted is None else self._fitted["pad_length"]
        series = np.ascontiguousarray(series[:, :, :length])
        return series, np.full(len(series), series.shape[2], dtype=np.int64)

    @property
    def _transform(self) -> MiniRocketTransform | None:
        """The first transform (the only one unless ``pad: both``)."""
        return None if self._transforms is None else self._transforms[0]

    def _features(self, inputs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        assert self._transforms is not None
        parts = [t(v, n) for t, (v, n) in zip(self._transforms, inputs, strict=True)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def with_seed(self, seed: int) -> Self:
        """This transformer drawing its features with ``seed``, unless the config pins one
        (``seed`` given): seed bagging calls it with each unit's bag seed."""
        if self.seed is None:
            self.seed = int(seed)
        return self

    def fit(self, frame: pd.DataFrame) -> Self:
        self._fitted = None
        self.sequences.fit(frame)
        inputs = self._inputs(frame)
        self._transforms = [
            MiniRocketTransform.fit(
                values,
                lengths,
                n_features=self.n_features,
                max_dilations_per_kernel=self.max_dilations_per_kernel,
                seed=0 if self.seed is None else self.seed,
            )
            for values, lengths in inputs
        ]
        n_out = sum(t.n_features for t in self._transforms)
        if self.standardize:
            features = self._features(inputs)
            self._mean = features.mean(axis=0)
            std = features.std(axis=0)
            self._scale = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        else:
            self._mean = np.zeros(n_out, dtype=np.float32)
            self._scale = np.ones(n_out, dtype=np.float32)
        self._fitted = {
            "sequences": self.sequences.state(),
            "n_features": n_out,
            "n_series": len(frame),
            "standardize": self.standardize,
            "pad": self.pad,
            **({"pad_length": int(inputs[-1][0].shape[2])} if self.pad != "none" else {}),
        }
        return self

    def _state(self) -> dict[str, Any]:
        if self._fitted is None:
            raise NotFittedError("MiniRocketFeatures.fit must be called before transform.")
        return self._fitted

    def transform(self, frame: pd.DataFrame) -> ModelData:
        self._state()
        assert self._mean is not None and self._scale is not None
        features = (self._features(self._inputs(frame)) - self._mean) / self._scale
        return {self.input_name: features.astype("float32")}

    def input_specs(self) -> ModelInputs:
        return {self.input_name: InputSpec(shape=(self._state()["n_features"],))}

    def state(self) -> dict[str, Any]:
        return dict(self._state())

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The kernels' dilations, biases and channel subsets (``pad: both``: the zero-padded
        reading's with a ``zeros_`` prefix), and the features' mean/scale."""
        self._state()
        assert self._transforms is not None and self._mean is not None
        assert self._scale is not None
        arrays: dict[str, np.ndarray] = {}
        for prefix, transform in zip(("", "zeros_"), self._transforms, strict=False):
            arrays.update({prefix + k: v for k, v in transform.arrays().items()})
        return {**arrays, "mean": self._mean, "scale": self._scale}

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the fitted transform (see :mod:`kagglekit.data.state`)."""
        self.sequences.load_state(state["sequences"], {})
        pad = state.get("pad", "none")  # states saved before `pad` existed read to each end
        if pad not in PADS:
            raise ValueError(f"state says pad={pad!r}; expected one of {list(PADS)}")
        prefixes = ("", "zeros_") if pad == "both" else ("",)
        self._transforms = [
            MiniRocketTransform(
                arrays[prefix + "dilations"],
                arrays[prefix + "features_per_dilation"],
                arrays[prefix + "biases"],
                arrays[prefix + "channels_per_combination"],
                arrays[prefix + "channel_indices"],
            )
            for prefix in prefixes
        ]
        n_out = sum(t.n_features for t in self._transforms)
        self._mean = np.asarray(arrays["mean"], dtype=np.float32)
        self._scale = np.asarray(arrays["scale"], dtype=np.float32)
        if self._mean.shape != (n_out,) or self._scale.shape != (n_out,):
            raise ValueError(f"{n_out} features but mean {self._mean.shape}/{self._scale.shape}")
        if int(state["n_features"]) != n_out:
            raise ValueError(f"state says {state['n_features']} features, arrays give {n_out}")
        if pad != "none" and "pad_length" not in state:
            raise ValueError(f"state says pad={pad!r} but has no pad_length")
        self.pad = pad
        self._fitted = dict(state)
        return self
