"""Several preprocessors side by side, each feeding its own model input(s).

A competition with mixed data declares one part per kind of data; every part is fitted on the
same training rows of the fold, and ``transform`` returns all their inputs in one dict::

    features:
      _target_: kagglekit.data.mixed.MixedInputs
      _partial_: true
      parts:
        numeric: {_target_: kagglekit.data.preprocessing.TabularPreprocessor, categorical: [], input_name: numeric}
        categorical: {_target_: kagglekit.data.categorical.CategoricalCodes}
        image: {_target_: kagglekit.data.images.ImageFolder, column: image, directories: data/x/images}
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Self

import numpy as np
import pandas as pd

from kagglekit.data.preprocessing import ModelData, Preprocessor
from kagglekit.data.state import state_arrays, sub_arrays
from kagglekit.models.specs import ModelInputs

Part = Preprocessor | Callable[[], Preprocessor]


class MixedInputs:
    """Preprocessors side by side (``parts``: part name -> preprocessor or its factory).

    Each fold gets fresh copies of the parts, so no statistic leaks from one fold to the next.
    Input names must not clash across parts.
    """

    def __init__(self, *, parts: Mapping[str, Part]) -> None:
        if not parts:
            raise ValueError("MixedInputs needs at least one part.")
        self.parts: dict[str, Preprocessor] = {}
        for name, part in parts.items():
            if part is None:  # dropped on the command line: ~competition.features.parts.image
                continue
            fresh: Any = part if hasattr(part, "fit") or not callable(part) else part()
            if not all(hasattr(fresh, m) for m in ("fit", "transform", "input_specs", "state")):
                raise TypeError(
                    f"MixedInputs part {name!r} is a {type(fresh).__name__}, not a preprocessor "
                    "(fit, transform, input_specs, state)."
                )
            self.parts[name] = copy.deepcopy(fresh)
        if not self.parts:
            raise ValueError("MixedInputs: every part was removed.")

    def fit(self, frame: pd.DataFrame) -> Self:
        for part in self.parts.values():
            part.fit(frame)
        self._check_names()
        return self

    def _check_names(self) -> None:
        owner: dict[str, str] = {}
        for part_name, part in self.parts.items():
            for input_name in part.input_specs():
                if input_name in owner:
                    raise ValueError(
                        f"Parts {owner[input_name]!r} and {part_name!r} both produce the model "
                        f"input {input_name!r}; give one of them another input_name/prefix."
                    )
                owner[input_name] = part_name

    def transform(self, frame: pd.DataFrame) -> ModelData:
        out: ModelData = {}
        for part in self.parts.values():
            out.update(part.transform(frame))
        return out

    def input_specs(self) -> ModelInputs:
        specs: ModelInputs = {}
        for part in self.parts.values():
            specs.update(part.input_specs())
        return specs

    def state(self) -> dict[str, Any]:
        return {name: part.state() for name, part in self.parts.items()}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Each part's arrays, named ``<part>/<array>``."""
        return {
            f"{name}/{key}": value
            for name, part in self.parts.items()
            for key, value in state_arrays(part).items()
        }

    def load_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Restore every part from its entry of :meth:`state` (see :mod:`kagglekit.data.state`)."""
        if sorted(state) != sorted(self.parts):
            raise KeyError(f"the stored parts {sorted(state)} differ from {sorted(self.parts)}")
        for name, part in self.parts.items():
            part.load_state(state[name], sub_arrays(arrays, name))
        self._check_names()
        return self
