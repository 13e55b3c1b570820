"""Small HTML tables for notebooks (``_repr_html_``) and the HTML risk report, built one way so
both look alike. Every cell and label is escaped; numbers get thousands separators; rows can be
flagged (a rule in breach) and are then marked with the ``alvh-flag`` class and a tinted
background that needs no stylesheet (a notebook shows the table without the report's CSS)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from alvh._format import number

__all__ = ["FLAG_STYLE", "cell", "table"]

FLAG_STYLE = "background:#fde2e1"


def cell(value: Any, *, digits: int = 2) -> str:
    """One value as escaped HTML text: integers and floats with thousands separators (floats to
    ``digits`` places, never ``-0``), NaN and None as an empty cell, anything else by ``str``."""
    if value is None or (isinstance(value, Real) and not isinstance(value, Integral) and math.isnan(float(value))):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return number(float(value), digits)
    return html.escape(str(value))


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    flagged: Sequence[bool] | None = None,
    digits: int | Mapping[str, int] = 2,
    index: bool = False,
    hidden: int = 0,
) -> str:
    """``frame`` as an HTML ``<table class="alvh">``: one header row, one row per frame row
    (``flagged[i]`` marks row ``i``), the index as a first column when ``index``. ``digits``:
    the decimal places of floats, for every column or by column name (2 for a column not named).
    ``hidden``: how many rows the caller left out of ``frame`` (it passes the first rows only, so
    a notebook repr of a book with thousands of layers neither builds nor draws them); a last row
    counts them."""
    if flagged is not None and len(flagged) != len(frame):
        raise ValueError(f"flagged has {len(flagged)} entries for {len(frame)} rows")
    labels = ([html.escape(str(frame.index.name or ""))] if index else []) + [
        html.escape(str(c)) for c in frame.columns
    ]
    head = "".join(f"<th>{label}</th>" for label in labels)
    places = [_places(digits, frame.index.name)] if index else []
    places += [_places(digits, c) for c in frame.columns]
    rows = []
    for i, (label, values) in enumerate(zip(frame.index, frame.itertuples(index=False, name=None), strict=True)):
        cells = ([f"<th>{cell(label, digits=places[0])}</th>"] if index else []) + [
            f"<td>{cell(v, digits=d)}</td>" for v, d in zip(values, places[int(index) :], strict=True)
        ]
        mark = f' class="alvh-flag" style="{FLAG_STYLE}"' if flagged is not None and flagged[i] else ""
        rows.append(f"<tr{mark}>{''.join(cells)}</tr>")
    if hidden:
        rows.append(f'<tr><td colspan="{len(labels)}">… {hidden:,} more rows</td></tr>')
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="alvh">{title}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _places(digits: int | Mapping[str, int], column: Any) -> int:
    return digits if isinstance(digits, int) else digits.get(str(column), 2)
