"""Command line: ``kagglekit <command> ...`` (``scripts/*.py`` call the same code).

``kagglekit --help`` lists the commands of :data:`COMMANDS`, one line each: the first line of
each command function's docstring.

kagglekit init my-comp --data data/my-comp
kagglekit train competition=titanic model=mlp trainer.epochs=50
kagglekit baseline competition=titanic hydra.run.dir=outputs/titanic/run1
kagglekit tune competition=digits hparams_search=cnn n_trials=12
kagglekit predict outputs/titanic/2026-11-26_10-00-00
kagglekit prepare digits
kagglekit blend outputs/titanic/run-a outputs/titanic/run-b --method weights
kagglekit report outputs/titanic/2026-11-26_10-00-00
kagglekit package outputs/titanic/2026-11-26_10-00-00 -o bundle/
kagglekit submit outputs/titanic/2026-11-26_10-00-00 -m "mlp 5-fold"
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TensorFlow start-up chatter

import hydra
from omegaconf import DictConfig

from kagglekit.bundle import package_main
from kagglekit.init.command import init_main
from kagglekit.search_path import CONF_DIR, PACKAGE_CONF
from kagglekit.submit import submit_main

log = logging.getLogger("kagglekit")


def fail(exc: BaseException) -> NoReturn:
    """One clear message for an error the user can fix (also in the run's log), then exit:
    2 for a usage/config error (:class:`~kagglekit.errors.ConfigError`), 1 for a data error."""
    from kagglekit.errors import ConfigError

    log.error("%s", exc)
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(2 if isinstance(exc, ConfigError) else 1)


# errors of the filesystem the user can fix: a read-only mount, a full disk or quota, rights
_FS_ERRNOS = (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM)


def check_backend() -> str:
    """The Keras backend this process will run on; one clear line and exit 1 when none can.

    Runs before anything imports Keras (``import kagglekit`` chose the backend).
    """
    from kagglekit import BACKEND
    from kagglekit.backend_choice import BackendError, require_backend

    try:
        return require_backend(BACKEND)
    except BackendError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)


def log_backend() -> None:
    """Say in the run's log which backend runs and why (logging is set up by now)."""
    from kagglekit import BACKEND

    log.info("%s.", BACKEND.describe())


def _train(cfg: DictConfig) -> float:
    from kagglekit.errors import KagglekitError
    from kagglekit.pipeline import train

    log_backend()
    try:
        result = train(cfg)
    except KagglekitError as exc:
        fail(exc)
    except KeyboardInterrupt:
        print(
            "Interrupted: run_state.json says so; re-run the same command to resume.",
            file=sys.stderr,
        )
        sys.exit(130)
    except OSError as exc:
        if exc.errno not in _FS_ERRNOS:
            raise
        from kagglekit.files import os_reason

        where = exc.filename or "the run directory"
        fail(
            OSError(
                f"Cannot write {where}: {os_reason(exc)}. Free some space or choose a "
                "writable hydra.run.dir=<path>."
            )
        )

    print(f"CV {result.metric}: {result.cv_score:.6f}  ->  {result.paths['submission']}")
    return result.cv_score


def quiet_write_failures() -> None:
    """A full disk or read-only mount is reported once, as one line: silence the tracebacks
    that h5py prints while it cleans up after the failed write ("Exception ignored in ...")
    and those of log handlers that can no longer write train.log."""
    logging.raiseExceptions = False
    default = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        text = str(unraisable.exc_value)
        where = f"{unraisable.err_msg} {unraisable.object!r}"
        if "h5py" in where and ("errno = " in text or "file write" in text):
            return
        default(unraisable)

    sys.unraisablehook = hook


def check_command_line(args: list[str]) -> list[str]:
    """Refuse misspelt keys/options and wrongly typed values before Hydra starts anything;
    return the arguments for Hydra (see :func:`kagglekit.config_check.check_overrides`)."""
    from kagglekit.config_check import ConfigError, check_overrides

    if any(a.startswith("-") for a in args):
        return args  # --help, --cfg, --multirun...: Hydra's own modes
    try:
        return check_overrides(args)
    except ConfigError as exc:
        print(f"Error in the command line:\n{exc}", file=sys.stderr)
        sys.exit(2)


def _compose_with_hydra(args: list[str]) -> DictConfig:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return compose("config", overrides=args, return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


def claim_run_dir(args: list[str]) -> list[str]:
    """Before Hydra writes anything into the run directory: lock it for this process and refuse
    a re-run whose config or training data changed (see :mod:`kagglekit.rundir`).

    Returns the arguments for Hydra, with the run directory pinned (``hydra.run.dir``), so that
    Hydra writes into the folder that was locked. ``pipeline.train`` checks again (and locks
    the run directories of ``--multirun`` jobs and tuner trials itself).
    """
    if any(a.startswith("-") for a in args):
        return args  # --multirun, --cfg...: each job's train() locks and checks its own folder
    from omegaconf import OmegaConf, open_dict

    from kagglekit.errors import KagglekitError
    from kagglekit.fingerprint import competition_files, files_present, make_fingerprint
    from kagglekit.rundir import RunDir, acquire, check_rerun

    try:
        cfg = _compose_with_hydra(args)
        run_dir = Path(str(cfg.hydra.run.dir))
    except Exception:
        return args  # Hydra reports what is wrong with the command line
    if not any(a.startswith("hydra.run.dir=") for a in args):
        quoted = str(run_dir).replace("\\", "\\\\").replace("'", "\\'")
        args = [*args, f"hydra.run.dir='{quoted}'"]
    try:
        acquire(run_dir)  # held until this process ends
        rundir = RunDir(run_dir)
        with open_dict(cfg):
            del cfg["hydra"]
        restart = bool(OmegaConf.select(cfg, "restart", default=False))
        try:
            files = competition_files(cfg)
            current = (
                make_fingerprint(cfg, files, previous=rundir.read_fingerprint())
                if files_present(files)
                else None
            )
        except KagglekitError:
            raise
        except Exception:
            current = None  # resolved inside the run (train() checks it there)
        if current is not None:
            check_rerun(rundir, current, restart=restart)
        elif restart and rundir.has_run():
            rundir.move_aside()
    except KagglekitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    return args


# the groups only a sweep (conf/tune.yaml) reads
_TUNE_GROUPS = ("hparams_search", "sampler", "pruner")
_EXAMPLES = {
    "train": [
        "kagglekit train competition=titanic model=mlp trainer.epochs=50",
        "kagglekit train competition=mine cv.n_splits=10 hydra.run.dir=outputs/mine/run1",
    ],
    "baseline": ["kagglekit baseline competition=titanic baseline=hgb"],
    "tune": [
        "kagglekit tune competition=digits hparams_search=cnn n_trials=12",
        "kagglekit tune competition=titanic hparams_search=mlp storage=postgresql://me@db/optuna",
    ],
}


def take_config_dirs(args: list[str]) -> list[str]:
    """Remove ``--config-dir DIR`` (``--config-dir=DIR``, ``-cd DIR``) from ``args`` and search
    those folders first (:mod:`kagglekit.search_path`); one clear line and exit 2 when a named
    folder (or ``KAGGLEKIT_CONFIG_DIR``) is not there."""
    from kagglekit.errors import ConfigError
    from kagglekit.search_path import set_command_line_dirs, user_config_dirs

    rest: list[str] = []
    dirs: list[str] = []
    items = iter(args)
    for arg in items:
        if arg in ("--config-dir", "-cd"):
            value = next(items, None)
            if value is None:
                print(f"Error: {arg} needs a folder: {arg} DIR", file=sys.stderr)
                sys.exit(2)
            dirs.append(value)
        elif arg.startswith("--config-dir="):
            dirs.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    set_command_line_dirs(dirs)
    try:
        user_config_dirs()
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(2)
    return rest


def hydra_command_line(command: str, argv: list[str] | None) -> None:
    """Prepare ``sys.argv`` for a Hydra command: ``--help`` prints kagglekit's help and exits
    (Hydra's own is ``--hydra-help``), ``--config-dir`` goes to the config search path."""
    args = take_config_dirs(list(sys.argv[1:] if argv is None else argv))
    if "--help" in args or "-h" in args:
        print(command_help(command))
        sys.exit(0)
    sys.argv = [sys.argv[0], *args]
    import_from_working_directory()


def import_from_working_directory() -> None:
    """A user's own code next to the configs (``_target_: my_features.Features``) imports from
    the working directory, as with ``python -m kagglekit`` (appended: it shadows no installed
    package). ``predict`` needs it too: a run's config names the same code."""
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())


def command_help(command: str) -> str:
    """``kagglekit <command> --help`` of a Hydra command: usage, config groups and their
    options (on the whole search path), the config folders, examples."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from kagglekit.search_path import user_config_dirs

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            groups = sorted(g for g in loader.list_groups("") if g != "hydra")
            if command != "tune":
                groups = [g for g in groups if g not in _TUNE_GROUPS]
            options = {g: sorted(set(loader.get_group_options(g))) for g in groups}
    finally:
        GlobalHydra.instance().clear()
    width = max(len(g) for g in options)
    lines = [
        f"usage: kagglekit {command} [--config-dir DIR] [group=option ...] [key=value ...]",
        "",
        _summary(COMMANDS[command]),
    ]
    if command == "tune":
        lines += [
            "hparams_search=<name> is required; n_trials, timeout, storage and study_name are "
            "keys of conf/tune.yaml.",
        ]
    lines += ["", "config groups (group=option):"]
    lines += [f"  {g:<{width}}  {', '.join(options[g])}" for g in options]
    lines += [
        "",
        "config folders, searched in this order (a file there replaces a shipped one of the "
        "same name):",
    ]
    lines += [f"  {d}" for d in user_config_dirs()]
    lines += [f"  {CONF_DIR}  (shipped)"]
    lines += [
        "",
        "options:",
        "  --config-dir DIR  search DIR first (also KAGGLEKIT_CONFIG_DIR, then ./conf)",
        "  --cfg job         print the composed config and exit",
        "  -m, --multirun    one run per value of a comma-separated override",
        "  --hydra-help      Hydra's own options",
        "",
        "examples:",
        *(f"  {e}" for e in _EXAMPLES[command]),
    ]
    return "\n".join(lines)


def lock_named_run_dir(args: list[str]) -> None:
    """An existing run directory named on the command line is locked at once, before the config
    is even composed: a second process on a run in progress stops within a second or two."""
    named = [a.split("=", 1)[1] for a in args if a.startswith("hydra.run.dir=")]
    if not named or any(a.startswith("-") for a in args) or "${" in named[-1]:
        return
    from kagglekit.errors import KagglekitError
    from kagglekit.rundir import acquire

    value = named[-1]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    if not Path(value).is_dir():
        return  # nobody holds a folder that does not exist; claim_run_dir creates and locks it
    try:
        acquire(Path(value))
    except KagglekitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)


def train_main(argv: list[str] | None = None) -> None:
    """Cross-validate a Keras model: folds, checkpoints, OOF, scores.json, submission.csv.

    Hydra entry point; ``argv`` are overrides such as ``competition=digits``.
    """
    from kagglekit.redact import mask_standard_streams

    hydra_command_line("train", argv)
    mask_standard_streams()  # before anything can print an override (a URL with a password)
    quiet_write_failures()
    lock_named_run_dir(sys.argv[1:])
    sys.argv = [sys.argv[0], *check_command_line(sys.argv[1:])]
    check_backend()
    sys.argv = [sys.argv[0], *claim_run_dir(sys.argv[1:])]
    app = hydra.main(config_path=PACKAGE_CONF, config_name="config", version_base="1.3")(_train)
    app()


def _baseline(cfg: DictConfig) -> float:
    from kagglekit.errors import KagglekitError
    from kagglekit.pipeline import baseline

    log_backend()
    try:
        result = baseline(cfg)
    except KagglekitError as exc:
        fail(exc)
    print(
        f"Baseline CV {result.metric}: {result.cv_score:.6f} ({result.model})  ->  "
        f"{result.paths['submission']}"
    )
    return float(result.cv_score)


def baseline_main(argv: list[str] | None = None) -> None:
    """Fit a classical baseline (gradient boosting, linear, MiniRocket) on the same folds.

    Hydra entry point of ``kagglekit baseline``: the same config and overrides as ``train``.
    """
    from kagglekit.redact import mask_standard_streams

    hydra_command_line("baseline", argv)
    mask_standard_streams()
    sys.argv = [sys.argv[0], *check_command_line(sys.argv[1:])]
    check_backend()
    app = hydra.main(config_path=PACKAGE_CONF, config_name="config", version_base="1.3")(_baseline)
    app()


def _tune(cfg: DictConfig) -> float | None:
    from kagglekit.tuning.runner import tune_from_hydra

    log_backend()
    try:
        result = tune_from_hydra(cfg)
    except KeyboardInterrupt:
        print(
            "Interrupted: the running trial is queued again; re-run the same command to continue."
        )
        sys.exit(130)
    except Exception:
        # Hydra would print the command line, storage password included: report it masked
        import traceback

        from kagglekit.tuning.storage import mask_in_text

        print(mask_in_text(traceback.format_exc(), cfg.get("storage")), file=sys.stderr)
        sys.exit(1)
    if result.outcome.stopped_by == "recycle":
        # memory grew past tune.recycle_after_mb: become a fresh process running the same
        # command (which resumes the study); the PID stays, the memory goes
        log.info("Memory grew past tune.recycle_after_mb: restarting this worker (same command).")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    print(
        f"{result.finished} trials finished; best {result.best_value} (trial {result.best_trial})"
        f"  ->  {result.paths.get('best', result.sweep_dir)}"
    )
    return result.best_value


def tune_main(argv: list[str] | None = None) -> None:
    """Search hyperparameters with Optuna: every trial is a cross-validated train run.

    Hydra entry point of a sweep (conf/tune.yaml); ``argv`` are overrides.
    """
    hydra_command_line("tune", argv)
    check_backend()
    app = hydra.main(config_path=PACKAGE_CONF, config_name="tune", version_base="1.3")(_tune)
    app()


def predict_main(argv: list[str] | None = None) -> None:
    """Rebuild a run's submission from its fold checkpoints, without training."""
    parser = argparse.ArgumentParser(
        prog="kagglekit predict",
        description="Predict a test file with a run's fold checkpoints and their stored "
        "preprocessing, without training and without the training data.",
    )
    parser.add_argument(
        "run_dir",
        type=Path,
        help="a finished run directory (holds config.yaml, inference.json, fold_*/), a blend "
        "directory (kagglekit blend: its inputs predict, its method blends) or a bundle "
        "written by `kagglekit package`",
    )
    parser.add_argument(
        "--test",
        type=Path,
        default=None,
        help="a test file of the competition's layout (default: the config's test file)",
    )
    parser.add_argument(
        "--sample-submission",
        type=Path,
        default=None,
        help="its sample submission (default: the config's; when that is gone, one is built "
        "from the test ids and the header stored in the run)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write (default: <run_dir>/submission.csv; ./submission.csv for a bundle)",
    )
    args = parser.parse_args(argv)
    check_backend()
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
    )
    from kagglekit.errors import KagglekitError

    log_backend()
    from kagglekit.bundle import bundle_output, run_dir_of
    from kagglekit.pipeline import predict

    try:
        path = predict(
            run_dir_of(args.run_dir),  # a bundle (kagglekit package) holds its run in run/
            test_file=args.test,
            sample_submission=args.sample_submission,
            output=bundle_output(args.run_dir, args.output),
        )
    except KagglekitError as exc:
        fail(exc)
    print(path)


def prepare_main(argv: list[str] | None = None) -> None:
    """Write a shipped example's data files (data/<competition>/)."""
    parser = argparse.ArgumentParser(
        prog="kagglekit prepare", description="Write a shipped example's data files."
    )
    parser.add_argument("competition", help="digits, titanic, ...")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: data/<competition>")
    parser.add_argument(
        "--config-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="search DIR first for configs (also KAGGLEKIT_CONFIG_DIR, then ./conf)",
    )
    args = parser.parse_args(argv)
    take_config_dirs([a for d in args.config_dir for a in ("--config-dir", d)])
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"competition={args.competition}"])
    spec = instantiate(cfg.competition, _convert_="all")
    if spec.prepare is None:
        sys.exit(
            f"Competition {args.competition!r} ships no prepare step: download its files into {spec.data_dir}."
        )
    from kagglekit.errors import KagglekitError

    try:
        print(spec.prepare(args.data_dir or spec.data_dir))
    except KagglekitError as exc:  # e.g. the examples extra is not installed
        sys.exit(f"Error: {exc}")


def blend_main(argv: list[str] | None = None) -> None:
    """Blend finished runs or a sweep's best trials into one submission."""
    from kagglekit.ensemble.methods import METHODS

    parser = argparse.ArgumentParser(
        prog="kagglekit blend",
        description="Blend the OOF and test predictions of finished runs (or of a sweep's best "
        "trials) trained on the same folds; write a blend directory with its own submission.",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="RUN_OR_SWEEP",
        help="finished run directories, and/or sweep directories (their --top best trials)",
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="weights",
        help="mean, rank (for AUC), weights (optimised on OOF; default), hill_climb (Caruana), "
        "stack (a level-2 model, honest CV)",
    )
    parser.add_argument(
        "--top", type=int, default=5, help="a sweep's best complete trials to use (default 5)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="the blend directory (default: outputs/<competition>/blend-<time>)",
    )
    parser.add_argument(
        "--iterations", type=int, default=100, help="hill_climb: most additions (default 100)"
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=10,
        help="hill_climb: stop after this many additions without improvement (default 10)",
    )
    parser.add_argument(
        "--stack-model",
        choices=("auto", "logistic", "ridge"),
        default="auto",
        help="stack: the level-2 model (auto: logistic for classification, ridge for regression)",
    )
    parser.add_argument(
        "--alpha", type=float, default=1.0, help="stack: L2 regularisation strength (default 1)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="weights: seed of the random candidate weights"
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="-o holds another blend (other inputs, method or options): move it aside to "
        "<dir>.old-<time> and blend afresh (without it such a re-run is refused)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
    )
    import shlex

    from kagglekit.ensemble import BlendOptions, blend
    from kagglekit.errors import KagglekitError

    options = BlendOptions(
        method=args.method,
        top=args.top,
        iterations=args.iterations,
        patience=args.patience,
        stack_model=args.stack_model,
        alpha=args.alpha,
        seed=args.seed,
    )
    command = shlex.join(["kagglekit", "blend", *(argv if argv is not None else sys.argv[1:])])
    try:
        result = blend(
            args.inputs, options, output=args.output, command=command, restart=args.restart
        )
    except KagglekitError as exc:
        fail(exc)
    for item in result.inputs:
        weight = "" if result.weights is None else f"  weight {result.weights[item['name']]:.4f}"
        print(f"  {item['name']}: CV {item['cv']:.6f}{weight}")
    best = result.best_input
    print(
        f"Blend ({result.method}) CV {result.metric}: {result.cv_score:.6f} "
        f"(best input {best['cv']:.6f})  ->  {result.paths['submission']}"
    )


def report_main(argv: list[str] | None = None) -> None:
    """(Re)write report.html for a finished run, sweep or blend directory."""
    parser = argparse.ArgumentParser(
        prog="kagglekit report",
        description="(Re)write report.html, one self-contained page, for a finished run, sweep "
        "or blend directory.",
    )
    parser.add_argument(
        "directories", nargs="+", type=Path, metavar="RUN", help="run, sweep or blend directories"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
    )
    from kagglekit.errors import KagglekitError
    from kagglekit.report.html import write_report

    for directory in args.directories:
        try:
            print(write_report(directory))
        except KagglekitError as exc:
            fail(exc)


# kagglekit <name>: each function takes the arguments after the command name (None: sys.argv);
# the first line of its docstring is its line in `kagglekit --help`
COMMANDS: dict[str, Callable[[list[str] | None], None]] = {
    "init": init_main,
    "prepare": prepare_main,
    "train": train_main,
    "baseline": baseline_main,
    "tune": tune_main,
    "predict": predict_main,
    "blend": blend_main,
    "report": report_main,
    "package": package_main,
    "submit": submit_main,
}


def _summary(function: Callable[..., object]) -> str:
    doc = (function.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def usage() -> str:
    """``kagglekit --help``: every command of :data:`COMMANDS`, one line each."""
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: kagglekit <command> [arguments]   (kagglekit <command> --help for its own)",
        "",
        "commands:",
        *(f"  {name:<{width}}  {_summary(f)}" for name, f in COMMANDS.items()),
    ]
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    if not args:
        print(usage(), file=sys.stderr)
        sys.exit(2)
    if args[0] in ("-h", "--help", "help"):
        print(usage())
        sys.exit(0)
    if args[0] not in COMMANDS:
        print(f"Error: no command {args[0]!r}.\n\n{usage()}", file=sys.stderr)
        sys.exit(2)
    command, rest = args[0], args[1:]
    sys.argv = [f"kagglekit {command}", *rest]
    import_from_working_directory()
    COMMANDS[command](rest)


if __name__ == "__main__":
    main()
