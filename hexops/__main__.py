"""``python -m hexops``: the same command line as ``hexops``."""

from hexops.bootstrap import main

main()
