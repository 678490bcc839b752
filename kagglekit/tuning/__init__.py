"""Optuna sweeps over the training pipeline: search spaces in YAML, pruning, resumable studies.

``python scripts/tune.py competition=digits hparams_search=cnn n_trials=12`` (see the README,
"Hyperparameter search"). Library entry: :func:`tune`.
"""

from kagglekit.tuning.pruning import FoldScopedPruner, PruningCallback, PruningSettings
from kagglekit.tuning.runner import TuneResult, TuneSettings, settings_from_config, tune
from kagglekit.tuning.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from kagglekit.tuning.storage import mask_url

__all__ = [
    "CategoricalParam",
    "FloatParam",
    "FoldScopedPruner",
    "IntParam",
    "PruningCallback",
    "PruningSettings",
    "SearchSpace",
    "TuneResult",
    "TuneSettings",
    "mask_url",
    "settings_from_config",
    "tune",
]
