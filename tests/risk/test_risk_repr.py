"""Notebook and console views of BookRisk, ScenarioGrid and StressResult: a few lines with the key
numbers (never a frame or array dump), and HTML tables holding the layer table, the worst cells
and each layer's stress P&L."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pandas as pd

from alvh._html import cell
from alvh._repr import MAX_ROWS, dollars
from alvh.book import Book
from alvh.data import example_book, example_market
from alvh.risk import scenario_grid, stress_test, value_book
from alvh.risk.display import WORST_CELLS
from alvh.risk.scenarios import ScenarioGrid, describe_dynamics
from tests.html_tables import read_tables

BOOK, MARKET = example_book(), example_market()
RISK = value_book(BOOK, MARKET)
GRID = scenario_grid(BOOK, MARKET, spot_vol_link=True)
STRESS = stress_test(BOOK, MARKET, "2018-02-05")
HEDGE_LAYERS = 40


def wide_book() -> Book:
    """The example book with one more layer per VX future: 44 layers."""
    hedges = pd.DataFrame(
        {
            "layer": [f"hedge{i}" for i in range(HEDGE_LAYERS)],
            "role": "custom",
            "instrument": "VX",
            "expiry": dt.date(2026, 12, 16),
            "quantity": 1.0,
        }
    )
    legs = pd.concat([BOOK.legs.drop(columns=["role", "multiplier", "source"]), hedges], ignore_index=True)
    roles = {layer.name: layer.role for layer in BOOK.layers}
    return Book.from_frame(legs.assign(role=legs["layer"].map(roles).fillna(legs["role"])), name="wide")


def test_book_risk_repr_is_a_few_lines_with_the_headline_numbers() -> None:
    text = repr(RISK)
    lines = text.splitlines()
    assert len(lines) == 3 + len(RISK.layers) and len(text) < 900
    assert lines[0].startswith("BookRisk 'Example ALVH book' at 2026-11-20 16:00: 17 legs in 4 layers, 30 condor")
    assert f"SPX delta {RISK.total['spx_delta']:+,.0f} shares ({RISK.delta_per_condor:+.3f} per condor)" in lines[1]
    assert f"SPX vega {dollars(RISK.total['spx_vega'])}/vol pt" in lines[1]
    assert f"theta {dollars(RISK.total['theta'])}/day" in lines[1]
    assert f"hedge vega {100 * RISK.hedge_vega_share:.1f} %" in lines[2]
    assert lines[3].startswith("  core (core): SPX delta") and dollars(RISK.layers.loc["core", "spx_vega"]) in lines[3]
    assert "DataFrame" not in text and "legs=" not in text and "dtype" not in text


def test_book_risk_repr_stays_short_for_many_layers() -> None:
    risk = value_book(wide_book(), MARKET)
    lines = repr(risk).splitlines()
    assert len(lines) == 3 + MAX_ROWS + 1
    assert lines[-1] == f"  … {len(risk.layers) - MAX_ROWS} more layers"
    _, (layers, _) = read_tables(risk._repr_html_())
    assert len(layers.rows) == 1 + MAX_ROWS + 1  # the book, MAX_ROWS layers, the count of the others
    assert layers.rows[-1] == [f"… {len(risk.layers) - MAX_ROWS} more rows"]


def test_book_risk_html_holds_the_layer_table_and_the_condors() -> None:
    title, (layers, condors) = read_tables(RISK._repr_html_())
    assert title == repr(RISK).splitlines()[0]
    assert layers.caption == "Greeks by layer"
    assert layers.column("layer") == ["book (all layers)", *RISK.layers.index]
    core = layers.row("core")
    assert core["role"] == "core" and core["legs"] == "12"
    assert core["SPX vega ($/vol pt)"] == cell(RISK.layers.loc["core", "spx_vega"])
    assert core["SPX delta (shares)"] == cell(RISK.layers.loc["core", "spx_delta"])
    book = layers.row("book (all layers)")
    assert book["theta ($/day)"] == cell(RISK.total["theta"]) and book["legs"] == "17"
    assert book["market value ($)"] == cell(RISK.total["market_value"])
    assert condors.column("group") == list(RISK.condors.index)
    assert condors.row("IC-2026-11-27")["credit ($)"] == cell(RISK.condors.loc["IC-2026-11-27", "credit"])


def test_grid_repr_gives_the_axes_the_dynamics_and_the_worst_cell() -> None:
    text = repr(GRID)
    lines = text.splitlines()
    assert len(lines) == 4 and len(text) < 600
    assert lines[0] == (
        "ScenarioGrid: 11 spot shocks (-10 … +10 %) × 4 vol shifts (-5 … +10 vol pts) × 3 horizons (0 … 7 days), "
        "4 layers"
    )
    assert lines[1] == f"  {describe_dynamics(GRID.settings)}"
    worst = GRID.worst
    assert lines[2].startswith(
        f"  worst book P&L {dollars(worst['pnl'])} at spot {100 * worst['spot_shock']:+g} %, "
        f"vol {worst['vol_shift']:+g}, {worst['horizon_days']:g} days"
    )
    assert lines[3] == f"  best book P&L {dollars(float(GRID.book.max()))}"
    assert "array(" not in text


def test_grid_repr_names_explicit_vix_levels_and_floored_scenarios() -> None:
    grid = scenario_grid(BOOK, MARKET, vol_shifts=[-30.0, 0.0], vix_levels=[12.0, 30.0])
    text = repr(grid)
    assert "× 2 VIX levels (12 … 30), 4 layers" in text
    assert f", VIX {grid.worst['vix_level']:g} (" in text
    assert grid.floored_scenarios > 0
    assert text.endswith(f"; {grid.floored_scenarios} scenarios valued a leg on a floored input")


def test_a_grid_without_settings_shows_no_dynamics_line() -> None:
    grid = ScenarioGrid(
        spot_shocks=np.array([-0.05, 0.05]),
        vol_shifts=np.array([0.0]),
        horizons=np.array([1.0]),
        vix_levels=None,
        layers=["core", "L1"],
        roles=["core", "L1_theta_anchor"],
        pnl=np.array([-100.0, 40.0, 30.0, -10.0]).reshape(2, 1, 1, 1, 2),
        floored_legs=np.zeros((2, 1, 1, 1), dtype=np.uint32),
    )
    assert repr(grid).splitlines() == [
        "ScenarioGrid: 2 spot shocks (-5 … +5 %) × 1 vol shift (+0 vol pts) × 1 horizon (1 days), 2 layers",
        "  worst book P&L -60 $ at spot -5 %, vol +0, 1 day (hedges offset 40 % of the core's loss)",
        "  best book P&L +20 $",
    ]
    _, (cells,) = read_tables(grid._repr_html_())
    assert cells.caption == "Worst cells (P&L in $)" and cells.column("book") == ["-60.00", "20.00"]


def test_grid_html_lists_the_worst_cells_with_each_layer() -> None:
    title, (cells,) = read_tables(GRID._repr_html_())
    assert title == repr(GRID).splitlines()[0]
    assert describe_dynamics(GRID.settings) in cells.caption
    assert cells.header == [
        "spot_shock",
        "vol_shift",
        "horizon_days",
        *GRID.layers,
        "book",
        "hedge offset",
        "floored legs",
    ]
    assert len(cells.rows) == WORST_CELLS
    for row, index, worst in zip(
        cells.rows, GRID.worst_indices(WORST_CELLS), GRID.worst_cells(WORST_CELLS), strict=True
    ):
        shown = dict(zip(cells.header, row, strict=True))
        assert shown["spot_shock"] == cell(worst["spot_shock"]) and shown["book"] == cell(worst["pnl"])
        assert shown["core"] == cell(GRID.pnl[(*index, 0)]) and shown["L3"] == cell(GRID.pnl[(*index, 3)])
        assert shown["hedge offset"] == cell(GRID.hedge_offset[index])
    assert cells.rows[0][cells.header.index("book")] == cell(GRID.book.min())


def test_worst_indices_index_the_worst_cells() -> None:
    for index, worst in zip(GRID.worst_indices(7), GRID.worst_cells(7), strict=True):
        assert GRID.book[index] == worst["pnl"]
        assert GRID.spot_shocks[index[0]] == worst["spot_shock"] and GRID.horizons[index[2]] == worst["horizon_days"]


def test_stress_repr_and_html_give_each_layers_pnl() -> None:
    lines = repr(STRESS).splitlines()
    assert len(lines) == 1 + len(STRESS.layers)
    assert lines[0] == (
        f"StressResult 2018-02-05: SPX -4.1 %, VIX to {STRESS.vix_after:.1f}; book {dollars(STRESS.book)}, "
        f"hedges offset {100 * STRESS.hedge_offset:.0f} % of the core's loss"
    )
    assert lines[1:] == [f"  {name}: {dollars(pnl)}" for name, pnl in STRESS.layers.items()]
    assert "Name:" not in repr(STRESS) and "StressPreset(" not in repr(STRESS)
    title, (table,) = read_tables(STRESS._repr_html_())
    assert title == lines[0] and table.caption == STRESS.preset.source
    assert table.rows == [["book", cell(STRESS.book)], *([n, cell(v)] for n, v in STRESS.layers.items())]


def test_a_stress_where_the_core_does_not_lose_says_so() -> None:
    calm = replace(STRESS, hedge_offset=math.nan)
    assert repr(calm).splitlines()[0].endswith(f"book {dollars(STRESS.book)}, no core loss to offset")
