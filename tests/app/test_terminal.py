"""The rich tables of :mod:`alvh.app.terminal` render the report's rows and values."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console, RenderableType

import alvh.data
from alvh.app import terminal
from alvh.app.journal import Journal
from alvh.app.report import Report, risk_report
from alvh.market.events import load_events
from alvh.risk.scenarios import ScenarioGrid, scenario_grid
from alvh.risk.stresses import STRESS_PRESETS

BOOK = alvh.data.example_book()
MARKET = alvh.data.example_market()


def render(renderable: RenderableType) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def rows(text: str) -> dict[str, list[str]]:
    """Body rows of the boxed tables in ``text``: first cell → all cells."""
    out = {}
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
            out.setdefault(cells[0], cells)
    return out


def plain_rows(text: str, first: str) -> dict[str, list[str]]:
    """Rows of a table without vertical rules (split on runs of 2+ spaces), from the row whose first
    cell is ``first``."""
    out: dict[str, list[str]] = {}
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() and line.split()[0] == first)
    for line in lines[start:]:
        cells = [c for c in line.strip().split("  ") if c.strip()]
        if cells and not set(line.strip()) <= {"─", " "}:
            out.setdefault(cells[0].strip(), [c.strip() for c in cells])
    return out


def signed(value: float, digits: int = 0) -> str:
    return "0" if round(value, digits) == 0 else f"{value:+,.{digits}f}"


@pytest.fixture(scope="module")
def report() -> Report:
    events = load_events(alvh.data.example_book_path().parent / "events.toml")
    return risk_report(BOOK, MARKET, history=alvh.data.example_history(), events=events)


@pytest.fixture(scope="module")
def grid() -> ScenarioGrid:
    return scenario_grid(
        BOOK, MARKET, spot_shocks=[-0.06, -0.03, 0.0, 0.03], vol_shifts=[-2.0, 0.0, 4.0], horizons=[0, 3]
    )


def test_layers_table_rows_and_book_total(report: Report) -> None:
    text = render(terminal.layers_table(report))
    assert "Greeks by layer — Example ALVH book, as of 2026-11-20 16:00" in text
    table = plain_rows(text, "core")
    layers = report.layers
    assert [name for name in table if name in {n for _, n in layers.index}] == [n for _, n in layers.index]
    spot = MARKET.spx.spot
    for (kind, name), row in layers.iterrows():
        cells = table[str(name)]
        expected = [
            str(int(row["legs"])),
            signed(row["market_value"]),
            signed(row["spx_delta"], 1),
            signed(row["spx_dollar_delta"]),
            signed(row["spx_gamma"] * spot**2 / 100),
            signed(row["spx_vega"]),
            signed(row["tw_vega"]),
            signed(row["theta"]),
        ]
        assert cells[-8:] == expected, (name, cells)
        if kind == "layer":
            assert cells[1] == row["role"]
    total = report.risk.total
    assert table["book"][-8:-6] == [str(len(BOOK.legs)), signed(total["market_value"])]
    assert table["book"][-3] == signed(total["spx_vega"])


def test_compact_layers_table_fits_80_columns(report: Report) -> None:
    console = Console(record=True, width=80, file=io.StringIO())
    console.print(terminal.layers_table(report, compact=True))
    text = console.export_text()
    assert "…" not in text
    core = plain_rows(text, "core")["core"]
    layer = report.risk.layers.loc["core"]
    assert core[-2:] == [signed(layer["spx_vega"]), signed(layer["theta"])]
    assert core[-3] == f"{layer['spx_gamma'] * MARKET.spx.spot**2 / 100 / 1e6:+.2f}M"  # $ gamma in millions


def test_summary_line(report: Report) -> None:
    text = render(terminal.summary_line(report))
    assert "SPX 5,900.00" in text and "VIX 16.00" in text
    assert f"condor units {report.risk.core_units:g}" in text
    assert f"Δ per condor {report.risk.delta_per_condor:+.3f}" in text
    assert "next event FOMC 2026-12-09" in text


def test_rules_table_has_every_rule(report: Report) -> None:
    table = rows(render(terminal.rules_table(report.decision.rules)))
    assert [r.id for r in report.decision.rules] == [k for k in table if k]
    for rule in report.decision.rules:
        cells = table[rule.id]
        assert cells[1] == rule.status.value
        if rule.value is not None and math.isfinite(rule.value):
            assert cells[2] == f"{rule.value:.4g}"


def test_actions_table(report: Report) -> None:
    text = render(terminal.actions_table(report.decision.actions))
    assert report.decision.actions, "the example book has actions"
    for i, action in enumerate(report.decision.actions, 1):
        assert f"│ {i} " in text
        assert action.type.value in text
        for trade in action.trades:
            assert f"{trade.quantity:+d} {trade.instrument}" in text


def test_stress_table(report: Report) -> None:
    table = rows(render(terminal.stress_table(report)))
    assert list(table) == list(STRESS_PRESETS)
    for stress in report.stresses:
        cells = table[stress.preset.name]
        assert cells[1] == f"{stress.preset.spx_move:+.1%}"
        assert cells[2] == f"{stress.vix_after:.1f}"
        assert cells[-2] == signed(stress.book)
        offset = stress.hedge_offset
        assert cells[-1] == ("—" if not math.isfinite(offset) else f"{100 * offset:.0f} %")
        assert cells[3:-2] == [signed(float(value)) for value in stress.layers]


def test_grid_table_and_summary(grid: ScenarioGrid) -> None:
    for horizon, days in enumerate(grid.horizons):
        text = render(terminal.grid_table(grid, horizon=horizon))
        assert f"horizon +{days:g} d" in text
        table = rows(text)
        assert list(table) == ["-6%", "-3%", "+0%", "+3%"]
        for i, spot in enumerate(table):
            assert table[spot][1:] == [signed(float(v)) for v in grid.book[i, :, horizon, 0]]
    worst = grid.worst
    summary = render(terminal.grid_summary(grid))
    assert f"Worst cell: {signed(worst['pnl'])} $" in summary
    assert f"{grid.pnl[..., 0].size} scenarios" in summary


def test_report_tables_in_reading_order(report: Report) -> None:
    text = render(terminal.report_tables(report))
    headings = ["SPX 5,900.00", "Greeks by layer", "Rules", "Recommended actions", "Book P&L $ —", "Worst cell"]
    positions = [text.index(h) for h in [*headings, "Historical stresses"]]
    assert positions == sorted(positions)


def test_history_table(report: Report, tmp_path: Path) -> None:
    data = report.to_dict()
    with Journal(tmp_path / "risk.db") as journal:
        journal.append(data)
        journal.append({**data, "as_of": "2026-11-23T16:00:00", "book": "other"})
        trend = journal.history()
    table = rows(render(terminal.history_table(trend)))
    assert list(table) == ["2026-11-20", "2026-11-23"]
    first = table["2026-11-20"]
    assert first[1] == BOOK.name
    assert first[2:5] == ["5,900.00", "16.00", signed(data["total"]["spx_delta"], 1)]
    assert first[7] == str(sum(r["status"] == "breach" for r in data["rules"]))
    assert table["2026-11-23"][1] == "other"
    assert rows(render(terminal.history_table(trend.iloc[:0]))) == {}


def test_totals_table_adds_a_total_row() -> None:
    layers = pd.DataFrame(
        {
            "market_value": [1000.0, -250.5],
            "spx_delta": [10.0, -2.0],
            "spx_gamma": [0.4, 0.2],
            "spx_vega": [-300.0, 120.0],
            "theta": [50.0, -5.0],
            "rho": [1.0, np.nan],
        },
        index=["core", "L1"],
    )
    text = render(terminal.totals_table(layers, title="sums"))
    table = rows(text)
    assert list(table) == ["core", "L1", "total"]
    assert table["core"][1:] == ["+1,000", "+10", "+0.40", "-300", "+50", "+1"]
    assert table["L1"][-1] == "—"  # a missing value is a dash, not 'nan'
    assert table["total"][1:] == ["+750", "+8", "+0.60", "-180", "+45", "+1"]


def test_totals_table_labels_the_raw_spx_gamma_per_point() -> None:
    """spx_gamma is q·m·∂²V/∂S² (shares of delta per SPX point): never labelled a $ gamma per 1 %."""
    layers = pd.DataFrame({k: [1.0] for k in ("market_value", "spx_delta", "spx_gamma", "spx_vega", "theta", "rho")})
    text = render(terminal.totals_table(layers, title="sums"))
    assert "$Γ/1%" not in text
    assert "Γ/pt" in text
    assert "Γ/pt: change of Δ (shares) per SPX" in " ".join(text.split())


def test_grid_table_header_states_the_dynamics(grid: ScenarioGrid) -> None:
    linked = scenario_grid(BOOK, MARKET, spot_shocks=[-0.1, 0.0], vol_shifts=[0.0], horizons=[0], spot_vol_link=True)
    text = " ".join(render(terminal.grid_table(linked)).split())
    assert f"sticky moneyness, parallel vol shifts, spot–vol link on (β {MARKET.link.log_beta:g})" in text
    assert "spot–vol link off" in " ".join(render(terminal.grid_table(grid)).split())


def test_grid_summary_warns_in_one_line_when_a_floor_was_hit(grid: ScenarioGrid) -> None:
    assert "Warning" not in render(terminal.grid_summary(grid))
    floored = scenario_grid(BOOK, MARKET, spot_shocks=[0.0], vol_shifts=[-30.0, 0.0], horizons=[0])
    lines = [line for line in render(terminal.grid_summary(floored)).splitlines() if "Warning" in line]
    assert len(lines) == 1
    assert lines[0].startswith("Warning: 1 of 2 scenarios hit a floor")
