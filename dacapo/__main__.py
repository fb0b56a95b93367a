"""``python -m dacapo``: the same as the ``dacapo`` command."""

from dacapo.cli import main

main()
