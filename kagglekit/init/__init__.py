"""``kagglekit init NAME --data DIR``: guess a competition config from Kaggle's files.

:func:`~kagglekit.init.inspect.inspect_competition` reads ``sample_submission.csv``,
``train.csv``, ``test.csv`` (and extra files such as ``train_labels.csv``) and returns its
guesses, each with the reason for it; :func:`~kagglekit.init.render.render_yaml` writes them as
a commented competition YAML; :func:`~kagglekit.init.command.init_main` is the command.
"""

from kagglekit.init.inspect import Guess, Inference, InitError, inspect_competition
from kagglekit.init.render import render_yaml

__all__ = ["Guess", "Inference", "InitError", "inspect_competition", "render_yaml"]
