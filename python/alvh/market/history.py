"""Daily market history — SPX and VIX closes, optionally VIX futures, an advance–decline line and
CPI/PPI readings — from a CSV file: the user's own, or the one alvh ships. The backtest replays
it; ``alvh report --signals`` computes the day's signals from it.

The bundled file (``alvh/data/history.csv``) holds the real daily S&P 500 closes and VIX closes
that the PyPI package ``arch`` ships in ``arch.data`` (``sp500`` column ``Close``, ``vix``
column ``vix``), on the dates both have: 2014-01-03 to 2018-12-31, 1,257 days. It is written by
``tests/golden/make_history.py`` and checked against ``arch.data`` by the tests, so
``pip install alvh`` users have it without installing ``arch``.

CSV columns (a header row; one row per trading day, dates strictly increasing):

===========  ===========================================================================
date         the trading day, YYYY-MM-DD
spx          SPX close (index points, > 0)
vix          VIX close (index points, > 0)
vx1, vx2, …  optional: closes of the VIX futures of the 1st, 2nd, … monthly expiries
             *strictly after* the date (index points, > 0); numbered from 1 without gaps
ad_line      optional: an advance–decline line (any level, finite)
cpi, ppi     optional: CPI and PPI readings (> 0); monthly releases, so a cell may be empty
             between them (R-MACD-TIGHTEN reads whether the latest release rose)
===========  ===========================================================================

Nothing is coerced: a missing column, an unknown column, a value that is not a number, a NaN or
empty cell (outside ``cpi``/``ppi``), a non-positive price, or an unsorted or duplicate date is a
:class:`~alvh.exceptions.ConfigError` naming the file, the row (and its line in the file) and
the column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from alvh._config import read_csv
from alvh.exceptions import ConfigError, InputError

__all__ = ["bundled_history_path", "check_history", "load_history"]

REQUIRED = ["spx", "vix"]
SPARSE = ["cpi", "ppi"]
"""Columns of monthly readings: empty cells between releases are allowed."""
_FUTURE = re.compile(r"^vx([1-9][0-9]*)$")


def bundled_history_path() -> Path:
    """Path of the bundled SPX/VIX history CSV (2014-01-03 to 2018-12-31, from ``arch.data``)."""
    return Path(str(resources.files("alvh") / "data" / "history.csv"))


def load_history(
    path: str | Path | None = None,
    *,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> pd.DataFrame:
    """Read and validate a history CSV (default: the bundled one) and keep ``start``..``end``
    (both inclusive; validation covers the whole file).

    Returns
    -------
    pandas.DataFrame
        Indexed by a sorted, unique ``DatetimeIndex`` named ``date``; float64 columns ``spx``,
        ``vix``, then any ``vx1``, ``vx2``, … and ``ad_line``.

    Raises
    ------
    ConfigError
        A bad file (see the module docstring), or no row between ``start`` and ``end``.
    """
    source = Path(path) if path is not None else bundled_history_path()
    raw = read_csv(source, dtype=str, keep_default_na=False)
    if "date" not in raw.columns:
        raise ConfigError(f"{source}: missing column 'date' (need date, spx, vix)")
    values = raw.drop(columns="date")
    columns = _columns(str(source), list(values.columns))

    def where(row: int) -> str:
        return f"{source}: row {row + 1} (line {row + 2})"

    dates = pd.to_datetime(raw["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        raise ConfigError(f"{where(int(bad[0]))}: date = {raw['date'].iloc[int(bad[0])]!r} is not a date (YYYY-MM-DD)")
    numbers = {}
    for column in columns:
        text = values[column].str.strip()
        parsed = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
        unreadable = np.isnan(parsed) & ~text.isin(_MISSING).to_numpy()
        if unreadable.any():
            row = int(np.flatnonzero(unreadable)[0])
            raise ConfigError(f"{where(row)}: {column} = {values[column].iloc[row]!r} is not a number")
        numbers[column] = parsed
    frame = pd.DataFrame(numbers, index=pd.DatetimeIndex(dates, name="date"))
    _check(frame, where)
    first, last = _bound(start, "start"), _bound(end, "end")
    if first is not None and last is not None and first > last:
        raise ConfigError(f"start = {first.date()} is after end = {last.date()}")
    frame = frame.loc[first:last]
    if frame.empty:
        raise ConfigError(f"{source}: no row between {_text(first, 'the start')} and {_text(last, 'the end')}")
    return frame


def check_history(frame: pd.DataFrame, *, source: str = "history") -> None:
    """Validate a history DataFrame (the rules of the module docstring; the index is the date).

    Raises
    ------
    InputError
        Naming the date, its row and the column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{source} must be a pandas DataFrame indexed by date, got {type(frame).__name__}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError(
            f"{source}: the index must be a DatetimeIndex of trading days, got {type(frame.index).__name__}"
        )
    _columns(source, [str(c) for c in frame.columns])
    if frame.empty:
        raise InputError(f"{source} has no rows")
    index = frame.index

    def where(row: int) -> str:
        return f"{source}: {index[row].date() if not pd.isna(index[row]) else 'NaT'} (row {row + 1})"

    try:
        _check(frame, where)
    except ConfigError as e:
        raise InputError(str(e)) from None


_MISSING = ["", "nan", "NaN", "NA", "null"]


def _columns(source: str, header: list[str]) -> list[str]:
    """The value columns in output order, after checking the header (without ``date``)."""
    for name in REQUIRED:
        if name not in header:
            raise ConfigError(f"{source}: missing column {name!r} (need date, spx, vix)")
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ConfigError(f"{source}: column {duplicates[0]!r} appears twice")
    futures = sorted(int(m.group(1)) for c in header if (m := _FUTURE.match(c)))
    unknown = [c for c in header if c not in (*REQUIRED, "ad_line", *SPARSE) and not _FUTURE.match(c)]
    if unknown:
        raise ConfigError(
            f"{source}: unknown column {unknown[0]!r}; allowed: date, spx, vix, vx1, vx2, …, ad_line, cpi, ppi"
        )
    if futures != list(range(1, len(futures) + 1)):
        missing = next(i for i in range(1, len(futures) + 2) if i not in futures)
        raise ConfigError(f"{source}: VIX futures columns must be vx1, vx2, … without gaps: vx{missing} is missing")
    optional = [c for c in ("ad_line", *SPARSE) if c in header]
    return [*REQUIRED, *(f"vx{i}" for i in futures), *optional]


def _check(frame: pd.DataFrame, where: Callable[[int], str]) -> None:
    """Dates strictly increasing, values finite, prices > 0 — or a ConfigError naming the row."""
    index = pd.DatetimeIndex(frame.index)
    if index.hasnans:
        raise ConfigError(f"{where(int(np.flatnonzero(index.isna())[0]))}: date is missing")
    steps = np.diff(index.asi8)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        what = "repeats the date before it" if steps[row - 1] == 0 else f"comes after {index[row - 1].date()}"
        raise ConfigError(f"{where(row)}: date = {index[row].date()} {what}; dates must be strictly increasing")
    for column in frame.columns:
        values = frame[column].to_numpy(np.float64)
        bad = ~np.isfinite(values) & ~(np.isnan(values) & (column in SPARSE))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            what = "missing (empty or NaN)" if np.isnan(values[row]) else f"= {values[row]} is not finite"
            raise ConfigError(f"{where(row)}: {column} {what}")
        if column != "ad_line" and (values <= 0).any():
            row = int(np.flatnonzero(values <= 0)[0])  # (NaN <= 0 is False: empty readings pass)
            raise ConfigError(f"{where(row)}: {column} = {values[row]:g} is not allowed: must be > 0")


def _bound(value: str | dt.date | None, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} = {value!r} is not a date (YYYY-MM-DD)") from None
    if pd.isna(stamp):
        raise ConfigError(f"{name} = {value!r} is not a date (YYYY-MM-DD)")
    return stamp


def _text(value: pd.Timestamp | None, default: str) -> str:
    return default if value is None else str(value.date())
