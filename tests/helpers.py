"""Inputs and checks shared by several test modules: a quiet signal snapshot, a random mixed book,
and the check of a written PNG."""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pandas as pd

from alvh.app import plots
from alvh.market.expiries import third_friday
from alvh.market.snapshot import Market
from alvh.method.signals import MacdTrend, Signals

KINDS = ["SPX", "SPXW", "VIX", "VX", "VXM", "VARSWAP", "ES", "MES"]
"""The instruments of :func:`random_legs`; ``kind_weights`` may stop after ``VARSWAP`` (no S&P 500 futures)."""


def quiet_signals(date: str | dt.date, **values: Any) -> Signals:
    """A signal snapshot on ``date`` that trips no rule, with ``values`` changed."""
    quiet: dict[str, Any] = {
        "date": pd.Timestamp(date),
        "spx_rsi": 50.0,
        "vix_future_rsi": 50.0,
        "vix_rsi_source": "front_future",
        "vix_macd_histogram": 0.10,
        "vix_macd_histogram_slope": 0.0,
        "vix_macd_trend": MacdTrend.NEUTRAL,
        "ad_divergence": 0,
        "vix_spike": False,
        "vix_retracement": math.nan,
        "vix_spike_peak": math.nan,
        "vix_spike_base": math.nan,
    }
    return Signals(**{**quiet, **values})


def random_legs(
    market: Market, n: int, *, seed: int, layers: Sequence[str], kind_weights: Sequence[float], entry_prices: bool
) -> pd.DataFrame:
    """``n`` random legs of every instrument (weights in :data:`KINDS` order, six or eight of them) on
    the market's listed expiries and a few others (today, 2, 9 and 33 days out; ES/MES on the next
    three quarterly expiries, in turn), in the given layers: a legs table for
    :meth:`alvh.book.book.Book.from_frame`. With six weights (no S&P 500 futures) the legs are
    those of the same seed before ES/MES were added."""
    rng = np.random.default_rng(seed)
    today = market.as_of.date()
    spx = [s.expiry for s in market.spx.smiles] + [today + dt.timedelta(days=d) for d in (0, 2, 9, 33)]
    vix = [f.expiry for f in market.vix.futures]
    kind = rng.choice(KINDS[: len(kind_weights)], n, p=list(kind_weights))
    is_vix, option, swap = np.isin(kind, ["VIX", "VX", "VXM"]), np.isin(kind, ["SPX", "SPXW", "VIX"]), kind == "VARSWAP"
    expiry = np.where(
        is_vix,
        np.array(vix, dtype=object)[rng.integers(0, len(vix), n)],
        np.array(spx, dtype=object)[rng.integers(1, len(spx), n)],
    )
    strike = np.where(kind == "VIX", rng.integers(10, 40, n), 5.0 * rng.integers(900, 1400, n)).astype(float)
    strike[swap] = rng.uniform(10, 30, swap.sum())
    strike[~(option | swap)] = np.nan
    spx_future = np.isin(kind, ["ES", "MES"])
    if spx_future.any():  # no draw from rng: the other legs stay those of the seed
        quarterly = [
            third_friday(year, month)
            for year in (today.year, today.year + 1, today.year + 2)
            for month in (3, 6, 9, 12)
            if third_friday(year, month) > today
        ][:3]
        expiry[spx_future] = [quarterly[i % 3] for i in range(int(spx_future.sum()))]
    right = np.where(rng.random(n) < 0.5, "call", "put").astype(object)
    right[~option] = None
    start = np.full(n, None, dtype=object)
    start[swap] = today - dt.timedelta(days=10)
    frame = pd.DataFrame(
        {
            "layer": rng.choice(list(layers), n),
            "instrument": kind,
            "expiry": expiry,
            "right": right,
            "strike": strike,
            "quantity": rng.integers(1, 30, n) * np.where(rng.random(n) < 0.5, -1.0, 1.0),
        }
    )
    if entry_prices:
        frame["entry_price"] = np.where(swap, np.nan, rng.uniform(1, 30, n))
    frame["start"] = start
    frame["realized_vol"] = np.where(swap, rng.uniform(8, 30, n), np.nan)
    return frame


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def assert_png(path: Path) -> None:
    """A non-empty, non-blank PNG of the documented size (:data:`alvh.app.plots.FIGURE_SIZE_PX`)."""
    width, height = plots.FIGURE_SIZE_PX
    assert path.is_file() and path.stat().st_size > 10_000, f"{path} is missing or nearly empty"
    assert png_size(path) == (width, height)
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert np.ptp(pixels[..., :3]) > 0.5, f"{path} is blank"
