"""``python -m hexops``: the same command line as ``hexops``."""

from hexops.cli import main

main()
