"""The model's picture (``model.png``) and text summary (``model_summary.txt``) of a run.

``keras.utils.plot_model`` draws through pydot and Graphviz's ``dot`` program. Without ``dot``
the picture is skipped with a message saying how to install it; the run goes on.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import keras

from kagglekit.files import atomic_path, write_text

log = logging.getLogger(__name__)

GRAPH_FILE = "model.png"
SUMMARY_FILE = "model_summary.txt"
INSTALL_HINT = (
    "install Graphviz to get it: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install graphviz`"
)


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is on the PATH (pydot runs it)."""
    return shutil.which("dot") is not None


def write_model_summary(model: keras.Model, path: Path) -> Path:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=150)
    return write_text(path, "\n".join(lines).rstrip() + "\n")


def write_model_graph(model: keras.Model, path: Path) -> Path | None:
    """Draw ``model`` with its layer shapes to ``path``; ``None`` (and a warning) when Graphviz
    is missing or cannot draw it."""
    if not graphviz_available():
        log.warning(
            "Graphviz's `dot` program was not found, so %s was not drawn; %s.", path, INSTALL_HINT
        )
        return None
    try:
        with atomic_path(path) as tmp:
            keras.utils.plot_model(
                model,
                to_file=str(tmp),
                show_shapes=True,
                show_dtype=False,
                show_layer_names=True,
                expand_nested=False,
                dpi=72,
            )
    except (ImportError, OSError) as exc:
        log.warning("Could not draw %s (%s); %s.", path, exc, INSTALL_HINT)
        return None
    except AssertionError as exc:  # pydot: `dot` itself failed (e.g. Graphviz 2.43's
        # "Trapezoid-table overflow" on some graphs); the run goes on without the picture
        log.warning("Graphviz could not draw %s: %s", path, str(exc).splitlines()[0])
        return None
    return path


def describe_model(model: keras.Model, run_dir: Path) -> dict[str, Path]:
    """Write ``model_summary.txt`` and ``model.png`` into ``run_dir`` once per run.

    Never raises for a reporting problem: the training run matters more than its picture.
    """
    summary = run_dir / SUMMARY_FILE
    if summary.exists():
        return {}
    written: dict[str, Path] = {}
    try:
        written["model_summary"] = write_model_summary(model, summary)
    except Exception as exc:  # a report must not stop training
        log.warning("Could not write %s: %s", summary, exc)
    graph = write_model_graph(model, run_dir / GRAPH_FILE)
    if graph is not None:
        written["model_graph"] = graph
    return written
