"""Implied vols of option quotes for a calibration, SPX and VIX alike: every quote is priced by
Black-76 on the forward (or future) of its own expiry, discounted at that expiry's rate, with
alvh's own IV kernel (:func:`alvh.implied_vol`); each solve keeps its :class:`alvh.IVStatus`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh._typing import FloatArray
from alvh.pricing import IVStatus, greeks, implied_vol

__all__ = ["LOCKED_SPREAD", "QuoteVols", "fit_quality", "quote_points", "quote_vols"]

LOCKED_SPREAD = 0.01
"""A locked quote (bid = ask) weighs as if one cent wide (index points): finite weights."""


@dataclass(frozen=True)
class QuoteVols:
    """The implied vols of a batch of quotes (decimal; NaN where the kernel has no solution)."""

    mid: FloatArray
    bid: FloatArray
    ask: FloatArray
    status: NDArray[np.uint8]
    """The :class:`alvh.IVStatus` of the mid's solve."""
    vega: FloatArray
    """dPrice/dvol at the mid IV (index points per unit of vol), 0 where there is no IV."""

    @property
    def status_names(self) -> NDArray[np.str_]:
        """The mid's status by name, lower case ("ok", "below_intrinsic", ...)."""
        names = np.array([s.name.lower() for s in IVStatus])
        return names[self.status]


def quote_vols(
    *,
    bid: FloatArray,
    ask: FloatArray,
    forward: FloatArray,
    strike: FloatArray,
    years: FloatArray,
    rate: FloatArray,
    is_call: NDArray[np.bool_],
) -> QuoteVols:
    """IVs of the mid, bid and ask prices of quotes (index points), one vectorised solve each.

    ``forward`` is each quote's own expiry's forward (SPX) or future (VIX), ``rate`` its expiry's
    continuous discount rate; all arrays of one length.
    """

    def solve(prices: FloatArray) -> tuple[FloatArray, NDArray[np.uint8]]:
        vols, status = implied_vol(
            model="black76",
            price=prices,
            underlying=forward,
            strike=strike,
            time_to_expiry=years,
            rate=rate,
            is_call=is_call,
            return_status=True,
        )
        return vols, status

    mid, status = solve((bid + ask) / 2)
    bid_vol = solve(np.nan_to_num(bid, nan=-1.0))[0]  # no bid (NaN): no IV
    ask_vol = solve(np.nan_to_num(ask, nan=-1.0))[0]
    solved = status == IVStatus.OK
    vega = np.zeros(len(mid))
    if solved.any():
        vega[solved] = greeks(
            model="black76",
            underlying=forward[solved],
            strike=strike[solved],
            time_to_expiry=years[solved],
            vol=mid[solved],
            rate=rate[solved],
            is_call=is_call[solved],
        ).vega
    return QuoteVols(mid=mid, bid=bid_vol, ask=ask_vol, status=status, vega=vega)


def quote_points(
    quotes: pd.DataFrame,
    reason: NDArray[np.object_],
    *,
    forward: FloatArray,
    years: FloatArray,
    rate: FloatArray,
    log_moneyness: FloatArray,
    in_total_variance: bool,
) -> pd.DataFrame:
    """Each quote (a chain table's rows) with its IVs, fit weight and the reason it is refused
    ("" if used): the quotes not yet refused (``reason`` "") are priced by :func:`quote_vols` on
    their ``forward``, and refused as "no implied vol" where the mid has none.

    Weights: the inverse variance of the fitted quantity from a price error of one spread —
    (vega/spread)² for a fit in vol, (vega/(σ·T·spread))² for a fit in total variance σ²T
    (``in_total_variance``), a locked quote counting as :data:`LOCKED_SPREAD` wide.

    Columns: expiry, strike, right, k, mid_iv, bid_iv, ask_iv, fitted_iv (NaN: the caller fits),
    used, reason, root, iv_status (the mid's IVStatus, lower case, "" if not priced), weight.
    """
    strike = quotes["strike"].to_numpy(np.float64)
    bid, ask = quotes["bid"].to_numpy(np.float64), quotes["ask"].to_numpy(np.float64)
    priced = np.flatnonzero(reason == "")
    vols = quote_vols(
        bid=bid[priced],
        ask=ask[priced],
        forward=forward[priced],
        strike=strike[priced],
        years=years[priced],
        rate=rate[priced],
        is_call=quotes["right"].to_numpy(object)[priced] == "call",
    )
    n = len(quotes)
    mid_iv, bid_iv, ask_iv, weight = (np.full(n, np.nan) for _ in range(4))
    mid_iv[priced], bid_iv[priced], ask_iv[priced] = vols.mid, vols.bid, vols.ask
    status = np.full(n, "", dtype=object)
    status[priced] = vols.status_names
    reason[priced[vols.status != IVStatus.OK]] = "no implied vol"
    spread = np.maximum(ask[priced] - bid[priced], LOCKED_SPREAD)
    scale = vols.mid * years[priced] if in_total_variance else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):  # no IV: NaN weight, never used
        weight[priced] = (vols.vega / (scale * spread)) ** 2
    return pd.DataFrame(
        {
            "expiry": quotes["expiry"],
            "strike": strike,
            "right": quotes["right"],
            "k": log_moneyness,
            "mid_iv": mid_iv,
            "bid_iv": bid_iv,
            "ask_iv": ask_iv,
            "fitted_iv": np.nan,
            "used": reason == "",
            "reason": reason.astype(str),
            "root": quotes["root"],
            "iv_status": status.astype(str),
            "weight": weight,
        }
    )


def fit_quality(used: pd.DataFrame) -> dict[str, float]:
    """How well fitted IVs match the used quotes (columns mid_iv, bid_iv, ask_iv, fitted_iv):
    ``rmse_vol_points``, the root-mean-square of fitted − mid IV in vol points, and
    ``inside_band``, the share of quotes whose fitted IV lies inside their bid–ask IV band (a bid
    with no IV, below intrinsic, bounds nothing from below). NaN when no quote is used."""
    if used.empty:
        return {"rmse_vol_points": np.nan, "inside_band": np.nan}
    fitted = used["fitted_iv"].to_numpy(np.float64)
    error = fitted - used["mid_iv"].to_numpy(np.float64)
    low = used["bid_iv"].fillna(0.0).to_numpy(np.float64)
    high = used["ask_iv"].fillna(np.inf).to_numpy(np.float64)
    return {
        "rmse_vol_points": float(np.sqrt(np.mean(error**2)) * 100),
        "inside_band": float(np.mean((fitted >= low) & (fitted <= high))),
    }
