"""Terminal rendering (rich) of alvh's results: the risk report's tables, a scenario grid and the
journal's history. Plain functions from result objects to rich renderables, so the CLI stays a
thin layer and the tables can be reused in notebooks (``rich.print(report_tables(r))``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from alvh._format import compact as compact_amount
from alvh._format import dollars, number, scenario, share, signed
from alvh.app.report import Report
from alvh.app.report_plots import report_horizon
from alvh.market.calibration import Calibration
from alvh.method.decisions import Action
from alvh.method.rules import RuleResult, RuleStatus
from alvh.risk.scenarios import ScenarioGrid, describe_dynamics

__all__ = ["calibration_table", "grid_table", "history_table", "import_table", "report_tables", "worst_cells_table"]

_STATUS_STYLE = {
    RuleStatus.OK: "green",
    RuleStatus.WARN: "yellow",
    RuleStatus.BREACH: "bold red",
    RuleStatus.INFO: "cyan",
    RuleStatus.SKIPPED: "dim",
}


def layers_table(report: Report, *, compact: bool = False) -> Table:
    """Greeks by layer in trader units, VIX instruments mapped into SPX terms. ``compact`` (for
    terminals under ~110 columns) drops the role and time-weighted vega and abbreviates amounts."""
    risk = report.risk
    table = Table(
        title=f"Greeks by layer — {risk.book}, as of {risk.as_of:%Y-%m-%d %H:%M} (SPX-equivalent)",
        caption="Δ: SPX shares-equivalent; $Δ = Δ·S; $Γ/1%: change of $Δ for a 1 % SPX move; "
        "vega: $ per SPX vol point" + ("" if compact else " (tw: × √(30/DTE))") + "; theta: $ per day",
        box=box.SIMPLE_HEAD,
    )
    amount = compact_amount if compact else signed
    columns: list[tuple[str, Any]] = [
        ("legs", lambda r: f"{r['legs']}"),
        ("value $", lambda r: amount(r["market_value"])),
        ("Δ", lambda r: signed(r["spx_delta"], 1)),
        ("$Δ", lambda r: amount(r["spx_dollar_delta"])),
        ("$Γ/1%", lambda r: amount(r["spx_dollar_gamma"])),
        ("vega $", lambda r: amount(r["spx_vega"])),
        ("tw vega $", lambda r: amount(r["tw_vega"])),
        ("theta $/d", lambda r: amount(r["theta"])),
    ]
    if compact:
        columns = [c for c in columns if c[0] != "tw vega $"]
    table.add_column("layer", no_wrap=True)
    if not compact:
        table.add_column("role", no_wrap=True)
    for heading, _ in columns:
        table.add_column(heading, justify="right", no_wrap=True)
    frame = report.layers
    index: list[tuple[str, str]] = frame.index.tolist()
    for (kind, name), row in zip(index, frame.to_dict("records"), strict=True):
        cells = [name, *([] if compact else [str(row["role"])]), *(render(row) for _, render in columns)]
        table.add_row(*cells, style="bold" if kind == "total" else None, end_section=(kind, name) == index[-2])
    return table


def summary_line(report: Report) -> Text:
    risk = report.risk
    event = report.decision.next_event
    parts = [
        f"SPX {report.market.spx.spot:,.2f}",
        f"VIX {report.market.vix.spot:.2f}",
        f"condor units {risk.core_units:g}",
        f"Δ per condor {signed(risk.delta_per_condor, 3)}",
        f"hedge vega {share(risk.hedge_vega_share)} of core",
    ]
    if event is not None:
        parts.append(f"next event {event.kind} {event.date}")
    return Text("  ·  ".join(parts))


def rules_table(results: Iterable[RuleResult]) -> Table:
    table = Table(title="Rules")
    for name in ("rule", "status", "value", "limit", "message"):
        table.add_column(name, overflow="fold")
    for r in results:
        value = "" if r.value is None or not math.isfinite(r.value) else f"{r.value:.4g}"
        table.add_row(r.id, Text(r.status.value, style=_STATUS_STYLE[r.status]), value, r.limit, r.message)
    return table


def actions_table(actions: Iterable[Action]) -> Table:
    table = Table(title="Recommended actions (each applied to the book left by the ones before)")
    for name in ("#", "action", "rules", "trades", "cost $", "after"):
        table.add_column(name, overflow="fold")
    for i, action in enumerate(actions, 1):
        trades = "\n".join(
            f"{t.quantity:+d} {t.instrument} {t.expiry}"
            + (f" {t.strike:g}{(t.right or '')[:1].upper()}" if t.strike is not None else "")
            + f" @ {t.price:.2f} → {t.layer}"
            for t in action.trades
        )
        after = action.greeks_after
        summary = (
            f"Δ/condor {signed(after['delta_per_condor'], 3)}, hedge vega {share(after['hedge_vega_share'])}"
            if after
            else ""
        )
        breaches = [r.id for r in action.rules_after if r.status is RuleStatus.BREACH]
        if action.trades:
            summary += "\nbreaches after: " + (", ".join(breaches) if breaches else "none")
        label = Text(action.type.value, style="bold" if action.feasible else "red")
        if not action.feasible:
            label.append(" (infeasible)")
        table.add_row(
            str(i),
            label,
            ", ".join(action.rules),
            (trades + "\n" if trades else "") + action.reason,
            signed(action.cost),
            summary,
        )
    return table


def stress_table(report: Report) -> Table:
    frame = report.stress_table
    table = Table(title="Historical stresses (1-day horizon, full revaluation): P&L $ by layer")
    layers = [str(name) for name in frame["layer"].columns]
    for heading in ("stress", "SPX", "VIX →", *layers, "book", "hedge offset"):
        table.add_column(heading, justify="left" if heading == "stress" else "right", no_wrap=True)
    for name, row in frame.iterrows():
        table.add_row(
            str(name),
            f"{row[('stress', 'spx_move')]:+.1%}",
            f"{row[('stress', 'vix_after')]:.1f}",
            *(signed(row[("layer", layer)]) for layer in layers),
            signed(row[("book", "pnl")]),
            share(row[("book", "hedge_offset")]),
        )
    return table


def grid_table(grid: ScenarioGrid, *, horizon: int = 0, title: str | None = None) -> Table:
    """The book's P&L ($) over spot shock (rows) × vol shift (columns) at one horizon index."""
    days = grid.horizons[horizon]
    heading = title or f"Book P&L $ — spot shock × SPX vol shift, horizon +{days:g} d"
    table = Table(title=f"{heading}\n{describe_dynamics(grid.settings)}")
    table.add_column("spot \\ vol", justify="right")
    for v in grid.vol_shifts:
        table.add_column(f"{v:+g}", justify="right")
    worst = grid.worst
    for i, s in enumerate(grid.spot_shocks):
        cells = []
        for j, v in enumerate(grid.vol_shifts):
            value = float(grid.book[i, j, horizon, 0])
            hit = s == worst["spot_shock"] and v == worst["vol_shift"] and days == worst["horizon_days"]
            cells.append(Text(signed(value), style="bold red" if hit else "red" if value < 0 else ""))
        table.add_row(f"{100 * s:+g}%", *cells)
    return table


def worst_cells_table(grid: ScenarioGrid, *, count: int) -> Table:
    """The ``count`` scenarios with the book's largest losses, worst first (a grid too large for
    :func:`grid_table`)."""
    cells = grid.worst_cells(count)
    table = Table(title=f"{len(cells)} worst of {grid.book.size:,}")
    vix = grid.vix_levels is not None
    for heading in ("spot", "SPX vol", "horizon", *(["VIX"] if vix else []), "book P&L $"):
        table.add_column(heading, justify="right", no_wrap=True)
    for cell in cells:
        table.add_row(
            f"{100 * cell['spot_shock']:+g}%",
            f"{cell['vol_shift']:+g} pts",
            f"+{cell['horizon_days']:g} d",
            *([f"{cell['vix_level']:g}"] if vix else []),
            signed(cell["pnl"]),
        )
    return table


def grid_summary(grid: ScenarioGrid) -> Text:
    """The worst cell, and one warning line when any scenario valued a leg on a floored input."""
    worst = grid.worst
    scenarios = grid.floored_legs.size
    text = Text(
        f"Worst cell: {dollars(worst['pnl'])} at {scenario(worst)} "
        f"({grid.settings.get('dynamics', '')}, {scenarios} scenarios)"
    )
    if grid.floored_scenarios:
        text.append(
            f"\nWarning: {grid.floored_scenarios} of {scenarios} scenarios hit a floor (up to "
            f"{int(grid.floored_legs.max())} legs valued with a vol floored at 0 or VIX / a VIX future at 0.01): "
            "their P&L is that of the floor, not of the shift asked for (column floored_legs of --csv).",
            style="yellow",
        )
    return text


def report_tables(report: Report, *, compact: bool = False) -> RenderableType:
    """Every table of the risk report, in reading order (``compact``: see :func:`layers_table`)."""
    return Group(
        summary_line(report),
        layers_table(report, compact=compact),
        rules_table(report.decision.rules),
        actions_table(report.decision.actions),
        grid_table(report.grid, horizon=report_horizon(report)),
        grid_summary(report.grid),
        stress_table(report),
    )


def history_table(history: pd.DataFrame) -> Table:
    """The journal's trend (:meth:`alvh.app.journal.Journal.history`)."""
    table = Table(title="Risk journal")
    columns: list[tuple[str, str, Any]] = [
        ("as of", "as_of", lambda v: f"{pd.Timestamp(v):%Y-%m-%d}"),
        ("book", "book", str),
        ("SPX", "spx", lambda v: number(v, 2)),
        ("VIX", "vix", lambda v: number(v, 2)),
        ("Δ", "spx_delta", lambda v: signed(v, 1)),
        ("vega $", "spx_vega", signed),
        ("theta $/d", "theta", signed),
        ("breaches", "breaches", lambda v: str(int(v))),
        ("actions", "actions", lambda v: str(int(v))),
    ]
    for name, _, _ in columns:
        table.add_column(
            name,
            justify="left" if name in ("as of", "book") else "right",
            no_wrap=True,
            min_width=4 if name == "book" else None,
        )
    for _, row in history.iterrows():
        table.add_row(*(render(row[key]) for _, key, render in columns))
    return table


def totals_table(layers: pd.DataFrame, *, title: str) -> Table:
    """Per-layer sums of trader-unit metrics (rows: layers, then the total)."""
    # spx_gamma is the raw q·m·∂²V/∂S² (SPX shares of delta per SPX point), not a $ gamma.
    columns = [
        ("value $", "market_value", 0),
        ("Δ", "spx_delta", 0),
        ("Γ/pt", "spx_gamma", 2),
        ("vega $", "spx_vega", 0),
        ("theta $/d", "theta", 0),
        ("rho $/1%", "rho", 0),
    ]
    table = Table(
        title=title,
        caption="Δ: SPX shares-equivalent; Γ/pt: change of Δ (shares) per SPX point; vega: $ per SPX vol point",
    )
    table.add_column("layer")
    for heading, _, _ in columns:
        table.add_column(heading, justify="right")
    frame = layers.copy()
    frame.loc["total"] = frame.sum()
    for name, row in frame.iterrows():
        cells = (signed(row[key], digits) for _, key, digits in columns)
        table.add_row(str(name), *cells, style="bold" if name == "total" else None)
    return table


_BACKTEST_ROWS: list[tuple[str, str, str]] = [
    ("total P&L $", "total_pnl", "money"),
    ("annual return", "ann_return", "pct"),
    ("annual volatility", "ann_vol", "size"),
    ("Sharpe", "sharpe", "ratio"),
    ("Sortino", "sortino", "ratio"),
    ("max drawdown $", "max_drawdown", "money"),
    ("max drawdown", "max_drawdown_pct", "pct"),
    ("worst day $", "worst_day", "money"),
    ("worst day", "worst_day_date", "text"),
    ("hedge P&L $", "hedge_pnl", "money"),
    ("hedge premium paid $", "hedge_premium", "amount"),
    ("costs $", "costs", "amount"),
    ("core credit $", "core_credit", "amount"),
    ("share of credit kept", "credit_kept", "pct"),
    ("core rolls", "core_rolls", "count"),
    ("core reductions", "core_reductions", "count"),
    ("hedge actions", "hedge_actions", "count"),
    ("peak core margin $", "peak_margin", "amount"),
]


def backtest_table(summary: pd.DataFrame) -> Table:
    """A backtest's headline figures (:meth:`alvh.backtest.BacktestResult.summary`): one column per
    strategy, and a row per stress period it covers."""
    first = summary.iloc[0]
    table = Table(
        title=f"Backtest {first['start']} to {first['end']} ({first['days']} days), {first['pricing']}",
        caption="Returns on the starting capital; Sharpe and Sortino with a zero risk-free rate.",
    )
    table.add_column("")
    for name in summary.index:
        table.add_column(str(name), justify="right", no_wrap=True)
    stresses = [(f"P&L {c.removeprefix('pnl_')} $", c, "money") for c in summary.columns if c.startswith("pnl_")]
    render: dict[str, Callable[[Any], str]] = {
        "money": signed,  # P&L: signed
        "amount": number,  # sizes: plain
        "size": lambda v: "—" if not math.isfinite(v) else f"{v:.1%}",
        "pct": lambda v: "—" if not math.isfinite(v) else f"{v:+.1%}",
        "ratio": lambda v: "—" if not math.isfinite(v) else f"{v:+.2f}",
        "count": lambda v: f"{int(v)}",
        "text": str,
    }
    for label, column, kind in [*_BACKTEST_ROWS[:9], *stresses, *_BACKTEST_ROWS[9:]]:
        table.add_row(label, *(render[kind](summary.loc[name, column]) for name in summary.index))
    return table


def calibration_table(calibration: Calibration) -> RenderableType:
    """How a market was calibrated from chains: per SPX expiry the parity forward, rate and
    dividend yield, the quotes used and rejected, the fit's error and the arbitrage found before
    and left after the repairs; per VIX expiry the future and the vol-of-vol smile."""
    market = calibration.market
    spx = Table(
        title=f"SPX smiles calibrated from quotes, as of {market.as_of:%Y-%m-%d %H:%M} ET "
        f"(SPX {market.spx.spot:,.2f}; flat rate {market.spx.rate:.3%}, div yield {market.spx.div_yield:.3%})",
        caption="r, q: implied by put–call parity; RMSE: fitted − mid IV (vol points); in band: share of fitted "
        "IVs inside the bid–ask IV band; butterfly, calendar: violating grid points before → after repair",
    )
    for name in ("expiry", "DTE", "forward", "r", "q", "used", "rejected", "RMSE", "in band", "butterfly", "calendar"):
        spx.add_column(name, justify="left" if name == "expiry" else "right", no_wrap=True)
    spx.add_column("note", overflow="fold")
    for row in calibration.report.sort_values("years").to_dict("records"):
        spx.add_row(
            f"{row['expiry']:%Y-%m-%d} {row['root']} {row['settlement'].upper()}",
            f"{365 * row['years']:.1f}",
            number(row["forward"], 2),
            _rate(row["rate"]),
            _rate(row["div_yield"]),
            f"{row['used']}/{row['quotes']}",
            str(row["rejected"]),
            "—" if not math.isfinite(row["rmse_vol_points"]) else f"{row['rmse_vol_points']:.2f}",
            share(row["inside_band"]),
            f"{row['butterfly_before']} → {row['butterfly_after']}",
            f"{row['calendar_before']} → {row['calendar_after']}",
            "" if pd.isna(row["note"]) else str(row["note"]),
            style="yellow" if row["butterfly_after"] or row["calendar_after"] or row["inside_band"] < 0.9 else None,
        )
    vix = Table(
        title=f"VIX futures and option vols (Black-76 on each expiry's own future; VIX {market.vix.spot:.2f})",
        caption="vol(k) = ATM + skew·k + curvature·k², k = ln(K/F) on the future",
    )
    for name in ("expiry", "future", "ATM vol", "skew", "curvature", "used", "RMSE", "in band"):
        vix.add_column(name, justify="left" if name == "expiry" else "right", no_wrap=True)
    vix.add_column("note", overflow="fold")
    for row in calibration.vix_report.to_dict("records"):
        vix.add_row(
            f"{row['expiry']:%Y-%m-%d}",
            number(row["future"], 2),
            "—" if not math.isfinite(row["option_vol"]) else f"{100 * row['option_vol']:.1f}",
            signed(row["skew"], 3),
            signed(row["curvature"], 3),
            f"{row['used']}/{row['quotes']}",
            "—" if not math.isfinite(row["rmse_vol_points"]) else f"{row['rmse_vol_points']:.2f}",
            share(row["inside_band"]),
            "" if pd.isna(row["note"]) else str(row["note"]),
        )
    return Group(spx, vix)


def _rate(value: float) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.2%}"


def import_table(report: pd.DataFrame) -> Table:
    """How each line of a positions file was read (:func:`alvh.book.import_positions`'s report)."""
    table = Table(title="Positions imported: layer, group and the rule that gave them")
    for name in ("line", "symbol", "qty", "layer", "group", "rule"):
        table.add_column(name, justify="right" if name in ("line", "qty") else "left", overflow="fold")
    for row in report.to_dict("records"):
        missing = pd.isna(row["layer"])
        table.add_row(
            str(row["line"]),
            str(row["symbol"]),
            signed(row["quantity"]),
            "—" if missing else str(row["layer"]),
            "" if pd.isna(row["group"]) else str(row["group"]),
            str(row["rule"]),
            style="yellow" if missing else None,
        )
    return table
