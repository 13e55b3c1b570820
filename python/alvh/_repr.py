"""What alvh's objects show in a notebook or a console: a few lines of text (``__repr__``) and a
block of HTML tables (``_repr_html_``, the tables drawn by :func:`alvh._html.table`), never the
whole of a legs table or a grid. Long lists (layers, trades, actions) stop at :data:`MAX_ROWS`
and count the rest; numbers are written by :mod:`alvh._format`."""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["MAX_ROWS", "bounded", "html_block"]

MAX_ROWS = 6
"""The most list rows (layers, actions, trades, cells) a repr shows; the others are counted."""


def bounded(lines: Sequence[str], noun: str, *, total: int | None = None) -> list[str]:
    """The first :data:`MAX_ROWS` of ``lines``, indented, and one line counting the others
    (``… 3 more layers``). ``total``: how many there are when ``lines`` holds only the first ones
    (a caller with thousands need not write them all)."""
    total = len(lines) if total is None else total
    shown = [f"  {line}" for line in lines[:MAX_ROWS]]
    if total > MAX_ROWS:
        shown.append(f"  … {total - MAX_ROWS:,} more {noun}")
    return shown


def html_block(title: str, *tables: str) -> str:
    """A notebook block: ``title`` (escaped) over the tables (already HTML)."""
    return f'<div class="alvh-repr"><p><strong>{html.escape(title)}</strong></p>{"".join(tables)}</div>'
