"""The snapshot of one day and the history of every day: the indicators on the day, strict JSON,
parameters passed through."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.method.signals import (
    Signals,
    ad_divergence,
    histogram_trend,
    macd,
    rsi,
    signal_history,
    signal_snapshot,
    vix_spike,
)


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
