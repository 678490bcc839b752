"""Classical baselines fitted on a run's own folds (``kagglekit baseline``)."""

from kagglekit.baselines.kinds import BaselineError, Kind, data_kind
from kagglekit.baselines.models import BaselineSettings
from kagglekit.baselines.run import (
    BaselineResult,
    baseline_next_to,
    comparison_line,
    holds_deep_run,
    run_baseline,
)

__all__ = [
    "BaselineError",
    "BaselineResult",
    "BaselineSettings",
    "Kind",
    "baseline_next_to",
    "comparison_line",
    "data_kind",
    "holds_deep_run",
    "run_baseline",
]
