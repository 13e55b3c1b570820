"""What alvh's objects show in a notebook or a console: a few lines of text (``__repr__``) and a
block of HTML tables (``_repr_html_``, the tables drawn by :func:`alvh._html.table`), never the
whole of a legs table or a grid. Long lists (layers, trades, actions) stop at :data:`MAX_ROWS`
and count the rest."""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["MAX_ROWS", "bounded", "count", "dollars", "html_block"]

MAX_ROWS = 6
"""The most list rows (layers, actions, trades, cells) a repr shows; the others are counted."""


def dollars(value: float) -> str:
    """A signed whole-dollar amount with thousands separators, e.g. ``-45,542 $``."""
    return f"{value:+,.0f} $"


def count(number: int, noun: str) -> str:
    """``number`` of ``noun`` (a regular plural): ``1 leg``, ``1,200 legs``."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def bounded(lines: Sequence[str], noun: str) -> list[str]:
    """The first :data:`MAX_ROWS` of ``lines``, indented, and one line counting the others
    (``… 3 more layers``)."""
    shown = [f"  {line}" for line in lines[:MAX_ROWS]]
    if len(lines) > MAX_ROWS:
        shown.append(f"  … {len(lines) - MAX_ROWS:,} more {noun}")
    return shown


def html_block(title: str, *tables: str) -> str:
    """A notebook block: ``title`` (escaped) over the tables (already HTML)."""
    return f'<div class="alvh-repr"><p><strong>{html.escape(title)}</strong></p>{"".join(tables)}</div>'
