"""kagglekit: Kaggle competition pipelines on Keras 3, driven by Hydra configs.

Importing kagglekit imports no Keras and no backend; it only decides which backend Keras will
take (see :mod:`kagglekit.backend_choice`), before any kagglekit module imports Keras.
"""

from kagglekit.backend_choice import select_backend

__version__ = "0.1.0"

BACKEND = select_backend()  # the choice and its reason; entry points log it
