"""``python -m alvh`` is the ``alvh`` command."""

from alvh.app.entry import main

main()
