"""Run reports: model.png (Graphviz), model_summary.txt and per-fold learning curves."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import keras
import pytest

from kagglekit.report import describe_model, plot_history
from kagglekit.report.model_graph import write_model_graph

PNG = b"\x89PNG\r\n\x1a\n"


def small_model() -> keras.Model:
    inputs = {"a": keras.Input((3,), name="a"), "b": keras.Input((2,), name="b")}
    x = keras.layers.Concatenate()(list(inputs.values()))
    return keras.Model(inputs, keras.layers.Dense(1, name="output")(x), name="small")


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` absent: apt-get install graphviz"
)
def test_with_graphviz_the_picture_and_summary_are_written(tmp_path):
    written = describe_model(small_model(), tmp_path)
    assert written == {
        "model_summary": tmp_path / "model_summary.txt",
        "model_graph": tmp_path / "model.png",
    }
    assert (tmp_path / "model.png").read_bytes().startswith(PNG)
    summary = (tmp_path / "model_summary.txt").read_text()
    assert "small" in summary and "Total params" in summary and "output" in summary


def test_without_graphviz_the_run_goes_on_and_says_how_to_install_it(tmp_path, monkeypatch, caplog):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no `dot` anywhere
    with caplog.at_level(logging.WARNING):
        written = describe_model(small_model(), tmp_path)
    assert not (tmp_path / "model.png").exists()
    assert (tmp_path / "model_summary.txt").is_file() and "model_graph" not in written
    assert "apt-get install graphviz" in caplog.text


def test_the_model_is_described_once_per_run(tmp_path):
    describe_model(small_model(), tmp_path)
    before = (tmp_path / "model_summary.txt").read_text()
    assert (
        describe_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(2)]), tmp_path) == {}
    )
    assert (tmp_path / "model_summary.txt").read_text() == before


def test_a_failing_plot_is_reported_not_raised(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("kagglekit.report.model_graph.graphviz_available", lambda: True)

    def broken(*args, **kwargs):
        raise ImportError("You must install pydot")

    monkeypatch.setattr(keras.utils, "plot_model", broken)
    with caplog.at_level(logging.WARNING):
        assert write_model_graph(small_model(), tmp_path / "model.png") is None
    assert "pydot" in caplog.text and "apt-get install graphviz" in caplog.text


def test_learning_curves_from_history_csv_or_the_fit(tmp_path):
    history = {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
    path = plot_history(tmp_path / "fold_0" / "history.png", history)
    assert path is not None and path.read_bytes().startswith(PNG)
    csv = tmp_path / "history.csv"
    csv.write_text("epoch,loss,val_loss,learning_rate\n0,1.0,1.2,0.001\n1,0.8,0.9,0.001\n")
    assert plot_history(tmp_path / "from_csv.png", {}, csv=csv) == tmp_path / "from_csv.png"


def test_nothing_to_plot_is_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert plot_history(tmp_path / "h.png", {}) is None
    assert not Path(tmp_path / "h.png").exists()
