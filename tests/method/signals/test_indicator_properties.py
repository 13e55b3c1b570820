"""Properties of the indicators (hypothesis), and no look-ahead: truncating the inputs after day
t changes nothing up to t."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from alvh.method.signals import (
    ad_divergence,
    advance_decline_line,
    histogram_trend,
    macd,
    rsi,
    signal_snapshot,
    theta_realisation,
    vix_spike,
)
from alvh.method.signals.book_inputs import latest_theta_realisation
from tests.method.signals.samples import RTOL, series
from tests.reference import indicators as ref

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


@given(data=st.data())
def test_latest_theta_realisation_is_the_ratio_of_its_window_to_the_bit(data: st.DataObject) -> None:
    """The backtest's daily ratio (compensated sums of the last ``window`` values, no Series) is
    exactly theta_realisation's on those values, NaN where the projected theta sums to <= 0."""
    window = data.draw(st.integers(1, 12), label="window")
    n = data.draw(st.integers(window, 40), label="days")
    pnl = data.draw(st.lists(st.floats(-1e7, 1e7), min_size=n, max_size=n), label="pnl")
    theta = data.draw(st.lists(st.floats(-1e4, 1e5) | st.just(0.0), min_size=n, max_size=n), label="theta")
    expected = theta_realisation(series(pnl[-window:]), series(theta[-window:]), window=window).iloc[-1]
    got = latest_theta_realisation(pnl, theta, window=window)
    assert got == expected or (np.isnan(got) and np.isnan(expected)), (got, expected)


def test_theta_realisation_over_a_theta_sum_near_zero_is_infinite_both_ways() -> None:
    """1 / a subnormal sum overflows to inf (IEEE), in the Series and in the backtest's daily ratio."""
    pnl, theta = [0.0, 0.0, 1.0], [0.0, 0.0, 2.225073858507203e-309]
    assert theta_realisation(series(pnl), series(theta), window=1).iloc[-1] == np.inf
    assert latest_theta_realisation(pnl, theta, window=1) == np.inf


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
