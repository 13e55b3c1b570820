"""The neutral option-chain table every quotes reader produces, and the row checks they share.

One row per option quote (the call and the put of one strike are two rows), columns
:data:`CHAIN_COLUMNS`:

=============  ===================================================================================
quote_time     when the quotes were taken: naive US/Eastern ``datetime64[ns]``, one per file
root           the option root, upper case: ``SPX``, ``SPXW`` (SPX chains), ``VIX``, ``VIXW`` (VIX)
expiry         the expiry date (``datetime64[ns]`` at midnight)
strike         index points, > 0
right          ``call`` or ``put``
bid, ask       index points, >= 0; NaN where the file has none (a blank bid is no bid; 0 stays 0)
last           the last sale, index points, >= 0; NaN where the file has none
volume         contracts traded, >= 0; NaN where the file has none
open_interest  contracts open, >= 0; NaN where the file has none
iv             the file's own implied vol as a decimal (0.1432), NaN where it has none; kept for
               comparison only
=============  ===================================================================================

A crossed quote (bid > ask) is not a reader error: filtering quotes is the calibration's business.
A bad cell is: a number that does not parse, a negative price or count, a strike <= 0, a date that
does not parse, an unknown right or root, a symbol that disagrees with its row, an option quoted on
an earlier line already. With
``on_invalid="raise"`` the first bad row in the file raises an :class:`~alvh.exceptions.InputError`
naming the file, the line, the field, the value and what is allowed; with ``on_invalid="skip"``
every bad quote is left out of the table and listed in ``rejects`` (:data:`REJECT_COLUMNS`), never
dropped silently. Problems with the file itself (its header, its quote time, its underlying) always
raise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh._config import _not_utf8
from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.quotes.symbols import OptionSymbol, parse_occ

__all__ = [
    "CHAIN_COLUMNS",
    "REJECT_COLUMNS",
    "ROOTS",
    "ChainQuotes",
    "OnInvalid",
    "RowChecks",
    "chain_table",
    "check_on_invalid",
    "first_row",
    "header_error",
    "read_rows",
    "to_dates",
]

CHAIN_COLUMNS = (
    "quote_time",
    "root",
    "expiry",
    "strike",
    "right",
    "bid",
    "ask",
    "last",
    "volume",
    "open_interest",
    "iv",
)
REJECT_COLUMNS = ("source", "line", "field", "value", "reason")

OnInvalid = Literal["raise", "skip"]

Field = str | pd.Series | NDArray[np.str_] | NDArray[np.object_]
"""A field's name (or a reason) in messages: one, or one per quote (``Bid (Calls)`` and
``Bid (Puts)``)."""

ROOTS = {"SPX": ("SPX", "SPXW"), "VIX": ("VIX", "VIXW")}
"""The option roots a chain on each underlying may hold."""

PRICE = "must be a number >= 0 (index points), or blank for none"
COUNT = "must be a number of contracts >= 0, or blank for none"
MAX_BARE_IV = 10.0
"""The largest implied vol written as a bare decimal (1000%): a larger bare number is taken for a
percentage written without its ``%`` and refused."""


@dataclass(frozen=True)
class ChainQuotes:
    """One option-chain file, read.

    Attributes
    ----------
    quotes : pandas.DataFrame
        The quotes, columns :data:`CHAIN_COLUMNS` (see the module docstring), in file order.
    rejects : pandas.DataFrame
        The bad quotes left out (``on_invalid="skip"``), columns :data:`REJECT_COLUMNS`: the file,
        the 1-based line, the field, its text and what is allowed; empty with ``on_invalid="raise"``.
    source : str
        The file, as given.
    underlying : str
        The index the chain is on: ``SPX`` or ``VIX``.
    underlying_last : float or None
        The index level the file states (index points), if it states one.
    quote_time : datetime.datetime
        When the quotes were taken, naive US/Eastern.
    """

    quotes: pd.DataFrame
    rejects: pd.DataFrame
    source: str
    underlying: str
    underlying_last: float | None
    quote_time: dt.datetime


def check_on_invalid(on_invalid: str) -> OnInvalid:
    """``on_invalid`` if it is ``raise`` or ``skip``, else an InputError."""
    if on_invalid not in get_args(OnInvalid):
        raise InputError(f"on_invalid = {on_invalid!r} is not allowed: use 'raise' or 'skip'")
    return on_invalid  # type: ignore[return-value]


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The CSV rows of a file, each with its 1-based line number and its cells stripped of blanks;
    lines without a non-blank cell are left out (they hold no quote). An InputError names a file
    that is missing or not UTF-8 text."""
    return list(_rows(path))


def first_row(path: Path) -> tuple[int, list[str]] | None:
    """The first row of :func:`read_rows` (None for a file without one), the rest left unparsed."""
    return next(_rows(path), None)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark is not a cell
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    reader = csv.reader(io.StringIO(text))
    stripped = (list(map(str.strip, cells)) for cells in reader)
    return ((reader.line_num, cells) for cells in stripped if any(cells))


def header_error(source: str, line: int, found: list[str], reason: str) -> InputError:
    """The error for a header row that is not the expected one, ``reason`` saying why."""
    return InputError(f"{source}: line {line}: header = {','.join(found)!r} is not allowed: {reason}")


class RowChecks:
    """The bad cells of one file's quote rows: each check flags rows, :meth:`finish` raises the
    first in file order or moves every flagged quote to the rejects.

    Parameters
    ----------
    source : str
        The file, as given (it starts every message).
    on_invalid : {"raise", "skip"}
        What :meth:`finish` does with the flagged rows.
    """

    def __init__(self, source: str, on_invalid: OnInvalid) -> None:
        self.source = source
        self.on_invalid = on_invalid
        self.lines: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._found: list[pd.DataFrame] = []

    def table(self, rows: list[tuple[int, list[str]]], width: int, row_name: str) -> pd.DataFrame:
        """The rows with ``width`` cells (more only if the extra cells are blank) as a frame of text
        with integer column labels and a ``line`` column; other rows are flagged as ``row_name``."""
        fits = [len(cells) == width or (len(cells) > width and not any(cells[width:])) for _, cells in rows]
        good = [
            cells[:width] if len(cells) > width else cells for (_, cells), fit in zip(rows, fits, strict=True) if fit
        ]
        lines = [line for (line, _), fit in zip(rows, fits, strict=True) if fit]
        bad = [row for row, fit in zip(rows, fits, strict=True) if not fit]
        if bad:
            self._found.append(
                pd.DataFrame(
                    {
                        "row": -1,
                        "line": [line for line, _ in bad],
                        "field": row_name,
                        "value": [",".join(cells) for _, cells in bad],
                        "reason": [f"must be a row of {width} cells (this one has {len(cells)})" for _, cells in bad],
                    }
                )
            )
        frame = pd.DataFrame(good, columns=range(width), dtype=object)  # numpy text: faster to parse than arrow
        frame["line"] = np.array(lines, dtype=np.int64)
        return frame

    def flag(self, bad: NDArray[np.bool_], field: Field, text: pd.Series, reason: Field | Callable[[], Field]) -> None:
        """Flag the quotes where ``bad`` holds: their cell ``text`` of ``field`` is not allowed, and
        ``reason`` says what is (``must be …``). Each of ``field`` and ``reason`` is one text or
        one per quote (``reason`` may be a function giving it, called only if a quote is bad);
        everything is aligned with :attr:`lines`."""
        rows = np.flatnonzero(bad)
        if len(rows) == 0:
            return
        if callable(reason):
            reason = reason()
        self._found.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "line": self.lines[rows],
                    "field": field if isinstance(field, str) else np.asarray(field)[rows],
                    "value": text.to_numpy()[rows],
                    "reason": reason if isinstance(reason, str) else np.asarray(reason)[rows],
                }
            )
        )

    def number(self, text: pd.Series, field: Field, *, reason: str, positive: bool = False) -> FloatArray:
        """The numbers of a text column: blank is NaN (a missing ``positive`` value is flagged), and
        a cell that is not a finite number, or is negative (or <= 0 where ``positive``), is flagged."""
        values = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
        blank = (text == "").to_numpy()
        wrong = ~blank & ~np.isfinite(values)
        with np.errstate(invalid="ignore"):
            wrong |= values <= 0 if positive else values < 0
        if positive:
            wrong |= blank
        self.flag(wrong, field, text, reason)
        return np.where(wrong, np.nan, values)

    def implied_vol(self, text: pd.Series, field: Field) -> FloatArray:
        """A file's implied vols as decimals: a bare decimal (``0.1432``, at most
        :data:`MAX_BARE_IV`) as it is, a percentage (``14.32%``) divided by 100; blank is NaN."""
        percent = text.str.endswith("%").to_numpy()
        values = pd.to_numeric(text.str.removesuffix("%"), errors="coerce").to_numpy(np.float64)
        blank = (text == "").to_numpy()
        with np.errstate(invalid="ignore"):
            wrong = ~blank & (~np.isfinite(values) | (values < 0) | (~percent & (values > MAX_BARE_IV)))
        reason = f"must be a decimal from 0 to {MAX_BARE_IV:g} (0.1432) or a percentage (14.32%), or blank for none"
        self.flag(wrong, field, text, reason)
        return np.where(wrong, np.nan, np.where(percent, values / 100.0, values))

    def dates(self, text: pd.Series, field: Field, formats: dict[str, str]) -> pd.Series:
        """The dates of a text column in any of ``formats`` (strptime format → how the message shows
        it); a cell that is none of them is flagged and NaT."""
        parsed = to_dates(text, *formats)
        self.flag(parsed.isna().to_numpy(), field, text, f"must be a date like {' or '.join(formats.values())}")
        return parsed

    def symbols(self, text: pd.Series, field: Field) -> pd.DataFrame:
        """The OCC option symbols of a text column (padded or not) as columns root, expiry, right,
        strike; a cell that is not one is flagged (and its row holds missing values)."""
        cells = pd.Index(pd.unique(text.to_numpy()))
        parsed: list[OptionSymbol | None] = []
        reasons = []
        for cell in cells.to_numpy():
            try:
                parsed.append(parse_occ(cell))
                reasons.append("")
            except InputError as e:
                parsed.append(None)
                why = str(e).split(": ", 1)[-1]  # without parse_occ's own "'text' is not an OCC option symbol"
                reasons.append(f"must be an OCC option symbol: {why}")
        at = cells.get_indexer(text)
        self.flag(np.array([s is None for s in parsed])[at], field, text, lambda: np.array(reasons, dtype=object)[at])
        return pd.DataFrame(
            {
                "root": np.array([s.root if s else None for s in parsed], dtype=object)[at],
                "expiry": pd.to_datetime(pd.Series([s.expiry if s else None for s in parsed], dtype=object)).to_numpy(
                    "datetime64[ns]"
                )[at],
                "right": np.array([s.right if s else None for s in parsed], dtype=object)[at],
                "strike": np.array([s.strike if s else np.nan for s in parsed], dtype=np.float64)[at],
            }
        )

    def roots(self, roots: pd.Series, field: Field, text: pd.Series, underlying: str) -> None:
        """Flag the quotes whose root is not one of the underlying's :data:`ROOTS`."""
        allowed = ROOTS[underlying]
        wrong = (roots.notna() & ~roots.isin(allowed)).to_numpy()
        self.flag(wrong, field, text, f"must be an option on {underlying}: roots {', '.join(allowed)}")

    def once(self, options: pd.DataFrame, field: Field, text: pd.Series) -> None:
        """Flag the quotes whose option (the columns of ``options``: root, expiry, strike, right) an
        earlier line already quotes; rows where one of them did not parse are left alone."""
        repeated = options.notna().all(axis=1).to_numpy() & options.duplicated(keep="first").to_numpy()
        first = pd.Series(self.lines).groupby([options[name] for name in options], dropna=False).transform("first")
        self.flag(
            repeated, field, text, lambda: "must quote each option once: line " + first.astype(str) + " quotes it"
        )

    def finish(self, quotes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The good quotes (``quotes`` without the flagged rows, re-indexed from 0) and the rejects
        table; with ``on_invalid="raise"`` the first flag in file order raises instead. An InputError
        also when no quote is left."""
        found = pd.concat(self._found, ignore_index=True) if self._found else _no_rejects().assign(row=[])
        found = found.sort_values("line", kind="stable")  # within a line, checks keep their order
        if len(found) and self.on_invalid == "raise":
            raise InputError(self._message(found.iloc[0]))
        good = quotes.drop(index=quotes.index[found.loc[found["row"] >= 0, "row"].unique()])
        if good.empty:
            first = f": every quote has an error; the first: {self._message(found.iloc[0])}" if len(found) else ""
            raise InputError(f"{self.source}: no quotes after the header{first}")
        rejects = (
            found.drop(columns="row")
            .drop_duplicates()  # a bad cell shared by a call and a put is one reject
            .assign(source=self.source)
            .loc[:, list(REJECT_COLUMNS)]
            .astype({"line": np.int64})
            .reset_index(drop=True)
        )
        return good.reset_index(drop=True), rejects

    def _message(self, problem: pd.Series) -> str:
        return (
            f"{self.source}: line {problem['line']}: {problem['field']} = {problem['value']!r} "
            f"is not allowed: {problem['reason']}"
        )


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=np.int64 if name == "line" else str) for name in REJECT_COLUMNS})


def to_dates(text: pd.Series, *formats: str) -> pd.Series:
    """The dates of a text column in the first of ``formats`` that reads each (NaT where none
    does), parsed once per distinct text: a chain repeats a few dates thousands of times, and
    pandas parses formats other than ISO one by one."""
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    parsed = pd.Series(pd.NaT, index=range(len(distinct)), dtype="datetime64[ns]")
    for form in formats:
        missing = parsed.isna()
        parsed[missing] = pd.to_datetime(distinct[missing], format=form, errors="coerce").astype("datetime64[ns]")
    return pd.Series(parsed.to_numpy()[codes], index=text.index)


def chain_table(quote_time: dt.datetime, columns: dict[str, object]) -> pd.DataFrame:
    """The chain table of the parsed columns (all of :data:`CHAIN_COLUMNS` but ``quote_time``), in
    that order and with its dtypes."""
    frame = pd.DataFrame(columns).loc[:, list(CHAIN_COLUMNS[1:])]
    frame.insert(0, "quote_time", pd.Timestamp(quote_time))
    numbers = {name: np.float64 for name in ("strike", *CHAIN_COLUMNS[5:])}
    return frame.astype(
        {"quote_time": "datetime64[ns]", "root": str, "expiry": "datetime64[ns]", "right": str, **numbers}
    )
