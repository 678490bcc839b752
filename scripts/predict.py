"""Rebuild a submission from a finished run: ``python scripts/predict.py outputs/<competition>/<run>``."""

from kagglekit.cli import predict_main

if __name__ == "__main__":
    predict_main()
