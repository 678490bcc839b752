"""Model factories: plain ``build_<arch>(inputs, outputs, *, hparams) -> keras.Model`` functions.

Each is named by ``_target_`` in ``conf/model/<arch>.yaml``; the config group is the registry.
"""

from kagglekit.models.specs import InputSpec, ModelInputs, ModelOutputs, OutputSpec

__all__ = ["InputSpec", "ModelInputs", "ModelOutputs", "OutputSpec"]
