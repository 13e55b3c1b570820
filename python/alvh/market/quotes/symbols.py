"""Option and futures symbols: OCC/OSI option symbols and exchange futures codes.

* An OCC (OSI) option symbol is the root padded to 6 characters, the expiry as YYMMDD, ``C`` or
  ``P`` and the strike × 1000 as 8 digits: ``SPXW  261127P05600000`` is the SPXW 5600 put expiring
  2026-11-27. Brokers and Cboe also write it without the padding (``SPXW261127P05600000``).
* A futures code is the root, the month letter (``FGHJKMNQUVXZ``: January … December) and the year
  in 1, 2 or 4 digits: ``VXF7``, ``VXMF27``, ``ESZ2026``, optionally after a ``/``. VIX futures
  (VX, mini VXM) expire on the Wednesday 30 days before the next month's third Friday; E-mini S&P 500
  futures (ES, micro MES) on the third Friday of March, June, September or December. A one-digit year
  names the first contract of that month not yet expired on ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from alvh.exceptions import InputError
from alvh.market.expiries import third_friday, vix_expiry

__all__ = [
    "FUTURE_ROOTS",
    "MONTH_CODES",
    "FutureSymbol",
    "OptionSymbol",
    "format_future",
    "format_occ",
    "future_expiry",
    "parse_future",
    "parse_occ",
]

MONTH_CODES = "FGHJKMNQUVXZ"
"""Futures month letters, January … December."""

FUTURE_ROOTS = ("VX", "VXM", "ES", "MES")
_QUARTERLY = {"ES", "MES"}  # March, June, September, December only
_MAX_STRIKE = 99_999.999  # 8 digits, 3 of them decimals

_OCC = re.compile(r"(?P<root>[A-Z0-9]{1,6}?) *(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d{8})")
_FUTURE = re.compile(r"/?(?P<root>VXM|VX|MES|ES)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{4}|\d{1,2})")


@dataclass(frozen=True)
class OptionSymbol:
    """An option named by its OCC symbol."""

    root: str
    """The OCC root: ``SPX`` (AM-settled), ``SPXW`` (PM-settled), ``VIX``, ``VIXW`` …"""
    expiry: dt.date
    right: Literal["call", "put"]
    strike: float
    """In index points."""


@dataclass(frozen=True)
class FutureSymbol:
    """A futures contract named by its code."""

    root: str
    """``VX``, ``VXM``, ``ES`` or ``MES``."""
    month: int
    year: int
    expiry: dt.date


def parse_occ(text: str) -> OptionSymbol:
    """The option an OCC symbol names (padded OSI form or without the padding).

    Raises
    ------
    InputError
        Naming the text and what is allowed, when it is not an OCC option symbol.
    """
    match = _OCC.fullmatch(text.strip().upper())
    if match is None:
        raise InputError(
            f"{text!r} is not an OCC option symbol: need root (1–6 letters), YYMMDD, C or P and the "
            "strike × 1000 in 8 digits, e.g. 'SPXW  261127P05600000'"
        )
    date = match["date"]
    try:
        expiry = dt.date(2000 + int(date[:2]), int(date[2:4]), int(date[4:]))
    except ValueError:
        raise InputError(f"{text!r} is not an OCC option symbol: {date} is not a date (YYMMDD)") from None
    strike = int(match["strike"]) / 1000
    if strike <= 0:
        raise InputError(f"{text!r} is not an OCC option symbol: the strike must be > 0")
    return OptionSymbol(match["root"], expiry, "call" if match["right"] == "C" else "put", strike)


def format_occ(symbol: OptionSymbol) -> str:
    """The 21-character OSI form of an option symbol (root padded to 6 characters)."""
    if not re.fullmatch(r"[A-Z0-9]{1,6}", symbol.root):
        raise InputError(f"root = {symbol.root!r} is not allowed: 1–6 upper-case letters or digits")
    if not 2000 <= symbol.expiry.year <= 2099:
        raise InputError(f"expiry = {symbol.expiry} is not allowed: OCC symbols hold years 2000–2099")
    thousandths = round(symbol.strike * 1000)
    if not (0 < symbol.strike <= _MAX_STRIKE and abs(thousandths - symbol.strike * 1000) < 1e-6):
        raise InputError(
            f"strike = {symbol.strike} is not allowed: OCC symbols hold strikes > 0 and <= {_MAX_STRIKE} "
            "in steps of 0.001"
        )
    right = "C" if symbol.right == "call" else "P"
    return f"{symbol.root:<6}{symbol.expiry:%y%m%d}{right}{thousandths:08d}"


def future_expiry(root: str, year: int, month: int) -> dt.date:
    """The expiry of a futures contract month (see the module docstring)."""
    return third_friday(year, month) if root in _QUARTERLY else vix_expiry(year, month)


def parse_future(text: str, *, as_of: dt.date) -> FutureSymbol:
    """The futures contract a code names; ``as_of`` resolves a one-digit year.

    Raises
    ------
    InputError
        Naming the text and what is allowed, when it is not a futures code of a known root, or an
        ES/MES code names a month outside March, June, September, December.
    """
    match = _FUTURE.fullmatch(text.strip().upper())
    if match is None:
        raise InputError(
            f"{text!r} is not a futures code: need a root ({', '.join(FUTURE_ROOTS)}), a month letter "
            f"({MONTH_CODES}) and a year in 1, 2 or 4 digits, e.g. 'VXF7' or 'ESZ26'"
        )
    root, month = match["root"], MONTH_CODES.index(match["month"]) + 1
    if root in _QUARTERLY and month % 3:
        raise InputError(f"{text!r} is not a futures code: {root} months are H, M, U and Z (quarterly)")
    digits = match["year"]
    if len(digits) == 1:
        # the first contract of that month, with that last digit, not yet expired on as_of
        year = next(
            y
            for y in range(as_of.year, as_of.year + 11)
            if y % 10 == int(digits) and future_expiry(root, y, month) >= as_of
        )
    else:
        year = int(digits) + (2000 if len(digits) == 2 else 0)
    return FutureSymbol(root, month, year, future_expiry(root, year, month))


def format_future(symbol: FutureSymbol) -> str:
    """The code with a two-digit year, e.g. ``VXF27``."""
    return f"{symbol.root}{MONTH_CODES[symbol.month - 1]}{symbol.year % 100:02d}"
