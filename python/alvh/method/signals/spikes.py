"""VIX spike episodes and how much of each has been given back (the R-DELAYER signal)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from alvh.method.signals.validation import check_int, check_threshold, checked_series

__all__ = ["unchecked_spike", "vix_spike"]


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
    window = check_int("window", window, minimum=2)
    thr = check_threshold("threshold", threshold)
    v = checked_series(
        "vix_closes", vix_closes, min_length=window, needs=f"vix_spike with window={window}", positive=True
    )
    return unchecked_spike(v, window, thr)


def unchecked_spike(v: pd.Series[float], window: int, thr: float) -> pd.DataFrame:
    """:func:`vix_spike` on inputs already checked (the snapshot checks each once)."""
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
