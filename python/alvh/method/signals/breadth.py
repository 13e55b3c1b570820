"""Market breadth: the advance-decline line and its divergence from price (the R-L3 signal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.method.signals.validation import check_int, check_same_index, checked_series

__all__ = ["ad_divergence", "advance_decline_line", "unchecked_divergence"]


def advance_decline_line(advances: pd.Series[float], declines: pd.Series[float]) -> pd.Series[float]:
    """The advance-decline (breadth) line: the running sum of advances - declines.

    Parameters
    ----------
    advances, declines : pandas.Series of float
        Daily numbers of advancing and declining issues (counts, >= 0), both on the same sorted,
        unique DatetimeIndex.

    Returns
    -------
    pandas.Series of float
        AD_t = sum_{i <= t} (advances_i - declines_i), in issues, named ``"ad_line"``. The
        level is arbitrary (it starts from the first day's net advances); only its moves matter.
    """
    adv = checked_series("advances", advances, non_negative=True)
    dec = checked_series("declines", declines, non_negative=True)
    check_same_index("advances", adv, "declines", dec)
    line = np.cumsum(adv.to_numpy() - dec.to_numpy())
    return pd.Series(line, index=adv.index, name="ad_line")


def ad_divergence(closes: pd.Series[float], ad_line: pd.Series[float], *, lookback: int = 20) -> pd.Series[int]:
    """Divergence between price and the advance-decline line (the R-L3 breadth signal).

    On day t, with the previous ``lookback`` days t-lookback..t-1 as the reference window:

    * **+1 (bearish)**: price makes a new high, c_t > max(c over the window), while the A/D line
      does not, AD_t <= max(AD over the window);
    * **-1 (bullish)**: price makes a new low, c_t < min(c over the window), while the A/D line
      does not, AD_t >= min(AD over the window);
    * **0** otherwise, and on the first ``lookback`` days (no full window yet).

    Parameters
    ----------
    closes : pandas.Series of float
        Daily index closes (price units, > 0), sorted unique DatetimeIndex; at least
        ``lookback + 1`` values.
    ad_line : pandas.Series of float
        The A/D line (see :func:`advance_decline_line`; any level, may be negative) on exactly
        the same index.
    lookback : int, keyword-only
        Reference window in trading days (>= 1). Default 20.

    Returns
    -------
    pandas.Series of int
        Values in {-1, 0, +1} (int64), same index, named ``"ad_divergence"``.
    """
    lookback = check_int("lookback", lookback, minimum=1)
    needs = f"ad_divergence with lookback={lookback}"
    c = checked_series("closes", closes, min_length=lookback + 1, needs=needs, positive=True)
    ad = checked_series("ad_line", ad_line, min_length=lookback + 1, needs=needs)
    check_same_index("closes", c, "ad_line", ad)
    return unchecked_divergence(c, ad, lookback)


def unchecked_divergence(c: pd.Series[float], ad: pd.Series[float], lookback: int) -> pd.Series[int]:
    """:func:`ad_divergence` on inputs already checked (the snapshot checks each once)."""
    prev = {key: s.shift(1).rolling(lookback, min_periods=lookback) for key, s in (("c", c), ("ad", ad))}
    c_hi = prev["c"].max().to_numpy()
    c_lo = prev["c"].min().to_numpy()
    ad_hi = prev["ad"].max().to_numpy()
    ad_lo = prev["ad"].min().to_numpy()
    cv, adv = c.to_numpy(), ad.to_numpy()
    bearish = (cv > c_hi) & (adv <= ad_hi)  # NaN (warm-up) compares False
    bullish = (cv < c_lo) & (adv >= ad_lo)
    out = bearish.astype(np.int64) - bullish.astype(np.int64)
    return pd.Series(out, index=c.index, name="ad_divergence")
