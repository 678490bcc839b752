"""What made a blend: its ``fingerprint.json``, and the rule for a re-run into the same folder.

A blend directory holds a :class:`~kagglekit.fingerprint.Fingerprint` like a run directory's:
its "config" is the blend's method and options and, for each input in order, the input's path,
the digest of the input's own fingerprint (what trained it) and the SHA-256 of its
``oof.npy``; its "folds" the SHA-256 of the shared ``folds.csv``. ``kagglekit submit`` records
its digest like a run's. The inputs' test predictions are left out, like a run's test side: an
input re-predicted on a new test file may be blended again into the same folder.

``kagglekit blend ... -o DIR`` into a folder that already holds a blend of other inputs, another
method or other options (or a training run) is refused before anything is written, unless
``--restart`` moves the folder aside to ``DIR.old-<timestamp>`` (a run's ``restart=true``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kagglekit.ensemble.methods import BlendError
from kagglekit.files import read_json
from kagglekit.fingerprint import Fingerprint, compare
from kagglekit.rundir import RunChangedError, RunDir

BLEND_FILE = "blend.json"
# options that do not change the blend of the inputs chosen (--top only picks a sweep's trials)
NEUTRAL_OPTIONS = frozenset({"top"})


def blend_fingerprint(record: Mapping[str, Any]) -> Fingerprint:
    """The fingerprint of the blend that ``blend.json`` (``record``) describes."""
    config: dict[str, Any] = {
        "blend.method": record["method"],
        "blend.competition": record.get("competition"),
        "blend.inputs": len(record["inputs"]),
    }
    for key, value in sorted(dict(record.get("options", {})).items()):
        if key not in NEUTRAL_OPTIONS and key != "method":
            config[f"blend.options.{key}"] = value
    for i, item in enumerate(record["inputs"]):
        config[f"blend.inputs.{i}.path"] = item["path"]
        config[f"blend.inputs.{i}.oof_sha256"] = item.get("oof_sha256")
        if "fingerprint" in item:  # blends made before fingerprints did not record it
            config[f"blend.inputs.{i}.fingerprint"] = item["fingerprint"]
    return Fingerprint(config=config, folds=record.get("folds_sha256"))


def is_blend_dir(path: Path) -> bool:
    return (Path(path) / BLEND_FILE).is_file()


def stored_blend_fingerprint(path: Path) -> Fingerprint | None:
    """A blend directory's fingerprint: ``fingerprint.json``, or for a blend made before
    fingerprints existed one rebuilt from its ``blend.json``."""
    rundir = RunDir(Path(path))
    stored = rundir.read_fingerprint()
    if stored is not None or not is_blend_dir(path):
        return stored
    try:
        return blend_fingerprint(read_json(Path(path) / BLEND_FILE))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BlendError(
            f"{Path(path) / BLEND_FILE} is unreadable ({exc}): {ways_on(Path(path))}"
        ) from exc


def ways_on(path: Path) -> str:
    return (
        f"Choose a new blend directory (-o <new path>), or add --restart to move {path} aside "
        f"to {path.name}.old-<timestamp> and blend afresh."
    )


def check_blend_rerun(out: Path, current: Fingerprint, *, restart: bool = False) -> None:
    """Refuse (before anything is written) to blend into ``out`` when it holds a training run or
    another blend; ``restart`` moves it aside instead. The same blend again is allowed."""
    rundir = RunDir(Path(out))
    held = rundir.has_run() or is_blend_dir(out)
    if restart and held:
        rundir.move_aside()
        return
    if not held:
        return
    if not is_blend_dir(out) and not _blend_started(rundir):
        raise RunChangedError(
            f"{out} holds a training run, not a blend: a blend would overwrite its predictions. "
            f"{ways_on(Path(out))}"
        )
    stored = stored_blend_fingerprint(out)
    assert stored is not None
    if not any(k.endswith(".fingerprint") for k in stored.config):  # an older blend's record
        current = Fingerprint(
            {k: v for k, v in current.config.items() if not k.endswith(".fingerprint")},
            folds=current.folds,
        )
    changed = blend_changes(stored, current)
    if changed:
        raise RunChangedError(
            f"Blend dir {out} holds another blend; changed: {', '.join(changed)}. "
            f"{ways_on(Path(out))}"
        )


def _blend_started(rundir: RunDir) -> bool:
    """A blend that stopped before writing blend.json (its fingerprint is written first)."""
    try:
        stored = rundir.read_fingerprint()
    except RunChangedError:
        return False
    return stored is not None and "blend.method" in stored.config


def blend_changes(stored: Fingerprint, current: Fingerprint) -> list[str]:
    """What differs, one entry per option and per input (``input 1 (/a -> /b)``)."""
    entries: list[str] = []
    inputs: dict[int, set[str]] = {}
    for entry in compare(stored, current).training:
        match = re.match(r"blend\.inputs\.(\d+)\.(\w+) ", entry)
        if match:
            inputs.setdefault(int(match.group(1)), set()).add(match.group(2))
        else:
            entries.append(entry)
    for i, what in sorted(inputs.items()):
        old = stored.config.get(f"blend.inputs.{i}.path", "none")
        new = current.config.get(f"blend.inputs.{i}.path", "none")
        if "path" in what:
            entries.append(f"input {i} ({old} -> {new})")
        else:
            entries.append(f"input {i} ({new} was trained again: other OOF predictions)")
    return entries
