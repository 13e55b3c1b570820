"""How alvh writes numbers for people (reprs, terminal tables, the HTML report, rule messages):
one convention everywhere. Amounts of money are signed whole dollars with thousands separators
and the unit after the number (``-45,542 $``, README.md, Units); shares are percent with a space
(``31 %``); a value that is not a number (NaN, ±inf, None) is an em dash (``—``) and never
``nan``; a value that rounds to zero is ``0``, never ``-0``."""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = [
    "MISSING",
    "compact",
    "count",
    "days",
    "dollars",
    "number",
    "scenario",
    "share",
    "signed",
    "signed_g",
    "spot_shock",
    "vol_points",
]

MISSING = "—"
"""What a value that is not a number shows as."""


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def number(value: float | None, digits: int = 0) -> str:
    """``value`` with thousands separators and ``digits`` decimals, unsigned: ``5,900.00``."""
    if not _finite(value):
        return MISSING
    assert value is not None  # for mypy: _finite checked it
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def signed(value: float | None, digits: int = 0) -> str:
    """``value`` with its sign, thousands separators and ``digits`` decimals: ``+1,234``,
    ``-0.039``; ``0`` (at ``digits``) has no sign."""
    if not _finite(value):
        return MISSING
    assert value is not None
    text = f"{value:+,.{digits}f}"
    return text[1:] if float(text.replace(",", "")) == 0 else text


def dollars(value: float | None, *, sign: bool = True) -> str:
    """A whole-dollar amount: ``-45,542 $``, ``+2,381 $``, ``0 $`` (``—`` when not a number);
    ``sign=False`` for an amount that is a size, not a gain or loss (a limit, a budget):
    ``100,832 $``."""
    text = signed(value) if sign else number(value)
    return text if text == MISSING else f"{text} $"


def share(value: float | None, digits: int = 0) -> str:
    """A fraction as percent: ``0.31`` → ``31 %`` (``digits`` decimals)."""
    if not _finite(value):
        return MISSING
    assert value is not None
    return f"{number(100 * value, digits)} %"


def compact(value: float | None, *, sign: bool = True) -> str:
    """An amount in at most ~7 characters, for narrow tables and plot labels: ``+2,464``,
    ``-617.6k``, ``-1.19M``; ``sign=False`` leaves a positive amount unsigned (``850``,
    ``1.25M``)."""
    if not _finite(value):
        return MISSING
    assert value is not None
    size, plus = abs(value), "+" if sign else ""
    if size >= 1e6:
        return f"{value / 1e6:{plus}.2f}M"
    if size >= 1e4:
        return f"{value / 1e3:{plus}.1f}k"
    return signed(value) if sign else number(value)


def count(number: float, noun: str) -> str:
    """``number`` of ``noun`` (a regular plural; a float as ``:g``): ``1 leg``, ``1,200 legs``,
    ``1 condor unit``, ``2.5 condor units``."""
    text = f"{number:,}" if isinstance(number, int) else f"{number:,g}"
    return f"{text} {noun}" if number == 1 else f"{text} {noun}s"


def spot_shock(fraction: float) -> str:
    """A relative spot move as signed percent: ``0.025`` → ``+2.5 %``."""
    return f"{signed_g(100 * fraction)} %"


def vol_points(shift: float) -> str:
    """An implied-vol shift in vol points: ``+5 vol pts``."""
    return f"{signed_g(shift)} vol pts"


def days(horizon: float) -> str:
    """A horizon in calendar days: ``1 day``, ``7 days``, ``0.5 days``."""
    return count(float(horizon), "day")


def signed_g(value: float) -> str:
    """``value`` signed in its shortest form (``+2.5``, ``-10``, ``0``): axis coordinates."""
    text = f"{value:+.6g}"
    return "0" if float(text) == 0 else text


def scenario(cell: Mapping[str, float]) -> str:
    """A grid cell's coordinates in words: ``spot +10 %, vol -5 vol pts, 7 days`` (and ``VIX 30``
    when the grid has explicit VIX levels)."""
    where = f"spot {spot_shock(cell['spot_shock'])}, vol {vol_points(cell['vol_shift'])}, {days(cell['horizon_days'])}"
    return where + (f", VIX {cell['vix_level']:g}" if "vix_level" in cell else "")
