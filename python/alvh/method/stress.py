"""The scenario set of the stress-budgeted hedge sizing (docs/method.md, Stress-budgeted sizing):
R-STRESS's historical presets and its spot × vol × horizon grid, and the P&L in each scenario of
the book and of one unit of each hedge candidate: one call of the scenario engine for the book
(kept for the day: R-STRESS measures the book, then its step sizes hedges against the same P&L)
and one for all the units.

The hedge units are valued together, each as a layer of its own, so one full revaluation
gives each unit's P&L vector (its layer); a layer's P&L is the sum of its own legs', so it is the
same as beside the book's layers. The grid runs with sticky-moneyness smiles, vol shifts scaled by √(30/DTE) and the
spot–vol link on (ln(VIX′/VIX) = β·ln(S′/S), plus the shift). A preset is one day at its SPX move
with VIX at its ratio (:func:`alvh.risk.stress_test`, which runs with the link off): on the linked
grid it is the cell at its move s and the vol shift VIX·(ratio − (1 + s)^β) (0 without VIX data), so
the presets' moves and shifts are added to the axes and the preset cells read from the same call
(the other cells of the enlarged axes are computed and not used).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alvh._typing import FloatArray
from alvh.book import Book, Leg
from alvh.market.snapshot import Market
from alvh.method.rules.parameters import StressRule
from alvh.risk.cache import ValuationCache
from alvh.risk.kernel_inputs import grouped_arrays
from alvh.risk.scenarios import Dynamics, VolShiftScaling, scenario_grid, scenario_pnl
from alvh.risk.stresses import STRESS_PRESETS

__all__ = ["StressScenarios", "stress_scenarios"]

PRESET_HORIZON_DAYS = 1.0
"""A historical preset is a one-day move (as :func:`alvh.risk.stress_test` applies it)."""

_DYNAMICS, _SCALING = Dynamics.STICKY_MONEYNESS, VolShiftScaling.SQRT_TIME
"""The grid's smile dynamics and vol-shift scaling (the module docstring's; the spot–vol link on)."""


@dataclass(frozen=True)
class StressScenarios:
    """The scenario set and the P&L in it: ``book`` shape (scenario,), ``units`` shape
    (scenario, unit) — $ per unit of each hedge unit, in the order given."""

    labels: tuple[str, ...]
    book: FloatArray
    units: FloatArray

    def worst_with(self, units: FloatArray | None = None) -> tuple[str, float]:
        """The scenario where the book (with ``units`` of each hedge unit added) loses most: its
        label and P&L ($). Ties go to the first scenario."""
        pnl = self.pnl_with(units)
        index = int(np.argmin(pnl))
        return self.labels[index], float(pnl[index])

    def pnl_with(self, units: FloatArray | None = None) -> FloatArray:
        """The book's P&L per scenario with ``units`` of each hedge unit added (none: the book)."""
        if units is None:
            return self.book
        pnl: FloatArray = self.book + self.units @ np.asarray(units, dtype=np.float64)
        return pnl


def stress_scenarios(
    book: Book,
    market: Market,
    rule: StressRule,
    units: Sequence[Sequence[Leg]] = (),
    *,
    cache: ValuationCache | None = None,
) -> StressScenarios:
    """The P&L of ``book`` and of one of each of ``units`` (each a hedge unit's legs) in the
    scenarios of ``rule``: every (spot shock, vol shift, horizon) of its grid, then its presets, in
    that order (see the module docstring). The book's P&L is kept in ``cache`` for this book and
    market (R-STRESS measures the book, then its step sizes hedges against the same P&L); the
    units' comes from one more call of the scenario engine on the units alone."""
    axes = _axes(market, rule)
    cache = ValuationCache() if cache is None else cache
    key = ("stress_scenarios", *(tuple(v) for v in (rule.spot_shocks, rule.vol_shifts, rule.horizons, rule.presets)))
    book_pnl = cache.for_book(book, market, key, lambda: _read_only(_book_pnl(book, market, axes, cache)))
    return StressScenarios(
        labels=axes.labels,
        book=book_pnl,
        units=_units_pnl(book, units, market, axes) if units else np.zeros((len(axes.labels), 0)),
    )


def _book_pnl(book: Book, market: Market, axes: _Axes, cache: ValuationCache) -> FloatArray:
    """The book's P&L in each scenario (its kernel inputs from ``cache``, where valuing the book
    left them)."""
    grid = scenario_grid(book, market, cache=cache, **axes.grid_options)
    pnl: FloatArray = _cells(grid.pnl, axes).sum(axis=1)
    return pnl


def _units_pnl(book: Book, units: Sequence[Sequence[Leg]], market: Market, axes: _Axes) -> FloatArray:
    """Each hedge unit's P&L in each scenario, shape (scenario, unit): the units, each a layer of
    its own, in one call of the scenario engine without a book (the engine's candidates: their
    legs are not parsed again, :func:`alvh.risk.kernel_inputs.grouped_arrays`)."""
    arrays = grouped_arrays(units, f"{book.name} stress units", market, trusted=True)
    pnl, _, _ = scenario_pnl(arrays, len(units), market, vix_levels=None, explain=False, **axes.grid_options)
    return _cells(pnl, axes)


@dataclass(frozen=True)
class _Axes:
    """The grid that holds every scenario of a rule, and each scenario's cell in it."""

    spots: FloatArray
    vols: FloatArray
    days: FloatArray
    cells: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]
    labels: tuple[str, ...]

    @property
    def grid_options(self) -> dict[str, Any]:
        """The scenario engine's options for this grid (the module docstring's dynamics)."""
        return {
            "spot_shocks": self.spots,
            "vol_shifts": self.vols,
            "horizons": self.days,
            "dynamics": _DYNAMICS,
            "vol_shift_scaling": _SCALING,
            "spot_vol_link": True,
        }


def _axes(market: Market, rule: StressRule) -> _Axes:
    vix, beta = market.vix.spot, market.link.log_beta
    presets = [STRESS_PRESETS[name] for name in rule.presets]
    # on the linked grid, the shift that takes VIX from VIX·(1 + s)^β to the preset's VIX·ratio
    # (none for a preset without VIX data: its VIX moves through the log-beta, as the link's)
    preset_shifts = [0.0 if p.vix_ratio is None else vix * (p.vix_ratio - (1.0 + p.spx_move) ** beta) for p in presets]
    spots = np.unique([*rule.spot_shocks, *(p.spx_move for p in presets)])
    vols = np.unique([*rule.vol_shifts, *preset_shifts])
    days = np.unique([*rule.horizons, *([PRESET_HORIZON_DAYS] if presets else [])])
    cells = [
        (spot, vol, horizon, f"spot {100 * spot:+g}%, vol {vol:+g} pts, {horizon:g} day(s)")
        for spot, vol, horizon in itertools.product(rule.spot_shocks, rule.vol_shifts, rule.horizons)
    ]
    cells += [
        (p.spx_move, shift, PRESET_HORIZON_DAYS, f"{p.name} stress")
        for p, shift in zip(presets, preset_shifts, strict=True)
    ]
    spot, vol, day = (np.searchsorted(axis, [cell[i] for cell in cells]) for i, axis in enumerate((spots, vols, days)))
    return _Axes(spots, vols, days, (spot, vol, day), tuple(cell[3] for cell in cells))


def _cells(pnl: FloatArray, axes: _Axes) -> FloatArray:
    """Each layer's P&L in each scenario, shape (scenario, layer), of the engine's P&L on the
    grid (shape (spot, vol, horizon, 1, layer))."""
    return np.ascontiguousarray(pnl[axes.cells[0], axes.cells[1], axes.cells[2], 0, :])


def _read_only(array: FloatArray) -> FloatArray:
    array.flags.writeable = False  # shared by every caller of the day through the cache
    return array
