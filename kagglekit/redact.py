"""Mask credentials in URLs (``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``)
in every saved config and log line.

:func:`mask_url` is the one masker of the project (the tuner's storage uses it too): a URL is
parsed by SQLAlchemy's ``make_url`` and rendered with ``hide_password=True``, so a password
holding ``/`` or ``:`` is masked whole.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

# a URL inside any text: scheme://... up to a blank or a quote
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"]+")
# fallback when SQLAlchemy cannot parse it: user:password@ (the password may hold "/")
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s'\"]*):(?P<password>[^@\s'\"]+)@"
)


def mask_url(url: str) -> str:
    """``postgresql://user:s3cr/et@host/db`` -> ``postgresql://user:***@host/db``; a URL
    without a password is returned unchanged."""
    if "@" not in url:
        return url
    from sqlalchemy.engine import make_url  # lazy: the entry point's start stays light
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)


def mask_credentials(text: str) -> str:
    """Mask the password of every URL in ``text``."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: mask_url(m.group(0)), text)


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
