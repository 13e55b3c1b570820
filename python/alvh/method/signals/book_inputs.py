"""The two rule inputs that are not market signals: how much of the projected theta the core
earns (R-RSI-REDUCE) and whether inflation is rising (R-MACD-TIGHTEN)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh.exceptions import InputError
from alvh.method.signals.validation import check_int, check_same_index, checked_series

__all__ = [
    "INFLATION_COLUMNS",
    "inflation_rising",
    "inflation_rising_by_day",
    "latest_theta_realisation",
    "theta_realisation",
]


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
    window = check_int("window", window, minimum=1)
    needs = f"theta_realisation with window={window}"
    pnl = checked_series("realised_pnl", realised_pnl, min_length=window, needs=needs)
    theta = checked_series("projected_theta", projected_theta, min_length=window, needs=needs)
    check_same_index("realised_pnl", pnl, "projected_theta", theta)
    return pd.Series(_ratio_of_sums(pnl, theta, window), index=pnl.index, name="theta_realisation")


def latest_theta_realisation(
    realised_pnl: Sequence[float], projected_theta: Sequence[float], *, window: int = 5
) -> float:
    """:func:`theta_realisation` of the last ``window`` daily values alone (the same days, oldest
    first, at least ``window`` of each): what a caller that keeps the days itself reads each day
    (the backtest), without building dated Series to check. The sums are the compensated sums
    pandas' rolling sum makes of one window, so the ratio is the same to the last bit."""
    window = check_int("window", window, minimum=1)
    if min(len(realised_pnl), len(projected_theta)) < window:
        raise InputError(f"latest_theta_realisation with window={window} needs at least {window} values of each")
    pnl = _compensated_sum(realised_pnl[-window:])
    theta = _compensated_sum(projected_theta[-window:])
    return pnl / theta if theta > 0.0 else float("nan")


def _compensated_sum(values: Sequence[float]) -> float:
    """Kahan's compensated sum, in order (a NaN or an infinity makes it NaN or infinite, as in
    pandas)."""
    total = compensation = 0.0
    for value in values:
        y = float(value) - compensation
        t = total + y
        compensation = (t - total) - y
        total = t
    return total


def _ratio_of_sums(pnl: pd.Series[float], theta: pd.Series[float], window: int) -> NDArray[np.float64]:
    """The ratio of the rolling ``window``-day sums (NaN where the theta's is <= 0 or not full)."""
    num = pnl.rolling(window, min_periods=window).sum().to_numpy()
    den = theta.rolling(window, min_periods=window).sum().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # a sum of theta near 0: inf, as IEEE says
        return np.where(den > 0.0, num / den, np.nan)


def inflation_rising(readings: pd.Series[float]) -> bool | None:
    """Whether an inflation series (CPI or PPI, one value per release or forward-filled daily) is
    rising: its latest reading is above the reading before it (repeated values are one release).
    None with fewer than two distinct readings — unknown, not "not rising" (R-MACD-TIGHTEN)."""
    values = readings.dropna().to_numpy(dtype=np.float64)
    releases = values[np.r_[True, np.diff(values) != 0]] if values.size else values
    return None if releases.size < 2 else bool(releases[-1] > releases[-2])


INFLATION_COLUMNS = ("cpi", "ppi")
"""The history's inflation columns (:mod:`alvh.market.history`), either of which R-MACD-TIGHTEN reads."""


def inflation_rising_by_day(history: pd.DataFrame) -> pd.Series:
    """Whether inflation is rising as of each day of ``history`` (its ``cpi`` and/or ``ppi``
    columns; empty cells between releases): on each day, :func:`inflation_rising` of each series'
    readings up to that day, True if either is rising, False if neither is but one is known, None
    (unknown) before either has two releases or without the columns. ``alvh report`` and the
    backtest both read it (R-MACD-TIGHTEN)."""
    flags = []
    for column in INFLATION_COLUMNS:
        if column not in history:
            continue
        values = history[column].dropna()
        releases = values[np.r_[True, np.diff(values.to_numpy(np.float64)) != 0]] if len(values) else values
        before = releases.shift()
        rising = (releases > before).astype(np.float64).where(before.notna())  # NaN: no release before it
        flags.append(rising.reindex(history.index).ffill())
    out = np.full(len(history), None, dtype=object)
    if flags:
        frame = pd.concat(flags, axis=1)
        known = frame.notna().any(axis=1).to_numpy()
        rising_any = (frame == 1.0).any(axis=1).to_numpy()
        out[known] = [bool(r) for r in rising_any[known]]
    return pd.Series(out, index=history.index, dtype=object, name="inflation_rising")
