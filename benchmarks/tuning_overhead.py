"""The sweep's own overhead per trial, against plain training runs measured in the same process.

    python benchmarks/tuning_overhead.py [--competition titanic] [--trials 4] [--epochs 5] [--folds 3]

1. baseline: each of N configs is composed and trained with ``pipeline.train`` directly;
2. sweep: the same N configs are queued in a fresh SQLite study and run by ``tune`` (no
   pruning, so the same work), which times ``pipeline.train`` inside every trial;
3. the baseline again (later runs of one process are slower: compare with the mean).

The overhead per trial is the sweep's time outside ``pipeline.train`` (composing the config,
storage writes, twin checks, trials.csv/best.json, the progress line) plus the time its
callbacks spend inside the training (reporting every epoch and fold to the study, asking the
pruner), divided by the number of trials; it is printed as a fraction of the mean trial time
(goal: <= 1 %). The one-off cost of
the plots at the end of the sweep is printed apart, and the process memory after every trial
shows that a sweep does not grow.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optuna  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from hydra.core.global_hydra import GlobalHydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from kagglekit.pipeline import train  # noqa: E402
from kagglekit.tuning.pruning import PruningSettings  # noqa: E402
from kagglekit.tuning.results import write_plots  # noqa: E402
from kagglekit.tuning.runner import TuneSettings, tune  # noqa: E402
from kagglekit.tuning.space import SearchSpace  # noqa: E402

LEARNING_RATES = [0.001, 0.002, 0.003, 0.005, 0.0015, 0.0025, 0.004, 0.006]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Composer:
    """Hydra's compose with one initialisation, as inside ``scripts/tune.py``."""

    def __init__(self) -> None:
        GlobalHydra.instance().clear()
        self._context = initialize_config_dir(
            config_dir=str(ROOT / "kagglekit" / "conf"), version_base="1.3"
        )
        self._context.__enter__()

    def __call__(self, overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
        return compose("config", overrides=overrides, return_hydra_config=return_hydra_config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--competition", default="titanic")
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    lrs = LEARNING_RATES[: args.trials]
    work = Path(tempfile.mkdtemp(prefix="kagglekit-bench-"))
    base = [
        f"competition={args.competition}",
        f"competition.data_dir={work / 'data'}",
        f"trainer.epochs={args.epochs}",
        f"cv.n_splits={args.folds}",
        "trainer.verbose=0",
        "~callbacks.early_stopping",  # every trial runs all its epochs: the same work twice
    ]
    composer = Composer()
    train(composer([*base, "optimizer.learning_rate=0.01"]), run_dir=work / "warmup")

    baseline = []
    base_memory = []
    for i, lr in enumerate(lrs):
        started = time.perf_counter()
        train(composer([*base, f"optimizer.learning_rate={lr}"]), run_dir=work / f"base{i}")
        baseline.append(time.perf_counter() - started)
        base_memory.append(rss_mb())

    memory: list[float] = []

    def timed_train(*a: Any, **k: Any) -> Any:
        result = train(*a, **k)
        memory.append(rss_mb())
        return result

    sweep_dir = work / "sweep"
    sweep_dir.mkdir()
    study = optuna.create_study(
        study_name="bench", storage=f"sqlite:///{sweep_dir}/study.db", direction="maximize"
    )
    for lr in lrs:
        study.enqueue_trial({"optimizer.learning_rate": lr})
    settings = TuneSettings(
        study_name="bench",
        n_trials=len(lrs),
        space=SearchSpace.from_config({"optimizer.learning_rate": lrs}),
        make_sampler=lambda seed: optuna.samplers.RandomSampler(seed=seed),
        sampler_seed=0,
        pruner=optuna.pruners.NopPruner(),
        pruning=PruningSettings(monitor="val_loss"),
        enqueue_defaults=False,
        plots=False,
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = tune(
        settings,
        compose=composer,
        competition=args.competition,
        train_overrides=base[1:],
        sweep_dir=sweep_dir,
        train=timed_train,
    )
    started = time.perf_counter()
    write_plots(study, sweep_dir)
    plots = time.perf_counter() - started
    # the same plain runs again: later runs in one process are slower (TensorFlow keeps part of
    # every model), so the fair baseline of the sweep's trials is the mean of before and after
    after = []
    for i, lr in enumerate(lrs):
        started = time.perf_counter()
        train(composer([*base, f"optimizer.learning_rate={lr}"]), run_dir=work / f"after{i}")
        after.append(time.perf_counter() - started)

    n = len(lrs)
    outcome = result.outcome
    trial_time = (outcome.train_seconds - outcome.report_seconds) / n
    outside = (outcome.seconds - outcome.train_seconds) / n
    reporting = outcome.report_seconds / n
    overhead = outside + reporting
    before_time, after_time = sum(baseline) / n, sum(after) / n
    base_time = (before_time + after_time) / 2
    load = os.getloadavg()[0]
    print(
        f"{args.competition}: {n} trials, {args.folds} folds x {args.epochs} epochs, load {load:.1f}"
    )
    print(
        f"baseline  compose + pipeline.train:  {base_time:8.3f} s per run "
        f"({before_time:.3f} before the sweep, {after_time:.3f} after)"
    )
    print(f"sweep     training in a trial:       {trial_time:8.3f} s per trial")
    print(f"sweep     wall time per trial:       {outcome.seconds / n:8.3f} s")
    print(f"overhead  outside pipeline.train:    {outside:8.3f} s per trial")
    print(f"          reporting/pruning inside:  {reporting:8.3f} s per trial")
    share = 100 * overhead / trial_time
    print(
        f"          total:                     {overhead:8.3f} s = {share:.2f} % of a trial (goal <= 1 %)"
    )
    change = 100 * (outcome.seconds / n - base_time) / base_time
    print(
        f"          wall per trial vs baseline: {change:+.2f} % (includes the machine's load noise)"
    )
    print(f"plots     once at the end:           {plots:8.3f} s")
    print(f"memory    RSS after each plain run (MB): {', '.join(f'{m:.0f}' for m in base_memory)}")
    print(f"memory    RSS after each trial (MB):    {', '.join(f'{m:.0f}' for m in memory)}")


if __name__ == "__main__":
    main()
