"""``python -m alvh`` is the ``alvh`` command."""

from alvh.app.cli import main

main()
