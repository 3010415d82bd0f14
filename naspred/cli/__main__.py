"""``python -m naspred.cli``: the ``naspred`` command line."""

from naspred.cli import main

main()
