"""Mask credentials in URLs (``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``)
in every saved config and log line."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from kagglekit.files import write_text

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


def mask_files(folder: Path, pattern: str = "*.yaml") -> None:
    """Rewrite files (e.g. Hydra's ``.hydra/*.yaml``) with credentials masked."""
    if not folder.is_dir():
        return
    for path in folder.glob(pattern):
        text = path.read_text(encoding="utf-8")
        masked = mask_credentials(text)
        if masked != text:
            write_text(path, masked)
