"""Blend finished runs or a sweep's best trials: ``python scripts/blend.py RUN_OR_SWEEP... --method weights``."""

from kagglekit.cli import blend_main

if __name__ == "__main__":
    blend_main()
