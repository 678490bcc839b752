"""Sweep hyperparameters: ``python scripts/tune.py competition=digits hparams_search=cnn [n_trials=12]``."""

from kagglekit.cli import tune_main

if __name__ == "__main__":
    tune_main()
