"""Mask credentials in URLs (``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``)
in every saved config and log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s'\"]*):(?P<password>[^@/\s'\"]+)@"
)


def mask_credentials(text: str) -> str:
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


class CredentialFilter(logging.Filter):
    """A logging filter that masks URL passwords in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_credentials(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_filter() -> None:
    """Mask credentials in everything the root logger's handlers write."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, CredentialFilter) for f in handler.filters):
            handler.addFilter(CredentialFilter())


class MaskingStream:
    """A text stream that masks URL passwords in everything written through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_credentials(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def mask_standard_streams() -> None:
    """Mask credentials in everything printed to stdout/stderr: Hydra's report of a failed run
    lists the command-line overrides, and a traceback may quote a URL."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, MaskingStream):
            setattr(sys, name, MaskingStream(stream))


def mask_files(folder: Path, pattern: str = "*.yaml") -> None:
    """Rewrite files (e.g. Hydra's ``.hydra/*.yaml``) with credentials masked."""
    from kagglekit.files import write_text  # numpy/pandas: not needed by the entry point's start

    if not folder.is_dir():
        return
    for path in folder.glob(pattern):
        text = path.read_text(encoding="utf-8")
        masked = mask_credentials(text)
        if masked != text:
            write_text(path, masked)
