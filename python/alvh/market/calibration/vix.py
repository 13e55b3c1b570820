"""VIX futures and options quotes to the market's VIX curve: :func:`calibrate_vix`
(docs/method.md, Calibration).

* The futures curve: one price per expiry from the futures quotes (VX preferred where VX and VXM
  both quote an expiry); futures settled by the quote time are left out and reported.
* VIX options: priced by Black-76 on the VIX future *of the same expiry* — never on spot VIX, whose
  level an option does not settle on; an option expiry with no future of that expiry is refused
  and reported. The quote filters and IVs are the SPX ones (:mod:`.filters`, :mod:`.ivs`).
* The vol-of-vol smile per expiry: vol(k) = option_vol + skew·k + curvature·k², k = ln(K/F), by
  weighted least squares in vol with weights (vega / spread)² (the inverse variance of each
  quote's IV); with fewer than three quotes, a flat vol (their weighted mean).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.calibration.filters import QuoteFilters, quote_rejections, rejection_counts
from alvh.market.calibration.ivs import fit_quality, quote_points
from alvh.market.expiries import Settlement, settlement_time, year_fraction
from alvh.market.quotes.table import ROOTS
from alvh.market.smiles import VIX_K_RANGE, VixSmile
from alvh.market.snapshot import VixFuture

if TYPE_CHECKING:  # the chain table (alvh.market.quotes) is only read here
    from alvh.market.quotes import ChainQuotes

__all__ = ["VixCalibration", "calibrate_vix", "futures_curve"]
"""VIX option roots (all settle AM on the Special Opening Quotation)."""


@dataclass(frozen=True)
class VixCalibration:
    """The VIX part of a calibration: the futures (with option vols and smiles) and the reports."""

    futures: list[VixFuture]
    report: pd.DataFrame
    """One row per VIX expiry; columns in :func:`calibrate_vix`."""
    points: pd.DataFrame
    """One row per VIX option quote; columns in :func:`calibrate_vix`."""


def futures_curve(futures: pd.DataFrame, *, as_of: dt.datetime) -> tuple[dict[dt.date, float], dict[dt.date, str]]:
    """One price per expiry from futures quotes (columns expiry, price, root), and a note per
    expiry that says what was left out: a settled future, or a VXM price beside VX's."""
    prices: dict[dt.date, float] = {}
    notes: dict[dt.date, str] = {}
    for expiry, group in futures.groupby("expiry", sort=True):
        day = cast(pd.Timestamp, expiry).date()
        if settlement_time(day, Settlement.AM) <= as_of:
            notes[day] = "future settled by the quote time: left out"
            continue
        preferred = group[group["root"] == "VX"] if (group["root"] == "VX").any() else group
        prices[day] = float(preferred["price"].iloc[0])
        others = group.drop(preferred.index[:1])
        if len(others):
            ignored = ", ".join(f"{r} {p:g}" for r, p in zip(others["root"], others["price"], strict=True))
            notes[day] = f"future {preferred['root'].iloc[0]} {prices[day]:g} used ({ignored} beside it)"
    return prices, notes


def calibrate_vix(
    futures: pd.DataFrame,
    chain: ChainQuotes | None,
    *,
    as_of: dt.datetime,
    rate: float,
    filters: QuoteFilters | None = None,
) -> VixCalibration:
    """The VIX futures curve, and from a VIX option chain each expiry's option vol and smile.

    Parameters
    ----------
    futures : DataFrame
        Futures quotes: expiry (datetime64), price (index points), root ("VX", "VXM").
    chain : ChainQuotes or None
        VIX option quotes (roots VIX, VIXW), or None for futures only.
    as_of : datetime
        The quote time (naive US/Eastern).
    rate : float
        The continuous rate the options are discounted at (decimal per year).
    filters : QuoteFilters, optional
        The quote filters (default :class:`QuoteFilters`).

    Returns
    -------
    VixCalibration
        ``report`` columns: expiry, future (price, NaN if none), years, quotes, used, rejected,
        one count per reason, option_vol, skew, curvature (decimal vol per unit of k, k²),
        rmse_vol_points, inside_band, note. ``points`` columns: expiry, strike, right, k,
        mid_iv, bid_iv, ask_iv, fitted_iv, used, reason, root, iv_status, future.
    """
    filters = filters or QuoteFilters()
    prices, notes = futures_curve(futures, as_of=as_of)
    days = set(prices) | set(notes)
    points = None
    if chain is not None:
        quotes = chain.quotes.reset_index(drop=True)
        unknown = sorted(set(quotes["root"]) - set(ROOTS["VIX"]))
        if unknown:
            raise InputError(
                f"{chain.source}: root = {unknown[0]!r} is not allowed in a VIX chain: use {', '.join(ROOTS['VIX'])}"
            )
        points = _points(quotes, prices, as_of=as_of, rate=rate, filters=filters)
        days |= set(quotes["expiry"].dt.date)
    out, rows = [], []
    for day in sorted(days):
        p = points[points["expiry"] == pd.Timestamp(day)] if points is not None else pd.DataFrame()
        vol, smile, note = _smile(p) if len(p) else (None, None, "")
        if day in prices:
            out.append(VixFuture(expiry=day, price=prices[day], option_vol=vol, smile=smile))
        elif len(p):
            note = "no VIX future of this expiry: its options are not priced (never on spot VIX)"
        if points is not None and len(p):
            points.loc[p.index, "fitted_iv"] = _vol(vol, smile, p["k"].to_numpy(np.float64))
            p = points.loc[p.index]
        rows.append(
            {
                "expiry": day,
                "future": prices.get(day, np.nan),
                "years": year_fraction(as_of, settlement_time(day, Settlement.AM)),
                "quotes": len(p),
                "used": int(p["used"].sum()) if len(p) else 0,
                "rejected": int((~p["used"]).sum()) if len(p) else 0,
                **rejection_counts(p["reason"] if len(p) else pd.Series([], dtype=str)),
                "option_vol": vol if vol is not None else np.nan,
                "skew": smile.skew if smile else np.nan,
                "curvature": smile.curvature if smile else np.nan,
                **fit_quality(p[p["used"]] if len(p) else pd.DataFrame()),
                "note": "; ".join(n for n in (notes.get(day, ""), note) if n),
            }
        )
    return VixCalibration(
        futures=out, report=pd.DataFrame(rows), points=points if points is not None else pd.DataFrame()
    )


def _points(
    quotes: pd.DataFrame, prices: dict[dt.date, float], *, as_of: dt.datetime, rate: float, filters: QuoteFilters
) -> pd.DataFrame:
    """Each VIX option quote with its future, IVs and the reason it is refused ("" if used)."""
    day = quotes["expiry"].dt.date
    future = day.map(prices).to_numpy(np.float64)
    strike = quotes["strike"].to_numpy(np.float64)
    bid, ask = quotes["bid"].to_numpy(np.float64), quotes["ask"].to_numpy(np.float64)
    is_call = quotes["right"].to_numpy(object) == "call"
    to_settlement = {d: year_fraction(as_of, settlement_time(d, Settlement.AM)) for d in day.unique()}
    years: FloatArray = day.map(to_settlement).to_numpy(np.float64)
    k = np.log(strike / future)
    reason = quote_rejections(
        filters,
        bid=bid,
        ask=ask,
        volume=quotes["volume"].to_numpy(np.float64),
        log_moneyness=k,
        years=np.maximum(years, 1e-12),
        out_of_the_money=is_call == (strike >= future),
        k_range=VIX_K_RANGE,
    ).astype(object)
    reason[np.isnan(future)] = "no forward"
    reason[years <= 0] = "expired"
    points = quote_points(
        quotes,
        reason,
        forward=future,
        years=years,
        rate=np.full(len(quotes), rate),
        log_moneyness=k,
        in_total_variance=False,
    )
    points.insert(len(points.columns) - 1, "future", future)
    return points


def _smile(points: pd.DataFrame) -> tuple[float | None, VixSmile | None, str]:
    """The option vol and smile of one expiry from its used quotes, and a note."""
    used = points[points["used"]]
    if used.empty:
        return None, None, "no usable option quote: no option vol"
    k, vol, weight = (used[c].to_numpy(np.float64) for c in ("k", "mid_iv", "weight"))
    weight = weight / weight.mean()
    if len(used) < 3:
        return float(np.average(vol, weights=weight)), None, f"{len(used)} usable quotes: flat option vol, no smile"
    root = np.sqrt(weight)
    design = np.column_stack([np.ones_like(k), k, k * k]) * root[:, None]
    level, skew, curvature = np.linalg.lstsq(design, vol * root, rcond=None)[0]
    if not level > 0:
        return float(np.average(vol, weights=weight)), None, f"fitted at-the-money vol {level:.3g} <= 0: flat vol"
    smile = VixSmile(skew=float(skew), curvature=float(curvature))
    problem = smile.problem(float(level))
    if problem:
        return float(level), None, f"the fitted smile {problem}: flat option vol"
    return float(level), smile, ""


def _vol(option_vol: float | None, smile: VixSmile | None, k: FloatArray) -> FloatArray:
    """The fitted vol at ``k`` (NaN where there is none)."""
    if option_vol is None:
        return np.full(len(k), np.nan)
    if smile is None:
        return np.full(len(k), option_vol)
    return smile.vol(option_vol, k)
