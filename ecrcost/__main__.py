"""``python -m ecrcost``: the command line."""

from .cli import main

main()
