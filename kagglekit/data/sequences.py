"""Numeric sequences in the wide layout: one row per series, one column per (channel, step).

Columns ``t0, t1, ...`` hold a one-channel series; ``<channel>_t0, <channel>_t1, ...`` one
channel of a multi-channel series (the long layout is loaded into this form, see
:mod:`kagglekit.data.layout`). A series may be shorter than the others: its last columns are
empty (NaN). Empty cells before a series' last value are missing values, filled with the
channel's training mean.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import ModelData, NotFittedError
from kagglekit.models.specs import InputSpec, ModelInputs

log = logging.getLogger(__name__)

DEFAULT_PATTERN = r"^(?:(?P<channel>.+)_)?t(?P<step>\d+)$"

Scaling = Literal["standard", "minmax", "none"]
Normalize = Literal["series", "none"]
Side = Literal["pre", "post"]


@dataclass(frozen=True)
class SeriesColumns:
    """The frame's sequence columns: ``columns[c][s]`` is channel ``c`` at step ``s``."""

    channels: list[str]
    columns: list[list[str]]

    @property
    def n_steps(self) -> int:
        return len(self.columns[0])

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """``(n, steps, channels)`` float64, NaN where the file is empty."""
        flat = [c for channel in self.columns for c in channel]
        block = frame[flat].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
        return block.reshape(len(frame), len(self.channels), self.n_steps).transpose(0, 2, 1)


class NumericSequences:
    """Wide sequence columns -> ``(n, max_length, channels)`` arrays, scaled per channel.

    Args:
        channels: channels to use, in this order; ``None`` = every channel found.
        pattern: regular expression matching a sequence column, with a named group ``step``
            (the position) and optionally ``channel``. The default reads ``t3`` and ``x_t3``.
        normalize: ``series`` z-normalises each series on its own, per channel (mean 0, std
            1 over its observed steps; a constant channel becomes 0), as the UCR/UEA archive
            results are compared; it learns nothing from other rows, so it is fold-safe.
            ``none`` keeps the values. Applied before ``scaling``.
        scaling: ``standard`` (mean 0, std 1 per channel), ``minmax`` (0..1 per channel) or
            ``none``; statistics come from the training fold's observed values only.
        max_length: steps given to the model; ``None`` = the number of step columns.
        padding / truncating: where shorter series are padded and longer ones cut
            (``post``: at the end; ``pre``: at the start, keeping the last steps).
        pad_value: value of padded steps (after scaling).
        mask: tell the model to skip padded steps (its Masking layer uses ``pad_value``);
            ``None`` = when the training fold holds series of different lengths.
        input_name: name of the model input.
    """

    def __init__(
        self,
        *,
        channels: Sequence[str] | None = None,
        pattern: str = DEFAULT_PATTERN,
        scaling: Scaling = "standard",
        normalize: Normalize = "none",
        max_length: int | None = None,
        padding: Side = "post",
        truncating: Side = "post",
        pad_value: float = 0.0,
        mask: bool | None = None,
        input_name: str = "sequence",
    ) -> None:
        if scaling not in ("standard", "minmax", "none"):
            raise ValueError(f"scaling must be 'standard', 'minmax' or 'none', but got {scaling=}.")
        if normalize not in ("series", "none"):
            raise ValueError(
                f"normalize must be 'series' or 'none', but got {normalize=} (per-channel "
                "standardisation over the training rows is `scaling: standard`)."
            )
        for name, side in (("padding", padding), ("truncating", truncating)):
            if side not in ("pre", "post"):
                raise ValueError(f"{name} must be 'pre' or 'post', but got {side!r}.")
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be at least 1 (or null), but got {max_length=}.")
        self.pattern = re.compile(pattern)
        if "step" not in self.pattern.groupindex:
            raise ValueError(f"pattern {pattern!r} has no named group `step`, e.g. (?P<step>\\d+).")
        self.channels = list(channels) if channels is not None else None
        self.scaling = scaling
        self.normalize = normalize
        self.max_length = max_length
        self.padding = padding
        self.truncating = truncating
        self.pad_value = float(pad_value)
        self.mask = mask
        self.input_name = input_name
        self._fitted: dict[str, Any] | None = None

    # -- columns ------------------------------------------------------------------------------
    def find_columns(self, frame: pd.DataFrame) -> SeriesColumns:
        found: dict[str, dict[int, str]] = {}
        for column in frame.columns:
            match = self.pattern.match(str(column))
            if match:
                channel = match.groupdict().get("channel") or ""
                found.setdefault(channel, {})[int(match.group("step"))] = str(column)
        if not found:
            raise KeyError(
                f"No sequence column matches {self.pattern.pattern!r} (e.g. t0, t1 or x_t0) in "
                f"columns {list(frame.columns)[:10]}. Set `pattern` to match your column names."
            )
        channels = self.channels if self.channels is not None else list(found)
        unknown = [c for c in channels if c not in found]
        if unknown:
            raise KeyError(f"Channel(s) {unknown} not found; the columns hold {list(found)}.")
        steps = sorted(found[channels[0]])
        for channel in channels:
            if sorted(found[channel]) != list(range(len(steps))):
                raise KeyError(
                    f"Channel {channel!r} has steps {sorted(found[channel])[:5]}...; every channel "
                    f"needs steps 0..{len(steps) - 1} without gaps."
                )
        return SeriesColumns(channels, [[found[c][s] for s in range(len(steps))] for c in channels])

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> Self:
        layout = self.find_columns(frame)
        values = self._normalized(layout.values(frame))
        lengths = _lengths(values)
        _check_not_empty(lengths)
        flat = values.reshape(-1, values.shape[2])
        with np.errstate(all="ignore"):
            mean, std = np.nanmean(flat, axis=0), np.nanstd(flat, axis=0)
            low, high = np.nanmin(flat, axis=0), np.nanmax(flat, axis=0)
        if self.scaling == "standard":
            shift, divisor = mean, np.where(std > 0, std, 1.0)
        elif self.scaling == "minmax":
            shift, divisor = low, np.where(high > low, high - low, 1.0)
        else:
            shift, divisor = np.zeros_like(mean), np.ones_like(mean)
        length = self.max_length or layout.n_steps
        variable = bool((np.minimum(lengths, length) < length).any())
        self._fitted = {
            "channels": layout.channels,
            "n_steps": layout.n_steps,
            "max_length": length,
            "scaling": self.scaling,
            "normalize": self.normalize,
            "mean": mean.tolist(),
            "std": std.tolist(),
            "shift": shift.tolist(),
            "divisor": divisor.tolist(),
            "mask": variable if self.mask is None else bool(self.mask),
            "pad_value": self.pad_value,
            "n_series": len(frame),
            "lengths": {"min": int(lengths.min()), "max": int(lengths.max())},
        }
        return self

    def _state(self) -> dict[str, Any]:
        if self._fitted is None:
            raise NotFittedError("NumericSequences.fit must be called before transform.")
        return self._fitted

    # -- transforming -------------------------------------------------------------------------
    def transform(self, frame: pd.DataFrame) -> ModelData:
        s = self._state()
        layout = self.find_columns(frame)
        if layout.channels != s["channels"]:
            raise KeyError(
                f"The frame has channel(s) {layout.channels}, the training fold had {s['channels']}."
            )
        values = self._normalized(layout.values(frame))
        lengths = _lengths(values)
        _check_not_empty(lengths)
        shift, divisor = np.asarray(s["shift"]), np.asarray(s["divisor"])
        scaled = (values - shift) / divisor
        filled = (np.asarray(s["mean"]) - shift) / divisor
        steps = np.arange(values.shape[1])[None, :, None]
        inside = steps < lengths[:, None, None]
        scaled = np.where(np.isnan(scaled) & inside, np.broadcast_to(filled, scaled.shape), scaled)
        out = _fit_length(
            scaled, lengths, s["max_length"], self.padding, self.truncating, self.pad_value
        )
        if s["mask"]:
            _warn_if_masked_by_accident(out, lengths, s["max_length"], self.padding, self.pad_value)
        elif (lengths < s["max_length"]).any():
            log.warning(
                "%d series are shorter than %d steps: padded with %s but not masked "
                "(the training fold had equal lengths). Set features.mask=true to mask them.",
                int((lengths < s["max_length"]).sum()),
                s["max_length"],
                self.pad_value,
            )
        return {self.input_name: out.astype("float32")}

    def _normalized(self, values: np.ndarray) -> np.ndarray:
        return _z_normalize(values) if self.normalize == "series" else values

    def input_specs(self) -> ModelInputs:
        s = self._state()
        mask_value = s["pad_value"] if s["mask"] else None
        shape = (s["max_length"], len(s["channels"]))
        return {self.input_name: InputSpec(shape=shape, mask_value=mask_value)}

    def state(self) -> dict[str, Any]:
        return dict(self._state())

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore the channels, scaling and length of :meth:`state` (see :mod:`kagglekit.data.state`)."""
        del arrays
        missing = [
            k for k in ("channels", "shift", "divisor", "mean", "max_length") if k not in state
        ]
        if missing:
            raise KeyError(f"the stored state lacks {missing}")
        if state.get("normalize", "none") not in ("series", "none"):
            raise ValueError(f"unknown normalize {state.get('normalize')!r}")
        self.normalize = state.get("normalize", "none")
        self.pad_value = float(state["pad_value"])
        self._fitted = dict(state)
        return self


def _z_normalize(values: np.ndarray) -> np.ndarray:
    """Each series and channel of ``(n, steps, channels)`` to mean 0, std 1 over its observed
    steps (NaN stays NaN; a constant or empty channel becomes 0)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN channel: "mean of empty"
        mean = np.nanmean(values, axis=1, keepdims=True)
        std = np.nanstd(values, axis=1, keepdims=True)
    mean = np.nan_to_num(mean)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    return (values - mean) / std


def _lengths(values: np.ndarray) -> np.ndarray:
    """Steps up to the last one with any observed channel."""
    observed = ~np.isnan(values).all(axis=2)
    last = values.shape[1] - np.argmax(observed[:, ::-1], axis=1)
    return np.where(observed.any(axis=1), last, 0)


def _check_not_empty(lengths: np.ndarray) -> None:
    empty = np.flatnonzero(lengths == 0)
    if len(empty):
        raise ValueError(
            f"{len(empty)} series have no value at all (rows {empty[:5].tolist()}); drop them "
            "or fill them before training."
        )


def _fit_length(
    values: np.ndarray,
    lengths: np.ndarray,
    length: int,
    padding: Side,
    truncating: Side,
    pad_value: float,
) -> np.ndarray:
    """Each series' real steps, cut or padded to ``length``."""
    kept = np.minimum(lengths, length)
    source_start = np.zeros_like(kept) if truncating == "post" else lengths - kept
    target_start = np.zeros_like(kept) if padding == "post" else length - kept
    offset = np.arange(length)[None, :] - target_start[:, None]
    valid = (offset >= 0) & (offset < kept[:, None])
    index = np.clip(source_start[:, None] + offset, 0, values.shape[1] - 1)
    taken = np.take_along_axis(values, index[:, :, None], axis=1)
    return np.where(valid[:, :, None], taken, pad_value)


def _warn_if_masked_by_accident(
    out: np.ndarray, lengths: np.ndarray, length: int, padding: Side, pad_value: float
) -> None:
    kept = np.minimum(lengths, length)
    steps = np.arange(length)[None, :]
    real = steps < kept[:, None] if padding == "post" else steps >= (length - kept)[:, None]
    collide = real & (out == pad_value).all(axis=2)
    if collide.any():
        log.warning(
            "%d real step(s) equal pad_value=%s in every channel and will be masked as padding. "
            "Choose a pad_value outside the scaled data (e.g. features.pad_value=-10).",
            int(collide.sum()),
            pad_value,
        )
