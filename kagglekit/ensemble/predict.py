"""``kagglekit predict BLEND``: a blend's test predictions, rebuilt from its inputs' checkpoints.

Each input run (``blend.json``'s inputs, in order) predicts the test file from its own fold
checkpoints and stored preprocessing, exactly as ``kagglekit predict RUN`` does; the blend's
stored method is then applied to those predictions: the stored weights (``weights``,
``hill_climb``), the plain or rank mean (``mean``, ``rank``), or the level-2 models of
``level2.npz`` (``stack``). On the blend's own test file this gives its ``test_pred.npy``
again, so a packaged blend (``kagglekit package``) reproduces its ``submission.csv`` offline.

An input is looked for in ``<blend>/inputs/<i>/`` first (where a bundle carries it), then at
the path ``blend.json`` recorded. An input whose fingerprint changed since the blend (it was
trained again) is refused: the blend's weights were fitted on its earlier predictions.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kagglekit.bundle import fingerprint_digest
from kagglekit.ensemble.blend import LEVEL2_FILE
from kagglekit.ensemble.methods import BlendError, restore_blender
from kagglekit.ensemble.problem import as_2d
from kagglekit.ensemble.record import BLEND_FILE
from kagglekit.files import read_json

if TYPE_CHECKING:
    from kagglekit.pipeline import Predicted

log = logging.getLogger(__name__)

INPUTS_SUBDIR = "inputs"  # a bundled blend's input runs: inputs/<i>/


def read_record(blend_dir: Path) -> dict[str, Any]:
    try:
        record = read_json(Path(blend_dir) / BLEND_FILE)
    except (OSError, ValueError) as exc:
        raise BlendError(f"{Path(blend_dir) / BLEND_FILE} is unreadable ({exc}).") from exc
    if not isinstance(record, dict) or not record.get("inputs") or not record.get("method"):
        raise BlendError(f"{Path(blend_dir) / BLEND_FILE} names no method or inputs.")
    return record


def input_dirs(blend_dir: Path, record: dict[str, Any]) -> list[Path]:
    """Where each input run is: ``<blend>/inputs/<i>/`` (a bundle), else its recorded path."""
    found = []
    for i, item in enumerate(record["inputs"]):
        bundled = Path(blend_dir) / INPUTS_SUBDIR / str(i)
        path = bundled if bundled.is_dir() else Path(item["path"])
        if not path.is_dir():
            raise BlendError(
                f"Input {i} of the blend {blend_dir} ({item['path']}) is gone: restore it, or "
                f"predict with the bundle `kagglekit package {blend_dir}` made."
            )
        stored = item.get("fingerprint")
        if stored and fingerprint_digest(path) != stored:
            raise BlendError(
                f"Input {i} of the blend {blend_dir} ({path}) was trained again since the blend "
                f"(fingerprint {stored} -> {fingerprint_digest(path) or 'none'}): its weights "
                "were fitted on the earlier predictions. Blend again."
            )
        found.append(path)
    return found


def predict_blend(
    blend_dir: Path, *, test_file: Path | None = None, sample_submission: Path | None = None
) -> Predicted:
    """The blend's test predictions, with what turns them into its submission."""
    from kagglekit.pipeline import Predicted, predict_test

    blend_dir = Path(blend_dir)
    record = read_record(blend_dir)
    made = [
        predict_test(path, test_file=test_file, sample_submission=sample_submission)
        for path in input_dirs(blend_dir, record)
    ]
    first = made[0]
    task = first.task
    weights = record.get("weights")
    level2 = record.get("level2")
    blender = restore_blender(
        str(record["method"]),
        None if weights is None else [weights[i["name"]] for i in record["inputs"]],
        task,
        None if level2 is None else (level2, blend_dir / str(level2.get("file", LEVEL2_FILE))),
    )
    shapes = {m.test_pred.shape for m in made}
    if len(shapes) > 1:
        raise BlendError(f"The inputs of {blend_dir} predict different shapes: {sorted(shapes)}.")
    test = np.stack([as_2d(m.test_pred) for m in made])
    log.info("Blend (%s) of %d inputs applied to their test predictions.", blender.name, len(made))
    return Predicted(task.from_columns(blender.apply(test)), first.spec, task, first.side)
