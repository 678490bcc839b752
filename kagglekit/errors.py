"""The base of every error a user can cause and fix (bad config, data, files, diverged training).

The entry points print these as one clear message, without a traceback; anything else is a bug
and keeps its traceback.
"""


class KagglekitError(Exception):
    """An error the user can fix; its message names the file, column or key and the fix."""


class ConfigError(KagglekitError, ValueError):
    """A config problem the user can fix (a usage error: exit code 2); the message names the key."""
