"""``tune(...)``: wire a sweep together; ``settings_from_config``: the only reader of conf/tune.yaml.

Every trial composes the *train* config (conf/config.yaml) with the overrides
``competition=<x>`` + the tune command line's own train overrides + ``hparams_search.fixed`` +
the trial's parameters: exactly what ``scripts/train.py`` would compose from ``best.json``'s
command, so the best trial is reproduced by construction.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from kagglekit.errors import ConfigError
from kagglekit.metrics import get_metric
from kagglekit.tuning.compose import TrialComposer
from kagglekit.tuning.interrupt import catch_interrupts
from kagglekit.tuning.overrides import override, without_group
from kagglekit.tuning.progress import ProgressLog
from kagglekit.tuning.pruning import PruningSettings
from kagglekit.tuning.results import best_trial, write_best, write_plots, write_trials
from kagglekit.tuning.samplers import seeded
from kagglekit.tuning.space import CategoricalParam, Param, SearchSpace
from kagglekit.tuning.storage import (
    StorageSettings,
    default_url,
    is_sqlite,
    make_storage,
)
from kagglekit.tuning.study import enqueue_defaults, open_study
from kagglekit.tuning.sweep import (
    MemoryWatch,
    Objective,
    SweepOutcome,
    count_trials,
    run_trials,
)

log = logging.getLogger(__name__)

Compose = Callable[..., DictConfig]  # compose(overrides, return_hydra_config=False)
SamplerFactory = Callable[[int | None], optuna.samplers.BaseSampler]


@dataclass(frozen=True)
class TuneSettings:
    """Everything a sweep needs, as typed objects (no config past this point)."""

    study_name: str
    n_trials: int
    space: SearchSpace
    make_sampler: SamplerFactory
    sampler_seed: int | None
    pruner: optuna.pruners.BasePruner
    storage_url: str | None = None  # None: SQLite in the sweep dir
    timeout: float | None = None
    direction: str | None = None  # None: the competition metric's
    fixed: Mapping[str, Any] = field(default_factory=dict)
    pruning: PruningSettings = field(default_factory=PruningSettings)
    enqueue_defaults: bool = True
    heartbeat_interval: int = 10
    grace_period: int = 40
    max_retry: int = 3
    max_consecutive_failures: int = 3
    recycle_after_mb: float | None = None  # restart the process past this memory growth
    plots: bool = True
    poll_interval: float = 2.0

    def __post_init__(self) -> None:
        if self.n_trials < 1:
            raise ConfigError(
                f"hparams_search.n_trials must be at least 1, but got {self.n_trials}."
            )
        if self.direction not in (None, "maximize", "minimize"):
            raise ConfigError(
                f"hparams_search.direction must be maximize, minimize or null (the metric's), "
                f"but got {self.direction!r}."
            )


@dataclass(frozen=True)
class TuneResult:
    study_name: str
    sweep_dir: Path
    storage: str  # masked
    best_value: float | None
    best_trial: int | None
    finished: int
    outcome: SweepOutcome
    paths: dict[str, Path]


def settings_from_config(cfg: DictConfig) -> TuneSettings:
    """Read the tune config (conf/tune.yaml + hparams_search + command line)."""
    search = cfg.hparams_search
    tune = cfg.get("tune") or {}
    sampler_cfg = cfg.sampler
    space = SearchSpace.from_config(search.get("params"))
    seed = sampler_cfg.get("seed")

    def make_sampler(trial_seed: int | None) -> optuna.samplers.BaseSampler:
        extra: dict[str, Any] = {}
        if "seed" in sampler_cfg:
            extra["seed"] = trial_seed
        if str(sampler_cfg.get("_target_", "")).endswith("GridSampler") and not sampler_cfg.get(
            "search_space"
        ):
            extra["search_space"] = space.grid()
        return instantiate(sampler_cfg, _convert_="all", **extra)

    pruning = search.get("pruning") or {}
    fixed = search.get("fixed") or {}
    return TuneSettings(
        study_name=str(cfg.study_name),
        n_trials=int(cfg.n_trials),
        space=space,
        make_sampler=make_sampler,
        sampler_seed=None if seed is None else int(seed),
        pruner=instantiate(cfg.pruner, _convert_="all"),
        storage_url=cfg.get("storage"),
        timeout=cfg.get("timeout"),
        direction=search.get("direction"),
        fixed=OmegaConf.to_container(fixed, resolve=True)
        if isinstance(fixed, DictConfig)
        else dict(fixed),  # type: ignore[arg-type]
        pruning=PruningSettings(
            **(OmegaConf.to_container(pruning) if isinstance(pruning, DictConfig) else pruning)
        ),  # type: ignore[arg-type]
        enqueue_defaults=bool(search.get("enqueue_defaults", True)),
        heartbeat_interval=int(tune.get("heartbeat_interval", 10)),
        grace_period=int(tune.get("grace_period", 40)),
        max_retry=int(tune.get("max_retry", 3)),
        max_consecutive_failures=int(tune.get("max_consecutive_failures", 3)),
        recycle_after_mb=tune.get("recycle_after_mb"),
        plots=bool(tune.get("plots", True)),
    )


def _metric_of(cfg: DictConfig) -> tuple[str, str]:
    metric = cfg.competition.metric
    if isinstance(metric, DictConfig):
        metric = instantiate(metric)
    resolved = get_metric(metric)
    return resolved.name, resolved.direction


def base_overrides(
    competition: str, train_overrides: Sequence[str], fixed: Mapping[str, Any]
) -> list[str]:
    """The overrides every trial shares, ``competition=<x>`` first."""
    return [
        f"competition={competition}",
        *without_group(train_overrides, "competition"),
        *(override(key, value) for key, value in fixed.items()),
    ]


def tune(
    settings: TuneSettings,
    *,
    compose: Compose,
    competition: str,
    train_overrides: Sequence[str] = (),
    sweep_dir: Path,
    train: Callable[..., Any] | None = None,
) -> TuneResult:
    """Create or resume the study and run trials until it has ``n_trials`` finished ones."""
    if train is None:
        from kagglekit.pipeline import train as train_fn

        train = train_fn
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    base = base_overrides(competition, train_overrides, settings.fixed)

    base_cfg = compose(base, return_hydra_config=True)
    choices = {k: v for k, v in base_cfg.hydra.runtime.choices.items() if "/" not in k}
    groups = set(choices)
    metric, metric_direction = _metric_of(base_cfg)
    direction = settings.direction or metric_direction
    defaults = settings.space.current_values(base_cfg, choices)
    _check_keys(settings.space, compose, base, defaults)

    storage = StorageSettings(
        url=settings.storage_url or default_url(sweep_dir),
        heartbeat_interval=settings.heartbeat_interval,
        grace_period=settings.grace_period,
        max_retry=settings.max_retry,
    )
    study = open_study(
        storage=make_storage(storage),
        study_name=settings.study_name,
        direction=direction,
        sampler=seeded(settings.make_sampler, settings.sampler_seed),
        pruner=settings.pruner,
        base_overrides=base,
    )
    if settings.enqueue_defaults:
        enqueue_defaults(study, settings.space, defaults)
    counts = count_trials(study)
    log.info(
        "Study %r (%s %s) in %s: %d/%d trials finished%s; sweep dir %s.",
        settings.study_name,
        direction,
        metric,
        storage.masked_url,
        counts.finished,
        settings.n_trials,
        f", {counts.waiting} queued" if counts.waiting else "",
        sweep_dir,
    )

    def write_tables() -> None:
        write_trials(study, sweep_dir, settings.space)
        write_best(
            study,
            sweep_dir,
            space=settings.space,
            competition=competition,
            metric=metric,
            groups=groups,
        )

    objective = Objective(
        space=settings.space,
        compose=TrialComposer(compose, base, groups),
        base_overrides=base,
        sweep_dir=sweep_dir,
        n_trials=settings.n_trials,
        pruning=settings.pruning,
        sign=settings.pruning.sign(direction),
        metric=metric,
        train=train,
        retry=_retry_callback(settings.max_retry),
    )
    shared_warning = None
    if is_sqlite(storage.url):
        shared_warning = (
            f"Another process is running a trial of this SQLite study ({storage.masked_url}): "
            "another worker, or one killed less than tune.grace_period seconds ago. SQLite "
            "locks the whole file on every write; for several workers use PostgreSQL "
            "(storage=postgresql://user@host/db, see the README)."
        )
    paths: dict[str, Path] = {}
    try:
        with catch_interrupts() as interrupt:
            objective.interrupt = interrupt
            outcome = run_trials(
                study,
                objective,
                n_trials=settings.n_trials,
                timeout=settings.timeout,
                callbacks=[ProgressLog(settings.n_trials, metric, after=write_tables)],
                max_consecutive_failures=settings.max_consecutive_failures,
                poll_interval=settings.poll_interval,
                warn_shared=shared_warning,
                recycle=MemoryWatch(settings.recycle_after_mb),
            )
    finally:
        write_tables()
    if settings.plots and outcome.stopped_by != "recycle":
        for path in write_plots(study, sweep_dir):
            paths[path.stem] = path
    best = best_trial(study)
    paths["trials"] = sweep_dir / "trials.csv"
    from kagglekit.report.html import write_report_safely

    write_report_safely(sweep_dir)
    if best is not None:
        paths["best"] = sweep_dir / "best.json"
        log.info("Best: trial %d, %s = %.6f -> %s", best.number, metric, best.value, paths["best"])
    return TuneResult(
        study_name=settings.study_name,
        sweep_dir=sweep_dir,
        storage=storage.masked_url,
        best_value=None if best is None else best.value,
        best_trial=None if best is None else best.number,
        finished=count_trials(study).finished,
        outcome=outcome,
        paths=paths,
    )


def _retry_callback(max_retry: int) -> optuna.storages.RetryHeartbeatStaleTrialCallback:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)


def _check_keys(
    space: SearchSpace, compose: Compose, base: list[str], defaults: Mapping[str, Any]
) -> None:
    """Compose once with a value for every parameter, so a typo fails now, not in trial 0."""
    values = {p.name: _representative(p, defaults.get(p.name)) for p in space.params}
    try:
        compose([*base, *space.overrides(values)])
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(
            f"The search space (hparams_search.params) does not fit the config: {detail}"
        ) from exc


def _representative(p: Param, current: Any) -> Any:
    if p.contains(current):
        return current
    if isinstance(p, CategoricalParam):
        return p.choices[0]
    return p.low  # type: ignore[attr-defined]


def tune_from_hydra(cfg: DictConfig) -> TuneResult:
    """The ``scripts/tune.py`` entry: read Hydra's run dir and command line, then ``tune``."""
    import hydra
    from hydra.core.hydra_config import HydraConfig

    from kagglekit.files import write_text
    from kagglekit.tuning.overrides import split_overrides
    from kagglekit.tuning.storage import mask_in_text

    hydra_cfg = HydraConfig.get()
    sweep_dir = Path(hydra_cfg.runtime.output_dir)
    train_overrides, tune_overrides = split_overrides(hydra_cfg.overrides.task)
    competition = str(hydra_cfg.runtime.choices.get("competition"))
    storage = cfg.get("storage")
    write_text(
        sweep_dir / "tune_config.yaml",
        mask_in_text(OmegaConf.to_yaml(cfg, resolve=True), storage),
    )
    write_text(
        sweep_dir / "overrides.yaml",
        mask_in_text(OmegaConf.to_yaml(list(hydra_cfg.overrides.task)), storage),
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # tf.function retracing notes: every fold of every trial builds a new model (harmless)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    log.info("Tune overrides: %s", mask_in_text(" ".join(tune_overrides), storage))

    def compose(overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
        return hydra.compose(
            config_name="config", overrides=overrides, return_hydra_config=return_hydra_config
        )

    return tune(
        settings_from_config(cfg),
        compose=compose,
        competition=competition,
        train_overrides=train_overrides,
        sweep_dir=sweep_dir,
    )
