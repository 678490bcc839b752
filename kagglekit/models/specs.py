"""What a model factory is told about its inputs and outputs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputSpec:
    """One model input: its per-sample shape and dtype (``vocabulary`` for integer tokens).

    ``mask_value``: padded steps of a sequence hold this value (the model may mask them).
    ``numeric_features``: for a flat feature vector, how many of its leading columns are
    continuous numeric values (the rest being 0/1 missing indicators and one-hot columns);
    numeric embeddings embed those. ``None``: unknown, every column counts as numeric.
    """

    shape: tuple[int | None, ...]
    dtype: str = "float32"
    vocabulary: int | None = None
    mask_value: float | None = None
    numeric_features: int | None = None


@dataclass(frozen=True)
class OutputSpec:
    """One model output head: units, final activation and its default loss.

    ``bias`` (optional, one value per unit) is the head's initial bias: for a regression, the
    mean target of the fold's training rows, so training starts at the right level.
    """

    name: str
    units: int
    activation: str
    loss: str
    bias: tuple[float, ...] | None = None


ModelInputs = dict[str, InputSpec]
ModelOutputs = list[OutputSpec]


def single_input(inputs: ModelInputs, factory: str) -> tuple[str, InputSpec]:
    if len(inputs) != 1:
        raise ValueError(
            f"{factory} takes one input, but the data provides {len(inputs)}: {sorted(inputs)}. "
            "Use a multi-input model for several inputs."
        )
    return next(iter(inputs.items()))


def single_output(outputs: ModelOutputs, factory: str) -> OutputSpec:
    if len(outputs) != 1:
        raise ValueError(
            f"{factory} has one output head, but the task needs {len(outputs)}: "
            f"{[o.name for o in outputs]}. Use a multi-output model."
        )
    return outputs[0]
