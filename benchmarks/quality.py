"""CV and held-out score of finished run directories of the shipped examples.

    python benchmarks/quality.py digits=/tmp/runs/digits titanic=/tmp/runs/titanic ...

Each argument names a shipped example and a run directory of it (a deep run or a baseline run);
the held-out score compares the run's ``submission.csv`` with the example's held-out answers
(``solution()`` of the module of its config's ``competition.prepare``, e.g.
``kagglekit/examples/<name>/prepare.py``) using the competition's metric, as the e2e tests do. Prints one line per run and a final JSON line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kagglekit.examples.holdout import held_out_score


def measure(competition: str, run_dir: Path) -> dict[str, Any]:
    scores = json.loads((run_dir / "scores.json").read_text())
    return {
        "competition": competition,
        "run_dir": str(run_dir),
        "model": scores.get("model", "deep"),
        "metric": scores["metric"],
        "cv": scores["cv"],
        "held_out": held_out_score(competition, run_dir / "submission.csv", scores["metric"]),
    }


def main(argv: list[str]) -> None:
    rows = []
    for argument in argv:
        competition, _, folder = argument.partition("=")
        row = measure(competition, Path(folder))
        rows.append(row)
        print(
            f"{competition:14s} {row['model']:11s} {row['metric']:9s} "
            f"CV {row['cv']:.4f}  held-out {row['held_out']:.4f}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
