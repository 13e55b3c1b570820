"""Listed expiries and settlement times of SPX, SPXW and VIX products, and time to expiry.

All times are US/Eastern wall-clock times, naive (no tzinfo): a market snapshot's ``as_of`` and
every settlement time are in the same clock, so differences are exact. A time given with a zone
(``2026-11-20T21:00:00Z``) is converted to US/Eastern wall-clock time first (:func:`eastern`).

* SPX (AM-settled) options settle on the opening print of their expiry date, 09:30.
* SPXW (PM-settled) options settle on the close, 16:00.
* VIX options and futures (VX, VXM) settle on the Special Opening Quotation of their expiry
  date (a Wednesday), 09:30.

Time to expiry is ACT/365 including the intraday fraction. Exchange holidays are not modelled:
expiry dates are taken as given (the builders use the standard rules below).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alvh.exceptions import InputError

__all__ = [
    "Settlement",
    "eastern",
    "quarterly_expiry_after",
    "settlement_time",
    "third_friday",
    "vix_expiry",
    "year_fraction",
]

SECONDS_PER_YEAR = 365.0 * 86400.0
MARKET_OPEN = dt.time(9, 30)
MARKET_CLOSE = dt.time(16, 0)


class Settlement(str, Enum):
    """When on its expiry date an instrument settles."""

    AM = "am"
    """The opening print (SPX monthlies, VIX options and futures)."""
    PM = "pm"
    """The close (SPXW weeklies and dailies)."""

    @property
    def time(self) -> dt.time:
        return MARKET_OPEN if self is Settlement.AM else MARKET_CLOSE


def settlement_time(expiry: dt.date, settlement: Settlement) -> dt.datetime:
    """The settlement moment of an instrument expiring on ``expiry``."""
    return dt.datetime.combine(expiry, settlement.time)


def eastern(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive US/Eastern wall-clock time: converted if it has a zone, else as is."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(_eastern_zone()).replace(tzinfo=None)


def _eastern_zone() -> ZoneInfo:
    # looked up when needed (ZoneInfo keeps its own cache): naive times need no time-zone database
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        raise InputError(
            "a time with a zone is converted to US/Eastern, but no time-zone database holds America/New_York here: "
            "install the tzdata package or give the time without a zone (US/Eastern)"
        ) from None


def year_fraction(start: dt.datetime, end: dt.datetime) -> float:
    """ACT/365 years from ``start`` to ``end`` (negative if ``end`` is earlier); both naive
    (US/Eastern) or both with a zone."""
    if (start.utcoffset() is None) != (end.utcoffset() is None):
        raise InputError(
            f"start = {start.isoformat()} and end = {end.isoformat()}: one has a time zone and the other not; "
            "give both as naive US/Eastern times (or both with a zone)"
        )
    return (end - start).total_seconds() / SECONDS_PER_YEAR


def third_friday(year: int, month: int) -> dt.date:
    """The third Friday of a month: the standard SPX monthly expiry."""
    first = dt.date(year, month, 1)
    first_friday = first + dt.timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + dt.timedelta(weeks=2)


def vix_expiry(year: int, month: int) -> dt.date:
    """The VIX futures/options expiry of a contract month: the Wednesday 30 days before the third
    Friday of the following month (Cboe's rule, holidays not modelled)."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return third_friday(next_year, next_month) - dt.timedelta(days=30)


def quarterly_expiry_after(day: dt.date, *, min_days: int = 0) -> dt.date:
    """The first quarterly S&P 500 futures expiry (the third Friday of March, June, September or
    December) more than ``min_days`` calendar days after ``day``."""
    year, month = day.year, day.month
    while True:
        if month % 3 == 0 and (third_friday(year, month) - day).days > min_days:
            return third_friday(year, month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
