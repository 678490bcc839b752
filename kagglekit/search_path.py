"""Where configs are found: the user's config folders first, then the shipped ones.

The shipped configs are package data (``kagglekit/conf``, read as ``pkg://kagglekit.conf``).
Before them Hydra searches, in this order:

1. ``--config-dir DIR`` on the command line (:func:`set_command_line_dirs`),
2. ``KAGGLEKIT_CONFIG_DIR`` (one folder, or several separated by ``os.pathsep``),
3. ``./conf`` in the working directory, when it exists.

So ``conf/competition/mine.yaml`` next to the user's data works from any folder, and a user file
with the same name as a shipped one (``conf/model/mlp.yaml``) replaces it. Hydra's own
``--config-dir`` and ``hydra.searchpath`` come *after* the primary config folder and could not
replace a shipped file; a :class:`~hydra.plugins.search_path_plugin.SearchPathPlugin` puts the
user's folders in front of it for every compose of the kagglekit configs (the commands, the
override checker, a sweep's trials).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath, SearchPathQuery
from hydra.core.plugins import Plugins
from hydra.plugins.search_path_plugin import SearchPathPlugin

from kagglekit.errors import ConfigError

__all__ = [
    "CONF_DIR",
    "ENV_VAR",
    "PACKAGE_CONF",
    "UserConfigSearchPath",
    "config_dirs",
    "set_command_line_dirs",
    "user_config_dirs",
]

PACKAGE_CONF = "pkg://kagglekit.conf"
CONF_DIR = Path(__file__).resolve().parent / "conf"
ENV_VAR = "KAGGLEKIT_CONFIG_DIR"
PROVIDER = "kagglekit-user"

_command_line_dirs: list[Path] = []


def set_command_line_dirs(dirs: Sequence[str | Path]) -> None:
    """The folders given with ``--config-dir`` (searched before all others)."""
    _command_line_dirs[:] = [Path(d) for d in dirs]


def user_config_dirs(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> list[Path]:
    """The user's config folders, absolute, in the order they are searched (first wins).

    A folder named by ``--config-dir`` or ``KAGGLEKIT_CONFIG_DIR`` must exist (a
    :class:`ConfigError` otherwise); ``./conf`` is used when it exists.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    named: list[tuple[str, Path]] = [("--config-dir", d) for d in _command_line_dirs]
    named += [(ENV_VAR, Path(d)) for d in environ.get(ENV_VAR, "").split(os.pathsep) if d.strip()]
    found: list[Path] = []
    for source, folder in named:
        path = (cwd / folder.expanduser()).resolve()
        if not path.is_dir():
            raise ConfigError(
                f"{source} names {folder}, which is not a folder ({path}). Create it (with "
                "config groups such as competition/ or model/ inside) or fix the path."
            )
        found.append(path)
    local = (cwd / "conf").resolve()
    if local.is_dir():
        found.append(local)
    unique: list[Path] = []
    for path in found:
        if path not in unique and path != CONF_DIR:
            unique.append(path)
    return unique


def config_dirs() -> list[Path]:
    """Every config folder, in search order: the user's ones, then the shipped ``kagglekit/conf``."""
    return [*user_config_dirs(), CONF_DIR]


def _is_kagglekit_conf(path: str) -> bool:
    """``pkg://kagglekit.conf``, or the folder itself (``file://...`` or a plain path)."""
    if path.startswith("pkg://"):
        return path.rstrip("/") == PACKAGE_CONF
    if "://" in path and not path.startswith("file://"):
        return False
    return Path(path.removeprefix("file://")).resolve() == CONF_DIR


class UserConfigSearchPath(SearchPathPlugin):
    """Put the user's config folders in front of kagglekit's own (only for kagglekit's configs:
    any other Hydra app in the same process keeps its search path)."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        mains = [e for e in search_path.get_path() if e.provider == "main"]
        if not mains or not _is_kagglekit_conf(mains[0].path):
            return
        for folder in user_config_dirs():
            search_path.prepend(PROVIDER, f"file://{folder}", SearchPathQuery(provider="main"))


Plugins.instance().register(UserConfigSearchPath)
