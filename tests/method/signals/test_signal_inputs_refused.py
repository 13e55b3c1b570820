"""Bad inputs are refused with a message naming the argument and the problem."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.method.signals import (
    ad_divergence,
    advance_decline_line,
    histogram_trend,
    inflation_rising,
    inflation_rising_by_day,
    macd,
    rsi,
    signal_snapshot,
    theta_realisation,
    vix_spike,
)
from tests.method.signals.samples import assert_same, series

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


def test_inflation_rising_by_day_is_inflation_rising_on_the_readings_up_to_each_day() -> None:
    """The backtest's per-day input (either series rising) agrees with inflation_rising on each
    series up to the day, as ``alvh report`` reads it — no look-ahead."""
    days = pd.bdate_range("2015-01-01", periods=60)
    rng = np.random.default_rng(7)
    cpi = pd.Series(np.nan, index=days)
    ppi = pd.Series(np.nan, index=days)
    cpi.iloc[[3, 20, 22, 41, 55]] = [240.0, 240.4, 240.4, 240.1, 240.9]  # a repeat is one release
    ppi.iloc[::9] = 200.0 + rng.normal(0.0, 1.0, len(ppi.iloc[::9])).round(1)
    history = pd.DataFrame({"cpi": cpi, "ppi": ppi})
    by_day = inflation_rising_by_day(history)
    for day in days:
        readings = [inflation_rising(history.loc[:day, c]) for c in ("cpi", "ppi")]
        known = [r for r in readings if r is not None]
        assert by_day[day] is (any(known) if known else None), day
    assert inflation_rising_by_day(history[["cpi"]]).iloc[-1] is True
    assert inflation_rising_by_day(history[["cpi"]]).loc[days[41]] is False
    assert set(inflation_rising_by_day(pd.DataFrame(index=days))) == {None}  # no cpi/ppi: unknown
