"""Blend the out-of-fold and test predictions of several runs (or a sweep's best trials).

``blend(paths, BlendOptions(method=...))`` checks that the inputs share competition, task,
metric, ids and fold assignment, blends them and writes a blend directory; see
:mod:`kagglekit.ensemble.blend` and, for the methods, :mod:`kagglekit.ensemble.methods`.
"""

from kagglekit.ensemble.blend import BlendOptions, BlendResult, blend
from kagglekit.ensemble.inputs import BlendInput, check_compatible, collect_inputs
from kagglekit.ensemble.methods import METHODS, BlendError
from kagglekit.ensemble.record import BLEND_FILE, is_blend_dir

__all__ = [
    "BLEND_FILE",
    "METHODS",
    "BlendError",
    "BlendInput",
    "BlendOptions",
    "BlendResult",
    "blend",
    "check_compatible",
    "collect_inputs",
    "is_blend_dir",
]
