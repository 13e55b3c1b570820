"""CSV cells safe to open in a spreadsheet: a text cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is read as a formula by Excel and LibreOffice (``=cmd|' /C calc'!A0``
runs a program), so every CSV alvh writes prefixes such a cell with ``'`` (the OWASP rule for CSV
injection). Numbers stay numbers: ``-1.5`` in a text column is left as it is."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["formula_safe"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every formula-like text cell, column name and index label escaped (a copy
    where anything changes; numeric columns are not touched)."""
    escaped = {}
    for name in frame.select_dtypes(include=["object", "string"]).columns:
        try:
            hits = frame[name].str.startswith(_FORMULA_STARTS, na=False)
        except AttributeError:  # an object column without text
            continue
        if hits.any():
            # not Series.map, which turns None into NaN
            escaped[name] = pd.Series([_cell(v) for v in frame[name]], index=frame.index, dtype=frame[name].dtype)
    safe = frame.copy() if escaped else frame
    for name, column in escaped.items():
        safe[name] = column
    if _has_formula(safe.columns) or _has_formula(safe.index):
        safe = safe.rename(columns=_cell, index=_cell)
    return safe


def _has_formula(labels: pd.Index[Any]) -> bool:
    if labels.dtype != object and not isinstance(labels.dtype, pd.StringDtype):
        return False  # numbers, dates: nothing to escape (and a long RangeIndex is not walked)
    flat = (part for label in labels for part in (label if isinstance(label, tuple) else (label,)))
    return any(_cell(part) is not part for part in flat)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
