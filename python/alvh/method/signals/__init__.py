"""Market-signal indicators of the ALVH method (docs/method.md, Signals).

Every indicator takes pandas Series of **daily closes indexed by date** (a sorted, unique
``DatetimeIndex``, no NaN) and returns Series/DataFrames on the same index. Nothing looks ahead:
the value on day *t* is computed from data up to and including day *t* only, so truncating the
inputs after *t* never changes a value on or before *t*.

========================  =====================================  ===================================
indicator                 function (module)                      rules that read it
========================  =====================================  ===================================
RSI(14), Wilder           :func:`rsi` (momentum)                 R-RSI-REDUCE, R-L3, R-SKEW-ADD
MACD(12, 26, 9)           :func:`macd`, :func:`histogram_trend`  R-MACD-LADDER, R-MACD-TIGHTEN
                          (momentum)
A/D-line divergence       :func:`ad_divergence` (breadth)        R-L3
VIX spike / retracement   :func:`vix_spike` (spikes)             R-DELAYER
theta realisation         :func:`theta_realisation`              R-RSI-REDUCE
                          (book_inputs)
inflation rising          :func:`inflation_rising`               R-MACD-TIGHTEN
                          (book_inputs; per day of a history:
                          :func:`inflation_rising_by_day`)
========================  =====================================  ===================================

:func:`signal_snapshot` gathers the latest value of each into a frozen :class:`Signals` record
(module snapshot); :func:`signal_history` gives one per day.

Bad input raises :class:`alvh.exceptions.InputError` with a message that names the argument and
the problem (unsorted or duplicate dates, NaN or non-finite values, non-positive prices, a series
too short for the requested period, a period < 1; module validation). Nothing is silently dropped
or re-ordered: clean data first (for example ``vix.dropna()`` for a VIX series carrying holiday
rows).
"""

from alvh.method.signals.book_inputs import inflation_rising, inflation_rising_by_day, theta_realisation
from alvh.method.signals.breadth import ad_divergence, advance_decline_line
from alvh.method.signals.momentum import MacdTrend, histogram_trend, macd, rsi
from alvh.method.signals.snapshot import Signals, signal_history, signal_snapshot
from alvh.method.signals.spikes import vix_spike

__all__ = [
    "MacdTrend",
    "Signals",
    "ad_divergence",
    "advance_decline_line",
    "histogram_trend",
    "inflation_rising",
    "inflation_rising_by_day",
    "macd",
    "rsi",
    "signal_history",
    "signal_snapshot",
    "theta_realisation",
    "vix_spike",
]
