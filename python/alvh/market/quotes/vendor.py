"""The common end-of-day vendor format of option chains, read into the neutral chain table
(:mod:`alvh.market.quotes.table`).

A header row of exactly these columns, in any order (a missing, repeated or other column is an
error; nothing is ignored unseen)::

    underlying,underlying_last,exchange,optionroot,optionext,type,expiration,quotedate,strike,
    last,bid,ask,volume,openinterest,impliedvol,delta,gamma,theta,vega,optionalias

then one row per quote:

=================  ================================================================================
underlying         ``SPX`` or ``VIX`` (``^SPX``, ``^VIX`` too); one per file
underlying_last    the index level, > 0 (index points); one per file
optionroot         the OCC symbol, padded (``SPXW  261127C05900000``) or not
                   (``SPXW261127C05900000``): the quote's root; it must agree with type, expiration
                   and strike
type               ``call`` or ``put`` (any case)
expiration         ``11/27/2026`` (month/day/year) or ``2026-11-27``
quotedate          the same forms; one per file: the quotes are taken at its 16:00 US/Eastern close
strike             index points, > 0
last, bid, ask     index points, >= 0; blank for none
volume             contracts, >= 0; blank for none
openinterest       contracts, >= 0; blank for none
impliedvol         the vendor's implied vol: a decimal (``0.1432``) or a percentage (``14.32%``)
exchange, optionext, delta, gamma, theta, vega, optionalias
                   not read
=================  ================================================================================

Several underlyings, index levels or quote dates in one file are an error naming the first line
that differs (one file is one snapshot), whatever ``on_invalid`` says.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.expiries import MARKET_CLOSE
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
)

__all__ = ["VENDOR_COLUMNS", "read_vendor_chain"]

VENDOR_COLUMNS = (
    "underlying",
    "underlying_last",
    "exchange",
    "optionroot",
    "optionext",
    "type",
    "expiration",
    "quotedate",
    "strike",
    "last",
    "bid",
    "ask",
    "volume",
    "openinterest",
    "impliedvol",
    "delta",
    "gamma",
    "theta",
    "vega",
    "optionalias",
)
DATE_FORMATS = {"%m/%d/%Y": "'11/27/2026'", "%Y-%m-%d": "'2026-11-27'"}


def read_vendor_chain(path: str | Path, *, on_invalid: OnInvalid = "raise") -> ChainQuotes:
    """Read an end-of-day vendor chain file (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    on_invalid : {"raise", "skip"}
        ``raise``: the first bad row raises. ``skip``: bad quotes are left out and listed in the
        result's ``rejects``.

    Returns
    -------
    ChainQuotes
        The quotes in file order, the rejects, the underlying, its level and the quote time (the
        quote date at 16:00 US/Eastern).

    Raises
    ------
    InputError
        Naming the file, the line, the field, the value and what is allowed: a bad header or
        several snapshots in one file always; a bad quote with ``on_invalid="raise"``; no valid
        quote.
    """
    mode = check_on_invalid(on_invalid)
    source = str(path)
    rows = read_rows(Path(path))
    if not rows:
        raise InputError(f"{source}: empty file: a vendor chain needs its header row ({','.join(VENDOR_COLUMNS)})")
    header_line, header = rows[0]
    if sorted(header) != sorted(VENDOR_COLUMNS):
        raise header_error(source, header_line, header, _header_problem(header))
    checks = RowChecks(source, mode)
    table = checks.table(rows[1:], len(header), "row").rename(columns=dict(enumerate(header)))
    checks.lines = table["line"].to_numpy()
    if table.empty:
        checks.finish(table)  # raises: no quote to read
    underlying_text = table["underlying"]
    named = underlying_text.str.removeprefix("^")
    checks.flag(
        (~named.isin(list(ROOTS))).to_numpy(), "underlying", underlying_text, "must be SPX or VIX (^SPX, ^VIX too)"
    )
    level = checks.number(table["underlying_last"], "underlying_last", reason="must be a number > 0", positive=True)
    quote_date = checks.dates(table["quotedate"], "quotedate", DATE_FORMATS)
    underlying = _one(source, table, named.where(named.isin(list(ROOTS))), "underlying")
    last = _one(source, table, pd.Series(level), "underlying_last")
    quote_time = dt.datetime.combine(_one(source, table, quote_date, "quotedate").date(), MARKET_CLOSE)
    expiry = checks.dates(table["expiration"], "expiration", DATE_FORMATS)
    strike = checks.number(table["strike"], "strike", reason="must be a number > 0 (index points)", positive=True)
    right_text = table["type"]
    right = right_text.str.lower()
    checks.flag((~right.isin(["call", "put"])).to_numpy(), "type", right_text, "must be call or put")
    symbol = checks.symbols(table["optionroot"], "optionroot")
    _agree(checks, table, symbol, expiry, strike, right)
    checks.roots(symbol["root"], "optionroot", table["optionroot"], underlying)
    checks.once(symbol, "optionroot", table["optionroot"])
    quotes = chain_table(
        quote_time,
        {
            "root": symbol["root"],
            "expiry": expiry,
            "strike": strike,
            "right": right,
            "bid": checks.number(table["bid"], "bid", reason=PRICE),
            "ask": checks.number(table["ask"], "ask", reason=PRICE),
            "last": checks.number(table["last"], "last", reason=PRICE),
            "volume": checks.number(table["volume"], "volume", reason=COUNT),
            "open_interest": checks.number(table["openinterest"], "openinterest", reason=COUNT),
            "iv": checks.implied_vol(table["impliedvol"], "impliedvol"),
        },
    )
    good, rejects = checks.finish(quotes)
    return ChainQuotes(good, rejects, source, underlying, last, quote_time)


def _header_problem(header: list[str]) -> str:
    """What is wrong with a vendor header: the first missing, repeated or unknown column."""
    missing = [name for name in VENDOR_COLUMNS if name not in header]
    repeated = [name for name in header if header.count(name) > 1]
    unknown = [name for name in header if name not in VENDOR_COLUMNS]
    problem = (
        f"column {missing[0]!r} is missing"
        if missing
        else f"column {repeated[0]!r} appears twice"
        if repeated
        else f"column {unknown[0]!r} is unknown"
    )
    return f"{problem}; the columns, in any order: {','.join(VENDOR_COLUMNS)}"


def _one(source: str, table: pd.DataFrame, values: pd.Series, field: str) -> Any:
    """The one value a file-wide field holds (its first valid one, ``values`` being NaN where a
    row's is invalid: the row checks flag those); a second value, or none, raises."""
    valid = np.flatnonzero(values.notna().to_numpy())
    lines, text = table["line"].to_numpy(), table[field].to_numpy()
    if len(valid) == 0:
        where = f": line {lines[0]} has {field} = {text[0]!r}" if len(table) else ""
        raise InputError(f"{source}: no line has a valid {field}{where}")
    first = values.iloc[valid[0]]
    other = valid[(values.iloc[valid] != first).to_numpy()]
    if len(other):
        raise InputError(
            f"{source}: line {lines[other[0]]}: {field} = {text[other[0]]!r} is not allowed: one file is one "
            f"snapshot, and line {lines[valid[0]]} has {field} = {text[valid[0]]!r}"
        )
    return first


def _agree(
    checks: RowChecks,
    table: pd.DataFrame,
    symbol: pd.DataFrame,
    expiry: pd.Series,
    strike: FloatArray,
    right: pd.Series,
) -> None:
    """Flag the rows whose OCC symbol disagrees with their expiration, strike or type."""
    text, parsed = table["optionroot"], symbol["root"].notna().to_numpy()
    checks.flag(
        parsed & expiry.notna().to_numpy() & (symbol["expiry"] != expiry).to_numpy(),
        "optionroot",
        text,
        lambda: "must expire on the row's expiration (" + table["expiration"] + ")",
    )
    checks.flag(
        parsed & np.isfinite(strike) & (symbol["strike"].to_numpy() != strike),
        "optionroot",
        text,
        lambda: "must have the row's strike (" + table["strike"] + ")",
    )
    checks.flag(
        parsed & right.isin(["call", "put"]).to_numpy() & (symbol["right"] != right).to_numpy(),
        "optionroot",
        text,
        lambda: "must be of the row's type (" + table["type"] + ")",
    )
