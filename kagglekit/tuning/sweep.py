"""The sweep: each trial is one full cross-validated ``pipeline.train`` run in this process.

Trials run in the worker's own process, one after another: a subprocess per trial would pay
the TensorFlow import and the data loading again (several seconds, i.e. several percent of a
trial). Before it trains a fold, the cross-validation loop calls
``keras.backend.clear_session()``, which drops Keras' global state and runs Python's garbage
collector, so the next trial's first trained fold frees the previous trial's model (a fold
reused from a finished run trains nothing and clears nothing). TensorFlow still keeps part
of every traced model alive (~30 MB per 3-fold titanic run, see
``benchmarks/tuning_overhead.py``), so a worker restarts itself between two trials once its
memory has grown by ``tune.recycle_after_mb`` (:class:`MemoryWatch`; the CLI re-executes the
same command, which resumes the study): memory stays bounded at the cost of one start-up every
few dozen trials. Parallelism comes from several worker processes on one study.

``n_trials`` is the total the study should reach: a worker stops when the study has
``n_trials`` finished (COMPLETE or PRUNED) trials, so re-running the same command after an
interruption only runs the remaining ones, and four workers given ``n_trials=20`` finish with
exactly 20. Failed trials do not count; those of dead or interrupted workers are retried.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig
from optuna.trial import FrozenTrial, TrialState

from kagglekit.files import read_json
from kagglekit.rundir import RunDir, check_free
from kagglekit.tuning import dedupe
from kagglekit.tuning.interrupt import Interrupt
from kagglekit.tuning.pruning import Clock, PruningSettings, make_hooks
from kagglekit.tuning.space import SearchSpace
from kagglekit.tuning.storage import retried_trial

log = logging.getLogger(__name__)

TRIALS_DIR = "trials"
Compose = Callable[[list[str]], DictConfig]
TrainFn = Callable[..., Any]

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class SurplusTrialError(RuntimeError):
    """Another worker took the last free slot at the same moment; this trial is not run."""


@dataclass(frozen=True)
class Counts:
    finished: int
    running: int
    waiting: int
    failed: int


def count_trials(study: optuna.Study) -> Counts:
    states = [t.state for t in study.get_trials(deepcopy=False)]
    return Counts(
        finished=sum(s in FINISHED for s in states),
        running=states.count(TrialState.RUNNING),
        waiting=states.count(TrialState.WAITING),
        failed=states.count(TrialState.FAIL),
    )


def trial_dir(sweep_dir: Path, number: int) -> Path:
    return Path(sweep_dir) / TRIALS_DIR / str(number)


def mark_run(run_dir: Path, status: str, **info: Any) -> None:
    """Record how a trial's run ended in its ``run_state.json`` (never 'complete' here)."""
    rundir = RunDir(run_dir)
    if not rundir.path.exists() or rundir.read_state().get("status") == "complete":
        return
    rundir.mark(status, **info)


def reuse_finished_folds(source: Path, target: Path) -> list[str]:
    """Copy the finished folds (with ``folds.csv`` and ``fingerprint.json``, which the retry
    checks them against) of a failed trial into its retry's run dir."""
    origin, retry = RunDir(source), RunDir(target)
    if not origin.path.is_dir() or retry.path.exists():
        return []
    copied = []
    for fold in origin.fold_dirs():
        if _complete(fold.state):
            shutil.copytree(fold.path, retry.path / fold.path.name)
            copied.append(fold.path.name)
            continue
        for seed in sorted(fold.path.glob("seed_*")):  # the finished seeds of a bagged fold
            if _complete(seed / "state.json"):
                shutil.copytree(seed, retry.path / fold.path.name / seed.name)
                copied.append(f"{fold.path.name}/{seed.name}")
    for name in (origin.folds, origin.fingerprint):
        if copied and name.exists():
            shutil.copy2(name, retry.path / name.name)
    return copied


def _complete(state: Path) -> bool:
    return state.exists() and read_json(state).get("status") == "complete"


def _set_aside(run_dir: Path) -> None:
    """A trial directory left by an earlier study of the same sweep dir: keep it, out of the way."""
    for i in range(1, 1000):
        aside = run_dir.with_name(f"{run_dir.name}.old{i}")
        if not aside.exists():
            run_dir.rename(aside)
            log.warning("%s belonged to an earlier study: moved to %s.", run_dir, aside)
            return


class _ForwardWarnings(logging.Handler):
    """Send WARNING and above on to the root logger's handlers (the sweep's console and log)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            logging.getLogger().handle(record)


@contextlib.contextmanager
def trial_logging(run_dir: Path) -> Iterator[None]:
    """During a trial, kagglekit's log goes to ``<run_dir>/train.log``, warnings also to the sweep."""
    logger = logging.getLogger("kagglekit")
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir / "train.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
    forward = _ForwardWarnings()
    saved = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.addHandler(forward)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.removeHandler(forward)
        handler.close()
        logger.propagate, logger.level = saved


class Objective:
    """One trial: suggest, turn into overrides, compose the train config, ``train`` it.

    ``compose(params)`` composes the train config with ``base_overrides`` + ``params``.
    """

    def __init__(
        self,
        *,
        space: SearchSpace,
        compose: Callable[[Sequence[str]], DictConfig],
        base_overrides: Sequence[str],
        sweep_dir: Path,
        n_trials: int,
        pruning: PruningSettings,
        sign: float,
        metric: str,
        train: TrainFn,
        retry: Callable[[optuna.Study, FrozenTrial], None] | None = None,
    ) -> None:
        self.space = space
        self.compose = compose
        self.base_overrides = list(base_overrides)
        self.sweep_dir = Path(sweep_dir)
        self.n_trials = n_trials
        self.pruning = pruning
        self.sign = sign
        self.metric = metric
        self.train = train
        self.retry = retry
        self.train_seconds = 0.0  # summed over this worker's trials (the overhead benchmark)
        self.interrupt: Interrupt | None = None
        self.report_clock = Clock()  # reporting/pruning time inside the training

    def _check_slot(self, trial: optuna.Trial) -> None:
        """Exactly ``n_trials``: a trial created in a race for the last slot steps back."""
        alive = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
        earlier = sum(
            t.number < trial.number for t in trial.study.get_trials(deepcopy=False, states=alive)
        )
        if earlier >= self.n_trials:
            trial.set_user_attr("surplus", True)
            raise SurplusTrialError(
                f"trial {trial.number} not run: the study already has {self.n_trials} trials."
            )

    def __call__(self, trial: optuna.Trial) -> float:
        self._check_slot(trial)
        values = self.space.suggest(trial)
        twin = dedupe.resolve_twin(trial.study, trial)
        if twin is not None:
            return self._take_twin(trial, twin)
        overrides = [*self.base_overrides, *self.space.overrides(values)]
        run_dir = trial_dir(self.sweep_dir, trial.number)
        frozen = _frozen(trial)
        origin = retried_trial(frozen) if frozen is not None else None
        if run_dir.exists():
            check_free(run_dir)  # another worker's live trial: RunDirBusyError, not a move
            _set_aside(run_dir)
        if origin is not None:
            reused = reuse_finished_folds(trial_dir(self.sweep_dir, origin), run_dir)
            if reused:
                log.info("Trial %d repeats trial %d: reusing %s.", trial.number, origin, reused)
        trial.set_user_attr(
            "run",
            {
                "dir": str(run_dir),
                "overrides": overrides,
                "host": socket.gethostname(),
                "pid": os.getpid(),
            },
        )
        cfg = self.compose(self.space.overrides(values))  # = compose(base + params)
        hooks = make_hooks(
            trial, self.pruning, self.sign, self.metric, self.interrupt, self.report_clock
        )
        started = time.perf_counter()
        try:
            with trial_logging(run_dir):
                result = self.train(cfg, run_dir=run_dir, hooks=hooks)
        except optuna.TrialPruned as exc:
            mark_run(run_dir, "pruned", trial=trial.number, reason=str(exc))
            raise
        except KeyboardInterrupt:
            mark_run(run_dir, "interrupted", trial=trial.number)
            self._requeue(trial)
            raise
        except Exception as exc:
            mark_run(run_dir, "failed", trial=trial.number, error=f"{type(exc).__name__}: {exc}")
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:500])
            raise
        finally:
            self.train_seconds += time.perf_counter() - started
        trial.set_user_attr(
            "result",
            {
                "fold_scores": list(result.fold_scores),
                "train_s": round(time.perf_counter() - started, 3),
            },
        )
        return float(result.cv_score)

    def _take_twin(self, trial: optuna.Trial, twin: FrozenTrial) -> float:
        original = dedupe.original_of(twin)
        trial.set_user_attr(dedupe.DUPLICATE_OF, original)
        if "run" in twin.user_attrs:
            trial.set_user_attr("run", twin.user_attrs["run"])
        if twin.state == TrialState.PRUNED:
            raise optuna.TrialPruned(f"same parameters as trial {original}, which was pruned.")
        assert twin.value is not None
        return float(twin.value)

    def _requeue(self, trial: optuna.Trial) -> None:
        """Ctrl-C: queue the same parameters again, like a trial whose worker died."""
        frozen = _frozen(trial)
        if self.retry is not None and frozen is not None:
            self.retry(trial.study, frozen)
            log.warning(
                "Trial %d interrupted: queued again with the same parameters (its finished "
                "folds will be reused).",
                trial.number,
            )


def _frozen(trial: optuna.Trial) -> FrozenTrial | None:
    for t in trial.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if t.number == trial.number:
            return t
    return None


class _LastTrial:
    trial: FrozenTrial | None = None

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.trial = trial


@dataclass
class SweepOutcome:
    trials_run: int
    seconds: float
    train_seconds: float  # inside pipeline.train, of which
    report_seconds: float  # reporting to the study and asking the pruner
    stopped_by: str


def run_trials(
    study: optuna.Study,
    objective: Objective,
    *,
    n_trials: int,
    timeout: float | None = None,
    callbacks: Sequence[Callable[[optuna.Study, FrozenTrial], None]] = (),
    max_consecutive_failures: int = 3,
    poll_interval: float = 2.0,
    warn_shared: str | None = None,
    recycle: Callable[[], bool] | None = None,
) -> SweepOutcome:
    """Run trials until the study has ``n_trials`` finished ones (or ``timeout`` seconds pass).

    When every remaining slot is taken by other workers' running trials, wait for them: one of
    them may die and be queued again. ``warn_shared`` is logged once if another worker shows up.
    ``recycle()`` is asked after every trial; when it says True and trials remain, the loop
    stops (``stopped_by="recycle"``) so that the caller can restart the process
    (see :class:`MemoryWatch`).
    """
    started = time.monotonic()
    ran = 0
    failures = 0
    waiting_logged = False
    grown = False
    warned = warn_shared is None

    def outcome(reason: str) -> SweepOutcome:
        return SweepOutcome(
            ran,
            time.monotonic() - started,
            objective.train_seconds,
            objective.report_clock.seconds,
            reason,
        )

    while True:
        if objective.interrupt is not None:
            objective.interrupt.check()
        if timeout is not None and time.monotonic() - started >= timeout:
            return outcome("timeout")
        dedupe.fail_stale(study)
        counts = count_trials(study)
        if counts.finished >= n_trials:
            return outcome("n_trials")
        if grown:
            return outcome("recycle")
        if not warned and counts.running > 0:
            log.warning(warn_shared)
            warned = True
        if counts.waiting == 0 and counts.finished + counts.running >= n_trials:
            if not waiting_logged:
                log.info(
                    "%d trial(s) of other workers are running for the last slots; waiting.",
                    counts.running,
                )
                waiting_logged = True
            time.sleep(poll_interval)
            continue
        waiting_logged = False
        seen = _LastTrial()
        study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[*callbacks, seen])
        ran += 1
        last = seen.trial
        if (
            last is not None
            and last.state == TrialState.FAIL
            and not last.user_attrs.get("surplus")
        ):
            failures += 1
            if failures >= max_consecutive_failures:
                raise RuntimeError(
                    f"{failures} trials in a row failed; the last one, trial {last.number}: "
                    f"{last.user_attrs.get('error', 'see the log above')}. Fix the config (its "
                    f"log: {last.user_attrs.get('run', {}).get('dir', '?')}/train.log)."
                )
        else:
            failures = 0
        grown = recycle is not None and recycle()


def rss_mb() -> float | None:
    """This process's resident memory in MB (Linux), or None where /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class MemoryWatch:
    """Say when memory grew by ``limit_mb`` since the first trial of this process.

    TensorFlow keeps some of every traced model alive after ``clear_session`` (tens of MB per
    cross-validated run), so a worker that runs trial after trial in one process grows. Past
    the limit the worker restarts itself between two trials (``tune.recycle_after_mb``): the
    restarted process runs the same command, which resumes the study, and starts small again.
    """

    def __init__(self, limit_mb: float | None) -> None:
        self.limit_mb = limit_mb
        self.baseline: float | None = None
        self.growth = 0.0

    def __call__(self) -> bool:
        current = rss_mb()
        if self.limit_mb is None or current is None:
            return False
        if self.baseline is None:
            self.baseline = current
            return False
        self.growth = current - self.baseline
        return self.growth >= self.limit_mb
