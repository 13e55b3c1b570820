"""Momentum of a close series: Wilder's RSI and the MACD with the trend of its histogram (the
signals of R-RSI-REDUCE, R-L3, R-SKEW-ADD, R-MACD-LADDER and R-MACD-TIGHTEN)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh.exceptions import InputError
from alvh.method.signals.validation import check_int, checked_series, ema

__all__ = ["MacdTrend", "histogram_trend", "macd", "rsi", "unchecked_macd", "unchecked_rsi", "unchecked_trend"]


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
    period = check_int("period", period, minimum=1)
    c = checked_series("closes", closes, min_length=period + 1, needs=f"rsi with period={period}", positive=True)
    return unchecked_rsi(c, period)


def unchecked_rsi(c: pd.Series[float], period: int) -> pd.Series[float]:
    """:func:`rsi` on inputs already checked (the snapshot checks each once)."""
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
    fast = check_int("fast", fast, minimum=1)
    slow = check_int("slow", slow, minimum=1)
    signal = check_int("signal", signal, minimum=1)
    if fast >= slow:
        raise InputError(f"fast must be smaller than slow, got fast={fast}, slow={slow}")
    needs = f"macd({fast}, {slow}, {signal})"
    c = checked_series("closes", closes, min_length=slow + signal - 1, needs=needs, positive=True)
    return unchecked_macd(c, fast, slow, signal)


def unchecked_macd(closes: pd.Series[float], fast: int, slow: int, signal: int) -> pd.DataFrame:
    """:func:`macd` on inputs already checked (the snapshot checks each once)."""
    c = closes.to_numpy()
    shifted = c - c[0]
    line = ema(shifted, fast) - ema(shifted, slow)
    sig = ema(line, signal)
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
    window = check_int("window", window, minimum=1)
    return unchecked_trend(checked_series("histogram", histogram, allow_nan=True), window)


def unchecked_trend(histogram: pd.Series[float], window: int) -> pd.Series[Any]:
    """:func:`histogram_trend` on inputs already checked (the snapshot checks each once)."""
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
