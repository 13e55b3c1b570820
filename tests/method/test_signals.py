"""Market-signal indicators (alvh.method.signals): reference equality on real data, hand-computed values,
properties (hypothesis), no look-ahead, bad inputs, and known facts about 2014-2018."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500 as arch_sp500
from arch.data import vix as arch_vix
from hypothesis import assume, given
from hypothesis import strategies as st

from alvh.exceptions import InputError
from alvh.method.signals import (
    MacdTrend,
    Signals,
    ad_divergence,
    advance_decline_line,
    histogram_trend,
    inflation_rising,
    macd,
    rsi,
    signal_history,
    signal_snapshot,
    theta_realisation,
    vix_spike,
)
from tests.reference import indicators as ref

EPS = float(np.finfo(np.float64).eps)
RTOL = 1e-10  # both implementations are double precision


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sp500_frame() -> pd.DataFrame:
    frame: pd.DataFrame = arch_sp500.load()
    return frame


@pytest.fixture(scope="module")
def spx(sp500_frame: pd.DataFrame) -> pd.Series:
    """Real S&P 500 adjusted closes, 1999-01-04 .. 2018-12-31 (5031 days)."""
    return sp500_frame["Adj Close"].rename("spx")


@pytest.fixture(scope="module")
def vix_raw() -> pd.Series:
    return arch_vix.load()["vix"]


@pytest.fixture(scope="module")
def vix_series(vix_raw: pd.Series) -> pd.Series:
    """Real VIX closes, 2014-01-03 .. 2019-01-03; the file has NaN rows on holidays, dropped."""
    return vix_raw.dropna()


@pytest.fixture(scope="module")
def obv(sp500_frame: pd.DataFrame) -> pd.Series:
    """A real cumulative line to stand in for an A/D line (arch ships no breadth data): on-balance
    volume, the running sum of +-volume by the sign of the day's change (Granville 1963)."""
    close = sp500_frame["Adj Close"]
    sign = np.sign(close.diff().fillna(0.0))
    return (sign * sp500_frame["Volume"].astype(float)).cumsum().rename("obv")


def series(values: Any, start: str = "2020-01-01", name: str | None = None) -> pd.Series:
    """Values on consecutive business days."""
    values = np.asarray(values, dtype=float)
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), name=name)


def assert_same(actual: Any, expected: Any, *, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------------
# equality with the loop-based reference on real data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["spx", "vix"])
@pytest.mark.parametrize("period", [14, 2, 30])
def test_rsi_equals_reference_on_real_data(which: str, period: int, spx: pd.Series, vix_series: pd.Series) -> None:
    closes = spx if which == "spx" else vix_series
    got = rsi(closes, period=period)
    expected = ref.wilder_rsi(closes.tolist(), period)
    assert got.index.equals(closes.index)
    assert got.iloc[:period].isna().all()
    assert got.iloc[period:].notna().all()
    assert_same(got, expected)


@pytest.mark.parametrize("which", ["spx", "vix"])
@pytest.mark.parametrize("spans", [(12, 26, 9), (5, 35, 5)])
def test_macd_equals_reference_on_real_data(
    which: str, spans: tuple[int, int, int], spx: pd.Series, vix_series: pd.Series
) -> None:
    closes = spx if which == "spx" else vix_series
    fast, slow, signal = spans
    got = macd(closes, fast=fast, slow=slow, signal=signal)
    expected = ref.macd(closes.tolist(), fast, slow, signal)
    assert list(got.columns) == ["macd", "signal", "histogram", "histogram_slope"]
    # The textbook reference subtracts two EMAs of the size of the closes, so its own rounding
    # error is a few ulp of max|close| (about 1e-12 for the S&P 500): relative agreement is
    # required, except near the zero crossings of the MACD lines, where it is meaningless.
    atol = 16 * EPS * float(closes.abs().max())
    for column, values in zip(got.columns, expected, strict=True):
        assert_same(got[column], values, atol=atol)


def test_histogram_trend_equals_reference_on_real_data(vix_series: pd.Series, spx: pd.Series) -> None:
    for closes in (vix_series, spx):
        hist = macd(closes)["histogram"]
        for window in (1, 3, 5):
            got = histogram_trend(hist, window=window)
            expected = ref.histogram_trend(hist.tolist(), window)
            assert [m.value for m in got] == expected
            assert all(isinstance(m, MacdTrend) for m in got)


def test_ad_divergence_equals_reference_on_real_data(spx: pd.Series, obv: pd.Series) -> None:
    for lookback in (20, 5, 60):
        got = ad_divergence(spx, obv, lookback=lookback)
        expected = ref.ad_divergence(spx.tolist(), obv.tolist(), lookback)
        assert got.dtype == np.int64
        assert got.tolist() == expected
    # not a trivially-zero signal: both kinds occur on 20 years of data
    counts = ad_divergence(spx, obv).value_counts()
    assert counts.get(1, 0) > 10
    assert counts.get(-1, 0) > 10


@pytest.mark.parametrize(("window", "threshold"), [(20, 0.30), (10, 0.15), (60, 0.5)])
def test_vix_spike_equals_reference_on_real_data(vix_series: pd.Series, window: int, threshold: float) -> None:
    got = vix_spike(vix_series, window=window, threshold=threshold)
    spike, start, end, base, peak, retr = ref.vix_spike(vix_series.tolist(), window, threshold)
    assert got["spike"].tolist() == spike
    assert got["spike_start"].tolist() == start
    assert got["spike_end"].tolist() == end
    assert_same(got["spike_base"], base, rtol=0.0)  # copies of closes
    assert_same(got["spike_peak"], peak, rtol=0.0)
    assert_same(got["retracement"], retr)
    assert got["spike_start"].sum() >= 3


def test_vix_spike_on_spx_equals_reference(spx: pd.Series) -> None:
    """The same machine on a longer, differently shaped series (a 'spike' is any fast rally)."""
    got = vix_spike(spx, window=20, threshold=0.05)
    spike, *_, retr = ref.vix_spike(spx.tolist(), 20, 0.05)
    assert got["spike"].tolist() == spike
    assert_same(got["retracement"], retr)


def test_theta_realisation_equals_reference() -> None:
    rng = np.random.default_rng(20180205)
    projected = 1000.0 + 200.0 * rng.standard_normal(400)
    realised = projected * (1.0 + 0.5 * rng.standard_normal(400))
    for window in (5, 1, 10):
        got = theta_realisation(series(realised), series(projected), window=window)
        assert_same(got, ref.theta_realisation(realised.tolist(), projected.tolist(), window))


def test_advance_decline_line_equals_reference() -> None:
    rng = np.random.default_rng(7)
    adv = rng.integers(0, 3000, 300)
    dec = rng.integers(0, 3000, 300)
    got = advance_decline_line(series(adv), series(dec))
    assert got.name == "ad_line"
    assert_same(got, ref.advance_decline_line(adv.tolist(), dec.tolist()), rtol=0.0)


# --------------------------------------------------------------------------------------------
# hand-computed values
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# hypothesis properties
# --------------------------------------------------------------------------------------------

positive_prices = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
cents = st.integers(min_value=100, max_value=1_000_000).map(lambda c: c / 100.0)


@st.composite
def price_series(draw: st.DrawFn, min_size: int = 2, max_size: int = 120, elements: Any = None) -> pd.Series:
    elements = positive_prices if elements is None else elements
    values = draw(st.lists(elements, min_size=min_size, max_size=max_size))
    return series(values)


@st.composite
def vix_paths(draw: st.DrawFn, min_size: int = 20, max_size: int = 150) -> pd.Series:
    """Log random walks around VIX-like levels, with occasional jumps (spikes)."""
    n = draw(st.integers(min_size, max_size))
    steps = draw(
        st.lists(
            st.one_of(
                st.floats(-0.08, 0.08),
                st.floats(-0.6, 0.9),  # the odd jump
            ),
            min_size=n,
            max_size=n,
        )
    )
    level = draw(st.floats(9.0, 40.0))
    return series(level * np.exp(np.cumsum(steps)))


@given(price_series(min_size=2), st.integers(1, 30))
def test_rsi_lies_in_0_100(closes: pd.Series, period: int) -> None:
    assume(len(closes) > period)
    values = rsi(closes, period=period).iloc[period:]
    assert values.notna().all()
    assert ((values >= 0.0) & (values <= 100.0)).all()


@given(price_series(min_size=15), st.integers(-30, 30))
def test_rsi_is_exactly_invariant_to_power_of_two_scaling(closes: pd.Series, exponent: int) -> None:
    # scaling by 2**k commutes with every rounding: the RSI must not change at all
    scaled = closes * 2.0**exponent
    pd.testing.assert_series_equal(rsi(scaled), rsi(closes), check_exact=True)


@given(price_series(min_size=15, elements=cents), st.floats(1e-3, 1e3))
def test_rsi_is_invariant_to_scaling(closes: pd.Series, factor: float) -> None:
    # prices on a cent grid, so price changes are never lost to rounding relative to the prices
    got = rsi(closes * factor)
    np.testing.assert_allclose(got, rsi(closes), rtol=0, atol=1e-6)


@given(st.floats(1e-3, 1e6), st.integers(34, 120), st.integers(1, 10), st.integers(1, 30))
def test_macd_of_a_constant_is_zero(level: float, n: int, fast: int, extra: int) -> None:
    slow = fast + extra
    signal = 9
    assume(n >= slow + signal - 1)
    got = macd(series(np.full(n, level)), fast=fast, slow=slow, signal=signal)
    assert (got[["macd", "signal", "histogram"]] == 0.0).all().all()


@given(
    st.lists(st.integers(-3, 3).map(float), min_size=1, max_size=60),
    st.integers(1, 4),
)
def test_histogram_trend_equals_reference_with_ties(values: list[float], window: int) -> None:
    got = histogram_trend(series(values), window=window)
    assert [m.value for m in got] == ref.histogram_trend(values, window)


@given(price_series(min_size=6, max_size=80), st.data())
def test_ad_divergence_values_and_meaning(closes: pd.Series, data: st.DataObject) -> None:
    ad = series(data.draw(st.lists(st.floats(-1e6, 1e6), min_size=len(closes), max_size=len(closes))))
    lookback = data.draw(st.integers(1, len(closes) - 1))
    got = ad_divergence(closes, ad.set_axis(closes.index), lookback=lookback)
    assert set(got.unique()) <= {-1, 0, 1}
    assert (got.iloc[:lookback] == 0).all()
    for t in np.flatnonzero(got.to_numpy()):
        window = closes.iloc[t - lookback : t]
        if got.iloc[t] == 1:
            assert closes.iloc[t] > window.max()
        else:
            assert closes.iloc[t] < window.min()


@given(vix_paths(), st.integers(2, 30), st.floats(0.05, 1.0))
def test_vix_spike_invariants(vix: pd.Series, window: int, threshold: float) -> None:
    assume(len(vix) >= window)
    got = vix_spike(vix, window=window, threshold=threshold)
    on = got["spike"].to_numpy()
    floats = got[["spike_base", "spike_peak", "retracement"]]
    assert floats[on].notna().all().all()
    assert floats[~on].isna().all().all()
    assert (got["spike_start"] <= got["spike"]).all()
    assert (got["spike_end"] <= got["spike"]).all()
    sp = got[on]
    v = vix[on]
    assert (sp["spike_peak"] >= v).all()
    assert (sp["spike_peak"] >= sp["spike_base"] * (1 + threshold) * (1 - 1e-15)).all()
    assert (sp["retracement"] >= 0.0).all()
    # a retracement above 1 only on an episode's last day
    assert sp["spike_end"][sp["retracement"] > 1.0].all()
    # episodes alternate start ... end: the number of open episodes is 0 or 1
    starts = got["spike_start"].astype(int).cumsum()
    open_episodes = starts - got["spike_end"].astype(int).cumsum().shift(1, fill_value=0)
    assert open_episodes.isin([0, 1]).all()
    pd.testing.assert_frame_equal(
        got,
        pd.DataFrame(
            dict(
                zip(
                    got.columns,
                    ref.vix_spike(vix.tolist(), window, threshold),
                    strict=True,
                )
            ),
            index=vix.index,
        ),
        check_exact=False,
        rtol=RTOL,
    )


# ----- no look-ahead: truncating after day t changes nothing up to t ---------------------------

PREFIX_CASES: dict[str, tuple[int, Callable[[pd.Series, pd.Series], Any]]] = {
    # name: (minimum length, function of (a positive series, a second aligned series))
    "rsi": (15, lambda a, b: rsi(a)),
    "rsi_2": (3, lambda a, b: rsi(a, period=2)),
    "macd": (34, lambda a, b: macd(a)),
    "histogram_trend": (34, lambda a, b: histogram_trend(macd(a)["histogram"])),
    "ad_divergence": (21, ad_divergence),
    "advance_decline_line": (1, advance_decline_line),
    "vix_spike": (20, lambda a, b: vix_spike(a)),
    "vix_spike_short": (5, lambda a, b: vix_spike(a, window=5, threshold=0.1)),
    "theta_realisation": (5, lambda a, b: theta_realisation(b, a)),
}


@pytest.mark.parametrize("case", sorted(PREFIX_CASES))
@given(data=st.data())
def test_no_look_ahead(case: str, data: st.DataObject) -> None:
    min_len, func = PREFIX_CASES[case]
    a = data.draw(vix_paths(min_size=min_len, max_size=90), label="series")
    second = data.draw(st.lists(st.floats(-50.0, 50.0), min_size=len(a), max_size=len(a)), label="second")
    b = pd.Series(second, index=a.index, dtype=float)
    if case == "advance_decline_line":
        b = b.abs()
    cut = data.draw(st.integers(min_len - 1, len(a) - 1), label="cut")
    full = func(a, b)
    part = func(a.iloc[: cut + 1], b.iloc[: cut + 1])
    expected = full.iloc[: cut + 1]
    if isinstance(full, pd.DataFrame):
        pd.testing.assert_frame_equal(part, expected, check_exact=True)
    else:
        pd.testing.assert_series_equal(part, expected, check_exact=True)


def test_no_look_ahead_on_real_vix(vix_series: pd.Series) -> None:
    full = vix_spike(vix_series)
    for day in ("2015-08-21", "2015-08-24", "2016-02-11", "2018-02-05", "2018-02-06"):
        part = vix_spike(vix_series.loc[:day])
        pd.testing.assert_frame_equal(part, full.loc[:day], check_exact=True)


@given(data=st.data())
def test_snapshot_uses_no_data_after_as_of(data: st.DataObject) -> None:
    vix = data.draw(vix_paths(min_size=40, max_size=90))
    spx = series(np.linspace(2000.0, 2100.0, len(vix)) * np.exp(-0.01 * np.log(vix.to_numpy() / 15)))
    ad = series(np.cumsum(np.sin(np.arange(len(vix)))))
    day = vix.index[data.draw(st.integers(33, len(vix) - 1))]
    full = signal_snapshot(spx_closes=spx, vix_closes=vix, ad_line=ad, as_of=day)
    cut = signal_snapshot(spx_closes=spx[:day], vix_closes=vix[:day], ad_line=ad[:day])
    assert full.to_dict() == cut.to_dict()
    assert full.date == day


# --------------------------------------------------------------------------------------------
# the snapshot
# --------------------------------------------------------------------------------------------


def test_snapshot_equals_the_indicators_on_the_day(spx: pd.Series, vix_series: pd.Series, obv: pd.Series) -> None:
    day = pd.Timestamp("2018-02-05")
    snap = signal_snapshot(spx_closes=spx, vix_closes=vix_series, ad_line=obv, as_of="2018-02-05")
    assert isinstance(snap, Signals)
    assert snap.date == day
    assert snap.spx_rsi == rsi(spx)[day]
    assert snap.vix_future_rsi == rsi(vix_series)[day]
    assert snap.vix_rsi_source == "vix"
    m = macd(vix_series)
    assert snap.vix_macd_histogram == m["histogram"][day]
    assert snap.vix_macd_histogram_slope == m["histogram_slope"][day]
    assert snap.vix_macd_trend is histogram_trend(m["histogram"])[day]
    assert snap.ad_divergence == ad_divergence(spx, obv)[day]
    spike = vix_spike(vix_series).loc[day]
    assert snap.vix_spike is True
    assert snap.vix_spike_base == spike["spike_base"]
    assert snap.vix_spike_peak == spike["spike_peak"] == 37.32
    assert snap.vix_retracement == spike["retracement"] == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.spx_rsi = 50.0  # type: ignore[misc]


def test_history_is_the_snapshot_of_each_day(spx: pd.Series, vix_series: pd.Series, obv: pd.Series) -> None:
    history = signal_history(spx_closes=spx, vix_closes=vix_series, ad_line=obv)
    dates = list(history)
    common = spx.index.intersection(vix_series.index)
    first = common.get_loc(dates[0])
    assert dates == list(common[first:])  # every common date from the first with enough data
    with pytest.raises(InputError, match="vix_closes has 33 value"):
        signal_snapshot(spx_closes=spx, vix_closes=vix_series, ad_line=obv, as_of=common[first - 1])
    for day in [*dates[::25], dates[-1]]:
        assert (
            history[day].to_dict()
            == signal_snapshot(spx_closes=spx, vix_closes=vix_series, ad_line=obv, as_of=day).to_dict()
        )


def test_history_with_a_front_future_starts_when_its_rsi_does(spx: pd.Series, vix_series: pd.Series) -> None:
    future = vix_series.rolling(5).mean().dropna().iloc[60:].rename("vx1")  # quoted from a later day
    history = signal_history(spx_closes=spx, vix_closes=vix_series, front_future_closes=future)
    dates = list(history)
    assert dates[0] == future.index[14]  # RSI(14) needs 15 closes; spot VIX has enough by then
    for day in [*dates[:3], *dates[::60], dates[-1]]:
        snap = signal_snapshot(spx_closes=spx, vix_closes=vix_series, front_future_closes=future, as_of=day)
        assert history[day].to_dict() == snap.to_dict()


def test_snapshot_defaults_to_the_last_common_date(spx: pd.Series, vix_series: pd.Series) -> None:
    # the S&P 500 file ends on 2018-12-31, the VIX file on 2019-01-03
    snap = signal_snapshot(spx_closes=spx, vix_closes=vix_series)
    assert snap.date == pd.Timestamp("2018-12-31")
    assert snap.ad_divergence is None


def test_snapshot_with_a_front_future(spx: pd.Series, vix_series: pd.Series) -> None:
    # a stand-in for a front-month future: smoother than spot (RSI ignores shifts and scalings,
    # so an affine stand-in would give spot's RSI)
    future = vix_series.rolling(5).mean().dropna().rename("vx1")
    snap = signal_snapshot(spx_closes=spx, vix_closes=vix_series, front_future_closes=future, as_of="2017-06-01")
    assert snap.vix_rsi_source == "front_future"
    assert snap.vix_future_rsi == rsi(future)["2017-06-01"]
    assert snap.vix_future_rsi != rsi(vix_series)["2017-06-01"]


def test_snapshot_to_dict_is_strict_json(spx: pd.Series, vix_series: pd.Series, obv: pd.Series) -> None:
    quiet = signal_snapshot(spx_closes=spx, vix_closes=vix_series, ad_line=obv, as_of="2017-03-01")
    d = quiet.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    assert d["date"] == "2017-03-01"
    assert d["vix_spike"] is False
    assert d["vix_retracement"] is None  # NaN outside an episode
    assert d["vix_spike_base"] is None
    assert d["vix_macd_trend"] in {"compressing", "expanding", "neutral"}
    assert isinstance(d["ad_divergence"], int)
    assert set(d) == {f.name for f in dataclasses.fields(Signals)}
    for value in d.values():
        assert value is None or type(value) in {str, float, int, bool}


def test_snapshot_parameters_are_passed_through(spx: pd.Series, vix_series: pd.Series) -> None:
    snap = signal_snapshot(
        spx_closes=spx,
        vix_closes=vix_series,
        as_of="2016-06-24",
        rsi_period=5,
        macd_spans=(3, 10, 4),
        trend_window=2,
        spike_window=10,
        spike_threshold=0.2,
    )
    day = "2016-06-24"
    assert snap.spx_rsi == rsi(spx, period=5)[day]
    m = macd(vix_series, fast=3, slow=10, signal=4)
    assert snap.vix_macd_histogram == m["histogram"][day]
    assert snap.vix_macd_trend is histogram_trend(m["histogram"], window=2)[day]
    assert snap.vix_spike == vix_spike(vix_series, window=10, threshold=0.2)["spike"][day]


# --------------------------------------------------------------------------------------------
# known facts about the real data
# --------------------------------------------------------------------------------------------


def test_vix_spike_of_2015_08_24(vix_series: pd.Series) -> None:
    spikes = vix_spike(vix_series)
    assert spikes.loc["2015-08-24", "spike"]
    # the episode began on 2015-08-20 (19.14 >= 1.3 x 12.12, the 20-day low), peaked on the 24th
    episode_start = spikes.index[spikes["spike_start"] & (spikes.index <= "2015-08-24")][-1]
    assert episode_start == pd.Timestamp("2015-08-20")
    assert spikes.loc["2015-08-24", "spike_base"] == 12.12
    assert spikes.loc["2015-08-24", "spike_peak"] == 40.74
    assert not spikes.loc["2015-08-19", "spike"]


def test_vix_spike_of_2018_02_05(vix_series: pd.Series) -> None:
    spikes = vix_spike(vix_series)
    assert spikes.loc["2018-02-05", "spike"]
    assert spikes.loc["2018-02-05", "spike_peak"] == 37.32
    # VIX was near its all-time lows in January 2018 (20-day low 9.15), so the 30 % rule had
    # already opened the episode on 2018-01-17 at 11.91; by 2018-02-08 (33.46) it is still open
    assert spikes.loc["2018-02-05", "spike_base"] == 9.15
    assert spikes.loc["2018-02-06":"2018-02-08", "retracement"].between(0.0, 0.5).all()


def test_spx_rsi_overbought_in_january_2018(spx: pd.Series) -> None:
    values = rsi(spx).loc["2018-01"]
    assert (values > 70).any()
    assert values.idxmax() == pd.Timestamp("2018-01-26")
    assert 86 < values.max() < 87
    # and oversold on 2015-08-24
    assert rsi(spx).loc["2015-08-24"] < 20


# --------------------------------------------------------------------------------------------
# bad inputs
# --------------------------------------------------------------------------------------------

GOOD = series(np.linspace(100.0, 120.0, 60) + np.sin(np.arange(60)))
OTHER = series(np.cos(np.arange(60)) * 100)

SINGLE_CALLS: dict[str, tuple[str, Callable[[pd.Series], Any]]] = {
    # name: (argument named in the error, call with the bad series in that argument)
    "rsi": ("closes", rsi),
    "macd": ("closes", macd),
    "histogram_trend": ("histogram", histogram_trend),
    # the partner series is clean: the bad one must be named, whichever argument it is
    "ad_divergence.closes": ("closes", lambda s: ad_divergence(s, OTHER)),
    "ad_divergence.ad_line": ("ad_line", lambda s: ad_divergence(GOOD, s)),
    "vix_spike": ("vix_closes", vix_spike),
    "theta_realisation": ("realised_pnl", lambda s: theta_realisation(s, GOOD)),
    "theta_realisation.projected": ("projected_theta", lambda s: theta_realisation(GOOD, s)),
    "advance_decline_line": ("declines", lambda s: advance_decline_line(GOOD, s)),
    "snapshot.spx": ("spx_closes", lambda s: signal_snapshot(spx_closes=s, vix_closes=GOOD)),
    "snapshot.vix": ("vix_closes", lambda s: signal_snapshot(spx_closes=GOOD, vix_closes=s)),
}


def _swap(s: pd.Series, i: int, j: int) -> pd.Series:
    idx = s.index.to_list()
    idx[i], idx[j] = idx[j], idx[i]
    return s.set_axis(pd.DatetimeIndex(idx))


@pytest.mark.parametrize("call", sorted(SINGLE_CALLS))
def test_unsorted_index_is_refused(call: str) -> None:
    name, func = SINGLE_CALLS[call]
    bad = _swap(GOOD, 10, 11)
    with pytest.raises(InputError, match=rf"^{name}: index is not sorted \(first out-of-order date 2020-01-15"):
        func(bad)


@pytest.mark.parametrize("call", sorted(SINGLE_CALLS))
def test_duplicate_dates_are_refused(call: str) -> None:
    name, func = SINGLE_CALLS[call]
    idx = GOOD.index.to_list()
    idx[5] = idx[4]
    with pytest.raises(InputError, match=rf"^{name}: index has 1 duplicate date\(s\) \(first 2020-01-07\)"):
        func(GOOD.set_axis(pd.DatetimeIndex(idx)))


@pytest.mark.parametrize("call", sorted(c for c in SINGLE_CALLS if c != "histogram_trend"))
def test_nan_values_are_refused(call: str) -> None:
    name, func = SINGLE_CALLS[call]
    bad = GOOD.copy()
    bad.iloc[[3, 7, 8]] = np.nan
    with pytest.raises(InputError, match=rf"^{name} has 3 NaN value\(s\) \(first at 2020-01-06\)"):
        func(bad)


@pytest.mark.parametrize("call", sorted(SINGLE_CALLS))
def test_infinite_values_are_refused(call: str) -> None:
    name, func = SINGLE_CALLS[call]
    bad = GOOD.copy()
    bad.iloc[2] = np.inf
    with pytest.raises(InputError, match=rf"^{name} has 1 infinite value\(s\)"):
        func(bad)


@pytest.mark.parametrize("call", sorted(SINGLE_CALLS))
def test_non_series_and_non_dates_are_refused(call: str) -> None:
    name, func = SINGLE_CALLS[call]
    with pytest.raises(InputError, match=rf"^{name}: index must be a DatetimeIndex, got RangeIndex"):
        func(GOOD.reset_index(drop=True))
    with pytest.raises(InputError, match=rf"^{name}: values must be numeric"):
        func(GOOD.astype(str).astype(object))
    with pytest.raises(InputError, match=rf"^{name}: values must be numeric"):
        func(GOOD > 110)


@pytest.mark.parametrize(
    ("call", "name"),
    [("rsi", "closes"), ("macd", "closes"), ("vix_spike", "vix_closes"), ("ad_divergence.closes", "closes")],
)
def test_lists_and_arrays_are_refused(call: str, name: str) -> None:
    func = SINGLE_CALLS[call][1]
    with pytest.raises(InputError, match=rf"^{name} must be a pandas Series indexed by date, got ndarray"):
        func(GOOD.to_numpy())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call", ["rsi", "macd", "vix_spike", "ad_divergence.closes", "snapshot.spx", "snapshot.vix", "advance_decline_line"]
)
def test_non_positive_prices_are_refused(call: str) -> None:
    name, func = SINGLE_CALLS[call]
    bad = GOOD.copy()
    bad.iloc[4] = 0.0 if call != "advance_decline_line" else -1.0
    what = "negative" if call == "advance_decline_line" else "non-positive"
    with pytest.raises(InputError, match=rf"^{name} has 1 {what} value\(s\) \(first .* at 2020-01-07\)"):
        func(bad)


def test_ad_line_and_pnl_may_be_negative() -> None:
    ad_divergence(GOOD, -GOOD)
    theta_realisation(-GOOD, GOOD)


@pytest.mark.parametrize(
    ("func", "n_ok", "message"),
    [
        (rsi, 15, r"^closes has 14 value\(s\); rsi with period=14 needs at least 15$"),
        (lambda s: rsi(s, period=3), 4, r"^closes has 3 value\(s\); rsi with period=3 needs at least 4$"),
        (macd, 34, r"^closes has 33 value\(s\); macd\(12, 26, 9\) needs at least 34$"),
        (vix_spike, 20, r"^vix_closes has 19 value\(s\); vix_spike with window=20 needs at least 20$"),
        (
            lambda s: ad_divergence(s, s, lookback=5),
            6,
            r"^closes has 5 value\(s\); ad_divergence with lookback=5 needs at least 6$",
        ),
        (
            lambda s: theta_realisation(s, s),
            5,
            r"^realised_pnl has 4 value\(s\); theta_realisation with window=5 needs at least 5$",
        ),
    ],
)
def test_too_short_series_are_refused(func: Callable[[pd.Series], Any], n_ok: int, message: str) -> None:
    func(GOOD.iloc[:n_ok])
    with pytest.raises(InputError, match=message):
        func(GOOD.iloc[: n_ok - 1])


def test_empty_series_is_refused() -> None:
    with pytest.raises(InputError, match=r"^closes has 0 value\(s\)"):
        rsi(series([]))


@pytest.mark.parametrize(
    ("func", "message"),
    [
        (lambda: rsi(GOOD, period=0), r"^period must be an integer >= 1, got 0$"),
        (lambda: rsi(GOOD, period=-3), r"^period must be an integer >= 1, got -3$"),
        (lambda: rsi(GOOD, period=2.5), r"^period must be an integer >= 1, got 2.5$"),
        (lambda: rsi(GOOD, period=True), r"^period must be an integer >= 1, got True$"),
        (lambda: macd(GOOD, fast=0), r"^fast must be an integer >= 1"),
        (lambda: macd(GOOD, signal=0), r"^signal must be an integer >= 1"),
        (lambda: macd(GOOD, fast=26, slow=12), r"^fast must be smaller than slow, got fast=26, slow=12$"),
        (lambda: macd(GOOD, fast=12, slow=12), r"^fast must be smaller than slow"),
        (lambda: histogram_trend(GOOD, window=0), r"^window must be an integer >= 1, got 0$"),
        (lambda: ad_divergence(GOOD, OTHER, lookback=0), r"^lookback must be an integer >= 1, got 0$"),
        (lambda: vix_spike(GOOD, window=1), r"^window must be an integer >= 2, got 1$"),
        (lambda: vix_spike(GOOD, threshold=0.0), r"^threshold must be a positive finite number"),
        (lambda: vix_spike(GOOD, threshold=-0.3), r"^threshold must be a positive finite number"),
        (lambda: vix_spike(GOOD, threshold=math.nan), r"^threshold must be a positive finite number"),
        (lambda: vix_spike(GOOD, threshold="30%"), r"^threshold must be a positive finite number"),
        (lambda: theta_realisation(GOOD, GOOD, window=0), r"^window must be an integer >= 1, got 0$"),
        (
            lambda: signal_snapshot(spx_closes=GOOD, vix_closes=GOOD, rsi_period=0),
            r"^rsi_period must be an integer >= 1, got 0$",
        ),
        (
            lambda: signal_snapshot(spx_closes=GOOD, vix_closes=GOOD, macd_spans=(26, 12, 9)),
            r"^macd_spans: fast must be smaller than slow",
        ),
        (
            lambda: signal_snapshot(spx_closes=GOOD, vix_closes=GOOD, macd_spans=(12, 26)),
            r"^macd_spans must be a tuple \(fast, slow, signal\)",
        ),
    ],
)
def test_bad_parameters_are_refused(func: Callable[[], Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        func()


def test_misaligned_pairs_are_refused() -> None:
    shifted = OTHER.set_axis(OTHER.index + pd.Timedelta(days=1))
    with pytest.raises(InputError, match=r"^ad_line: index differs from closes's .*first 2020-01-01"):
        ad_divergence(GOOD, shifted)
    with pytest.raises(InputError, match=r"^projected_theta: index differs from realised_pnl's"):
        theta_realisation(GOOD, GOOD.iloc[:-1])
    with pytest.raises(InputError, match=r"^declines: index differs from advances's"):
        advance_decline_line(GOOD, GOOD.iloc[1:])
    with pytest.raises(InputError, match=r"^ad_line: index differs from spx_closes's"):
        signal_snapshot(spx_closes=GOOD, vix_closes=GOOD, ad_line=GOOD.iloc[1:])


def test_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="period"):
        rsi(GOOD, period=0)


def test_real_vix_file_with_holiday_rows_is_refused(spx: pd.Series, vix_raw: pd.Series) -> None:
    n_nan = int(vix_raw.isna().sum())
    first = vix_raw.index[vix_raw.isna()][0].date()
    with pytest.raises(InputError, match=rf"^vix_closes has {n_nan} NaN value\(s\) \(first at {first}\)"):
        signal_snapshot(spx_closes=spx, vix_closes=vix_raw)


def test_snapshot_as_of_must_be_a_trading_day(spx: pd.Series, vix_series: pd.Series) -> None:
    with pytest.raises(
        InputError, match=r"^spx_closes has no value on 2018-02-03 \(as_of\); the last one before is 2018-02-02$"
    ):
        signal_snapshot(spx_closes=spx, vix_closes=vix_series, as_of="2018-02-03")
    with pytest.raises(InputError, match=r"^vix_closes has no value on 2010-01-04"):
        signal_snapshot(spx_closes=spx, vix_closes=vix_series, as_of="2010-01-04")
    with pytest.raises(InputError, match=r"^as_of: cannot read 'not a date' as a date"):
        signal_snapshot(spx_closes=spx, vix_closes=vix_series, as_of="not a date")
    with pytest.raises(InputError, match=r"^as_of must be a date"):
        signal_snapshot(spx_closes=spx, vix_closes=vix_series, as_of=20180205)  # type: ignore[arg-type]


def test_snapshot_as_of_nat_is_refused() -> None:
    with pytest.raises(InputError, match=r"^as_of must be a date, got 'NaT'"):
        signal_snapshot(spx_closes=GOOD, vix_closes=GOOD, as_of="NaT")


def test_timezone_aware_dates() -> None:
    aware = GOOD.tz_localize("America/New_York")
    assert_same(rsi(aware), rsi(GOOD), rtol=0.0)
    snap = signal_snapshot(spx_closes=aware, vix_closes=aware, as_of="2020-03-20")  # naive: NY time
    assert snap.date == pd.Timestamp("2020-03-20", tz="America/New_York")
    assert snap.to_dict()["date"] == "2020-03-20"
    assert snap.spx_rsi == rsi(GOOD)["2020-03-20"]


def test_nullable_dtypes() -> None:
    ints = GOOD.round().astype("Int64")
    pd.testing.assert_series_equal(rsi(ints), rsi(GOOD.round()), check_exact=True)
    holes = GOOD.astype("Float64")
    holes.iloc[[5, 9]] = pd.NA
    with pytest.raises(InputError, match=r"^closes has 2 NaN value\(s\) \(first at 2020-01-08\)"):
        rsi(holes)


def test_snapshot_needs_enough_history_before_as_of(spx: pd.Series, vix_series: pd.Series) -> None:
    # MACD(12, 26, 9) needs 34 days of VIX; the file starts on 2014-01-03
    day = vix_series.index[32]
    with pytest.raises(InputError, match=r"^vix_closes has 33 value\(s\) up to as_of; MACD\(12, 26, 9\)"):
        signal_snapshot(spx_closes=spx, vix_closes=vix_series, as_of=day)
    signal_snapshot(spx_closes=spx, vix_closes=vix_series, as_of=vix_series.index[33])


def test_snapshot_without_common_dates_is_refused() -> None:
    later = GOOD.set_axis(GOOD.index + pd.Timedelta(days=3650))
    with pytest.raises(InputError, match=r"^spx_closes, vix_closes have no date in common$"):
        signal_snapshot(spx_closes=GOOD, vix_closes=later)


def test_inputs_are_not_modified() -> None:
    closes = GOOD.copy()
    for func in (rsi, macd, vix_spike):
        func(closes)
    pd.testing.assert_series_equal(closes, GOOD, check_exact=True)


def test_integer_closes_are_accepted() -> None:
    ints = GOOD.round().astype(np.int64)
    pd.testing.assert_series_equal(rsi(ints), rsi(ints.astype(float)), check_exact=True)


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([300.0, 300.0, 301.2], True),  # the latest release above the one before (repeats are one release)
        ([301.2, 301.2, 300.9], False),
        ([300.0, np.nan, np.nan, 300.5], True),  # empty days between releases
        ([300.0, 300.0], None),  # one release: unknown
        ([], None),
    ],
)
def test_inflation_rising(readings: list[float], expected: bool | None) -> None:
    assert inflation_rising(pd.Series(readings, dtype=float)) is expected
