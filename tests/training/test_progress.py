"""Progress after every epoch: a live line on a terminal, plain log lines elsewhere."""

from __future__ import annotations

import io
import logging

import pytest

from kagglekit.training import progress as progress_module
from kagglekit.training.progress import RunProgress, format_seconds


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """time.perf_counter of the progress module: each call returns the next value."""
    now = [0.0]

    def tick() -> float:
        now[0] += 5.0  # each begin/end pair: one 5 s epoch
        return now[0]

    monkeypatch.setattr(progress_module.time, "perf_counter", tick)
    return now


def _epochs(run: RunProgress, k: int, position: int, epochs: int) -> None:
    callback = run.fold(k, position)
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.25})
    callback.on_train_end()


def test_plain_lines_with_fold_epoch_and_eta(
    caplog: pytest.LogCaptureFixture, clock: list[float]
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="kagglekit.progress"),
        RunProgress(2, 3, terminal=False) as run,
    ):
        _epochs(run, 0, 1, 3)
        _epochs(run, 1, 2, 3)
    lines = [r.getMessage() for r in caplog.records if r.name == "kagglekit.progress"]
    assert len(lines) == 6
    # 5 s per epoch: after the first epoch, 2 more in this fold and 3 in the next
    assert lines[0] == "fold 1/2  epoch 1/3  loss 0.5  val_loss 0.25  ETA 25s"
    assert lines[3].startswith("fold 2/2  epoch 1/3") and lines[3].endswith("ETA 10s")
    assert lines[-1].endswith("ETA 0s")


def test_a_terminal_gets_one_live_line_and_the_console_no_duplicates(
    clock: list[float],
) -> None:
    terminal = Terminal()
    console = logging.StreamHandler(terminal)
    logfile = io.StringIO()
    file_handler = logging.StreamHandler(logfile)
    root = logging.getLogger()
    root.addHandler(console)
    root.addHandler(file_handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        with RunProgress(1, 2) as run:
            assert run.terminal is terminal
            _epochs(run, 3, 1, 2)
    finally:
        root.removeHandler(console)
        root.removeHandler(file_handler)
        root.setLevel(old_level)
    shown = terminal.getvalue()
    assert "\r\x1b[Kfold 1/1 (fold_3)  epoch 2/2" in shown
    assert "\n" not in shown  # redrawn in place, not one line per epoch
    assert shown.endswith("\r\x1b[K")  # cleared when the fold ends
    assert logfile.getvalue().splitlines()[1].startswith("fold 1/1 (fold_3)  epoch 2/2")
    assert not console.filters  # the console shows progress records again after the run


def test_format_seconds() -> None:
    assert [format_seconds(s) for s in (0.4, 59, 61, 3725)] == ["0s", "59s", "1m01s", "1h02m"]
