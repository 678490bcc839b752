"""Ctrl-C and SIGTERM that cannot get lost during a sweep.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be; when that is a
garbage-collection callback (frequent with TensorFlow), Python prints "Exception ignored" and
carries on, and the sweep would never stop. The handler therefore also records the signal, and
the sweep checks the record after every epoch, fold and trial (:meth:`Interrupt.check`).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

import keras


class Interrupt:
    """The record of a Ctrl-C / SIGTERM received during the sweep."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def check(self) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt(f"{signal.Signals(self.signum).name} received")


class InterruptCallback(keras.callbacks.Callback):
    """Raise a recorded interrupt at the end of an epoch (if the first one was swallowed)."""

    def __init__(self, interrupt: Interrupt) -> None:
        super().__init__()
        self.interrupt = interrupt

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.interrupt.check()


@contextlib.contextmanager
def catch_interrupts() -> Iterator[Interrupt]:
    """Record SIGINT/SIGTERM (and raise ``KeyboardInterrupt`` at once, as usual) while inside."""
    interrupt = Interrupt()

    def handler(signum: int, frame: Any) -> None:
        interrupt.signum = signum
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")

    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread: leave the handlers alone
        pass
    try:
        yield interrupt
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
