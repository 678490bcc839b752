"""A user's own competition folder outside the checkout: ``conf/competition/<name>.yaml`` and
``data/<name>/*.csv``, run with the ``kagglekit`` command as an installed package would be."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import kagglekit

# where the kagglekit under test lives (the checkout, or site-packages for an installed wheel)
PACKAGE_ROOT = Path(kagglekit.__file__).resolve().parents[1]

COMPETITION_YAML = """\
# @package _global_
# a user's own competition: two numeric columns and a category, binary target
defaults:
  - override /cv: stratified

competition:
  _target_: kagglekit.competition.CompetitionSpec
  name: {name}
  data_dir: data/${{competition.name}}
  id_column: id
  target: label
  task: binary
  metric: accuracy
  submission: label
  features:
    _target_: kagglekit.data.preprocessing.TabularPreprocessor
    _partial_: true
    categorical: [colour]
"""


def write_competition(folder: Path, name: str, *, conf: Path | None = None, rows: int = 80) -> Path:
    """``<conf or folder/conf>/competition/<name>.yaml`` and ``folder/data/<name>/`` (train.csv,
    test.csv, sample_submission.csv); returns the data folder."""
    conf = folder / "conf" if conf is None else conf
    (conf / "competition").mkdir(parents=True, exist_ok=True)
    (conf / "competition" / f"{name}.yaml").write_text(COMPETITION_YAML.format(name=name))
    rng = np.random.default_rng(0)
    n_test = rows // 4
    x = rng.normal(size=(rows + n_test, 2))
    colour = rng.choice(["red", "green", "blue"], size=rows + n_test)
    frame = pd.DataFrame(
        {"id": np.arange(rows + n_test), "a": x[:, 0], "b": x[:, 1], "colour": colour}
    )
    label = ((x[:, 0] + (colour == "red")) > 0.3).astype(int)
    data = folder / "data" / name
    data.mkdir(parents=True, exist_ok=True)
    frame.iloc[:rows].assign(label=label[:rows]).to_csv(data / "train.csv", index=False)
    frame.iloc[rows:].to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": frame["id"].iloc[rows:], "label": 0}).to_csv(
        data / "sample_submission.csv", index=False
    )
    return data


def kagglekit_command() -> list[str]:
    """The ``kagglekit`` console script of this Python when it runs the kagglekit under test
    (an installed wheel), else ``python -m kagglekit``."""
    script = Path(sys.executable).parent / "kagglekit"
    installed = PACKAGE_ROOT.name == "site-packages"
    return [str(script)] if installed and script.exists() else [sys.executable, "-m", "kagglekit"]


def run_kagglekit(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``kagglekit <args>`` in ``cwd`` (nothing on the path but the package under test)."""
    environ = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(PACKAGE_ROOT),
        **(env or {}),
    }
    return subprocess.run(
        [*kagglekit_command(), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
