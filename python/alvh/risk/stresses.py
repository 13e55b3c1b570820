"""Historical stresses and the daily vega reconciliation (docs/method.md, Scenarios and
stresses): one-day moves of past crises applied to today's book, and R-RECON's P&L for parallel
SPX vol shifts — both read from the scenario engine (:func:`alvh.risk.scenarios.scenario_grid`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from numpy.typing import ArrayLike

from alvh._typing import FloatArray
from alvh.book import Book
from alvh.exceptions import InputError
from alvh.market.snapshot import Market
from alvh.risk.cache import ValuationCache
from alvh.risk.display import stress_html, stress_text
from alvh.risk.dynamics import Dynamics, VolShiftScaling
from alvh.risk.scenarios import scenario_grid

__all__ = ["STRESS_PRESETS", "StressPreset", "StressResult", "stress_test", "vega_pnl", "vega_reconciliation"]


def vega_reconciliation(
    book: Book,
    market: Market,
    *,
    shifts: ArrayLike = (-10.0, -5.0, -2.0, 2.0, 5.0, 10.0),
    cache: ValuationCache | None = None,
) -> pd.DataFrame:
    """R-RECON, the daily vega reconciliation: P&L ($) of each layer and the book for parallel SPX
    IV shifts (vol points; VIX moves with them), spot and time unchanged (``cache``: as for
    :func:`scenario_grid`)."""
    vol_shifts, columns = vega_pnl(book, market, shifts=shifts, cache=cache)
    return pd.DataFrame(columns, index=pd.Index(vol_shifts, name="vol_shift"))


def vega_pnl(
    book: Book, market: Market, *, shifts: ArrayLike, cache: ValuationCache | None
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """The numbers of :func:`vega_reconciliation` as arrays: the vol shifts, and the P&L at each
    of each layer and of the book (``"book"``), in the table's column order (the rule reads them
    without building the table)."""
    grid = scenario_grid(book, market, spot_shocks=[0.0], vol_shifts=shifts, horizons=[0.0], cache=cache)
    pnl = grid.pnl[0, :, 0, 0, :]
    return grid.vol_shifts, {**dict(zip(grid.layers, pnl.T, strict=True)), "book": pnl.sum(axis=1)}


@dataclass(frozen=True)
class StressPreset:
    """A historical one-day stress: the SPX move and, where it existed, VIX before and after."""

    name: str
    date: dt.date
    spx_move: float
    vix_before: float | None
    vix_after: float | None
    source: str

    @property
    def vix_ratio(self) -> float | None:
        """VIX after / before (None where VIX data is not used)."""
        if self.vix_before is None or self.vix_after is None:
            return None
        return self.vix_after / self.vix_before


STRESS_PRESETS: dict[str, StressPreset] = {
    p.name: p
    for p in [
        StressPreset(
            "1987-10-19",
            dt.date(1987, 10, 19),
            -0.205,
            None,
            None,
            "Black Monday: S&P 500 close 282.70 -> 224.84 (-20.5 %). VIX did not exist; VIX moves through the "
            "market's SPX-VIX log-beta.",
        ),
        StressPreset(
            "2008-10-15",
            dt.date(2008, 10, 15),
            -0.090,
            None,
            None,
            "S&P 500 close 998.01 -> 907.84 (-9.0 %). VIX moves through the market's SPX-VIX log-beta.",
        ),
        StressPreset(
            "2015-08-24",
            dt.date(2015, 8, 24),
            -0.039,
            28.0,
            40.7,
            "S&P 500 close 1970.89 -> 1893.21 (-3.9 %); VIX 28.03 -> 40.74 (arch.data sp500 and vix series).",
        ),
        StressPreset(
            "2018-02-05",
            dt.date(2018, 2, 5),
            -0.041,
            17.3,
            37.3,
            "'Volmageddon': S&P 500 close 2762.13 -> 2648.94 (-4.1 %); VIX 17.31 -> 37.32 (arch.data).",
        ),
        StressPreset(
            "2020-03-16",
            dt.date(2020, 3, 16),
            -0.120,
            57.8,
            82.7,
            "S&P 500 close 2711.02 -> 2386.13 (-12.0 %); VIX 57.83 -> 82.69 (Cboe, S&P Dow Jones Indices closes).",
        ),
    ]
}
"""The historical stresses (docs/method.md, Scenarios and stresses), each with its source."""


@dataclass(frozen=True)
class StressResult:
    """The P&L of each layer and the book in a stress scenario."""

    preset: StressPreset
    vix_after: float
    layers: pd.Series
    book: float
    hedge_offset: float
    """Share of the core's loss offset by the hedge layers (NaN if the core does not lose)."""

    def __repr__(self) -> str:
        return stress_text(self)

    def _repr_html_(self) -> str:
        return stress_html(self)


def stress_test(
    book: Book,
    market: Market,
    preset: StressPreset | str,
    *,
    horizon_days: float = 1.0,
    dynamics: Dynamics | str = Dynamics.STICKY_MONEYNESS,
    cache: ValuationCache | None = None,
) -> StressResult:
    """Apply a historical stress to today's book: the SPX move, and VIX scaled by the day's VIX
    ratio (or moved through the log-beta where the preset has no VIX data); SPX implied vols shift
    by the VIX change in points (VIX ≈ 100 × 30-day SPX vol), scaled by √(30/DTE) across maturities
    (``cache``: as for :func:`scenario_grid`)."""
    if isinstance(preset, str):
        if preset not in STRESS_PRESETS:
            raise InputError(f"no stress preset {preset!r}; presets: {', '.join(STRESS_PRESETS)}")
        preset = STRESS_PRESETS[preset]
    vix = market.vix.spot
    ratio = preset.vix_ratio
    vix_after = vix * ratio if ratio is not None else vix * (1.0 + preset.spx_move) ** market.link.log_beta
    grid = scenario_grid(
        book,
        market,
        spot_shocks=[preset.spx_move],
        vol_shifts=[vix_after - vix],
        horizons=[horizon_days],
        dynamics=dynamics,
        vol_shift_scaling=VolShiftScaling.SQRT_TIME,
        cache=cache,
    )
    layers = pd.Series(grid.pnl[0, 0, 0, 0, :], index=grid.layers, name=preset.name)
    return StressResult(
        preset=preset,
        vix_after=vix_after,
        layers=layers,
        book=float(layers.sum()),
        hedge_offset=float(grid.hedge_offset[0, 0, 0, 0]),
    )
