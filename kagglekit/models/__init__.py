"""Model factories: plain ``build_<arch>(inputs, outputs, *, hparams) -> keras.Model`` functions.

Each is named by ``_target_`` in ``conf/model/<arch>.yaml``; the config group is the registry.
Most models are composed of blocks (:mod:`kagglekit.models.blocks`) by one factory,
:func:`kagglekit.models.composed.build_composed`: the YAML names the stem, body, pooling and
head, each by its own ``_target_``.
"""

from kagglekit.models.specs import InputSpec, ModelInputs, ModelOutputs, OutputSpec

__all__ = ["InputSpec", "ModelInputs", "ModelOutputs", "OutputSpec"]
