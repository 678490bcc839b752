"""``python -m kagglekit <command> ...``: the same as the ``kagglekit`` command."""

from kagglekit.cli import main

if __name__ == "__main__":
    main()
