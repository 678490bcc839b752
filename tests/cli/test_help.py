"""``kagglekit --help`` lists every command; ``kagglekit <command> --help`` works for each."""

from __future__ import annotations

from pathlib import Path

import pytest

from kagglekit.cli import COMMANDS, usage
from tests.cli.user_folder import run_kagglekit, write_competition


def test_usage_lists_every_command_with_one_line() -> None:
    lines = usage().splitlines()
    for name in COMMANDS:
        (line,) = [x for x in lines if x.strip().startswith(f"{name} ")]
        assert len(line.split(name, 1)[1].strip()) > 10, f"{name} has no description"


def test_kagglekit_help_exits_0_and_lists_all_commands(tmp_path: Path) -> None:
    proc = run_kagglekit(tmp_path, "--help")
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.split("commands:")[1].strip().splitlines()]
    assert listed == list(COMMANDS)


def test_an_unknown_command_says_so(tmp_path: Path) -> None:
    proc = run_kagglekit(tmp_path, "trian")
    assert proc.returncode == 2
    assert "no command 'trian'" in proc.stderr
    assert "train" in proc.stderr


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    proc = run_kagglekit(tmp_path, command, "--help")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith(f"usage: kagglekit {command}")
    assert "Traceback" not in proc.stderr


def test_train_help_lists_the_users_options_and_folders(tmp_path: Path) -> None:
    write_competition(tmp_path, "tiny")
    proc = run_kagglekit(tmp_path, "train", "--help")
    assert proc.returncode == 0, proc.stderr
    (competitions,) = [x for x in proc.stdout.splitlines() if x.startswith("  competition ")]
    assert "tiny" in competitions.split() or "tiny," in competitions.split()
    folders = proc.stdout.split("searched in this order")[1].split("options:")[0]
    assert folders.index(str(tmp_path / "conf")) < folders.index("(shipped)")
