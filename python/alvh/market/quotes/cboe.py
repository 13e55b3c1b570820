"""Cboe's delayed-quotes table download (SPX or VIX options), read into the neutral chain table
(:mod:`alvh.market.quotes.table`).

The file:

* line 1, the underlying and its level: ``SPX (S&P 500 INDEX),5912.17,-10.20`` (or ``^SPX (…)``;
  ``VIX (CBOE VOLATILITY INDEX),…`` for VIX options); the level must be a number > 0;
* line 2, when the quotes were taken, US/Eastern: ``Nov 20 2026 @ 16:15 ET`` in its first cell,
  optionally written ``Date: Nov 20 2026 @ 16:15 ET``; the cells after it (``Bid: …``) are
  ignored;
* line 3, the header, then one row per strike with the call and the put side by side, in one of
  two layouts:

  - old: ``Calls,Last Sale,Net,Bid,Ask,Vol,Open Int,Puts,Last Sale,Net,Bid,Ask,Vol,Open Int``;
    each Calls and Puts cell holds the expiry, the strike and a code,
    ``2018 Nov 16 2750.00 (SPX1816K2750)``: the root, the year's last two digits, the day, the
    month letter (A–L the calls of January–December, M–X the puts) and the strike, possibly with
    an exchange suffix (``SPXW1816K2750-E``). The text and the code must agree.
  - new: ``Expiration Date,Calls,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int,Strike,Puts,
    Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int``; the expiration like ``Fri Nov 27 2026``
    (the weekday must be that date's), the Calls and Puts cells OCC symbols (``SPXW261127C05900000``,
    padded or not), which must agree with the row's expiration and strike. IV is the file's decimal
    (``0.1432``) or a percentage (``14.32%``).

A trailing empty cell on any line (Cboe ends lines with a comma) is allowed. Blank Bid, Ask, Last
Sale, Vol, Open Int or IV cells mean none (NaN). Net, Delta and Gamma are not read. The roots must
be those of the underlying (SPX, SPXW; VIX, VIXW).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.exceptions import InputError
from alvh.market.quotes.table import (
    COUNT,
    PRICE,
    ROOTS,
    ChainQuotes,
    OnInvalid,
    RowChecks,
    chain_table,
    check_on_invalid,
    header_error,
    read_rows,
    to_dates,
)

__all__ = ["NEW_HEADER", "OLD_HEADER", "read_cboe_chain"]

_OLD_SIDE = ("Last Sale", "Net", "Bid", "Ask", "Vol", "Open Int")
_NEW_SIDE = ("Last Sale", "Net", "Bid", "Ask", "Vol", "IV", "Delta", "Gamma", "Open Int")
OLD_HEADER = ("Calls", *_OLD_SIDE, "Puts", *_OLD_SIDE)
NEW_HEADER = ("Expiration Date", "Calls", *_NEW_SIDE, "Strike", "Puts", *_NEW_SIDE)
_READ = ("Last Sale", "Bid", "Ask", "Vol", "Open Int", "IV")
"""The cells of one side that are read (Net, Delta and Gamma are not)."""
UNDERLYING = re.compile(r"^\^?(?P<name>[A-Z]+) \(.*\)$")
"""Line 1's first cell: ``SPX (S&P 500 INDEX)`` or ``^SPX (S&P 500 INDEX)``."""
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIME_FORMAT = "%b %d %Y @ %H:%M ET"
OLD_CELL = re.compile(
    r"^(?P<text_date>\d{4} [A-Z][a-z]{2} \d{1,2}) (?P<text_strike>\d+(?:\.\d+)?) "
    r"\((?P<root>[A-Z]{1,6})(?P<year>\d{2})(?P<day>\d{2})(?P<letter>[A-X])(?P<code_strike>\d+(?:\.\d+)?)"
    r"(?:-[A-Z0-9]+)?\)$"
)
"""An old layout's Calls or Puts cell: ``2018 Nov 16 2750.00 (SPX1816K2750)`` (``-E``: exchange)."""
OLD_CELL_FORM = (
    "must be like '2018 Nov 16 2750.00 (SPX1816K2750)': the expiry, the strike and the code "
    "(root, 2-digit year, 2-digit day, month letter A–L for calls or M–X for puts, strike)"
)


def read_cboe_chain(path: str | Path, *, on_invalid: OnInvalid = "raise") -> ChainQuotes:
    """Read a Cboe delayed-quotes download (old or new layout; see the module docstring).

    Parameters
    ----------
    path : str or Path
        The downloaded CSV file.
    on_invalid : {"raise", "skip"}
        ``raise``: the first bad row raises. ``skip``: bad quotes are left out and listed in the
        result's ``rejects``.

    Returns
    -------
    ChainQuotes
        The quotes (one row per call and per put, in file order), the rejects, the underlying, its
        level from line 1 and the quote time from line 2.

    Raises
    ------
    InputError
        Naming the file, the line, the field, the value and what is allowed: a bad line 1, line 2
        or header always; a bad quote with ``on_invalid="raise"``; no valid quote.
    """
    mode = check_on_invalid(on_invalid)
    source = str(path)
    rows = read_rows(Path(path))
    if len(rows) < 3:
        raise InputError(
            f"{source}: {len(rows)} lines: a Cboe chain starts with the underlying (line 1), the quote time "
            "(line 2) and a header row (line 3)"
        )
    underlying, level = _underlying(source, *rows[0])
    quote_time = _quote_time(source, *rows[1])
    header_line, header = rows[2]
    named = tuple(header[: len(header) - (header[-1] == "")])
    if named not in (OLD_HEADER, NEW_HEADER):
        raise header_error(
            source, header_line, header, f"must be {','.join(NEW_HEADER)!r} or (old layout) {','.join(OLD_HEADER)!r}"
        )
    checks = RowChecks(source, mode)
    wide = checks.table(rows[3:], len(named), "row")
    quotes = _long(wide, named)
    checks.lines = quotes["line"].to_numpy()
    side = quotes["side"]
    if named == OLD_HEADER:
        root, expiry, strike = _old_cells(checks, quotes)
    else:
        root, expiry, strike = _new_cells(checks, quotes)
    checks.roots(root, side, quotes["symbol"], underlying)
    right = pd.Series(np.where(side == "Calls", "call", "put"))
    checks.once(
        pd.DataFrame({"root": root, "expiry": expiry, "strike": strike, "right": right}), side, quotes["symbol"]
    )
    table = chain_table(
        quote_time,
        {
            "root": root,
            "expiry": expiry,
            "strike": strike,
            "right": right,
            **{
                column: checks.number(quotes[name], name + " (" + side + ")", reason=PRICE)
                for column, name in (("bid", "Bid"), ("ask", "Ask"), ("last", "Last Sale"))
            },
            "volume": checks.number(quotes["Vol"], "Vol (" + side + ")", reason=COUNT),
            "open_interest": checks.number(quotes["Open Int"], "Open Int (" + side + ")", reason=COUNT),
            "iv": checks.implied_vol(quotes["IV"], "IV (" + side + ")") if "IV" in named else np.nan,
        },
    )
    good, rejects = checks.finish(table)
    return ChainQuotes(good, rejects, source, underlying, level, quote_time)


def _underlying(source: str, line: int, cells: list[str]) -> tuple[str, float]:
    """The underlying and its level, from line 1."""
    match = UNDERLYING.match(cells[0])
    if match is None or match["name"] not in ROOTS:
        raise InputError(
            f"{source}: line {line}: underlying = {cells[0]!r} is not allowed: must be "
            "'SPX (S&P 500 INDEX)' or 'VIX (CBOE VOLATILITY INDEX)' (a leading ^ allowed): a Cboe chain on SPX or VIX"
        )
    text = cells[1] if len(cells) > 1 else ""
    try:
        level = float(text)
    except ValueError:
        level = np.nan
    if not (np.isfinite(level) and level > 0):
        raise InputError(
            f"{source}: line {line}: last = {text!r} is not allowed: must be the index level, a number > 0 "
            "(index points), in the cell after the underlying"
        )
    return match["name"], level


def _quote_time(source: str, line: int, cells: list[str]) -> dt.datetime:
    """The quote time, from line 2's first cell."""
    try:
        return dt.datetime.strptime(cells[0].removeprefix("Date:").strip(), TIME_FORMAT)
    except ValueError:
        raise InputError(
            f"{source}: line {line}: quote time = {cells[0]!r} is not allowed: must be like "
            "'Nov 20 2026 @ 16:15 ET' (or 'Date: Nov 20 2026 @ 16:15 ET'), US/Eastern"
        ) from None


def _long(wide: pd.DataFrame, header: tuple[str, ...]) -> pd.DataFrame:
    """The wide rows as one row per quote, calls before puts on each line: the text cells of the
    side (``symbol`` for its Calls or Puts cell) and the shared ones, with ``side`` and ``line``."""
    shared: dict[str, pd.Series] = {n: wide[header.index(n)] for n in ("Expiration Date", "Strike") if n in header}
    sides = []
    for side in ("Calls", "Puts"):
        start = header.index(side)
        cells = {name: wide[header.index(name, start)] for name in _READ if name in header}
        columns: dict[str, object] = {"symbol": wide[start], **cells, **shared, "side": side, "line": wide["line"]}
        sides.append(pd.DataFrame(columns))
    return pd.concat(sides).sort_values("line", kind="stable").reset_index(drop=True)


def _old_cells(checks: RowChecks, quotes: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Root, expiry and strike from the old layout's ``2018 Nov 16 2750.00 (SPX1816K2750)`` cells,
    the text checked against the code and the code's month letter against the side."""
    symbol, side = quotes["symbol"], quotes["side"]
    parts = symbol.str.extract(OLD_CELL)
    matched = parts["root"].notna().to_numpy()
    checks.flag(~matched, side, symbol, OLD_CELL_FORM)
    text_date = to_dates(parts["text_date"], "%Y %b %d")
    letter = parts["letter"].fillna("A").map(ord).to_numpy() - ord("A")
    code_date = to_dates(
        "20" + parts["year"] + "-" + pd.Series(letter % 12 + 1, dtype=str) + "-" + parts["day"], "%Y-%m-%d"
    )
    checks.flag(matched & (text_date.isna() | code_date.isna()).to_numpy(), side, symbol, OLD_CELL_FORM)
    is_call = (side == "Calls").to_numpy()
    checks.flag(
        matched & (is_call != (letter < 12)),
        side,
        symbol,
        np.where(is_call, "must be a call: code month letter A–L", "must be a put: code month letter M–X"),
    )
    dated = (text_date.notna() & code_date.notna()).to_numpy()
    checks.flag(
        dated & (text_date != code_date).to_numpy(),
        side,
        symbol,
        lambda: (
            "must name one expiry: the date in the text is not the code's ("
            + code_date.dt.strftime("%Y-%m-%d").fillna("")
            + ")"
        ),
    )
    strike = pd.to_numeric(parts["text_strike"]).to_numpy(np.float64)
    code_strike = pd.to_numeric(parts["code_strike"]).to_numpy(np.float64)
    checks.flag(matched & ~(strike > 0), side, symbol, "must have a strike > 0 (index points)")
    checks.flag(
        matched & (strike > 0) & (strike != code_strike),
        side,
        symbol,
        lambda: (
            "must name one strike: the strike in the text is not the code's (" + parts["code_strike"].fillna("") + ")"
        ),
    )
    return parts["root"], text_date, pd.Series(strike)


def _new_cells(checks: RowChecks, quotes: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Root, expiry and strike from the new layout's Expiration Date, Strike and OCC symbol cells,
    the symbol checked against the other two and against its side."""
    text = quotes["Expiration Date"]
    expiry = checks.dates(text, "Expiration Date", {"%a %b %d %Y": "'Fri Nov 27 2026'"})
    weekday = pd.Series(np.array(WEEKDAYS)[expiry.dt.day_of_week.fillna(0).astype(int)], index=text.index)
    checks.flag(
        (expiry.notna() & (weekday != text.str[:3])).to_numpy(),
        "Expiration Date",
        text,
        lambda: "must name the date's own weekday (" + weekday + ")",
    )
    strike = checks.number(quotes["Strike"], "Strike", reason="must be a number > 0 (index points)", positive=True)
    side, symbol = quotes["side"], quotes["symbol"]
    parsed = checks.symbols(symbol, side)
    is_call = (side == "Calls").to_numpy()
    checks.flag(
        (parsed["right"].notna() & (parsed["right"] != np.where(is_call, "call", "put"))).to_numpy(),
        side,
        symbol,
        np.where(is_call, "must be a call's symbol (C)", "must be a put's symbol (P)"),
    )
    checks.flag(
        (parsed["expiry"].notna() & expiry.notna() & (parsed["expiry"] != expiry)).to_numpy(),
        side,
        symbol,
        lambda: "must expire on the row's Expiration Date (" + expiry.dt.strftime("%Y-%m-%d").fillna("") + ")",
    )
    checks.flag(
        parsed["strike"].notna().to_numpy() & np.isfinite(strike) & (parsed["strike"].to_numpy() != strike),
        side,
        symbol,
        lambda: "must have the row's Strike (" + quotes["Strike"] + ")",
    )
    return parsed["root"], expiry, pd.Series(strike)
