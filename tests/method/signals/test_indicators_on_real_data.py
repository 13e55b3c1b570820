"""The indicators equal the loop-based reference of :mod:`tests.reference.indicators` on real data,
and show known facts about 2014-2018."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
from tests.method.signals.samples import EPS, assert_same, series
from tests.reference import indicators as ref


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
