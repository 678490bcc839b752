"""Where a study lives: an SQLite file in the sweep directory, or any SQLAlchemy URL.

Every storage is an ``optuna.storages.RDBStorage`` with a heartbeat: a worker that dies
(SIGKILL, a lost machine) stops beating, and after ``grace_period`` seconds the next worker to
start a trial marks that trial FAIL; ``RetryHeartbeatStaleTrialCallback`` then queues it again
with the same parameters.

Passwords never reach a log line or a saved file: use :func:`mask_url` whenever a URL is shown.
"""

from __future__ import annotations

import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy

from kagglekit.redact import mask_credentials, mask_url

DB_FILE = "study.db"


def mask_in_text(text: str, url: str | None) -> str:
    """Replace a URL (and any password in URLs) inside ``text``."""
    if url:
        text = text.replace(url, mask_url(url))
    return mask_credentials(text)


def default_url(sweep_dir: Path) -> str:
    return f"sqlite:///{(Path(sweep_dir) / DB_FILE).resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


@dataclass(frozen=True)
class StorageSettings:
    """``storage`` and the ``tune.*`` keys that shape it (conf/tune.yaml)."""

    url: str
    heartbeat_interval: int = 10
    grace_period: int = 40
    max_retry: int = 3

    def __post_init__(self) -> None:
        if self.heartbeat_interval < 1:
            raise ValueError(
                f"tune.heartbeat_interval must be at least 1 second, but got {self.heartbeat_interval}."
            )
        if self.grace_period <= self.heartbeat_interval:
            raise ValueError(
                f"tune.grace_period ({self.grace_period}s) must be longer than "
                f"tune.heartbeat_interval ({self.heartbeat_interval}s), or live trials would be "
                "marked failed."
            )

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)


def make_storage(settings: StorageSettings) -> optuna.storages.RDBStorage:
    """An RDB storage with heartbeat and retry of the trials whose worker died."""
    engine_kwargs: dict[str, object] = {}
    if is_sqlite(settings.url):
        # several processes on one file wait for the lock instead of failing at once
        engine_kwargs["connect_args"] = {"timeout": 60}
        path = settings.url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        engine_kwargs["pool_pre_ping"] = True
    # Workers started together on a fresh database race to create Optuna's tables (PostgreSQL:
    # "duplicate key ... pg_type"); the loser tries again and finds them there.
    for attempt in range(ATTEMPTS):
        try:
            return _rdb_storage(settings, engine_kwargs)
        except ImportError as exc:
            raise ImportError(
                f"No database driver for {settings.masked_url}: {exc}. For PostgreSQL install "
                "`pip install -e '.[postgres]'` (psycopg)."
            ) from None
        except Exception as exc:
            message = mask_in_text(str(exc), settings.url)
            if attempt + 1 < ATTEMPTS and "already exists" in message:
                time.sleep(0.5 + random.random())
                continue
            raise RuntimeError(
                f"Cannot open the study storage {settings.masked_url}: {message}"
            ) from None
    raise AssertionError("unreachable")


ATTEMPTS = 5


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    """WAL + synchronous=NORMAL: a commit no longer waits for the disk (fsync), so reporting
    every epoch costs ~1 ms instead of ~10-20 ms; a crash of the process loses nothing (only a
    power cut may lose the last commits). WAL also lets readers and a writer work at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _rdb_storage(
    settings: StorageSettings, engine_kwargs: dict[str, object]
) -> optuna.storages.RDBStorage:
    storage = _new_rdb_storage(settings, engine_kwargs)
    if is_sqlite(settings.url):
        sqlalchemy.event.listen(storage.engine, "connect", _sqlite_pragmas)
        storage.engine.dispose()  # connections made so far lack the pragmas
    return storage


def _new_rdb_storage(
    settings: StorageSettings, engine_kwargs: dict[str, object]
) -> optuna.storages.RDBStorage:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            settings.url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=settings.heartbeat_interval,
            grace_period=settings.grace_period,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=settings.max_retry
            ),
        )


def retried_trial(trial: optuna.trial.FrozenTrial) -> int | None:
    """The number of the trial this one repeats (its worker died or was interrupted)."""
    number = trial.system_attrs.get("failed_trial")
    return None if number is None else int(number)
