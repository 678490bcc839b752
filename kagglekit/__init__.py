"""kagglekit: Kaggle competition pipelines on Keras 3, driven by Hydra configs."""

__version__ = "0.1.0"
