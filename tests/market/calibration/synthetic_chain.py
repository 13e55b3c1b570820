"""Synthetic option chains from a known arbitrage-free surface, for the calibration tests and the
bench: SPX (SSVI smiles written as raw SVI, a known rate and dividend yield) and VIX (a known
vol-of-vol smile on futures far from spot VIX).

Quotes are realistic: a spread of 0.10 + 1 % of the price (so IV bands widen in the wings),
the true price at a random place inside it, bid and ask on the 0.05 tick (bid rounded down, ask
up, so the true price stays inside), a zero bid below one tick, zero volume in some far wings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from alvh import price
from alvh.market.expiries import SECONDS_PER_YEAR, Settlement, settlement_time, third_friday
from alvh.market.quotes import ChainQuotes
from alvh.market.smiles import SviSmile

AS_OF = dt.datetime(2026, 11, 20, 10, 30)
SPOT, RATE, DIV_YIELD = 5900.0, 0.04, 0.015
RHO, ETA = -0.7, 1.0  # SSVI with φ(θ) = η/√θ·…: free of butterfly arbitrage as η(1 + |ρ|) <= 2
VIX_SPOT = 15.0


def theta(years: float) -> float:
    """ATM total variance: vol 14 % rising to 19 % at a year (increasing: no calendar arbitrage)."""
    vol = 0.14 + 0.05 * min(years, 1.0)
    return vol * vol * years


def true_smile(expiry: dt.date, settlement: Settlement, years: float) -> SviSmile:
    """The SSVI smile of an expiry as raw SVI (Gatheral & Jacquier 2014)."""
    th = theta(years)
    phi = ETA / (np.sqrt(th) * np.sqrt(1 + th))
    return SviSmile(
        expiry=expiry,
        settlement=settlement,
        a=th / 2 * (1 - RHO**2),
        b=th * phi / 2,
        rho=RHO,
        m=-RHO / phi,
        sigma=np.sqrt(1 - RHO**2) / phi,
    )


def spx_expiries(count: int) -> list[tuple[str, dt.date]]:
    """``count`` expiries: SPXW every Friday after AS_OF, and SPX on the third Fridays among them."""
    out: list[tuple[str, dt.date]] = []
    day = AS_OF.date() + dt.timedelta(days=7)
    while len(out) < count:
        out.append(("SPXW", day))
        if day == third_friday(day.year, day.month) and len(out) < count:
            out.append(("SPX", day))
        day += dt.timedelta(days=7)
    return out


def years_to(expiry: dt.date, settlement: Settlement) -> float:
    return (settlement_time(expiry, settlement) - AS_OF).total_seconds() / SECONDS_PER_YEAR


def quote(true_price: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask around true prices: the true price inside, on the tick."""
    spread = 0.10 + 0.01 * true_price
    centre = true_price + rng.uniform(-0.4, 0.4, len(true_price)) * spread
    bid = np.floor((centre - spread / 2) / 0.05) * 0.05
    ask = np.ceil((centre + spread / 2) / 0.05) * 0.05
    bid = np.maximum(np.minimum(bid, np.floor(true_price / 0.05) * 0.05), 0.0)
    ask = np.maximum(ask, np.ceil(true_price / 0.05) * 0.05)
    return bid, ask


def spx_chain(
    expiries: int = 6, strikes: int = 60, *, seed: int = 7, smiles: dict[dt.date, SviSmile] | None = None
) -> ChainQuotes:
    """An SPX chain of ``expiries`` × ``strikes`` × 2 rights priced on the true surface (or on
    ``smiles`` where given, by expiry)."""
    rng = np.random.default_rng(seed)
    frames = []
    for root, expiry in spx_expiries(expiries):
        settlement = Settlement.AM if root == "SPX" else Settlement.PM
        years = years_to(expiry, settlement)
        forward = SPOT * np.exp((RATE - DIV_YIELD) * years)
        smile = (smiles or {}).get(expiry) or true_smile(expiry, settlement, years)
        width = min(0.55, 5 * np.sqrt(theta(years)))
        grid = np.unique(np.round(forward * np.exp(np.linspace(-width, width, strikes)) / 5) * 5)
        vol = np.sqrt(smile.total_variance(np.log(grid / forward), years) / years)
        for right in ("call", "put"):
            true_price = price(
                model="black76",
                underlying=forward,
                strike=grid,
                time_to_expiry=years,
                vol=vol,
                rate=RATE,
                is_call=right == "call",
            )
            bid, ask = quote(true_price, rng)
            volume = rng.integers(0, 500, len(grid)).astype(np.float64)
            frames.append(
                pd.DataFrame(
                    {
                        "quote_time": pd.Timestamp(AS_OF),
                        "root": root,
                        "expiry": pd.Timestamp(expiry),
                        "strike": grid,
                        "right": right,
                        "bid": bid,
                        "ask": ask,
                        "last": np.nan,
                        "volume": volume,
                        "open_interest": np.nan,
                        "iv": np.nan,
                    }
                )
            )
    return ChainQuotes(
        quotes=pd.concat(frames, ignore_index=True),
        rejects=pd.DataFrame(columns=["source", "line", "field", "value", "reason"]),
        source="synthetic-spx.csv",
        underlying="SPX",
        underlying_last=SPOT,
        quote_time=AS_OF,
    )


VIX_FUTURES = {dt.date(2026, 12, 16): 19.0, dt.date(2027, 1, 20): 20.5}
VIX_SMILE = (0.90, 0.40, 0.30)  # option_vol, skew, curvature: vol(k) = 0.9 + 0.4k + 0.3k²


def vix_futures() -> pd.DataFrame:
    return pd.DataFrame(
        {"expiry": pd.to_datetime(list(VIX_FUTURES)), "price": list(VIX_FUTURES.values()), "root": "VX"}
    )


def vix_chain(*, seed: int = 3, extra_expiry: dt.date | None = None) -> ChainQuotes:
    """VIX options priced by Black-76 on the future of their own expiry with the known smile
    (and, for ``extra_expiry``, options of an expiry with no future, priced on spot VIX)."""
    rng = np.random.default_rng(seed)
    level, skew, curvature = VIX_SMILE
    frames = []
    expiries = dict(VIX_FUTURES)
    if extra_expiry is not None:
        expiries[extra_expiry] = VIX_SPOT
    for expiry, future in expiries.items():
        years = years_to(expiry, Settlement.AM)
        strikes = np.arange(10.0, 51.0, 1.0)
        k = np.log(strikes / future)
        vol = level + skew * k + curvature * k * k
        for right in ("call", "put"):
            true_price = price(
                model="black76",
                underlying=future,
                strike=strikes,
                time_to_expiry=years,
                vol=vol,
                rate=RATE,
                is_call=right == "call",
            )
            spread = np.maximum(0.05, 0.02 * true_price)
            centre = true_price + rng.uniform(-0.3, 0.3, len(strikes)) * spread
            frames.append(
                pd.DataFrame(
                    {
                        "quote_time": pd.Timestamp(AS_OF),
                        "root": "VIX",
                        "expiry": pd.Timestamp(expiry),
                        "strike": strikes,
                        "right": right,
                        "bid": np.maximum(np.round(centre - spread / 2, 4), 0.0),  # a bid is never negative
                        "ask": np.round(centre + spread / 2, 4),
                        "last": np.nan,
                        "volume": 100.0,
                        "open_interest": np.nan,
                        "iv": np.nan,
                    }
                )
            )
    return ChainQuotes(
        quotes=pd.concat(frames, ignore_index=True),
        rejects=pd.DataFrame(columns=["source", "line", "field", "value", "reason"]),
        source="synthetic-vix.csv",
        underlying="VIX",
        underlying_last=VIX_SPOT,
        quote_time=AS_OF,
    )
