"""Progress of a run: ``fold k/K  epoch e/E  <logs>  ETA`` after every epoch.

On a terminal the line is redrawn in place (one live line); a log file (Hydra's
``<run dir>/<job>.log``) and a console that is not a terminal (output redirected to a file, a
CI log) get one plain log line per epoch. The ETA assumes every remaining epoch takes as long
as the mean epoch so far in this process; early stopping ends folds sooner.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

import keras

log = logging.getLogger("kagglekit.progress")

__all__ = ["FoldProgress", "RunProgress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _terminal_handlers() -> list[logging.StreamHandler[Any]]:
    """Console handlers of the root logger that write to a terminal (not files)."""
    handlers = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            stream = getattr(handler, "stream", None)
            if stream is not None and getattr(stream, "isatty", lambda: False)():
                handlers.append(handler)
    return handlers


class _NotProgress(logging.Filter):
    """Keeps progress records off a terminal that shows the live line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != log.name


class RunProgress:
    """The run's folds and epochs; makes one :class:`FoldProgress` callback per trained fold.

    ``terminal``: the stream of the live line; ``None`` finds a terminal among the root
    logger's console handlers (or stderr), ``False`` never draws one.
    """

    def __init__(self, n_folds: int, epochs: int, *, terminal: TextIO | bool | None = None) -> None:
        self.n_folds = n_folds
        self.epochs = epochs
        self.position = 0
        self.epochs_done = 0
        self.seconds = 0.0
        if terminal is False:
            self.terminal: TextIO | None = None
        elif terminal is None or terminal is True:
            handlers = _terminal_handlers()
            if handlers:
                self.terminal = handlers[0].stream
            else:
                self.terminal = sys.stderr if sys.stderr.isatty() else None
        else:
            self.terminal = terminal
        self._filter = _NotProgress()
        self._filtered: list[logging.Handler] = []

    def __enter__(self) -> RunProgress:
        if self.terminal is not None:
            for handler in _terminal_handlers():
                handler.addFilter(self._filter)
                self._filtered.append(handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for handler in self._filtered:
            handler.removeFilter(self._filter)
        self._filtered.clear()
        self.clear_line()

    def fold(self, k: int, position: int, seed: int | None = None) -> FoldProgress:
        """The callback of fold id ``k`` (its unit of bagging seed ``seed``), the
        ``position``-th (from 1) of the run's folds (or (fold, seed) units)."""
        self.position = position
        return FoldProgress(self, k, position, seed)

    def eta(self, epochs_left_in_fold: int) -> float | None:
        if not self.epochs_done:
            return None
        per_epoch = self.seconds / self.epochs_done
        folds_left = self.n_folds - self.position
        return per_epoch * (epochs_left_in_fold + folds_left * self.epochs)

    def show(self, line: str) -> None:
        log.info("%s", line)
        if self.terminal is not None:
            self.terminal.write(f"\r\x1b[K{line}")
            self.terminal.flush()

    def clear_line(self) -> None:
        if self.terminal is not None:
            self.terminal.write("\r\x1b[K")
            self.terminal.flush()


def _format_logs(logs: dict[str, Any]) -> str:
    parts = []
    for key, value in logs.items():
        try:
            parts.append(f"{key} {float(value):.4g}")
        except (TypeError, ValueError):
            continue
    return "  ".join(parts)


class FoldProgress(keras.callbacks.Callback):
    """One progress line after each epoch of one fold."""

    def __init__(self, run: RunProgress, k: int, position: int, seed: int | None = None) -> None:
        super().__init__()
        self.run = run
        self.k = k
        self.position = position
        self.seed = seed
        self._started = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # the epochs this fit runs: trainer.epochs, or 1 for a model solved in closed form
        epochs = (self.params or {}).get("epochs")
        if epochs:
            self.run.epochs = int(epochs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        run = self.run
        run.seconds += time.perf_counter() - self._started
        run.epochs_done += 1
        eta = run.eta(run.epochs - (epoch + 1))
        fold = f"fold {self.position}/{run.n_folds}"
        if self.seed is not None:
            fold += f" (fold_{self.k} seed {self.seed})"
        elif self.position != self.k + 1:
            fold += f" (fold_{self.k})"
        line = f"{fold}  epoch {epoch + 1}/{run.epochs}  {_format_logs(logs or {})}"
        if eta is not None:
            line += f"  ETA {format_seconds(eta)}"
        run.show(line)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.run.clear_line()
