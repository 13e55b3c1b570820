"""The daily risk report: one object holding what a trader reads each morning — the book's Greeks
by layer in SPX terms, the rule results, the decisions with their trades, a scenario-grid summary
and the historical stresses. ``alvh report`` and ``alvh demo`` print it, ``--json`` writes
:meth:`Report.to_dict`, and the risk journal stores that same dict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alvh.book import Book
from alvh.decide import Decision, decide
from alvh.events import Event
from alvh.market import Market
from alvh.rules import Rules
from alvh.scenarios import STRESS_PRESETS, ScenarioGrid, StressResult, scenario_grid, stress_test
from alvh.signals import Signals, signal_snapshot
from alvh.valuation import BookRisk

__all__ = ["Report", "risk_report", "signals_from_history"]

LAYER_COLUMNS = [
    "role",
    "legs",
    "market_value",
    "spx_delta",
    "spx_dollar_delta",
    "spx_gamma",
    "spx_vega",
    "tw_vega",
    "theta",
    "rho",
    "vanna",
    "volga",
    "charm",
    "unrealized_pnl",
]
"""The per-layer columns of the report (trader units, SPX-equivalent where it applies)."""


@dataclass(frozen=True)
class Report:
    """A risk report of one book at one market snapshot."""

    decision: Decision
    market: Market
    signals: Signals | None
    grid: ScenarioGrid
    stresses: tuple[StressResult, ...]

    @property
    def risk(self) -> BookRisk:
        return self.decision.risk

    def layers(self) -> pd.DataFrame:
        """Greeks by layer (rows) in trader units, with the book's total as the last row."""
        table = self.risk.layers[LAYER_COLUMNS].copy()
        table.loc["book"] = self.risk.total.reindex(LAYER_COLUMNS)
        table.loc["book", "role"] = ""
        return table

    def stress_table(self) -> pd.DataFrame:
        """P&L ($) of each layer and the book in each stress, and the hedge's offset of the core's loss."""
        rows = {
            s.preset.name: {**s.layers.to_dict(), "book": s.book, "hedge_offset": s.hedge_offset} for s in self.stresses
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: the decision's fields plus the market snapshot, the layers, the
        book's totals, the signals, the grid summary and the stresses (the journal's format)."""
        risk = self.risk
        spx, vix = self.market.spx, self.market.vix
        return {
            **self.decision.to_dict(),
            "market": {
                "spx": spx.spot,
                "vix": vix.spot,
                "rate": spx.rate,
                "div_yield": spx.div_yield,
                "vix_futures": [{"expiry": f.expiry.isoformat(), "price": f.price} for f in vix.futures],
            },
            "layers": [
                {"layer": str(name), **{k: _plain(v) for k, v in row.items()}}
                for name, row in risk.layers[LAYER_COLUMNS].iterrows()
            ],
            "total": {
                **{k: _plain(v) for k, v in risk.total.items()},
                "delta_per_condor": _plain(risk.delta_per_condor),
                "hedge_vega_share": _plain(risk.hedge_vega_share),
                "condor_units": _plain(risk.core_units),
            },
            "signals": None if self.signals is None else self.signals.to_dict(),
            "scenarios": {
                **self.grid.settings,
                "spot_shocks": self.grid.spot_shocks.tolist(),
                "vol_shifts": self.grid.vol_shifts.tolist(),
                "horizons": self.grid.horizons.tolist(),
                "worst": {k: _plain(v) for k, v in self.grid.worst().items()},
            },
            "stresses": [
                {
                    "preset": s.preset.name,
                    "spx_move": s.preset.spx_move,
                    "vix_after": s.vix_after,
                    "book": s.book,
                    "layers": {str(k): float(v) for k, v in s.layers.items()},
                    "hedge_offset": _plain(s.hedge_offset),
                }
                for s in self.stresses
            ],
        }


def _plain(value: Any) -> Any:
    """A numpy scalar as a Python number, NaN as None (strict JSON has no NaN)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    return value


def signals_from_history(history: pd.DataFrame, as_of: pd.Timestamp | None = None) -> Signals:
    """The signals of ``as_of`` (default: the last day) from a history table with columns ``spx``
    and ``vix`` and optionally ``vix_future`` (front-month) and ``ad_line``, indexed by date."""
    return signal_snapshot(
        spx_closes=history["spx"],
        vix_closes=history["vix"],
        front_future_closes=history.get("vix_future"),
        ad_line=history.get("ad_line"),
        as_of=as_of,
    )


def risk_report(
    book: Book,
    market: Market,
    *,
    rules: Rules | None = None,
    history: pd.DataFrame | None = None,
    events: list[Event] | None = None,
    spot_shocks: Sequence[float] | None = None,
    vol_shifts: Sequence[float] | None = None,
    horizons: Sequence[float] | None = None,
    dynamics: str = "sticky_moneyness",
) -> Report:
    """The risk report of ``book`` at ``market``.

    ``history``: daily closes up to the market's date (see :func:`signals_from_history`); it gives
    the signal rules their signals and R-ROLL the SPX closes of the sessions before today. Without
    it the signal rules are reported as skipped. The grid's axes default to those of
    :func:`alvh.scenarios.scenario_grid`; every stress preset is applied."""
    signals = None
    spx_history = None
    if history is not None:
        day = pd.Timestamp(market.as_of.date())
        signals = signals_from_history(history, day)
        spx_history = history["spx"]
    decision = decide(book, market, rules=rules, signals=signals, events=events, spx_history=spx_history)
    grid = scenario_grid(
        book, market, spot_shocks=spot_shocks, vol_shifts=vol_shifts, horizons=horizons, dynamics=dynamics
    )
    stresses = tuple(stress_test(book, market, name) for name in STRESS_PRESETS)
    return Report(decision, market, signals, grid, stresses)
