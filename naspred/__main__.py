"""``python -m naspred``: the ``naspred`` command line."""

from naspred.cli import main

main()
