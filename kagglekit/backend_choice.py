"""Which Keras backend runs, chosen before Keras is imported (``import kagglekit`` does it).

Keras reads its backend once, at its first import: from ``KERAS_BACKEND``, else from
``keras.json`` (``$KERAS_HOME`` or ``~/.keras``), else TensorFlow. A machine rented for its GPU
often carries JAX or PyTorch and no TensorFlow; there Keras would fail on a missing TensorFlow
(or train on a CPU TensorFlow next to an idle GPU). So, before anything imports Keras:

1. ``KERAS_BACKEND`` set: it wins, as in Keras.
2. ``keras.json`` names an installed backend: it wins, as in Keras.
3. else the first installed of TensorFlow (the project's default), JAX, PyTorch, written to
   ``KERAS_BACKEND`` so that Keras takes it.

Nothing here imports a backend or Keras: installed means that ``importlib.util.find_spec``
finds the package. With no backend installed, the entry points stop with one line that names
the extras to install (:func:`require_backend`).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

from kagglekit.errors import KagglekitError

if TYPE_CHECKING:  # kept out of `import kagglekit`, which stays a few milliseconds
    from collections.abc import Callable, Mapping, MutableMapping

    FindSpec = Callable[[str], Any]

# in order of preference when nothing says which: TensorFlow is the project's default
BACKENDS = ("tensorflow", "jax", "torch")
INSTALL_HINT = (
    "pip install 'kagglekit[jax]' (or [torch], [tensorflow]; "
    "from a checkout: pip install -e '.[jax]')"
)


class BackendError(KagglekitError):
    """No usable Keras backend: none is installed, or ``KERAS_BACKEND`` names a missing one."""


class BackendChoice:
    """The backend Keras will run on (None: none installed) and why, for the run's log.

    ``automatic``: neither ``KERAS_BACKEND`` nor ``keras.json`` said; kagglekit sets it.
    (A plain class: ``dataclasses`` would double the cost of ``import kagglekit``.)
    """

    __slots__ = ("automatic", "name", "reason")

    def __init__(self, name: str | None, reason: str, automatic: bool = False) -> None:
        self.name = name
        self.reason = reason
        self.automatic = automatic

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BackendChoice):
            return NotImplemented
        return (self.name, self.reason, self.automatic) == (
            other.name,
            other.reason,
            other.automatic,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.reason, self.automatic))

    def __repr__(self) -> str:
        return f"BackendChoice({self.name!r}, {self.reason!r}, automatic={self.automatic})"

    def describe(self) -> str:
        if self.name is None:
            return f"no Keras backend ({self.reason})"
        return f"Keras backend: {self.name} ({self.reason})"


def installed(package: str, find_spec: FindSpec = importlib.util.find_spec) -> bool:
    """Whether ``package`` can be imported, without importing it."""
    try:
        return find_spec(package) is not None
    except (ImportError, ValueError):  # a broken or half-removed installation
        return False


def keras_config_path(environ: Mapping[str, str]) -> str:
    """Where Keras keeps ``keras.json`` (the same rule as ``keras.src.backend.config``)."""
    if "KERAS_HOME" in environ:
        return os.path.join(environ["KERAS_HOME"], "keras.json")
    home = os.path.expanduser("~")
    base = home if os.access(home, os.W_OK) else "/tmp"
    return os.path.join(base, ".keras", "keras.json")


def configured_backend(path: str) -> str | None:
    """The backend named in a ``keras.json``, or None (no file, unreadable, no key)."""
    if not os.path.isfile(path):
        return None
    import json

    try:
        with open(path, encoding="utf-8") as file:
            config = json.load(file)
    except (OSError, ValueError):
        return None
    backend = config.get("backend") if isinstance(config, dict) else None
    return backend if isinstance(backend, str) and backend else None


def choose_backend(
    environ: Mapping[str, str], find_spec: FindSpec = importlib.util.find_spec
) -> BackendChoice:
    """Decide the backend from the environment, ``keras.json`` and what is installed."""
    requested = environ.get("KERAS_BACKEND", "")
    if requested:
        return BackendChoice(requested, "KERAS_BACKEND")
    path = keras_config_path(environ)
    configured = configured_backend(path)
    if configured is not None and installed(configured, find_spec):
        return BackendChoice(configured, f"set in {path}")
    for name in BACKENDS:
        if installed(name, find_spec):
            if name == "tensorflow":
                return BackendChoice(
                    name, "the default; set KERAS_BACKEND to choose another", automatic=True
                )
            return BackendChoice(
                name,
                f"chosen by kagglekit: KERAS_BACKEND is unset and {_absent(name)} "
                "not installed; set KERAS_BACKEND to choose",
                automatic=True,
            )
    return BackendChoice(None, "none of TensorFlow, JAX, PyTorch is installed")


def _absent(name: str) -> str:
    before = [
        {"tensorflow": "TensorFlow", "jax": "JAX"}[b] for b in BACKENDS[: BACKENDS.index(name)]
    ]
    return " and ".join(before) + (" are" if len(before) > 1 else " is")


def select_backend(
    environ: MutableMapping[str, str] | None = None,
    find_spec: FindSpec = importlib.util.find_spec,
) -> BackendChoice:
    """Choose the backend and write it to ``KERAS_BACKEND`` when kagglekit picked it (so that a
    stale ``keras.json``, which Keras writes naming TensorFlow, cannot override the choice).

    Must run before the first ``import keras``; ``kagglekit/__init__.py`` calls it.
    """
    env = os.environ if environ is None else environ
    keras = sys.modules.get("keras")
    if keras is not None and environ is None:  # too late to choose: Keras has chosen
        return BackendChoice(keras.config.backend(), "Keras was imported before kagglekit")
    choice = choose_backend(env, find_spec)
    if choice.automatic and choice.name is not None:
        env["KERAS_BACKEND"] = choice.name
    return choice


def require_backend(choice: BackendChoice, find_spec: FindSpec = importlib.util.find_spec) -> str:
    """The chosen backend's name; :class:`BackendError` (one line) when it cannot run."""
    if choice.name is None:
        raise BackendError(f"No Keras backend is installed: {INSTALL_HINT}.")
    if choice.name in BACKENDS and not installed(choice.name, find_spec):
        raise BackendError(
            f"KERAS_BACKEND={choice.name}, but {choice.name} is not installed: "
            f"pip install 'kagglekit[{choice.name}]' (from a checkout: "
            f"pip install -e '.[{choice.name}]'), or unset KERAS_BACKEND to take an installed one."
        )
    return choice.name
