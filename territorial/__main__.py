"""``python -m territorial``: the command line (the same as the ``territorial`` command)."""

from territorial.cli import main

main()
