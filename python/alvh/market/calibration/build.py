"""Option chains to a :class:`~alvh.market.snapshot.Market`: :func:`calibrate_market`, and the
market back to TOML: :func:`market_toml` (docs/method.md, Calibration).

The market's ``as_of`` is the SPX chain's quote time and its spot the chain's index level. The
market has one flat rate: the median of the parity-implied rates of the expiries at least
:data:`RATE_MIN_YEARS` out (a week's discount factor carries almost no information on the rate;
all expiries if none is that long), the flat dividend yield likewise; each calibrated expiry's
parity forward is written as a quoted forward, so valuation reproduces it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alvh._toml import toml_value
from alvh.exceptions import InputError
from alvh.market.bounds import check_plausible
from alvh.market.calibration.filters import QuoteFilters
from alvh.market.calibration.spx import calibrate_spx
from alvh.market.calibration.vix import calibrate_vix
from alvh.market.snapshot import Market, SpxMarket, VixLink, VixMarket

if TYPE_CHECKING:  # the chain table (alvh.market.quotes) is only read here
    from alvh.market.quotes import ChainQuotes

__all__ = ["RATE_MIN_YEARS", "Calibration", "calibrate_market", "market_toml"]

RATE_MIN_YEARS = 30 / 365
"""Expiries at least this far out (years) set the flat rate and dividend yield."""


@dataclass(frozen=True)
class Calibration:
    """A calibrated market and how it was fitted."""

    market: Market
    report: pd.DataFrame
    """One row per SPX (root, expiry): see :func:`~alvh.market.calibration.spx.calibrate_spx`."""
    points: pd.DataFrame
    """One row per SPX quote used or refused: see :func:`~alvh.market.calibration.spx.calibrate_spx`."""
    vix_report: pd.DataFrame
    """One row per VIX expiry: see :func:`~alvh.market.calibration.vix.calibrate_vix`."""
    vix_points: pd.DataFrame
    """One row per VIX option quote (empty without a VIX chain)."""


def calibrate_market(
    spx: ChainQuotes,
    *,
    vix_chain: ChainQuotes | None = None,
    vix_futures: pd.DataFrame | None = None,
    filters: QuoteFilters | None = None,
    link: VixLink | None = None,
) -> Calibration:
    """Calibrate a market snapshot from an SPX chain, a VIX chain and VIX futures.

    Parameters
    ----------
    spx : ChainQuotes
        The SPX/SPXW option chain (its quote time is the market's ``as_of``).
    vix_chain : ChainQuotes
        VIX option quotes: spot VIX (its ``underlying_last``), and the VIX option vols and smiles
        of the expiries it quotes. Required: a market needs spot VIX.
    vix_futures : DataFrame
        VIX futures quotes (expiry, price, root): the curve. Required: a market needs it.
    filters : QuoteFilters, optional
        The quote filters (default :class:`QuoteFilters`).
    link : VixLink, optional
        The SPX↔VIX link (default :class:`VixLink`); not calibrated from quotes.

    Raises
    ------
    InputError
        A VIX input missing, no SPX expiry calibrated, no VIX future after the quote time, or a
        calibrated number outside the market bounds (:data:`alvh.market.bounds.BOUNDS`).
    """
    filters = filters or QuoteFilters()
    if vix_futures is None:
        raise InputError("vix_futures is required: a market needs the VIX futures curve (expiry, price)")
    if vix_chain is None or vix_chain.underlying_last is None:
        raise InputError("vix_chain with the VIX index level (underlying_last) is required: a market needs spot VIX")
    if vix_chain.quote_time.date() != spx.quote_time.date():  # one snapshot: spot VIX and its vols of that day
        raise InputError(
            f"{vix_chain.source}: quoted {vix_chain.quote_time:%Y-%m-%d %H:%M}, not on the day of {spx.source} "
            f"({spx.quote_time:%Y-%m-%d %H:%M}): a market is one day's snapshot"
        )
    as_of = spx.quote_time
    fit = calibrate_spx(spx, filters)
    if not fit.smiles:
        notes = fit.report.dropna(subset=["note"])
        why = f"; {notes['expiry'].iloc[0]}: {notes['note'].iloc[0]}" if len(notes) else ""
        raise InputError(f"{spx.source}: no expiry could be calibrated, so no market{why}")
    calibrated = fit.report[fit.report["used"] > 0].dropna(subset=["rate"])
    long = calibrated[calibrated["years"] >= RATE_MIN_YEARS]
    carry = long if len(long) else calibrated
    rate, div_yield = float(np.median(carry["rate"])), float(np.median(carry["div_yield"]))
    vix = calibrate_vix(vix_futures, vix_chain, as_of=as_of, rate=rate, filters=filters)
    if not vix.futures:
        raise InputError("no VIX future left after the quote time: a market needs at least one")
    market = Market(
        as_of=as_of,
        spx=SpxMarket(
            spot=float(spx.underlying_last or 0.0),
            rate=rate,
            div_yield=div_yield,
            forwards=fit.forwards,
            smiles=list(fit.smiles),
        ),
        vix=VixMarket(spot=float(vix_chain.underlying_last), futures=vix.futures),
        link=link or VixLink(),
    )
    check_plausible(market, spx.source)
    return Calibration(
        market=market, report=fit.report, points=fit.points, vix_report=vix.report, vix_points=vix.points
    )


def market_toml(market: Market) -> str:
    """The market as TOML that :func:`~alvh.market.snapshot.load_market` reads back to an equal
    market (floats written with Python's shortest round-trip repr)."""
    data = market.model_dump(mode="python", exclude_none=True)
    lines = ["# Market snapshot written by alvh (market_toml). Times US/Eastern, vols decimal, prices index points."]
    lines += _table([], data)
    return "\n".join(lines) + "\n"


def _table(path: list[str], data: dict[str, Any]) -> list[str]:
    """TOML lines of one table: its plain keys, then its sub-tables and arrays of tables."""
    lines = [f"{key} = {toml_value(value)}" for key, value in data.items() if not _nested(value)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{'.'.join([*path, key])}]", *_table([*path, key], value)]
        elif _nested(value):
            for item in value:
                lines += ["", f"[[{'.'.join([*path, key])}]]", *_table([*path, key], item)]
    return lines


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and isinstance(value[0], dict))
