"""``kagglekit package RUN -o DIR``: a self-contained folder to predict with in a Kaggle notebook.

A bundle holds::

    kagglekit-bundle.json   what it is: the run, its CV score and fingerprint, the wheels
    README.md               the notebook commands
    wheels/                 kagglekit's wheel (configs inside); with --with-deps also the
                            pure-Python dependencies Kaggle's image lacks
    run/                    the run directory, less what predicting does not need: config.yaml,
                            fingerprint.json, folds.csv, scores.json, submission.csv, and each
                            fold_<k>/ with its weights and fitted preprocessing files

The run directory is copied generically (everything but known training by-products: logs,
plots, OOF and per-fold test predictions, backups), so new per-fold files (preprocessing
state, encoders) travel without a change here. ``kagglekit predict BUNDLE`` reads ``run/``.

A blend directory (``kagglekit blend``) is bundled with its inputs: ``run/`` holds the blend's
own files (``blend.json``, ``level2.npz``, config, fingerprint, scores, submission) and
``run/inputs/<i>/`` each input run's files as above (:func:`blend_copies`); predicting the bundle
predicts with every input and applies the blend's stored method (:mod:`kagglekit.ensemble.predict`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as metadata
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kagglekit.errors import ConfigError, KagglekitError
from kagglekit.files import read_json, write_json
from kagglekit.fingerprint import Fingerprint
from kagglekit.rundir import WEIGHTS_FILE, RunDir
from kagglekit.wheels import (
    build_from_source,
    check_has_configs,
    editable_source,
    installed_wheel_file,
    is_pure,
    repack_installed,
)

log = logging.getLogger(__name__)

MARKER = "kagglekit-bundle.json"
RUN_SUBDIR = "run"
WHEELS_SUBDIR = "wheels"
BUNDLE_VERSION = 1

# the dependencies of kagglekit that Kaggle's image lacks (hydra-core, omegaconf, antlr4) or
# carries in a version older than kagglekit needs (optuna>=5, keras>=3.15), with those of their
# own dependencies that the image may lack; all pure Python
KAGGLE_MISSING = (
    "hydra-core",
    "omegaconf",
    "antlr4-python3-runtime",
    "optuna",
    "alembic",
    "Mako",
    "colorlog",
    "keras",
)

# what predicting does not need: logs, plots, reports, OOF and per-fold test predictions,
# training backups, the lock, Hydra's own copies, trackers' folders, earlier submissions
SKIP_TOP = {
    ".hydra",
    "run.lock",
    "train.log",
    "report.html",
    "oof.npy",
    "oof.csv",
    "test_pred.npy",
    "test_pred.csv",
    "model_summary.txt",
    "submissions.csv",
    "baseline",
    "mlruns",
    "wandb",
    "tensorboard",
}
SKIP_FOLD = {"backup", "oof.npy", "test_pred.npy", "history.csv"}
SKIP_SUFFIXES = (".png", ".log")


class BundleError(KagglekitError, ValueError):
    """The run cannot be packaged, or the folder is not a bundle; the message says why."""


def is_bundle(path: Path) -> bool:
    return (Path(path) / MARKER).is_file()


def run_dir_of(path: Path) -> Path:
    """The run directory inside a bundle, or ``path`` itself when it is not a bundle."""
    path = Path(path)
    return path / RUN_SUBDIR if is_bundle(path) else path


def bundle_output(path: Path, output: Path | None) -> Path | None:
    """Where ``predict`` writes: ``output``; for a bundle (read-only on Kaggle) by default
    ``submission.csv`` in the current folder instead of inside the run."""
    if output is None and is_bundle(path):
        return Path("submission.csv")
    return output


def fingerprint_digest(run_dir: Path) -> str:
    """A short digest of what trained the run: its config keys, the content (SHA-256) of its
    training and test files, and its fold assignment; file times and places do not count."""
    rundir = RunDir(Path(run_dir))
    stored = rundir.read_fingerprint()
    if stored is None:
        return ""
    return digest_of(stored)


def digest_of(fingerprint: Fingerprint) -> str:
    files = {role: record.get("sha256") for role, record in sorted(fingerprint.files.items())}
    text = json.dumps(
        {"config": fingerprint.config, "files": files, "folds": fingerprint.folds},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _skipped(rel: Path) -> bool:
    parts = rel.parts
    name = parts[-1]
    if name.startswith(".") and ".tmp-" in name:
        return True  # a write in progress
    if name.endswith(SKIP_SUFFIXES):
        return True
    if parts[0] in SKIP_TOP:
        return True
    if not parts[0].startswith("fold_") or len(parts) < 2:
        return False
    if parts[1].startswith("seed_") and len(parts) > 2:  # a seed of a bagged fold
        return parts[2] in SKIP_FOLD
    return parts[1] in SKIP_FOLD


def run_files(run_dir: Path) -> list[Path]:
    """The files of ``run_dir`` that a bundle carries (relative paths, sorted)."""
    out = []
    for path in sorted(Path(run_dir).rglob("*")):
        rel = path.relative_to(run_dir)
        if path.is_file() and not _skipped(rel):
            out.append(rel)
    return out


def check_finished(run_dir: Path) -> dict[str, Any]:
    """The run's scores; refuse a folder that is not a finished run with fold checkpoints."""
    rundir = RunDir(Path(run_dir))
    if not rundir.config.is_file():
        raise BundleError(f"{rundir.config} not found: {run_dir} is not a kagglekit run directory.")
    weights = [f.weights for f in rundir.fold_dirs() if f.weights.is_file()]
    weights += list(rundir.path.glob(f"fold_*/seed_*/{WEIGHTS_FILE}"))  # seed bagging
    if not weights:
        raise BundleError(
            f"{run_dir} holds no fold checkpoint (fold_<k>/model.weights.h5): train it first."
        )
    state = rundir.read_state()
    if state.get("status") not in (None, "complete"):
        raise BundleError(
            f"{run_dir} is not finished (run_state.json says {state.get('status')!r}): "
            "re-run its training command to finish it, then package it."
        )
    try:
        scores = read_json(rundir.scores)
    except (OSError, ValueError):
        scores = {}
    return scores if isinstance(scores, dict) else {}


def is_baseline_run(run_dir: Path) -> bool:
    """A run directory ``kagglekit baseline`` wrote (its scikit-learn models are not saved)."""
    return bool(RunDir(Path(run_dir)).read_state().get("baseline", False))


def refuse_baseline(run_dir: Path, what: str, fix: str) -> None:
    """Refuse a baseline run: ``what`` names it (``The run``, ``Input 1 of the blend B,``)."""
    if is_baseline_run(run_dir):
        raise BundleError(
            f"{what} {run_dir} is a classical baseline run (kagglekit baseline): its "
            "scikit-learn models are not saved (they would need pickle), so a bundle cannot "
            f"predict with it. {fix}"
        )


def blend_copies(blend_dir: Path, prefix: Path = Path()) -> tuple[dict[str, Any], list[Path]]:
    """The blend's scores and the files its bundle carries (relative paths under the bundle's
    ``run/``): the blend's own (blend.json, level2.npz, config, fingerprint, submission) and,
    in ``inputs/<i>/``, each input run's (weights, preprocessing, configs); an input that is
    itself a blend brings its inputs along. Every input must be a finished deep run (or blend)
    whose fingerprint still matches the blend's record."""
    from kagglekit.ensemble.predict import INPUTS_SUBDIR, input_dirs, read_record
    from kagglekit.ensemble.record import is_blend_dir

    state = RunDir(blend_dir).read_state()
    if state.get("status") != "complete":
        raise BundleError(
            f"{blend_dir} is not a finished blend (run_state.json says "
            f"{state.get('status', 'nothing')!r}): blend again, then package it."
        )
    try:
        inputs = input_dirs(blend_dir, read_record(blend_dir))
    except KagglekitError as exc:
        raise BundleError(str(exc)) from exc
    for i, path in enumerate(inputs):  # first: what no training can make packageable
        refuse_baseline(
            path, f"Input {i} of the blend {blend_dir},", "Blend without it, then package that."
        )
    files = [prefix / rel for rel in run_files(blend_dir) if rel.parts[0] != INPUTS_SUBDIR]
    for i, path in enumerate(inputs):
        where = prefix / INPUTS_SUBDIR / str(i)
        if is_blend_dir(path):
            files += blend_copies(path, where)[1]
            continue
        try:
            check_finished(path)
        except BundleError as exc:
            raise BundleError(f"Input {i} of the blend {blend_dir}: {exc}") from exc
        files += [where / rel for rel in run_files(path)]
    try:
        scores = read_json(RunDir(blend_dir).scores)
    except (OSError, ValueError):
        scores = {}
    return (scores if isinstance(scores, dict) else {}), files


def source_of(run_dir: Path, rel: Path) -> Path:
    """The file that ``rel`` (a path under a bundle's ``run/``) is a copy of: ``inputs/<i>/...``
    of a blend lies in the input run the blend recorded."""
    from kagglekit.ensemble.predict import INPUTS_SUBDIR, input_dirs, read_record

    parts = rel.parts
    if len(parts) > 2 and parts[0] == INPUTS_SUBDIR and not (run_dir / INPUTS_SUBDIR).is_dir():
        inputs = input_dirs(run_dir, read_record(run_dir))
        return source_of(inputs[int(parts[1])], Path(*parts[2:]))
    return run_dir / rel


# -- kagglekit's own wheel ------------------------------------------------------------------------
def source_root() -> Path | None:
    """The checkout the running kagglekit is imported from (holding pyproject.toml), if any."""
    import kagglekit

    root = Path(kagglekit.__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "kagglekit"' in pyproject.read_text(errors="replace"):
        return root
    editable = editable_source("kagglekit")
    return editable if editable is not None and (editable / "pyproject.toml").is_file() else None


def kagglekit_wheel(out_dir: Path, given: Path | None = None) -> tuple[Path, str]:
    """Put kagglekit's wheel into ``out_dir``; return it and how it was made.

    ``given`` is copied; else a checkout is built; else the installed files are zipped again
    (an ordinary install); else the wheel pip installed from, if it still exists.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if given is not None:
        if not given.is_file() or not given.name.startswith("kagglekit-"):
            raise BundleError(f"--wheel {given}: not a kagglekit-*.whl file.")
        target = out_dir / given.name
        shutil.copy2(given, target)
        check_has_configs(target)
        return target, f"copied from {given}"
    root = source_root()
    if root is not None:
        return build_from_source(root, out_dir), f"built from the checkout {root}"
    try:
        metadata.distribution("kagglekit")
    except metadata.PackageNotFoundError:
        raise BundleError(
            "kagglekit is neither a checkout nor an installed distribution here: pass "
            "--wheel <kagglekit-*.whl>."
        ) from None
    try:
        target = repack_installed("kagglekit", out_dir)
    except KagglekitError:
        found = installed_wheel_file("kagglekit")
        if found is None:
            raise
        target = out_dir / found.name
        shutil.copy2(found, target)
        return target, f"copied from {found} (the wheel it was installed from)"
    check_has_configs(target)
    return target, "zipped from the installed files"


def dependency_wheels(out_dir: Path, names: Sequence[str], *, strict: bool) -> list[Path]:
    """Wheels of the installed pure-Python distributions ``names``; with ``strict`` a missing or
    compiled one is an error, else it is skipped with a warning."""
    made = []
    for name in names:
        try:
            metadata.distribution(name)
            if not is_pure(name) and not strict:
                log.warning("%s is not pure Python: not bundled (Kaggle's image has it).", name)
                continue
            made.append(repack_installed(name, out_dir))
        except metadata.PackageNotFoundError:
            if strict:
                raise BundleError(f"--dep {name}: not installed here; install it first.") from None
            log.warning("%s is not installed here: not bundled.", name)
    return made


# -- the bundle -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bundle:
    path: Path
    wheels: list[Path]
    files: list[Path]
    info: dict[str, Any]


def _git_commit(root: Path | None) -> str | None:
    if root is None or not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


def package(
    run_dir: Path,
    out: Path,
    *,
    with_deps: bool = False,
    deps: Sequence[str] = (),
    wheel: Path | None = None,
    force: bool = False,
) -> Bundle:
    """Write the bundle of the finished run ``run_dir`` to the folder ``out``."""
    run_dir = Path(run_dir)
    if is_bundle(run_dir):
        raise BundleError(f"{run_dir} is already a bundle; package its run directory instead.")
    from kagglekit.ensemble.record import is_blend_dir

    blend = is_blend_dir(run_dir)
    if blend:
        scores, files = blend_copies(run_dir)
    else:
        refuse_baseline(run_dir, "The run", "Package a deep run (or a blend of deep runs).")
        scores = check_finished(run_dir)
        files = run_files(run_dir)
    out = Path(out)
    if out.resolve() == run_dir.resolve() or run_dir.resolve() in out.resolve().parents:
        raise BundleError(f"-o {out}: the bundle cannot be written inside the run {run_dir}.")
    if out.exists() and any(out.iterdir()):
        if not (force and is_bundle(out)):
            raise BundleError(
                f"-o {out} exists and is not empty: choose a new folder"
                + (" (or --force to replace this bundle)." if is_bundle(out) else ".")
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        wheels_dir = out / WHEELS_SUBDIR
        own, how = kagglekit_wheel(wheels_dir, wheel)
        defaults = [d for d in KAGGLE_MISSING if with_deps and d not in deps]
        extra = dependency_wheels(wheels_dir, defaults, strict=False)
        extra += dependency_wheels(wheels_dir, list(dict.fromkeys(deps)), strict=True)
        for rel in files:
            target = out / RUN_SUBDIR / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_of(run_dir, rel), target)
        info = bundle_info(run_dir, scores, own, how, extra)
        if blend:
            info["kind"] = "blend"
            info["method"] = scores.get("method")
            info["inputs"] = [i.get("name") for i in scores.get("inputs", [])]
        write_json(out / MARKER, info)
        (out / "README.md").write_text(readme(info, out))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return Bundle(out, [own, *extra], files, info)


def bundle_info(
    run_dir: Path, scores: dict[str, Any], own: Path, how: str, deps: list[Path]
) -> dict[str, Any]:
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(RunDir(run_dir).config)
    competition = OmegaConf.select(cfg, "competition", default=None)

    def get(key: str, default: Any = None) -> Any:
        return OmegaConf.select(cfg, f"competition.{key}", default=default)

    return {
        "bundle_version": BUNDLE_VERSION,
        "kind": "run",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "run": str(run_dir.resolve()),
        "competition": get("name") if competition is not None else None,
        "kaggle_slug": get("kaggle_slug"),
        "test_file": get("test_file", "test.csv"),
        "sample_submission_file": get("sample_submission_file", "sample_submission.csv"),
        "metric": scores.get("metric"),
        "cv": scores.get("cv"),
        "fingerprint": fingerprint_digest(run_dir),
        "kagglekit_version": _version(),
        "kagglekit_source": how,
        "git_commit": _git_commit(source_root()),
        "python": ".".join(map(str, sys.version_info[:3])),
        "wheels": [own.name, *(p.name for p in deps)],
    }


def _version() -> str:
    try:
        return metadata.version("kagglekit")
    except metadata.PackageNotFoundError:
        return "unknown"


def readme(info: dict[str, Any], out: Path) -> str:
    slug = info.get("kaggle_slug") or "<competition>"
    name = out.name
    cv = info.get("cv")
    score = f"{cv:.6f}" if isinstance(cv, (int, float)) else "unknown"
    deps = info["wheels"][1:]
    dep_line = (
        f"`wheels/` also holds {', '.join(deps)}: the pure-Python dependencies Kaggle's image lacks."
        if deps
        else "Only kagglekit's wheel is inside: its dependencies must be on Kaggle's image "
        "(hydra-core, omegaconf and antlr4-python3-runtime are not; package with --with-deps)."
    )
    kind = info.get("kind", "run")
    contents = (
        "- `run/`: the run's config.yaml, fingerprint.json, folds.csv, scores.json, "
        "submission.csv and\n  each fold's weights and fitted preprocessing."
        if kind == "run"
        else f"- `run/`: the blend's blend.json (method {info.get('method')}, its weights), "
        "level2.npz (stack), config.yaml,\n  fingerprint.json, scores.json, submission.csv; "
        "`run/inputs/<i>/`: each input run's config,\n  fingerprint and every fold's weights "
        "and fitted preprocessing. `kagglekit predict` predicts\n  with every input and "
        "blends their predictions as the blend did."
    )
    return f"""# kagglekit bundle: {info.get("competition")} {kind}

CV {info.get("metric")}: {score}. Fingerprint {info.get("fingerprint") or "none"}.
Made {info["created"]} from `{info["run"]}` by kagglekit {info["kagglekit_version"]}
({info["kagglekit_source"]}; Python {info["python"]}).

## In a Kaggle notebook

Upload this folder as a dataset (`kaggle datasets create -p {name}` after
`kaggle datasets init -p {name}`, or the web page), add it and the competition data to the
notebook, and run (Internet may stay off):

```
!pip install --no-index --find-links /kaggle/input/{name}/wheels kagglekit
!kagglekit predict /kaggle/input/{name} \\
    --test /kaggle/input/{slug}/{info["test_file"]} \\
    --sample-submission /kaggle/input/{slug}/{info["sample_submission_file"]} \\
    --output /kaggle/working/submission.csv
```

`kagglekit predict` reads the run from `run/` (the bundle may stay read-only) and writes
`submission.csv` into the current folder unless `--output` says otherwise. On the run's Keras
backend and versions, predicting the run's test file gives `run/submission.csv` byte for byte:
compare the two to check the notebook's setup. (`/kaggle/input/{name}` is where Kaggle mounts
the dataset: use the dataset's name if it differs from `{name}`.)

{dep_line}

## Contents

- `kagglekit-bundle.json`: the run, its CV score and fingerprint, the wheels.
- `wheels/`: {", ".join(info["wheels"])}.
{contents}
"""


def package_main(argv: list[str] | None = None) -> None:
    """Bundle a finished run for an offline Kaggle notebook (wheel, configs, weights)."""
    parser = argparse.ArgumentParser(
        prog="kagglekit package",
        description="Write a self-contained bundle of a finished run (kagglekit's wheel, the "
        "resolved config, every fold's weights and preprocessing, the fingerprint and a README "
        "with the notebook commands), to predict with in a Kaggle notebook without Internet.",
    )
    parser.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN",
        help="a finished run directory, or a blend directory (kagglekit blend: every input "
        "run is bundled with it)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="the bundle folder (new or empty)"
    )
    parser.add_argument(
        "--with-deps",
        action="store_true",
        help="also bundle wheels of the pure-Python dependencies Kaggle's image lacks "
        f"({', '.join(KAGGLE_MISSING)}), made from the versions installed here",
    )
    parser.add_argument(
        "--dep",
        action="append",
        default=[],
        metavar="NAME",
        help="bundle the wheel of this installed pure-Python distribution too (repeatable)",
    )
    parser.add_argument(
        "--wheel",
        type=Path,
        default=None,
        help="use this kagglekit-*.whl instead of building one from the checkout",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing bundle at -o")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(name)s][%(levelname)s] - %(message)s")
    try:
        result = package(
            args.run_dir,
            args.output,
            with_deps=args.with_deps,
            deps=args.dep,
            wheel=args.wheel,
            force=args.force,
        )
    except KagglekitError as exc:
        print(f"Error: {exc}", file=sys.stderr)  # one line; 2 for a usage error, 1 otherwise
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    print(
        f"Bundle {result.path}: {len(result.files)} run files, wheels "
        f"{', '.join(p.name for p in result.wheels)}. See {result.path / 'README.md'}."
    )
