"""The indicators against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from alvh.method.signals import (
    MacdTrend,
    ad_divergence,
    advance_decline_line,
    histogram_trend,
    macd,
    rsi,
    theta_realisation,
    vix_spike,
)
from tests.method.signals.samples import assert_same, series


def test_rsi_hand_computed() -> None:
    # 14 changes: +1 +1 -1 +1 +1 +1 -1 +1 +1 -1 +1 +1 -1 +1 (10 up closes, 4 down closes), then +2, -3
    closes = [100, 101, 102, 101, 102, 103, 104, 103, 104, 105, 104, 105, 106, 105, 106, 108, 105]
    got = rsi(series(closes), period=14)
    assert got.iloc[:14].isna().all()
    # day 14: avgU = 10/14, avgD = 4/14, RS = 2.5, RSI = 100 - 100/3.5
    assert got.iloc[14] == pytest.approx(100 - 100 / 3.5, rel=1e-14)  # 71.428571...
    # day 15 (+2): avgU = (10/14*13 + 2)/14 = 158/196, avgD = (4/14*13 + 0)/14 = 52/196
    #              RSI = 100 - 100/(1 + 158/52) = 100*158/210
    assert got.iloc[15] == pytest.approx(100 * 158 / 210, rel=1e-14)  # 75.238095...
    # day 16 (-3): avgU = (158/196*13 + 0)/14 = 2054/2744, avgD = (52/196*13 + 3)/14 = 1264/2744
    #              RSI = 100*2054/(2054 + 1264) = 100*13/21
    assert got.iloc[16] == pytest.approx(100 * 13 / 21, rel=1e-14)  # 61.904761...


def test_rsi_short_period_by_hand() -> None:
    # period 2: changes +2, -1, +1, 0
    got = rsi(series([10, 12, 11, 12, 12]), period=2)
    assert got.iloc[:2].isna().all()
    # day 2: avgU = (2 + 0)/2 = 1, avgD = (0 + 1)/2 = 0.5 -> 100*1/1.5
    assert got.iloc[2] == pytest.approx(100 / 1.5, rel=1e-14)
    # day 3 (+1): avgU = (1*1 + 1)/2 = 1, avgD = (0.5*1 + 0)/2 = 0.25 -> 100*1/1.25 = 80
    assert got.iloc[3] == pytest.approx(80.0, rel=1e-14)
    # day 4 (0): avgU = 0.5, avgD = 0.125 -> 80 again
    assert got.iloc[4] == pytest.approx(80.0, rel=1e-14)


def test_rsi_limits() -> None:
    up = rsi(series(np.arange(100.0, 130.0)))
    down = rsi(series(np.arange(130.0, 100.0, -1.0)))
    flat = rsi(series(np.full(30, 42.0)))
    assert (up.dropna() == 100.0).all()
    assert (down.dropna() == 0.0).all()
    assert (flat.dropna() == 50.0).all()
    # gains then a flat stretch: the average loss stays exactly 0, so RSI stays 100
    assert (rsi(series([*range(1, 17), *[16] * 20])).dropna() == 100.0).all()
    assert rsi(series([1.0, 2.0]), period=1).iloc[1] == 100.0
    assert rsi(series([2.0, 1.0]), period=1).iloc[1] == 0.0


def test_macd_of_a_constant_series_is_exactly_zero() -> None:
    got = macd(series(np.full(60, 17.25)))
    assert (got[["macd", "signal", "histogram"]] == 0.0).all().all()
    assert np.isnan(got["histogram_slope"].iloc[0])
    assert (got["histogram_slope"].iloc[1:] == 0.0).all()
    assert (histogram_trend(got["histogram"]) == MacdTrend.NEUTRAL).all()


def test_macd_of_a_linear_ramp() -> None:
    # c_t = a + b t. With EMA_0 = c_0, the lag d_t = c_t - EMA_t obeys d_t = (1 - alpha)(b + d_{t-1}),
    # d_0 = 0, so d_t = b (1 - alpha)/alpha (1 - (1 - alpha)^t), with (1 - alpha)/alpha = (n - 1)/2.
    # MACD_t = d_slow - d_fast -> b (slow - fast)/2 = 7 b for 12/26; signal -> 7 b; histogram -> 0.
    a, b, n = 100.0, 0.5, 600
    t = np.arange(n, dtype=float)
    got = macd(series(a + b * t))

    def lag(span: int) -> np.ndarray:
        alpha = 2.0 / (span + 1.0)
        return b * (span - 1) / 2.0 * (1.0 - (1.0 - alpha) ** t)

    assert_same(got["macd"], lag(26) - lag(12), rtol=1e-12, atol=1e-13)
    assert got["macd"].iloc[-1] == pytest.approx(7 * b, rel=1e-12)
    assert got["signal"].iloc[-1] == pytest.approx(7 * b, rel=1e-12)
    assert abs(got["histogram"].iloc[-1]) < 1e-11
    # the histogram rises from 0 while the MACD line pulls away, then shrinks towards 0
    trend = histogram_trend(got["histogram"])
    assert trend.iloc[5] == MacdTrend.EXPANDING
    assert (trend.iloc[60:150] == MacdTrend.COMPRESSING).all()


def test_macd_histogram_slope_is_the_daily_change() -> None:
    got = macd(series(100 + 10 * np.sin(np.arange(80) / 5.0)))
    assert_same(got["histogram_slope"].iloc[1:], np.diff(got["histogram"]), rtol=0.0)


def test_histogram_trend_by_hand() -> None:
    hist = [0.5, 0.4, 0.3, 0.2, 0.25, 0.3, 0.35, 0.35, -0.1, 0.2, -0.3, -0.4, 0.3, -0.2, 0.1]
    c, e, n = MacdTrend.COMPRESSING, MacdTrend.EXPANDING, MacdTrend.NEUTRAL
    expected = [
        n, n, n,  # fewer than 3 day-over-day changes
        c,  # .5 > .4 > .3 > .2
        n, n,
        e,  # .2 < .25 < .3 < .35
        n,  # .35 = .35 is no change
        n, n, n,
        e,  # |.1| < |.2| < |-.3| < |-.4|: size, not sign
        n, n,
        c,  # |-.4| > |.3| > |-.2| > |.1|: shrinking while crossing zero
    ]  # fmt: skip
    assert histogram_trend(series(hist)).tolist() == expected
    assert histogram_trend(series(hist), window=1).iloc[1] == c
    # a NaN makes every window that touches it neutral
    with_nan = series([0.5, 0.4, np.nan, 0.2, 0.1, 0.05, 0.01])
    assert histogram_trend(with_nan, window=2).tolist() == [n, n, n, n, n, c, c]


def test_vix_spike_scenario() -> None:
    # VIX 15 for 30 days (0..29), ramps 18, 21, 24, 27, 30 (30..34), 20 for 10 days (35..44),
    # 16 on day 45, then 15.
    vix = [15.0] * 30 + [18.0, 21.0, 24.0, 27.0, 30.0] + [20.0] * 10 + [16.0] + [15.0] * 10
    got = vix_spike(series(vix), window=20, threshold=0.30)
    # 18 < 15 * 1.3 = 19.5: no spike yet
    assert not got["spike"].iloc[:31].any()
    assert got["spike_base"].iloc[:31].isna().all()
    # day 31: 21 >= 19.5 starts the episode, base = the 20-day minimum 15
    assert got["spike_start"].iloc[31]
    assert got["spike_start"].sum() == 1
    assert got["spike"].iloc[31:46].all()
    assert (got["spike_base"].iloc[31:46] == 15.0).all()
    assert got["spike_peak"].iloc[31:35].tolist() == [21.0, 24.0, 27.0, 30.0]
    assert (got["retracement"].iloc[31:35] == 0.0).all()  # a new high every day
    # days 35..44: 20 is (30 - 20)/(30 - 15) = 2/3 of the spike given back; 20 >= 15 * 1.1 = 16.5
    assert (got["spike_peak"].iloc[35:46] == 30.0).all()
    assert got["retracement"].iloc[35:45].tolist() == [10 / 15] * 10
    assert not got["spike_end"].iloc[:45].any()
    # day 45: 16 < 16.5 ends the episode; that day is its last, with (30 - 16)/15 given back
    assert got["spike_end"].iloc[45]
    assert got["retracement"].iloc[45] == pytest.approx(14 / 15, rel=1e-15)
    # afterwards: no episode, NaN
    assert not got["spike"].iloc[46:].any()
    assert got[["spike_base", "spike_peak", "retracement"]].iloc[46:].isna().all().all()


def test_vix_spike_episode_ends_when_vix_settles_at_a_new_level() -> None:
    # 15 for 20 days, then 20 for good: a 33 % rise starts an episode (base 15) that ends once the
    # 20-day minimum has caught up with the new level (20 < 20 * 1.1), 20 days later.
    got = vix_spike(series([15.0] * 20 + [20.0] * 40))
    assert got["spike_start"].iloc[20]
    assert got["spike"].iloc[20:40].all()
    assert got["spike_end"].iloc[39]  # the window [20, 39] holds only 20s
    assert got["retracement"].iloc[39] == 0.0
    assert not got["spike"].iloc[40:].any()


def test_vix_spike_collapse_in_one_day_is_seen() -> None:
    # 15 -> 30 -> 14: the last day of the episode shows the whole spike given back (> 1)
    got = vix_spike(series([15.0] * 25 + [30.0, 14.0, 15.0]))
    assert got["spike_start"].iloc[25]
    assert got["spike_end"].iloc[26]
    assert got["retracement"].iloc[26] == pytest.approx(16 / 15, rel=1e-15)
    assert not got["spike"].iloc[27]


def test_ad_divergence_by_hand() -> None:
    closes = series([10, 11, 12, 13, 12, 11, 10, 9, 9.5])
    ad = series([0, 5, 10, 8, 6, 4, 5, 6, 7])
    got = ad_divergence(closes, ad, lookback=3)
    # day 3: close 13 > max(10, 11, 12) but A/D 8 <= max(0, 5, 10): bearish
    # day 6: close 10 < min(13, 12, 11) but A/D 5 >= min(8, 6, 4): bullish
    # day 7: close 9 < min(12, 11, 10), A/D 6 >= min(6, 4, 5): bullish
    # day 5: close 11 < min(12, 13, 12) and A/D 4 < min(10, 8, 6): a confirmed low, 0
    assert got.tolist() == [0, 0, 0, 1, 0, 0, -1, -1, 0]
    assert got.name == "ad_divergence"


def test_advance_decline_line_by_hand() -> None:
    got = advance_decline_line(series([1500, 1200, 800]), series([1000, 1300, 2000]))
    assert got.tolist() == [500.0, 400.0, -800.0]


def test_theta_realisation_by_hand() -> None:
    pnl = series([80, 90, 100, 110, 120, 50, -100])
    theta = series([100, 100, 100, 100, 100, 100, 100])
    got = theta_realisation(pnl, theta)
    assert got.iloc[:4].isna().all()
    assert got.iloc[4] == pytest.approx(500 / 500)  # (80 + 90 + 100 + 110 + 120) / 500
    assert got.iloc[5] == pytest.approx(470 / 500)
    assert got.iloc[6] == pytest.approx(280 / 500)  # decaying slower than projected: < 1
    # no projected decay, no ratio
    zero = theta_realisation(series([1.0] * 6), series([0.0] * 6))
    assert zero.isna().all()
