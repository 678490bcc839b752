"""Storage URLs: the SQLite default, masked passwords, settings checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kagglekit.tuning.storage import (
    StorageSettings,
    default_url,
    make_storage,
    mask_in_text,
    mask_url,
)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        (
            "postgresql+psycopg://kaggle:p%40ss@10.0.0.1:5432/optuna",
            "postgresql+psycopg://kaggle:***@10.0.0.1:5432/optuna",
        ),
        (
            "mysql+pymysql://root:x@localhost/optuna?charset=utf8",
            "mysql+pymysql://root:***@localhost/optuna?charset=utf8",
        ),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("sqlite:////tmp/a/study.db", "sqlite:////tmp/a/study.db"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert mask_in_text(f"storage: {url}\nother: 1", url) == f"storage: {masked}\nother: 1"


def test_default_storage_is_a_sqlite_file_in_the_sweep_dir(tmp_path: Path) -> None:
    url = default_url(tmp_path / "sweep")
    assert url == f"sqlite:///{tmp_path / 'sweep' / 'study.db'}"
    storage = make_storage(StorageSettings(url))
    assert (tmp_path / "sweep" / "study.db").exists()
    assert storage.get_heartbeat_interval() == 10


def test_errors_never_show_the_password() -> None:
    settings = StorageSettings("postgresql://kaggle:hunter2@127.0.0.1:1/optuna")
    with pytest.raises((RuntimeError, ImportError)) as info:
        make_storage(settings)
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(info.value.__context__)


def test_grace_period_must_exceed_the_heartbeat() -> None:
    with pytest.raises(ValueError, match="grace_period"):
        StorageSettings("sqlite://", heartbeat_interval=10, grace_period=10)
