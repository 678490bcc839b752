"""kagglekit's own configs (Hydra config groups), read as ``pkg://kagglekit.conf``."""
