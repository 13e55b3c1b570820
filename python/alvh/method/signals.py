"""Market-signal indicators of the ALVH method (SPEC §1 rules, §3.4).

Every indicator takes pandas Series of **daily closes indexed by date** (a sorted, unique
``DatetimeIndex``, no NaN) and returns Series/DataFrames on the same index. Nothing looks ahead:
the value on day *t* is computed from data up to and including day *t* only, so truncating the
inputs after *t* never changes a value on or before *t*.

========================  =====================================  ===================================
indicator                 function                               rules that read it
========================  =====================================  ===================================
RSI(14), Wilder           :func:`rsi`                            R-RSI-REDUCE, R-L3, R-SKEW-ADD
MACD(12, 26, 9)           :func:`macd`, :func:`histogram_trend`  R-MACD-LADDER, R-MACD-TIGHTEN
A/D-line divergence       :func:`ad_divergence`                  R-L3
VIX spike / retracement   :func:`vix_spike`                      R-DELAYER
theta realisation         :func:`theta_realisation`              R-RSI-REDUCE
========================  =====================================  ===================================

:func:`signal_snapshot` gathers the latest value of each into a frozen :class:`Signals` record.

Bad input raises :class:`alvh.exceptions.InputError` with a message that names the argument and
the problem (unsorted or duplicate dates, NaN or non-finite values, non-positive prices, a series
too short for the requested period, a period < 1). Nothing is silently dropped or re-ordered:
clean data first (for example ``vix.dropna()`` for a VIX series carrying holiday rows).
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh.exceptions import InputError

__all__ = [
    "MacdTrend",
    "Signals",
    "ad_divergence",
    "advance_decline_line",
    "histogram_trend",
    "inflation_rising",
    "macd",
    "rsi",
    "signal_history",
    "signal_snapshot",
    "theta_realisation",
    "vix_spike",
]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _day(ts: Any) -> str:
    """A date for messages: ``2015-03-02`` at midnight, the full ISO timestamp otherwise."""
    stamp = pd.Timestamp(ts)
    return str(stamp.date()) if stamp == stamp.normalize() else stamp.isoformat()


def _check_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {int(value)}")
    return int(value)


def _series(
    name: str,
    values: object,
    *,
    min_length: int = 1,
    needs: str = "",
    positive: bool = False,
    non_negative: bool = False,
    allow_nan: bool = False,
) -> pd.Series[float]:
    """Validate a date-indexed numeric Series and return it as float64 (a new object).

    ``needs`` completes the too-short message, e.g. ``"rsi with period=14"``.
    """
    if not isinstance(values, pd.Series):
        raise InputError(f"{name} must be a pandas Series indexed by date, got {type(values).__name__}")
    index = values.index
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(f"{name}: index must be a DatetimeIndex, got {type(index).__name__}")
    if index.hasnans:
        raise InputError(f"{name}: index has NaT (missing) dates")
    if not index.is_unique:
        dup = index[index.duplicated()]
        raise InputError(f"{name}: index has {len(dup)} duplicate date(s) (first {_day(dup[0])}); dates must be unique")
    if not index.is_monotonic_increasing:
        i8 = index.asi8
        first = int(np.flatnonzero(i8[1:] < i8[:-1])[0]) + 1
        raise InputError(
            f"{name}: index is not sorted (first out-of-order date {_day(index[first])}, "
            f"after {_day(index[first - 1])})"
        )
    dtype = values.dtype
    if not (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)) or (
        pd.api.types.is_bool_dtype(dtype)
    ):
        raise InputError(f"{name}: values must be numeric (float or integer), got dtype {dtype}")
    try:
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:  # e.g. a nullable integer column holding <NA>
        raise InputError(f"{name}: values cannot be read as float64 ({exc})") from exc
    nan = np.isnan(arr)
    if nan.any() and not allow_nan:
        raise InputError(
            f"{name} has {int(nan.sum())} NaN value(s) (first at {_day(index[int(np.argmax(nan))])}); "
            "drop or fill them first"
        )
    inf = np.isinf(arr)
    if inf.any():
        first = int(np.argmax(inf))
        raise InputError(f"{name} has {int(inf.sum())} infinite value(s) (first {arr[first]} at {_day(index[first])})")
    if positive or non_negative:
        bad = (arr <= 0.0) if positive else (arr < 0.0)
        if bad.any():
            first = int(np.argmax(bad))
            what = "non-positive" if positive else "negative"
            allowed = "> 0" if positive else ">= 0"
            raise InputError(
                f"{name} has {int(bad.sum())} {what} value(s) (first {arr[first]!r} at "
                f"{_day(index[first])}); values must be {allowed}"
            )
    if len(arr) < min_length:
        why = f"; {needs} needs at least {min_length}" if needs else f"; at least {min_length} needed"
        raise InputError(f"{name} has {len(arr)} value(s){why}")
    return pd.Series(arr, index=index.copy(), name=values.name)


def _check_threshold(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise InputError(f"{name} must be a positive finite number (a fraction), got {value!r}")
    if float(value) <= 0.0:
        raise InputError(f"{name} must be a positive finite number (a fraction), got {float(value)!r}")
    return float(value)


def _same_index(name_a: str, a: pd.Series[float], name_b: str, b: pd.Series[float]) -> None:
    if a.index.equals(b.index):
        return
    only_a = a.index.difference(b.index)
    only_b = b.index.difference(a.index)
    if len(only_a):
        raise InputError(
            f"{name_b}: index differs from {name_a}'s ({len(only_a)} date(s) of {name_a} missing, "
            f"first {_day(only_a[0])}); align the series first"
        )
    raise InputError(
        f"{name_b}: index differs from {name_a}'s ({len(only_b)} extra date(s), first "
        f"{_day(only_b[0])}); align the series first"
    )


def _ema(values: NDArray[np.float64], span: int) -> NDArray[np.float64]:
    """EMA with alpha = 2/(span + 1), seeded with the first value (pandas ``ewm(adjust=False)``)."""
    out: NDArray[np.float64] = (
        pd.Series(values).ewm(span=span, adjust=False, ignore_na=False).mean().to_numpy(np.float64)
    )
    return out


# --------------------------------------------------------------------------------------------
# RSI
# --------------------------------------------------------------------------------------------


def rsi(closes: pd.Series[float], *, period: int = 14) -> pd.Series[float]:
    """Wilder's Relative Strength Index (Wilder 1978) with Wilder smoothing.

    With changes d_i = c_i - c_{i-1}, gains g_i = max(d_i, 0) and losses l_i = max(-d_i, 0):

    * the first averages (on day ``period``) are the simple means of g_1..g_period and
      l_1..l_period;
    * afterwards avg_t = (avg_{t-1} * (period - 1) + current) / period (an EMA with
      alpha = 1/period);
    * RSI_t = 100 - 100 / (1 + avgG_t / avgL_t), evaluated as 100 * (avgG / (avgG + avgL)), which
      gives 100 when there are only gains (avgL = 0), 0 with only losses and 50 for a flat
      stretch (avgG = avgL = 0).

    Parameters
    ----------
    closes : pandas.Series of float
        Daily closes (price units, > 0), indexed by a sorted, unique DatetimeIndex; at least
        ``period + 1`` values.
    period : int, keyword-only
        Look-back in trading days (>= 1). Default 14, as in the method's RSI(14).

    Returns
    -------
    pandas.Series of float
        RSI in points on the scale 0..100, same index as ``closes``, named ``"rsi"``. The first
        ``period`` values are NaN.

    Raises
    ------
    alvh.exceptions.InputError
        Bad ``closes`` (see the module docstring) or ``period`` < 1.
    """
    period = _check_int("period", period, minimum=1)
    c = _series("closes", closes, min_length=period + 1, needs=f"rsi with period={period}", positive=True)
    return _rsi(c, period)


def _rsi(c: pd.Series[float], period: int) -> pd.Series[float]:
    arr = c.to_numpy()
    diff = np.diff(arr)
    out = np.full(len(arr), np.nan)
    averages = []
    for moves in (np.maximum(diff, 0.0), np.maximum(-diff, 0.0)):
        seeded = moves[period - 1 :].copy()
        seeded[0] = moves[:period].mean()  # Wilder's first average: the simple mean
        # Wilder smoothing from the seed on: avg_t = avg_{t-1} + (x_t - avg_{t-1}) / period
        averages.append(pd.Series(seeded).ewm(alpha=1.0 / period, adjust=False).mean().to_numpy())
    gain, loss = averages
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(total > 0.0, 100.0 * (gain / total), 50.0)  # gain/total <= 1 exactly
    out[period:] = values
    return pd.Series(out, index=c.index, name="rsi")


# --------------------------------------------------------------------------------------------
# MACD
# --------------------------------------------------------------------------------------------


class MacdTrend(str, Enum):
    """Direction of the MACD histogram's magnitude |histogram| over the last few days."""

    COMPRESSING = "compressing"
    """|histogram| fell on each of the last ``window`` days (momentum fading: mean reversion)."""
    EXPANDING = "expanding"
    """|histogram| rose on each of the last ``window`` days (momentum building)."""
    NEUTRAL = "neutral"
    """Neither (mixed moves, an unchanged day, or fewer than ``window`` day-over-day changes)."""


def macd(closes: pd.Series[float], *, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """Appel's Moving Average Convergence/Divergence, with Aspray's histogram and its slope.

    * EMA_n is the exponential moving average with alpha = 2/(n + 1), **seeded with the first
      close** and updated EMA_t = EMA_{t-1} + alpha (c_t - EMA_{t-1}) -- the convention of
      ``pandas.Series.ewm(span=n, adjust=False)`` (TA-Lib instead seeds with the simple mean of
      the first n closes and reports NaN before it; the two agree after the warm-up, the
      difference decaying like (1 - alpha)^t). No value is NaN, but the first ``slow + signal``
      or so values are dominated by the seed and should be treated as warm-up.
    * ``macd`` = EMA_fast - EMA_slow; ``signal`` = EMA_signal of ``macd`` (seeded with the first
      ``macd`` value, 0); ``histogram`` = ``macd`` - ``signal``; ``histogram_slope`` is the
      day-over-day change of the histogram (NaN on the first day).

    The EMAs are computed on c_t - c_0 (an EMA is affine, so this changes nothing
    mathematically): it avoids cancelling two large, nearly equal EMAs and makes the MACD of a
    constant series exactly 0.

    Parameters
    ----------
    closes : pandas.Series of float
        Daily closes (price units, > 0), sorted unique DatetimeIndex; at least
        ``slow + signal - 1`` values (the length at which the SMA-seeded convention gives its
        first histogram value: 34 for 12/26/9).
    fast, slow, signal : int, keyword-only
        EMA spans in trading days; 1 <= fast < slow, signal >= 1. Defaults 12, 26, 9.

    Returns
    -------
    pandas.DataFrame
        Columns ``macd``, ``signal``, ``histogram``, ``histogram_slope`` (all in the price units
        of ``closes``; the slope per trading day), same index as ``closes``.

    Raises
    ------
    alvh.exceptions.InputError
        Bad ``closes``, spans < 1 or ``fast >= slow``.
    """
    fast = _check_int("fast", fast, minimum=1)
    slow = _check_int("slow", slow, minimum=1)
    signal = _check_int("signal", signal, minimum=1)
    if fast >= slow:
        raise InputError(f"fast must be smaller than slow, got fast={fast}, slow={slow}")
    needs = f"macd({fast}, {slow}, {signal})"
    c = _series("closes", closes, min_length=slow + signal - 1, needs=needs, positive=True)
    return _macd(c, fast, slow, signal)


def _macd(closes: pd.Series[float], fast: int, slow: int, signal: int) -> pd.DataFrame:
    c = closes.to_numpy()
    shifted = c - c[0]
    line = _ema(shifted, fast) - _ema(shifted, slow)
    sig = _ema(line, signal)
    hist = line - sig
    slope = np.empty_like(hist)
    slope[0] = np.nan
    slope[1:] = np.diff(hist)
    return pd.DataFrame({"macd": line, "signal": sig, "histogram": hist, "histogram_slope": slope}, index=closes.index)


def histogram_trend(histogram: pd.Series[float], *, window: int = 3) -> pd.Series[Any]:
    """Classify each day's MACD histogram as compressing, expanding or neutral.

    With h_t the histogram: day t is

    * :attr:`MacdTrend.COMPRESSING` when |h| fell strictly on each of the last ``window``
      day-over-day changes, |h_{t-window}| > ... > |h_{t-1}| > |h_t|;
    * :attr:`MacdTrend.EXPANDING` when it rose strictly on each of them;
    * :attr:`MacdTrend.NEUTRAL` otherwise, including the first ``window`` days and any window
      touching a NaN.

    The magnitude is what counts, so a histogram that crosses zero while shrinking in size
    (0.5, 0.2, -0.1) is compressing, and one that grows on the other side (-0.1 -> -0.3) is
    expanding.

    Parameters
    ----------
    histogram : pandas.Series of float
        The ``histogram`` column of :func:`macd` (price units), sorted unique DatetimeIndex. NaN
        values are allowed (they make the windows that touch them NEUTRAL).
    window : int, keyword-only
        Number of consecutive day-over-day changes required (>= 1). Default 3.

    Returns
    -------
    pandas.Series of MacdTrend
        Object-dtype Series of :class:`MacdTrend` members, same index, named ``"trend"``.
    """
    window = _check_int("window", window, minimum=1)
    return _trend(_series("histogram", histogram, allow_nan=True), window)


def _trend(histogram: pd.Series[float], window: int) -> pd.Series[Any]:
    h = np.abs(histogram.to_numpy())
    up = np.zeros(len(h), dtype=bool)
    down = np.zeros(len(h), dtype=bool)
    up[1:] = h[1:] > h[:-1]  # NaN compares False
    down[1:] = h[1:] < h[:-1]
    # run lengths of consecutive rises / falls ending on each day
    n_up = _run_lengths(up)
    n_down = _run_lengths(down)
    code = np.where(n_down >= window, 1, np.where(n_up >= window, 2, 0))
    # built as an object array explicitly: numpy would read the str-Enum members as plain strings
    members = np.empty(3, dtype=object)
    members[:] = [MacdTrend.NEUTRAL, MacdTrend.COMPRESSING, MacdTrend.EXPANDING]
    return pd.Series(members[code], index=histogram.index, name="trend", dtype=object)


def _run_lengths(flags: NDArray[np.bool_]) -> NDArray[np.int64]:
    """For each position, the number of consecutive True values ending there."""
    n = len(flags)
    idx = np.arange(n, dtype=np.int64)
    last_false = np.where(flags, -1, idx)
    np.maximum.accumulate(last_false, out=last_false)
    return idx - last_false


# --------------------------------------------------------------------------------------------
# advance-decline line
# --------------------------------------------------------------------------------------------


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
    adv = _series("advances", advances, non_negative=True)
    dec = _series("declines", declines, non_negative=True)
    _same_index("advances", adv, "declines", dec)
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
    lookback = _check_int("lookback", lookback, minimum=1)
    needs = f"ad_divergence with lookback={lookback}"
    c = _series("closes", closes, min_length=lookback + 1, needs=needs, positive=True)
    ad = _series("ad_line", ad_line, min_length=lookback + 1, needs=needs)
    _same_index("closes", c, "ad_line", ad)
    return _divergence(c, ad, lookback)


def _divergence(c: pd.Series[float], ad: pd.Series[float], lookback: int) -> pd.Series[int]:
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


# --------------------------------------------------------------------------------------------
# VIX spike and retracement
# --------------------------------------------------------------------------------------------


def vix_spike(vix_closes: pd.Series[float], *, window: int = 20, threshold: float = 0.30) -> pd.DataFrame:
    """VIX spike episodes and the share of each spike given back (the R-DELAYER signal).

    Let m_t be the minimum VIX close over the ``window`` days ending on day t (t included; NaN
    before ``window`` days of history). The episodes are found by one pass forward in time:

    * **start**: outside an episode, day t starts one when VIX_t >= m_t * (1 + threshold). Then
      base = m_t (the pre-spike level) and peak = VIX_t.
    * **during**: peak = the highest close since the start (base stays fixed);
      retracement_t = (peak_t - VIX_t) / (peak_t - base), the share of the spike given back
      (0 at a new high; peak > base always, since peak >= base * (1 + threshold)).
    * **end**: the first day with VIX_t < m_t * (1 + threshold / 3) is the episode's last day.
      During an episode m_t >= base (the window holds only pre-spike days, which are >= base by
      the definition of base, and episode days, which are above base * (1 + threshold / 3)
      unless VIX_t itself is the new low), so this happens **at the latest when VIX falls back
      below base * (1 + threshold / 3)**. It also ends an episode in which VIX has settled at a
      new, higher level: once the pre-spike days have left the window, m_t follows the new
      level and the episode ends when VIX comes within threshold/3 of it (on the arch data,
      2014-2018, a base-only rule would keep an episode open from 2014-07-17 to 2016-08-19).
    * The last day still belongs to the episode (so a one-day collapse of the spike is seen by
      the rules). A retracement above 1 (VIX back below the base) can only occur on a last day:
      VIX_t < base <= m_t ends the episode. A new episode can start the next day at the
      earliest.

    No look-ahead: every value on day t depends on VIX up to day t only.

    Parameters
    ----------
    vix_closes : pandas.Series of float
        Daily VIX closes (index points, > 0), sorted unique DatetimeIndex, no NaN (drop holiday
        rows first); at least ``window`` values.
    window : int, keyword-only
        Days in the rolling minimum (>= 2). Default 20.
    threshold : float, keyword-only
        Rise above the rolling minimum that makes a spike, as a fraction (> 0). Default 0.30
        (30 %).

    Returns
    -------
    pandas.DataFrame
        Same index as ``vix_closes``, columns

        * ``spike`` (bool): an episode is in progress (start and last day included);
        * ``spike_start``, ``spike_end`` (bool): the episode's first and last day;
        * ``spike_base`` (index points): m at the start, carried through the episode;
        * ``spike_peak`` (index points): highest close since the start;
        * ``retracement`` (fraction, >= 0, above 1 only on a last day).

        The float columns are NaN outside an episode.
    """
    window = _check_int("window", window, minimum=2)
    thr = _check_threshold("threshold", threshold)
    v = _series("vix_closes", vix_closes, min_length=window, needs=f"vix_spike with window={window}", positive=True)
    return _spike(v, window, thr)


def _spike(v: pd.Series[float], window: int, thr: float) -> pd.DataFrame:
    x = v.to_numpy()
    low = v.rolling(window, min_periods=window).min().to_numpy()
    n = len(x)
    spike = np.zeros(n, dtype=bool)
    start = np.zeros(n, dtype=bool)
    end = np.zeros(n, dtype=bool)
    base_out = np.full(n, np.nan)
    peak_out = np.full(n, np.nan)
    retr_out = np.full(n, np.nan)
    start_factor = 1.0 + thr
    end_factor = 1.0 + thr / 3.0
    in_episode = False
    base = peak = math.nan
    for t in range(n):
        xt = float(x[t])
        if not in_episode:
            if not xt >= low[t] * start_factor:  # also False while low is NaN
                continue
            in_episode = True
            start[t] = True
            base, peak = float(low[t]), xt
        peak = max(peak, xt)
        spike[t] = True
        base_out[t] = base
        peak_out[t] = peak
        retr_out[t] = (peak - xt) / (peak - base)
        if xt < low[t] * end_factor:  # low[t] >= base here, see the docstring
            end[t] = True
            in_episode = False
    return pd.DataFrame(
        {
            "spike": spike,
            "spike_start": start,
            "spike_end": end,
            "spike_base": base_out,
            "spike_peak": peak_out,
            "retracement": retr_out,
        },
        index=v.index,
    )


# --------------------------------------------------------------------------------------------
# theta realisation
# --------------------------------------------------------------------------------------------


def theta_realisation(
    realised_pnl: pd.Series[float], projected_theta: pd.Series[float], *, window: int = 5
) -> pd.Series[float]:
    """How much of the projected time decay the core actually earns (the R-RSI-REDUCE input).

    ratio_t = sum(realised_pnl over the ``window`` days ending at t)
              / sum(projected_theta over the same days)

    A ratio of sums (not a mean of daily ratios), so a day with a tiny projected theta cannot
    blow it up. Below 1: theta decaying slower than projected. The first ``window - 1`` values
    are NaN, and so is any day whose summed projected theta is <= 0 (no decay was projected, so
    the ratio means nothing).

    Parameters
    ----------
    realised_pnl : pandas.Series of float
        The core's realised daily P&L attributable to decay ($ per day, any sign), sorted unique
        DatetimeIndex, at least ``window`` values.
    projected_theta : pandas.Series of float
        The theta projected for the same days ($ per day; positive for a short-premium core), on
        exactly the same index.
    window : int, keyword-only
        Smoothing window in trading days (>= 1). Default 5.

    Returns
    -------
    pandas.Series of float
        The dimensionless ratio, same index, named ``"theta_realisation"``.
    """
    window = _check_int("window", window, minimum=1)
    needs = f"theta_realisation with window={window}"
    pnl = _series("realised_pnl", realised_pnl, min_length=window, needs=needs)
    theta = _series("projected_theta", projected_theta, min_length=window, needs=needs)
    _same_index("realised_pnl", pnl, "projected_theta", theta)
    num = pnl.rolling(window, min_periods=window).sum().to_numpy()
    den = theta.rolling(window, min_periods=window).sum().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(den > 0.0, num / den, np.nan)
    return pd.Series(ratio, index=pnl.index, name="theta_realisation")


def inflation_rising(readings: pd.Series[float]) -> bool | None:
    """Whether an inflation series (CPI or PPI, one value per release or forward-filled daily) is
    rising: its latest reading is above the reading before it (repeated values are one release).
    None with fewer than two distinct readings — unknown, not "not rising" (R-MACD-TIGHTEN)."""
    values = readings.dropna().to_numpy(dtype=np.float64)
    releases = values[np.r_[True, np.diff(values) != 0]] if values.size else values
    return None if releases.size < 2 else bool(releases[-1] > releases[-2])


# --------------------------------------------------------------------------------------------
# snapshot
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """The latest value of each signal the rules read, as of ``date`` (SPEC §1, §3.4).

    The periods below are :func:`signal_snapshot`'s defaults (the method's); it can be given
    others.

    Attributes
    ----------
    date : pandas.Timestamp
        The day the values belong to; no data after it was used.
    spx_rsi : float
        RSI(14) of the SPX closes (0..100).
    vix_future_rsi : float
        RSI(14) of the front VIX future, or of spot VIX when no futures were given (see
        ``vix_rsi_source``).
    vix_rsi_source : str
        ``"front_future"`` or ``"vix"``: which series ``vix_future_rsi`` was computed on.
    vix_macd_histogram, vix_macd_histogram_slope : float
        MACD(12, 26, 9) histogram of spot VIX (index points) and its change from the day before.
    vix_macd_trend : MacdTrend
        :func:`histogram_trend` of that histogram (3-day window).
    ad_divergence : int or None
        :func:`ad_divergence` (lookback 20) of SPX against ``ad_line``; None without an A/D line.
    vix_spike : bool
        A VIX spike episode is in progress (:func:`vix_spike`, 20 days, 30 %).
    vix_retracement, vix_spike_peak, vix_spike_base : float
        Share of the spike given back, its peak and base (index points); NaN outside an episode.
    """

    date: pd.Timestamp
    spx_rsi: float
    vix_future_rsi: float
    vix_rsi_source: str
    vix_macd_histogram: float
    vix_macd_histogram_slope: float
    vix_macd_trend: MacdTrend
    ad_divergence: int | None
    vix_spike: bool
    vix_retracement: float
    vix_spike_peak: float
    vix_spike_base: float

    def to_dict(self) -> dict[str, str | float | int | bool | None]:
        """A JSON-serialisable dict: the date as an ISO string (``YYYY-MM-DD`` at midnight), the
        trend as its string value, NaN floats as None (strict JSON has no NaN)."""
        out: dict[str, str | float | int | bool | None] = {"date": _day(self.date)}
        for key in (
            "spx_rsi",
            "vix_future_rsi",
            "vix_macd_histogram",
            "vix_macd_histogram_slope",
            "vix_retracement",
            "vix_spike_peak",
            "vix_spike_base",
        ):
            value = float(getattr(self, key))
            out[key] = None if math.isnan(value) else value
        out["vix_rsi_source"] = str(self.vix_rsi_source)
        out["vix_macd_trend"] = self.vix_macd_trend.value
        out["ad_divergence"] = None if self.ad_divergence is None else int(self.ad_divergence)
        out["vix_spike"] = bool(self.vix_spike)
        return out


def _as_of(as_of: object) -> pd.Timestamp:
    if isinstance(as_of, (str, _dt.date, np.datetime64, pd.Timestamp)):
        try:
            stamp = pd.Timestamp(as_of)
        except (ValueError, TypeError) as exc:
            raise InputError(f"as_of: cannot read {as_of!r} as a date ({exc})") from exc
        if not isinstance(stamp, pd.Timestamp):  # NaT
            raise InputError(f"as_of must be a date, got {as_of!r} (NaT)")
        return stamp
    raise InputError(f"as_of must be a date (str, datetime.date, numpy/pandas timestamp), got {as_of!r}")


def signal_snapshot(
    *,
    spx_closes: pd.Series[float],
    vix_closes: pd.Series[float],
    front_future_closes: pd.Series[float] | None = None,
    ad_line: pd.Series[float] | None = None,
    as_of: str | _dt.date | pd.Timestamp | None = None,
    rsi_period: int = 14,
    macd_spans: tuple[int, int, int] = (12, 26, 9),
    trend_window: int = 3,
    spike_window: int = 20,
    spike_threshold: float = 0.30,
    ad_lookback: int = 20,
) -> Signals:
    """The signals of one day, computed from data up to that day only.

    Parameters
    ----------
    spx_closes : pandas.Series of float
        Daily SPX closes (index points), at least 15 values up to ``as_of``.
    vix_closes : pandas.Series of float
        Daily spot VIX closes (index points), at least 34 values up to ``as_of`` (MACD(12, 26, 9)
        warm-up) and no NaN (drop holiday rows).
    front_future_closes : pandas.Series of float, optional
        Daily closes of the front-month VIX future (a continuous front-month series; a roll
        jump counts as a price change). When None, ``vix_future_rsi`` is the RSI of spot VIX and
        ``vix_rsi_source`` says so.
    ad_line : pandas.Series of float, optional
        An advance-decline line on the same index as ``spx_closes`` (up to ``as_of``).
    as_of : date-like, optional
        The day to report (str, ``datetime.date``, numpy or pandas timestamp). It must be a date
        present in every series given (a naive ``as_of`` is read in the time zone of
        ``spx_closes``' index). Default: the last date present in all of them. Data after it is
        dropped before anything is computed.
    rsi_period, macd_spans, trend_window, spike_window, spike_threshold, ad_lookback
        The indicators' parameters (see :func:`rsi`, :func:`macd` (fast, slow, signal),
        :func:`histogram_trend`, :func:`vix_spike`, :func:`ad_divergence`); the defaults are the
        method's RSI(14), MACD(12, 26, 9), 3 days, 20 days and 30 %, 20 days.

    Returns
    -------
    Signals

    Raises
    ------
    alvh.exceptions.InputError
        A bad series (named in the message), no common date, or an ``as_of`` missing from a
        series.
    """
    settings = _Settings.checked(rsi_period, macd_spans, trend_window, spike_window, spike_threshold, ad_lookback)
    clean = _clean(spx_closes, vix_closes, front_future_closes, ad_line)
    if as_of is None:
        common = None
        for series in clean.values():
            common = series.index if common is None else common.intersection(series.index)
        if common is None or len(common) == 0:
            raise InputError(f"{', '.join(clean)} have no date in common")
        date = pd.Timestamp(common.max())
    else:
        date = _as_of(as_of)
        spx_index = clean["spx_closes"].index
        tz = spx_index.tz if isinstance(spx_index, pd.DatetimeIndex) else None
        if date.tzinfo is None and tz is not None:
            date = date.tz_localize(tz)  # a naive as_of is read in the series' time zone
    cut: dict[str, pd.Series[float]] = {}
    for name, series in clean.items():
        try:
            present = date in series.index
            before = series.index[series.index < date]
        except TypeError as exc:  # tz-aware vs naive
            raise InputError(f"as_of: {date} cannot be compared with {name}'s dates ({exc})") from exc
        if not present:
            hint = f"; the last one before is {_day(before[-1])}" if len(before) else ""
            raise InputError(f"{name} has no value on {_day(date)} (as_of){hint}")
        cut[name] = series.loc[:date]
    settings.check_lengths(cut)
    return _Indicators.of(cut, settings).on(date)


def signal_history(
    *,
    spx_closes: pd.Series[float],
    vix_closes: pd.Series[float],
    front_future_closes: pd.Series[float] | None = None,
    ad_line: pd.Series[float] | None = None,
    rsi_period: int = 14,
    macd_spans: tuple[int, int, int] = (12, 26, 9),
    trend_window: int = 3,
    spike_window: int = 20,
    spike_threshold: float = 0.30,
    ad_lookback: int = 20,
) -> dict[pd.Timestamp, Signals]:
    """The :func:`signal_snapshot` of every day at once (a backtest reads one a day): for each date
    common to the series with enough data up to it for every signal, the snapshot as of that date.
    Each indicator is computed once over the whole series; nothing looks ahead (module docstring),
    so each day's signals are those of the series cut at that day. The arguments are
    :func:`signal_snapshot`'s, except that ``ad_line`` must be on exactly ``spx_closes``' dates."""
    settings = _Settings.checked(rsi_period, macd_spans, trend_window, spike_window, spike_threshold, ad_lookback)
    clean = _clean(spx_closes, vix_closes, front_future_closes, ad_line)
    if "ad_line" in clean:
        _same_index("spx_closes", clean["spx_closes"], "ad_line", clean["ad_line"])
    indicators = _Indicators.of(clean, settings)
    common: pd.Index | None = None
    for series in clean.values():
        common = series.index if common is None else common.intersection(series.index)
    assert common is not None
    # the 1-based position of each common date in each series: how many values up to it
    counts = {name: series.index.get_indexer(common) + 1 for name, series in clean.items()}
    enough = np.logical_and.reduce([counts[name] >= settings.length(name, clean) for name in clean])
    return {pd.Timestamp(date): indicators.on(date) for date in common[enough]}


@dataclass(frozen=True)
class _Settings:
    """The indicators' parameters, checked."""

    period: int
    fast: int
    slow: int
    signal: int
    trend_window: int
    spike_window: int
    threshold: float
    ad_lookback: int

    @classmethod
    def checked(
        cls,
        rsi_period: object,
        macd_spans: object,
        trend_window: object,
        spike_window: object,
        spike_threshold: object,
        ad_lookback: object,
    ) -> _Settings:
        period = _check_int("rsi_period", rsi_period, minimum=1)
        if not isinstance(macd_spans, tuple) or len(macd_spans) != 3:
            raise InputError(f"macd_spans must be a tuple (fast, slow, signal), got {macd_spans!r}")
        fast, slow, signal = (_check_int(f"macd_spans[{i}]", span, minimum=1) for i, span in enumerate(macd_spans))
        if fast >= slow:
            raise InputError(f"macd_spans: fast must be smaller than slow, got {macd_spans!r}")
        return cls(
            period,
            fast,
            slow,
            signal,
            _check_int("trend_window", trend_window, minimum=1),
            _check_int("spike_window", spike_window, minimum=2),
            _check_threshold("spike_threshold", spike_threshold),
            _check_int("ad_lookback", ad_lookback, minimum=1),
        )

    def length(self, name: str, series: dict[str, pd.Series[float]]) -> int:
        """The values of series ``name`` (of the ``series`` given) the signals need."""
        if name == "vix_closes":
            rsi = 0 if "front_future_closes" in series else self.period + 1
            return max(self.slow + self.signal - 1, self.spike_window, rsi)
        if name == "spx_closes":
            return max(self.period + 1, self.ad_lookback + 1 if "ad_line" in series else 0)
        return self.period + 1 if name == "front_future_closes" else 0

    def check_lengths(self, cut: dict[str, pd.Series[float]]) -> None:
        """Raise naming the first series of ``cut`` too short for its signals."""
        rsi_needs = f"RSI({self.period})"
        spx = _require_length("spx_closes", cut["spx_closes"], self.period + 1, rsi_needs)
        macd_needs = f"MACD({self.fast}, {self.slow}, {self.signal}) (and the spike's {self.spike_window}-day minimum)"
        vix = _require_length(
            "vix_closes", cut["vix_closes"], max(self.slow + self.signal - 1, self.spike_window), macd_needs
        )
        if "front_future_closes" in cut:
            _require_length("front_future_closes", cut["front_future_closes"], self.period + 1, rsi_needs)
        else:
            _require_length("vix_closes", vix, self.period + 1, rsi_needs)
        if "ad_line" in cut:
            _same_index("spx_closes", spx, "ad_line", cut["ad_line"])
            _require_length(
                "spx_closes", spx, self.ad_lookback + 1, f"the A/D divergence (lookback {self.ad_lookback})"
            )


def _clean(
    spx_closes: object, vix_closes: object, front_future_closes: object, ad_line: object
) -> dict[str, pd.Series[float]]:
    """The series given, checked (sortedness, duplicates, NaN, sign), by argument name."""
    given: dict[str, object] = {"spx_closes": spx_closes, "vix_closes": vix_closes}
    if front_future_closes is not None:
        given["front_future_closes"] = front_future_closes
    if ad_line is not None:
        given["ad_line"] = ad_line
    return {name: _series(name, series, positive=name != "ad_line") for name, series in given.items()}


@dataclass(frozen=True)
class _Indicators:
    """Every indicator the signals read, over whole series (each value from data up to its day)."""

    spx_rsi: pd.Series[float]
    future_rsi: pd.Series[float]
    source: str
    macd: pd.DataFrame
    trend: pd.Series[Any]
    spike: pd.DataFrame
    divergence: pd.Series[int] | None

    @classmethod
    def of(cls, series: dict[str, pd.Series[float]], settings: _Settings) -> _Indicators:
        spx, vix = series["spx_closes"], series["vix_closes"]
        future = series.get("front_future_closes")
        macd = _macd(vix, settings.fast, settings.slow, settings.signal)
        return cls(
            spx_rsi=_rsi(spx, settings.period),
            future_rsi=_rsi(vix if future is None else future, settings.period),
            source="vix" if future is None else "front_future",
            macd=macd,
            trend=_trend(macd["histogram"], settings.trend_window),
            spike=_spike(vix, settings.spike_window, settings.threshold),
            divergence=None if "ad_line" not in series else _divergence(spx, series["ad_line"], settings.ad_lookback),
        )

    def on(self, date: pd.Timestamp) -> Signals:
        """The signals of ``date``."""
        spx, vix, future = (
            int(series.index.get_indexer(pd.Index([date]))[0]) for series in (self.spx_rsi, self.macd, self.future_rsi)
        )
        return Signals(
            date=date,
            spx_rsi=float(self.spx_rsi.iloc[spx]),
            vix_future_rsi=float(self.future_rsi.iloc[future]),
            vix_rsi_source=self.source,
            vix_macd_histogram=float(self.macd["histogram"].iloc[vix]),
            vix_macd_histogram_slope=float(self.macd["histogram_slope"].iloc[vix]),
            vix_macd_trend=MacdTrend(self.trend.iloc[vix]),
            ad_divergence=None if self.divergence is None else int(self.divergence.iloc[spx]),
            vix_spike=bool(self.spike["spike"].iloc[vix]),
            vix_retracement=float(self.spike["retracement"].iloc[vix]),
            vix_spike_peak=float(self.spike["spike_peak"].iloc[vix]),
            vix_spike_base=float(self.spike["spike_base"].iloc[vix]),
        )


def _require_length(name: str, series: pd.Series[float], n: int, needs: str) -> pd.Series[float]:
    if len(series) < n:
        raise InputError(f"{name} has {len(series)} value(s) up to as_of; {needs} needs at least {n}")
    return series
