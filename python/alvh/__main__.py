"""``python -m alvh`` is the ``alvh`` command."""

from alvh.cli import main

main()
