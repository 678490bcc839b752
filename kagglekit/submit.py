"""``kagglekit submit RUN -m MSG``: send a run's submission to Kaggle and keep a record of it.

The submission is checked against the competition's sample submission first (the checks of
:mod:`kagglekit.submission`); then the official ``kaggle`` client (``pip install
'kagglekit[kaggle]'``) runs ``kaggle competitions submit -c SLUG -f FILE -m MSG``. A successful
submission is appended to ``submissions.csv`` in the run directory: time (UTC), competition,
message, CV score, metric, fingerprint and the submitted file's SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kagglekit.errors import ConfigError, KagglekitError
from kagglekit.files import read_json, write_csv
from kagglekit.rundir import RunDir

RECORD_FILE = "submissions.csv"
RECORD_COLUMNS = [
    "time",
    "competition",
    "message",
    "cv",
    "metric",
    "fingerprint",
    "file",
    "sha256",
]
INSTALL_HINT = "pip install 'kagglekit[kaggle]' (or pip install kaggle)"
CLIENT_TIMEOUT_S = 600


class SubmitError(KagglekitError, RuntimeError):
    """The submission was not sent (or Kaggle refused it); the message says why."""


@dataclass(frozen=True)
class Submitted:
    slug: str
    file: Path
    record: Path
    row: dict[str, Any]
    client_output: str


def kaggle_client() -> str:
    """The path of the ``kaggle`` executable; one clear line when it is not installed."""
    found = shutil.which("kaggle")
    beside = Path(sys.executable).parent / "kaggle"  # this environment's, when not activated
    if found is None and beside.is_file() and os.access(beside, os.X_OK):
        found = str(beside)
    if found is None:
        raise SubmitError(
            f"The kaggle client is not installed (no `kaggle` on PATH): {INSTALL_HINT}."
        )
    return found


def credential_sources() -> list[str]:
    """Where the kaggle client finds credentials, as far as they are present here."""
    present = []
    env = os.environ
    if env.get("KAGGLE_USERNAME") and env.get("KAGGLE_KEY"):
        present.append("KAGGLE_USERNAME/KAGGLE_KEY")
    if env.get("KAGGLE_API_TOKEN"):
        present.append("KAGGLE_API_TOKEN")
    folders = [Path(env["KAGGLE_CONFIG_DIR"])] if env.get("KAGGLE_CONFIG_DIR") else []
    home = Path.home()
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    folders += [home / ".kaggle", xdg / "kaggle"]
    for folder in folders:
        for name in ("kaggle.json", "access_token"):
            if (folder / name).is_file():
                present.append(str(folder / name))
    return present


def check_credentials() -> None:
    if not credential_sources():
        raise SubmitError(
            "No Kaggle credentials found: put the token from kaggle.com > Settings > API into "
            "~/.kaggle/kaggle.json (chmod 600), or set KAGGLE_USERNAME and KAGGLE_KEY (or "
            "KAGGLE_API_TOKEN), or KAGGLE_CONFIG_DIR to the folder holding kaggle.json."
        )


def competition_slug(cfg: Any, given: str | None) -> str:
    from omegaconf import OmegaConf

    slug = given or OmegaConf.select(cfg, "competition.kaggle_slug", default=None)
    if not slug:
        raise ConfigError(
            "Which Kaggle competition? Pass --competition <slug> (the name in the competition's "
            "URL, kaggle.com/competitions/<slug>), or set competition.kaggle_slug in the "
            "competition config."
        )
    return str(slug)


def check_submission(run_dir: Path, cfg: Any, file: Path) -> None:
    """Validate ``file`` against the competition's sample submission (ids, columns, values)."""
    from hydra.utils import instantiate

    from kagglekit.data.loading import read_options, read_table
    from kagglekit.submission import SubmissionError, validate_submission

    spec = instantiate(cfg.competition, _convert_="all")
    sample_path = spec.sample_submission_path
    if not sample_path.is_file():
        raise SubmitError(
            f"{sample_path} not found: the submission cannot be checked against the sample "
            "submission. Put the competition files back (or fix competition.data_dir in "
            f"{RunDir(run_dir).config})."
        )
    options = read_options(spec)
    sample = read_table(sample_path, options)
    id_column = spec.submission_id_column or str(sample.columns[0])
    sample = read_table(sample_path, options, [id_column])
    submission = read_table(file, options, [id_column])
    labels = known_labels(spec, submission, id_column) if spec.submission == "label" else None
    try:
        validate_submission(
            submission, sample, kind=spec.submission, id_column=id_column, labels=labels
        )
    except SubmissionError as exc:
        raise SubmitError(f"{file} would be rejected: {exc} Nothing was sent.") from exc


def known_labels(spec: Any, submission: pd.DataFrame, id_column: str) -> list[Any]:
    """The labels a label submission may hold: the training target's values (multilabel: 0/1).

    Without the training file here, any non-missing value passes (ids, header and missing
    values are still checked).
    """
    if spec.task.value == "multilabel":
        return [0, 1]
    source = spec.targets_path or spec.train_path
    target = spec.target[0]
    if source.is_file():
        try:
            if source.suffix.lower() in (".parquet", ".pq"):
                column = pd.read_parquet(source, columns=[target])[target]
            else:
                column = pd.read_csv(source, sep=spec.sep, usecols=[target])[target]
            return column.dropna().unique().tolist()
        except (ValueError, KeyError, OSError):
            pass  # the target is elsewhere (long layout...): fall through
    values = submission.drop(columns=[id_column], errors="ignore")
    return pd.unique(values.to_numpy().ravel()).tolist()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def append_record(path: Path, row: dict[str, Any]) -> Path:
    """Append ``row`` to ``submissions.csv``, written whole and atomically (never half a file)."""
    if path.exists():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = pd.concat([old, pd.DataFrame([row]).astype(str)], ignore_index=True)
    else:
        frame = pd.DataFrame([row], columns=RECORD_COLUMNS).astype(str)
    return write_csv(path, frame)


def submit(
    run_dir: Path,
    message: str,
    *,
    competition: str | None = None,
    file: Path | None = None,
    dry_run: bool = False,
) -> Submitted:
    """Check, send and record the submission of the run ``run_dir``."""
    from omegaconf import OmegaConf

    from kagglekit.bundle import fingerprint_digest, run_dir_of

    run_dir = run_dir_of(Path(run_dir))
    rundir = RunDir(run_dir)
    if not message.strip():
        raise ConfigError("-m MSG is empty: say what this submission is (Kaggle shows it).")
    if not rundir.config.is_file():
        raise SubmitError(f"{rundir.config} not found: {run_dir} is not a kagglekit run directory.")
    cfg = OmegaConf.load(rundir.config)
    slug = competition_slug(cfg, competition)
    target = Path(file) if file is not None else rundir.submission
    if not target.is_file():
        raise SubmitError(
            f"{target} not found: finish the run (or `kagglekit predict {run_dir}`) first."
        )
    check_submission(run_dir, cfg, target)
    try:
        scores = read_json(rundir.scores)
    except (OSError, ValueError):
        scores = {}
    command = ["competitions", "submit", "-c", slug, "-f", str(target), "-m", message]
    row = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "competition": slug,
        "message": message,
        "cv": scores.get("cv", ""),
        "metric": scores.get("metric", ""),
        "fingerprint": fingerprint_digest(run_dir),
        "file": str(target),
        "sha256": _sha256(target),
    }
    if dry_run:
        return Submitted(
            slug, target, rundir.path / RECORD_FILE, row, "kaggle " + " ".join(command)
        )
    client = kaggle_client()
    check_credentials()
    try:
        proc = subprocess.run(
            [client, *command],
            capture_output=True,
            text=True,
            check=False,
            timeout=CLIENT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise SubmitError(
            f"kaggle competitions submit did not finish in {CLIENT_TIMEOUT_S} s; check "
            f"kaggle.com/competitions/{slug}/submissions before submitting again."
        ) from exc
    output = "\n".join(t.strip() for t in (proc.stdout, proc.stderr) if t and t.strip())
    if proc.returncode != 0:
        said = " ".join(output.split())[-600:] or "no message"
        raise SubmitError(
            f"kaggle competitions submit -c {slug} failed (exit {proc.returncode}): {said}"
        )
    try:
        record = append_record(rundir.path / RECORD_FILE, row)
    except (OSError, ValueError) as exc:  # SaveError is an OSError
        raise SubmitError(
            f"Submitted to {slug}, but {rundir.path / RECORD_FILE} could not be updated ({exc}); "
            f"do not submit again. The row: {row}"
        ) from exc
    return Submitted(slug, target, record, row, output)


def submit_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="kagglekit submit",
        description="Check a run's submission.csv against the sample submission, send it with "
        "the official kaggle client and record it in <run>/submissions.csv.",
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN", help="a finished run directory")
    parser.add_argument("-m", "--message", required=True, help="the submission's description")
    parser.add_argument(
        "--competition",
        "-c",
        default=None,
        metavar="SLUG",
        help="the competition's slug (default: competition.kaggle_slug of the run's config)",
    )
    parser.add_argument(
        "-f", "--file", type=Path, default=None, help="default: <run>/submission.csv"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the submission and print the kaggle command, without sending",
    )
    args = parser.parse_args(argv)
    try:
        result = submit(
            args.run_dir,
            args.message,
            competition=args.competition,
            file=args.file,
            dry_run=args.dry_run,
        )
    except KagglekitError as exc:
        print(f"Error: {exc}", file=sys.stderr)  # one line; 2 for a usage error, 1 otherwise
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    if args.dry_run:
        print(f"{result.file} is valid. Would run: {result.client_output}")
        return
    if result.client_output:
        print(result.client_output)
    print(
        f"Submitted {result.file} to {result.slug} (CV {result.row['metric']} "
        f"{result.row['cv']}); recorded in {result.record}.",
        file=sys.stdout,
    )
