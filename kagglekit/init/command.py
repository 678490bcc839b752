"""``kagglekit init NAME --data DIR``: write ``conf/competition/NAME.yaml`` from the files."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from kagglekit.errors import KagglekitError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kagglekit init",
        description="Read a competition's train.csv, test.csv and sample_submission.csv (and "
        "extra files such as train_labels.csv) and write a commented competition config: id "
        "column, target(s), task, submission kind, metric, features transformer and model, "
        "each guess with its reason.",
    )
    parser.add_argument("name", help="the competition's name: competition=NAME on the command line")
    parser.add_argument(
        "--data", type=Path, required=True, help="the folder holding the competition's files"
    )
    parser.add_argument(
        "--metric", default=None, help="the competition's metric (default: one for the task)"
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="COLUMN",
        help="the target column, when the sample submission does not name it (repeatable)",
    )
    parser.add_argument(
        "--task",
        default=None,
        choices=("binary", "multiclass", "multilabel", "regression"),
        help="the task (default: guessed from the target values)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="the file to write (default: conf/competition/NAME.yaml in this folder)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def init_main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    from kagglekit.init.inspect import inspect_competition
    from kagglekit.init.render import render_yaml

    output: Path = args.output or Path("conf") / "competition" / f"{args.name}.yaml"
    if output.exists() and not args.force:
        print(
            f"Error: {output} exists; pass --force to overwrite it (or -o another path).",
            file=sys.stderr,
        )
        sys.exit(1)
    try:
        inference = inspect_competition(
            args.name,
            args.data,
            metric=args.metric,
            target=tuple(args.target),
            task=args.task,
        )
    except KagglekitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    command = shlex.join(["kagglekit", "init", *(sys.argv[1:] if argv is None else argv)])
    text = render_yaml(inference, command=command)
    for key, guess in inference.guesses():
        value = guess.value
        shown = getattr(value, "target", None) or getattr(value, "value", value)
        if isinstance(shown, tuple) and len(shown) == 1:
            shown = shown[0]
        print(f"{key:>16}: {shown}" + (f"  ({guess.reason})" if guess.reason else ""))
    for note in inference.notes:
        print(f"Check: {note}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"Error: cannot write {output}: {exc.strerror or exc}.", file=sys.stderr)
        sys.exit(1)
    print(f"Wrote {output}. Check it, then: kagglekit train competition={args.name}")
