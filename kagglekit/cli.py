"""Command line: ``kagglekit train|tune|predict|prepare ...`` (``scripts/*.py`` call the same code).

kagglekit train competition=titanic model=mlp trainer.epochs=50
kagglekit tune competition=digits hparams_search=cnn n_trials=12
kagglekit predict outputs/titanic/2026-11-26_10-00-00
kagglekit prepare digits
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TensorFlow start-up chatter

import hydra
from omegaconf import DictConfig

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
log = logging.getLogger("kagglekit")


def fail(exc: BaseException) -> NoReturn:
    """One clear message for an error the user can fix (also in the run's log), then exit:
    2 for a usage/config error (:class:`~kagglekit.errors.ConfigError`), 1 for a data error."""
    from kagglekit.errors import ConfigError

    log.error("%s", exc)
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(2 if isinstance(exc, ConfigError) else 1)


def _train(cfg: DictConfig) -> float:
    from kagglekit.errors import KagglekitError
    from kagglekit.pipeline import train

    try:
        result = train(cfg)
    except KagglekitError as exc:
        fail(exc)
    print(f"CV {result.metric}: {result.cv_score:.6f}  ->  {result.paths['submission']}")
    return result.cv_score


def check_command_line(args: list[str]) -> list[str]:
    """Refuse misspelt keys/options and wrongly typed values before Hydra starts anything;
    return the arguments for Hydra (see :func:`kagglekit.config_check.check_overrides`)."""
    from kagglekit.config_check import ConfigError, check_overrides

    if any(a.startswith("-") for a in args):
        return args  # --help, --cfg, --multirun...: Hydra's own modes
    try:
        return check_overrides(args, CONF_DIR)
    except ConfigError as exc:
        print(f"Error in the command line:\n{exc}", file=sys.stderr)
        sys.exit(2)


def train_main(argv: list[str] | None = None) -> None:
    """Hydra entry point; ``argv`` are overrides such as ``competition=digits``."""
    from kagglekit.redact import mask_standard_streams

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    mask_standard_streams()  # before anything can print an override (a URL with a password)
    sys.argv = [sys.argv[0], *check_command_line(sys.argv[1:])]
    app = hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(_train)
    app()


def _tune(cfg: DictConfig) -> float | None:
    from kagglekit.tuning.runner import tune_from_hydra

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
    """Hydra entry point of a sweep (conf/tune.yaml); ``argv`` are overrides."""
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    app = hydra.main(config_path=str(CONF_DIR), config_name="tune", version_base="1.3")(_tune)
    app()


def predict_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="kagglekit predict",
        description="Rebuild a run's submission from its fold checkpoints, without training.",
    )
    parser.add_argument(
        "run_dir",
        type=Path,
        help="a finished run directory (holds config.yaml, folds.csv, fold_*/)",
    )
    parser.add_argument(
        "--test", type=Path, default=None, help="another test file of the same layout"
    )
    parser.add_argument(
        "--sample-submission", type=Path, default=None, help="the sample submission for --test"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write (default: <run_dir>/submission.csv)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
    )
    from kagglekit.errors import KagglekitError
    from kagglekit.pipeline import predict

    try:
        path = predict(
            args.run_dir,
            test_file=args.test,
            sample_submission=args.sample_submission,
            output=args.output,
        )
    except KagglekitError as exc:
        fail(exc)
    print(path)


def prepare_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="kagglekit prepare", description="Write a shipped example's data files."
    )
    parser.add_argument("competition", help="digits, titanic, ...")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: data/<competition>")
    args = parser.parse_args(argv)
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"competition={args.competition}"])
    spec = instantiate(cfg.competition, _convert_="all")
    if spec.prepare is None:
        sys.exit(
            f"Competition {args.competition!r} ships no prepare step: download its files into {spec.data_dir}."
        )
    print(spec.prepare(args.data_dir or spec.data_dir))


COMMANDS = {
    "train": train_main,
    "tune": tune_main,
    "predict": predict_main,
    "prepare": prepare_main,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: kagglekit {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        sys.exit(2)
    command, rest = sys.argv[1], sys.argv[2:]
    if command in ("train", "tune"):
        sys.argv = [f"kagglekit {command}", *rest]
        COMMANDS[command]()
    else:
        COMMANDS[command](rest)


if __name__ == "__main__":
    main()
