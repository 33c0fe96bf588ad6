"""``python -m computebroker``: the CLI."""

from computebroker.cli import main

main()
