"""The daily risk report: one object holding what a trader reads each morning — the book's Greeks
by layer in SPX terms, the rule results, the decisions with their trades, a scenario-grid summary
and the historical stresses. ``alvh report`` and ``alvh demo`` print it, ``--json`` writes
:meth:`Report.to_dict`, and the risk journal stores that same dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alvh._format import count, dollars, scenario, signed
from alvh._jsonable import jsonable
from alvh.book import Book
from alvh.market.events import Event
from alvh.market.snapshot import Market
from alvh.method.decisions import Decision, decide
from alvh.method.rules import Rules
from alvh.method.signals import Signals, inflation_rising_by_day, signal_snapshot
from alvh.risk.cache import ValuationCache
from alvh.risk.scenarios import ScenarioGrid, scenario_grid
from alvh.risk.stresses import STRESS_PRESETS, StressResult, stress_test
from alvh.risk.valuation import OWN_UNIT_METRICS, BookRisk

__all__ = ["Report", "risk_report", "signals_from_history"]

LAYER_COLUMNS = [
    "role",
    "legs",
    "market_value",
    "spx_delta",
    "spx_dollar_delta",
    "spx_gamma",
    "spx_dollar_gamma",
    "spx_vega",
    "tw_vega",
    "theta",
    "rho",
    "vanna",
    "volga",
    "charm",
    "unrealized_pnl",
]
"""The per-layer columns of the report (trader units, SPX-equivalent where it applies;
``spx_dollar_gamma`` = spx_gamma·S²/100, the change of $ delta for a 1 % SPX move)."""


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

    def __repr__(self) -> str:
        """A few lines: the market, the book's headline Greeks, the rules that fired, the actions,
        the grid's worst cell and the worst stress (never the frames)."""
        risk, decision = self.risk, self.decision
        fired = [
            f"{count(len(ids), 'rule')} in {word} ({', '.join(ids)})"
            for status, word in (("breach", "breach"), ("warn", "warning"))
            if (ids := [r.id for r in decision.rules if r.status.value == status])
        ]
        worst = self.grid.worst
        stress = min(self.stresses, key=lambda s: s.book, default=None)
        lines = [
            f"Report {risk.book!r} at {risk.as_of:%Y-%m-%d %H:%M}: SPX {self.market.spx.spot:,.2f}, "
            f"VIX {self.market.vix.spot:.2f}",
            f"  SPX delta {signed(risk.total['spx_delta'])} shares ({signed(risk.delta_per_condor, 3)} per condor), "
            f"SPX vega {dollars(risk.total['spx_vega'])}/vol pt, theta {dollars(risk.total['theta'])}/day",
            f"  {'; '.join(fired) or 'no rule fired'}",
            f"  {count(len(decision.actions), 'action')}: {', '.join(a.type.value for a in decision.actions) or '—'}",
            f"  worst grid cell {dollars(worst['pnl'])} at {scenario(worst)}",
        ]
        if stress is not None:
            lines.append(f"  worst stress {stress.preset.name}: book {dollars(stress.book)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The HTML page's tables without its plots (:func:`alvh.app.html_report.report_tables_html`)."""
        from alvh.app.html_report import report_tables_html  # noqa: PLC0415 (the page's module imports this one)

        return report_tables_html(self)

    @property
    def layers(self) -> pd.DataFrame:
        """Greeks by layer (rows) in trader units, with the book's total as the last row (index
        ``("total", "book")``; the layers' are ``("layer", name)``, so no layer name can clash). The
        total of the own-unit Greeks (vanna, volga, charm: each leg's own underlying) is NaN — SPX
        and VIX units do not add."""
        layers = self.risk.layers.assign(
            spx_dollar_gamma=self.risk.layers["spx_gamma"] * self.market.spx.spot**2 / 100.0
        )[LAYER_COLUMNS]
        total = layers.drop(columns="role").sum().to_frame(("total", "book")).T.assign(role="")
        # SPX and VIX legs' own-unit Greeks do not add up: the book has no total of them
        total[[c for c in OWN_UNIT_METRICS if c in total]] = np.nan
        table = pd.concat([layers.set_axis(pd.MultiIndex.from_product([["layer"], layers.index])), total])
        return table[LAYER_COLUMNS].astype({"legs": int})

    @property
    def stress_table(self) -> pd.DataFrame:
        """Per stress (rows): the SPX move and VIX after it, each layer's P&L ($) and the book's, and
        the share of the core's loss the hedges offset. Columns are two-level — ``("stress", ...)``,
        ``("layer", name)``, ``("book", ...)`` — so no layer name can clash."""
        rows = {
            s.preset.name: {
                ("stress", "spx_move"): s.preset.spx_move,
                ("stress", "vix_after"): s.vix_after,
                **{("layer", str(k)): float(v) for k, v in s.layers.items()},
                ("book", "pnl"): s.book,
                ("book", "hedge_offset"): s.hedge_offset,
            }
            for s in self.stresses
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: the decision's fields plus the market snapshot, the layers, the
        book's totals, the signals, the grid summary and the stresses (the journal's format)."""
        risk = self.risk
        spx, vix = self.market.spx, self.market.vix
        layers = self.layers
        # one conversion of the whole: NaN anywhere (a stress with no core loss) becomes null
        data: dict[str, Any] = jsonable(
            {
                **self.decision.to_dict(),
                "market": {
                    "spx": spx.spot,
                    "vix": vix.spot,
                    "rate": spx.rate,
                    "div_yield": spx.div_yield,
                    "vix_futures": [{"expiry": f.expiry.isoformat(), "price": f.price} for f in vix.futures],
                },
                "layers": [
                    {"layer": str(key[1]), **row}
                    for key, row in zip(layers.index[:-1].tolist(), layers.iloc[:-1].to_dict("records"), strict=True)
                ],
                "total": {
                    **layers.iloc[-1].drop("role").to_dict(),
                    "delta_per_condor": risk.delta_per_condor,
                    "hedge_vega_share": risk.hedge_vega_share,
                    "condor_units": risk.core_units,
                },
                "signals": None if self.signals is None else self.signals.to_dict(),
                "scenarios": {
                    **self.grid.settings,
                    "spot_shocks": self.grid.spot_shocks.tolist(),
                    "vol_shifts": self.grid.vol_shifts.tolist(),
                    "horizons": self.grid.horizons.tolist(),
                    "worst": self.grid.worst,
                },
                "stresses": [
                    {
                        "preset": s.preset.name,
                        "spx_move": s.preset.spx_move,
                        "vix_after": s.vix_after,
                        "book": s.book,
                        "layers": {str(k): float(v) for k, v in s.layers.items()},
                        "hedge_offset": s.hedge_offset,
                    }
                    for s in self.stresses
                ],
            }
        )
        return data


def signals_from_history(history: pd.DataFrame, as_of: pd.Timestamp | None = None) -> Signals:
    """The signals of ``as_of`` (default: the last day) from a history table
    (:func:`alvh.market.history.load_history`): ``spx``, ``vix`` and, when present, ``vx1`` (the front
    VIX future) and ``ad_line``."""
    return signal_snapshot(
        spx_closes=history["spx"],
        vix_closes=history["vix"],
        front_future_closes=history.get("vx1"),
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
    spot_vol_link: bool = True,
    theta_ratio: float | None = None,
) -> Report:
    """The risk report of ``book`` at ``market``.

    ``history``: daily closes up to the market's date (see :func:`signals_from_history`); it gives
    the signal rules their signals, R-ROLL the SPX closes of the sessions before today, and, with
    ``cpi`` and/or ``ppi`` columns, R-MACD-TIGHTEN whether inflation is rising. Without it the
    signal rules are reported as skipped. ``theta_ratio``: the core's realised/projected theta
    (R-RSI-REDUCE; see :func:`alvh.method.signals.theta_realisation`). The grid's axes default to those of
    :func:`alvh.risk.scenarios.scenario_grid`, with the spot–vol link on (``spot_vol_link``: a spot
    shock moves SPX vols and VIX, so the VIX hedges show their value); every stress preset is applied."""
    signals = spx_history = rising = None
    if history is not None:
        day = pd.Timestamp(market.as_of.date())
        signals = signals_from_history(history, day)
        spx_history = history["spx"]
        up_to = history.loc[:day]
        rising = inflation_rising_by_day(up_to).iloc[-1] if len(up_to) else None
    cache = ValuationCache()  # the decision, the grid and the stresses value one book on one market
    decision = decide(
        book,
        market,
        rules=rules,
        signals=signals,
        events=events,
        spx_history=spx_history,
        inflation_rising=rising,
        theta_ratio=theta_ratio,
        cache=cache,
    )
    grid = scenario_grid(
        book,
        market,
        spot_shocks=spot_shocks,
        vol_shifts=vol_shifts,
        horizons=horizons,
        dynamics=dynamics,
        spot_vol_link=spot_vol_link,
        cache=cache,
    )
    stresses = tuple(stress_test(book, market, name, cache=cache) for name in STRESS_PRESETS)
    return Report(decision, market, signals, grid, stresses)
