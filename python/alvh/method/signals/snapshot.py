"""The latest value of every signal, as one :class:`Signals` record per day: one day
(:func:`signal_snapshot`) or every day of a history at once (:func:`signal_history`)."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alvh.exceptions import InputError
from alvh.method.signals.breadth import unchecked_divergence
from alvh.method.signals.momentum import MacdTrend, unchecked_macd, unchecked_rsi, unchecked_trend
from alvh.method.signals.spikes import unchecked_spike
from alvh.method.signals.validation import check_int, check_same_index, check_threshold, checked_series, iso_day

__all__ = ["Signals", "signal_history", "signal_snapshot"]


@dataclass(frozen=True)
class Signals:
    """The latest value of each signal the rules read, as of ``date`` (docs/method.md, Signals).

    The periods below are :func:`signal_snapshot`'s defaults (the method's); it can be given
    others.

    Attributes
    ----------
    date : pandas.Timestamp
        The day the values belong to; no data after it was used.
    spx_rsi : float
        RSI(14) of the SPX closes (0..100).
    vix_future_rsi : float
        RSI(14) of the front VIX future, or of spot VIX when no futures were given (see
        ``vix_rsi_source``).
    vix_rsi_source : str
        ``"front_future"`` or ``"vix"``: which series ``vix_future_rsi`` was computed on.
    vix_macd_histogram, vix_macd_histogram_slope : float
        MACD(12, 26, 9) histogram of spot VIX (index points) and its change from the day before.
    vix_macd_trend : MacdTrend
        :func:`alvh.method.signals.histogram_trend` of that histogram (3-day window).
    ad_divergence : int or None
        :func:`alvh.method.signals.ad_divergence` (lookback 20) of SPX against ``ad_line``; None without an A/D line.
    vix_spike : bool
        A VIX spike episode is in progress (:func:`alvh.method.signals.vix_spike`, 20 days, 30 %).
    vix_retracement, vix_spike_peak, vix_spike_base : float
        Share of the spike given back, its peak and base (index points); NaN outside an episode.
    """

    date: pd.Timestamp
    spx_rsi: float
    vix_future_rsi: float
    vix_rsi_source: str
    vix_macd_histogram: float
    vix_macd_histogram_slope: float
    vix_macd_trend: MacdTrend
    ad_divergence: int | None
    vix_spike: bool
    vix_retracement: float
    vix_spike_peak: float
    vix_spike_base: float

    def to_dict(self) -> dict[str, str | float | int | bool | None]:
        """A JSON-serialisable dict: the date as an ISO string (``YYYY-MM-DD`` at midnight), the
        trend as its string value, NaN floats as None (strict JSON has no NaN)."""
        out: dict[str, str | float | int | bool | None] = {"date": iso_day(self.date)}
        for key in (
            "spx_rsi",
            "vix_future_rsi",
            "vix_macd_histogram",
            "vix_macd_histogram_slope",
            "vix_retracement",
            "vix_spike_peak",
            "vix_spike_base",
        ):
            value = float(getattr(self, key))
            out[key] = None if math.isnan(value) else value
        out["vix_rsi_source"] = str(self.vix_rsi_source)
        out["vix_macd_trend"] = self.vix_macd_trend.value
        out["ad_divergence"] = None if self.ad_divergence is None else int(self.ad_divergence)
        out["vix_spike"] = bool(self.vix_spike)
        return out


def _as_of(as_of: object) -> pd.Timestamp:
    if isinstance(as_of, (str, _dt.date, np.datetime64, pd.Timestamp)):
        try:
            stamp = pd.Timestamp(as_of)
        except (ValueError, TypeError) as exc:
            raise InputError(f"as_of: cannot read {as_of!r} as a date ({exc})") from exc
        if not isinstance(stamp, pd.Timestamp):  # NaT
            raise InputError(f"as_of must be a date, got {as_of!r} (NaT)")
        return stamp
    raise InputError(f"as_of must be a date (str, datetime.date, numpy/pandas timestamp), got {as_of!r}")


def signal_snapshot(
    *,
    spx_closes: pd.Series[float],
    vix_closes: pd.Series[float],
    front_future_closes: pd.Series[float] | None = None,
    ad_line: pd.Series[float] | None = None,
    as_of: str | _dt.date | pd.Timestamp | None = None,
    rsi_period: int = 14,
    macd_spans: tuple[int, int, int] = (12, 26, 9),
    trend_window: int = 3,
    spike_window: int = 20,
    spike_threshold: float = 0.30,
    ad_lookback: int = 20,
) -> Signals:
    """The signals of one day, computed from data up to that day only.

    Parameters
    ----------
    spx_closes : pandas.Series of float
        Daily SPX closes (index points), at least 15 values up to ``as_of``.
    vix_closes : pandas.Series of float
        Daily spot VIX closes (index points), at least 34 values up to ``as_of`` (MACD(12, 26, 9)
        warm-up) and no NaN (drop holiday rows).
    front_future_closes : pandas.Series of float, optional
        Daily closes of the front-month VIX future (a continuous front-month series; a roll
        jump counts as a price change). When None, ``vix_future_rsi`` is the RSI of spot VIX and
        ``vix_rsi_source`` says so.
    ad_line : pandas.Series of float, optional
        An advance-decline line on the same index as ``spx_closes`` (up to ``as_of``).
    as_of : date-like, optional
        The day to report (str, ``datetime.date``, numpy or pandas timestamp). It must be a date
        present in every series given (a naive ``as_of`` is read in the time zone of
        ``spx_closes``' index). Default: the last date present in all of them. Data after it is
        dropped before anything is computed.
    rsi_period, macd_spans, trend_window, spike_window, spike_threshold, ad_lookback
        The indicators' parameters (see :mod:`alvh.method.signals`: ``rsi``, ``macd`` (fast, slow,
        signal), ``histogram_trend``, ``vix_spike``, ``ad_divergence``); the defaults are the
        method's RSI(14), MACD(12, 26, 9), 3 days, 20 days and 30 %, 20 days.

    Returns
    -------
    Signals

    Raises
    ------
    alvh.exceptions.InputError
        A bad series (named in the message), no common date, or an ``as_of`` missing from a
        series.
    """
    settings = _Settings.checked(rsi_period, macd_spans, trend_window, spike_window, spike_threshold, ad_lookback)
    clean = _clean(spx_closes, vix_closes, front_future_closes, ad_line)
    if as_of is None:
        common = None
        for series in clean.values():
            common = series.index if common is None else common.intersection(series.index)
        if common is None or len(common) == 0:
            raise InputError(f"{', '.join(clean)} have no date in common")
        date = pd.Timestamp(common.max())
    else:
        date = _as_of(as_of)
        spx_index = clean["spx_closes"].index
        tz = spx_index.tz if isinstance(spx_index, pd.DatetimeIndex) else None
        if date.tzinfo is None and tz is not None:
            date = date.tz_localize(tz)  # a naive as_of is read in the series' time zone
    cut: dict[str, pd.Series[float]] = {}
    for name, series in clean.items():
        try:
            present = date in series.index
            before = series.index[series.index < date]
        except TypeError as exc:  # tz-aware vs naive
            raise InputError(f"as_of: {date} cannot be compared with {name}'s dates ({exc})") from exc
        if not present:
            hint = f"; the last one before is {iso_day(before[-1])}" if len(before) else ""
            raise InputError(f"{name} has no value on {iso_day(date)} (as_of){hint}")
        cut[name] = series.loc[:date]
    settings.check_lengths(cut)
    return _Indicators.of(cut, settings).on(date)


def signal_history(
    *,
    spx_closes: pd.Series[float],
    vix_closes: pd.Series[float],
    front_future_closes: pd.Series[float] | None = None,
    ad_line: pd.Series[float] | None = None,
    rsi_period: int = 14,
    macd_spans: tuple[int, int, int] = (12, 26, 9),
    trend_window: int = 3,
    spike_window: int = 20,
    spike_threshold: float = 0.30,
    ad_lookback: int = 20,
) -> dict[pd.Timestamp, Signals]:
    """The :func:`signal_snapshot` of every day at once (a backtest reads one a day): for each date
    common to the series with enough data up to it for every signal, the snapshot as of that date.
    Each indicator is computed once over the whole series; nothing looks ahead (module docstring),
    so each day's signals are those of the series cut at that day. The arguments are
    :func:`signal_snapshot`'s, except that ``ad_line`` must be on exactly ``spx_closes``' dates."""
    settings = _Settings.checked(rsi_period, macd_spans, trend_window, spike_window, spike_threshold, ad_lookback)
    clean = _clean(spx_closes, vix_closes, front_future_closes, ad_line)
    if "ad_line" in clean:
        check_same_index("spx_closes", clean["spx_closes"], "ad_line", clean["ad_line"])
    indicators = _Indicators.of(clean, settings)
    common: pd.Index | None = None
    for series in clean.values():
        common = series.index if common is None else common.intersection(series.index)
    assert common is not None
    # the 1-based position of each common date in each series: how many values up to it
    counts = {name: series.index.get_indexer(common) + 1 for name, series in clean.items()}
    enough = np.logical_and.reduce([counts[name] >= settings.length(name, clean) for name in clean])
    days = common[enough]
    return {pd.Timestamp(date): signals for date, signals in zip(days, indicators.on_days(days), strict=True)}


@dataclass(frozen=True)
class _Settings:
    """The indicators' parameters, checked."""

    period: int
    fast: int
    slow: int
    signal: int
    trend_window: int
    spike_window: int
    threshold: float
    ad_lookback: int

    @classmethod
    def checked(
        cls,
        rsi_period: object,
        macd_spans: object,
        trend_window: object,
        spike_window: object,
        spike_threshold: object,
        ad_lookback: object,
    ) -> _Settings:
        period = check_int("rsi_period", rsi_period, minimum=1)
        if not isinstance(macd_spans, tuple) or len(macd_spans) != 3:
            raise InputError(f"macd_spans must be a tuple (fast, slow, signal), got {macd_spans!r}")
        fast, slow, signal = (check_int(f"macd_spans[{i}]", span, minimum=1) for i, span in enumerate(macd_spans))
        if fast >= slow:
            raise InputError(f"macd_spans: fast must be smaller than slow, got {macd_spans!r}")
        return cls(
            period,
            fast,
            slow,
            signal,
            check_int("trend_window", trend_window, minimum=1),
            check_int("spike_window", spike_window, minimum=2),
            check_threshold("spike_threshold", spike_threshold),
            check_int("ad_lookback", ad_lookback, minimum=1),
        )

    def length(self, name: str, series: dict[str, pd.Series[float]]) -> int:
        """The values of series ``name`` (of the ``series`` given) the signals need."""
        if name == "vix_closes":
            rsi = 0 if "front_future_closes" in series else self.period + 1
            return max(self.slow + self.signal - 1, self.spike_window, rsi)
        if name == "spx_closes":
            return max(self.period + 1, self.ad_lookback + 1 if "ad_line" in series else 0)
        return self.period + 1 if name == "front_future_closes" else 0

    def check_lengths(self, cut: dict[str, pd.Series[float]]) -> None:
        """Raise naming the first series of ``cut`` too short for its signals."""
        rsi_needs = f"RSI({self.period})"
        spx = _require_length("spx_closes", cut["spx_closes"], self.period + 1, rsi_needs)
        macd_needs = f"MACD({self.fast}, {self.slow}, {self.signal}) (and the spike's {self.spike_window}-day minimum)"
        vix = _require_length(
            "vix_closes", cut["vix_closes"], max(self.slow + self.signal - 1, self.spike_window), macd_needs
        )
        if "front_future_closes" in cut:
            _require_length("front_future_closes", cut["front_future_closes"], self.period + 1, rsi_needs)
        else:
            _require_length("vix_closes", vix, self.period + 1, rsi_needs)
        if "ad_line" in cut:
            check_same_index("spx_closes", spx, "ad_line", cut["ad_line"])
            _require_length(
                "spx_closes", spx, self.ad_lookback + 1, f"the A/D divergence (lookback {self.ad_lookback})"
            )


def _clean(
    spx_closes: object, vix_closes: object, front_future_closes: object, ad_line: object
) -> dict[str, pd.Series[float]]:
    """The series given, checked (sortedness, duplicates, NaN, sign), by argument name."""
    given: dict[str, object] = {"spx_closes": spx_closes, "vix_closes": vix_closes}
    if front_future_closes is not None:
        given["front_future_closes"] = front_future_closes
    if ad_line is not None:
        given["ad_line"] = ad_line
    return {name: checked_series(name, series, positive=name != "ad_line") for name, series in given.items()}


@dataclass(frozen=True)
class _Indicators:
    """Every indicator the signals read, over whole series (each value from data up to its day)."""

    spx_rsi: pd.Series[float]
    future_rsi: pd.Series[float]
    source: str
    macd: pd.DataFrame
    trend: pd.Series[Any]
    spike: pd.DataFrame
    divergence: pd.Series[int] | None

    @classmethod
    def of(cls, series: dict[str, pd.Series[float]], settings: _Settings) -> _Indicators:
        spx, vix = series["spx_closes"], series["vix_closes"]
        future = series.get("front_future_closes")
        macd = unchecked_macd(vix, settings.fast, settings.slow, settings.signal)
        return cls(
            spx_rsi=unchecked_rsi(spx, settings.period),
            future_rsi=unchecked_rsi(vix if future is None else future, settings.period),
            source="vix" if future is None else "front_future",
            macd=macd,
            trend=unchecked_trend(macd["histogram"], settings.trend_window),
            spike=unchecked_spike(vix, settings.spike_window, settings.threshold),
            divergence=None
            if "ad_line" not in series
            else unchecked_divergence(spx, series["ad_line"], settings.ad_lookback),
        )

    def on(self, date: pd.Timestamp) -> Signals:
        """The signals of ``date``."""
        return self.on_days(pd.Index([date]))[0]

    def on_days(self, dates: pd.Index) -> list[Signals]:
        """The signals of each of ``dates`` (positions looked up and columns read once for all:
        a backtest reads every day's)."""
        spx, vix, future = (series.index.get_indexer(dates) for series in (self.spx_rsi, self.macd, self.future_rsi))
        spx_rsi = self.spx_rsi.to_numpy(np.float64)[spx]
        future_rsi = self.future_rsi.to_numpy(np.float64)[future]
        histogram = self.macd["histogram"].to_numpy(np.float64)[vix]
        slope = self.macd["histogram_slope"].to_numpy(np.float64)[vix]
        trend = self.trend.to_numpy(object)[vix]
        divergence = None if self.divergence is None else self.divergence.to_numpy()[spx]
        spike = self.spike["spike"].to_numpy()[vix]
        retracement, peak, base = (
            self.spike[column].to_numpy(np.float64)[vix] for column in ("retracement", "spike_peak", "spike_base")
        )
        return [
            Signals(
                date=date,
                spx_rsi=float(spx_rsi[i]),
                vix_future_rsi=float(future_rsi[i]),
                vix_rsi_source=self.source,
                vix_macd_histogram=float(histogram[i]),
                vix_macd_histogram_slope=float(slope[i]),
                vix_macd_trend=MacdTrend(trend[i]),
                ad_divergence=None if divergence is None else int(divergence[i]),
                vix_spike=bool(spike[i]),
                vix_retracement=float(retracement[i]),
                vix_spike_peak=float(peak[i]),
                vix_spike_base=float(base[i]),
            )
            for i, date in enumerate(dates)
        ]


def _require_length(name: str, series: pd.Series[float], n: int, needs: str) -> pd.Series[float]:
    if len(series) < n:
        raise InputError(f"{name} has {len(series)} value(s) up to as_of; {needs} needs at least {n}")
    return series
