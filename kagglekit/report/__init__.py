"""Run reports: the model's picture and summary, learning curves."""

from kagglekit.report.history import plot_history
from kagglekit.report.model_graph import describe_model, write_model_graph, write_model_summary

__all__ = ["describe_model", "plot_history", "write_model_graph", "write_model_summary"]
