"""The classical baseline on a run's folds: ``python scripts/baseline.py competition=titanic``."""

from kagglekit.cli import baseline_main

if __name__ == "__main__":
    baseline_main()
