"""Train a competition: ``python scripts/train.py competition=digits [overrides...]``."""

from kagglekit.cli import train_main

if __name__ == "__main__":
    train_main()
