"""Notebook and console views of BookRisk, ScenarioGrid and StressResult: a few lines with the key
numbers (never a frame or array dump), and HTML tables holding the layer table, the worst cells
and each layer's stress P&L."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from alvh._html import cell
from alvh._repr import MAX_ROWS
from alvh.book import Book
from alvh.data import example_book, example_market
from alvh.exceptions import InputError
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
    """The numbers checked by hand in the review and quoted in README.md (In a notebook)."""
    text = repr(RISK)
    assert text.splitlines() == [
        "BookRisk 'Example ALVH book' at 2026-11-20 16:00: 17 legs in 4 layers, 30 condor units",
        "  SPX delta -118 shares (-0.039 per condor), SPX vega -3,631 $/vol pt, theta +2,381 $/day",
        "  hedge vega 22.7 % of the core's |vega|; market value -18,758 $",
        "  core (core): SPX delta -105, SPX vega -4,591 $/vol pt, theta +2,464 $/day",
        "  L1 (L1_theta_anchor): SPX delta -8, SPX vega +570 $/vol pt, theta -76 $/day",
        "  L2 (L2_delta_overlay): SPX delta -6, SPX vega +470 $/vol pt, theta 0 $/day",
        "  L3 (L3_adaptive): SPX delta +1, SPX vega -79 $/vol pt, theta -7 $/day",
    ]


def test_a_book_without_a_core_shows_no_nan() -> None:
    """No core: no condor units, so no delta per condor and no hedge share — said, not ``nan``."""
    legs = BOOK.legs[BOOK.legs["layer"] != "core"].reset_index(drop=True)
    hedges = Book.from_table("hedges only", [spec for spec in BOOK.layers if spec.name != "core"], legs)
    text = repr(value_book(hedges, MARKET))
    assert "nan" not in text.lower()
    lines = text.splitlines()
    assert lines[0].endswith(": 5 legs in 3 layers, 0 condor units")
    assert "shares (— per condor)" in lines[1]
    assert lines[2].startswith("  no core vega to hedge; market value ")


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


def hand_grid(
    spots: list[float], pnl: list[float], *, layers: tuple[str, ...] = ("core", "L1"), **settings: object
) -> ScenarioGrid:
    """A grid built by hand: ``spots`` × one vol shift (+5) × one horizon (1 day); ``pnl`` per
    cell and layer, in that order."""
    return ScenarioGrid(
        spot_shocks=np.array(spots),
        vol_shifts=np.array([5.0]),
        horizons=np.array([1.0]),
        vix_levels=None,
        layers=list(layers),
        roles=["core", *(["L1_theta_anchor"] * (len(layers) - 1))][: len(layers)],
        pnl=np.array(pnl, dtype=np.float64).reshape(len(spots), 1, 1, 1, len(layers)),
        floored_legs=np.zeros((len(spots), 1, 1, 1), dtype=np.uint32),
        settings=dict(settings),
    )


def test_grid_repr_gives_the_axes_the_dynamics_and_the_worst_cell() -> None:
    """The numbers checked by hand in the review."""
    text = repr(GRID)
    assert text.splitlines() == [
        "ScenarioGrid: 11 spot shocks (-10 … +10 %) × 4 vol shifts (-5 … +10 vol pts) × 3 horizons (0 … 7 days), "
        "4 layers",
        f"  {describe_dynamics(GRID.settings)}",
        "  worst book P&L -133,583 $ at spot +10 %, vol -5 vol pts, 7 days (hedges offset -6 % of the core's loss)",
        "  best book P&L +18,498 $",
    ]


def test_grid_repr_names_explicit_vix_levels_and_floored_scenarios() -> None:
    grid = scenario_grid(BOOK, MARKET, vol_shifts=[-30.0, 0.0], vix_levels=[12.0, 30.0])
    text = repr(grid)
    assert "× 2 VIX levels (12 … 30), 4 layers" in text
    assert f", VIX {grid.worst['vix_level']:g} (" in text
    assert grid.floored_scenarios > 0
    assert text.endswith(f"; {grid.floored_scenarios} scenarios valued a leg on a floored input")


def test_a_grid_without_settings_shows_no_dynamics_line() -> None:
    grid = hand_grid([-0.05, 0.05], [-100.0, 40.0, 30.0, -10.0])
    assert repr(grid).splitlines() == [
        "ScenarioGrid: 2 spot shocks (-5 … +5 %) × 1 vol shift (+5 vol pts) × 1 horizon (1 day), 2 layers",
        "  worst book P&L -60 $ at spot -5 %, vol +5 vol pts, 1 day (hedges offset 40 % of the core's loss)",
        "  best book P&L +20 $",
    ]
    _, (cells,) = read_tables(grid._repr_html_())
    assert cells.caption == "Worst cells (P&L in $)" and cells.column("book (all layers)") == ["-60", "20"]


def test_grid_settings_without_the_dynamics_show_no_dynamics_line() -> None:
    """Settings from elsewhere (a grid saved and rebuilt) may lack keys: the repr does not raise."""
    grid = hand_grid([-0.05, 0.05], [-100.0, 40.0, 30.0, -10.0], dynamics="sticky_strike")
    assert len(repr(grid).splitlines()) == 3 and "<caption>Worst cells (P&amp;L in $)</caption>" in grid._repr_html_()


def test_grid_html_writes_the_coordinates_in_their_units() -> None:
    """A ±2.5 % grid: +2.5 % is "+2.5" in a "spot shock (%)" column, not a fraction cut to "0.03"."""
    grid = hand_grid([-0.025, -0.005, 0.001, 0.025], [-10.0, 5.0, -300.0, 30.0, -20.0, 0.0, -400.0, 100.0])
    _, (cells,) = read_tables(grid._repr_html_())
    assert cells.header == [
        "spot shock (%)",
        "vol shift (vol pts)",
        "horizon (days)",
        "core",
        "L1",
        "book (all layers)",
        "hedge offset (%)",
        "floored legs",
    ]
    assert cells.rows == [
        ["+2.5", "+5", "1", "-400", "100", "-300", "25", "0"],
        ["-0.5", "+5", "1", "-300", "30", "-270", "10", "0"],
        ["+0.1", "+5", "1", "-20", "0", "-20", "0", "0"],
        ["-2.5", "+5", "1", "-10", "5", "-5", "50", "0"],
    ]
    assert "(-2.5 … +2.5 %)" in repr(grid).splitlines()[0]


def test_a_nan_cell_is_never_the_best_and_shows_no_nan() -> None:
    grid = hand_grid([-0.05, 0.0, 0.05], [-100.0, 40.0, np.nan, 0.0, 30.0, -10.0])
    lines = repr(grid).splitlines()
    assert lines[1].startswith("  worst book P&L -60 $ at spot -5 %")
    assert lines[2] == "  best book P&L +20 $"
    _, (cells,) = read_tables(grid._repr_html_())
    assert cells.column("book (all layers)") == ["-60", "20", ""]  # the NaN cell last, empty


def test_a_layer_named_like_a_column_does_not_replace_it() -> None:
    grid = hand_grid([-0.05, 0.05], [-100.0, 40.0, 30.0, -10.0], layers=("core", "book"))
    _, (cells,) = read_tables(grid._repr_html_())
    assert cells.header[3:6] == ["core", "book", "book (all layers)"]
    assert cells.rows[0][3:6] == ["-100", "40", "-60"]


def test_a_grid_with_no_cells_or_layers_shows_one_line() -> None:
    no_layers = hand_grid([-0.05, 0.05], [], layers=())
    assert repr(no_layers) == "ScenarioGrid (empty: 2 × 1 × 1 × 1 × 0 cells × layers)"
    assert repr(no_layers) in no_layers._repr_html_()
    assert np.isnan(no_layers.hedge_offset).all()  # no core: nothing to offset, and no IndexError
    no_spots = hand_grid([], [])
    assert repr(no_spots).startswith("ScenarioGrid (empty: 0 × 1 × 1 × 1 × 2")


def test_scenario_grid_refuses_a_book_with_no_layers() -> None:
    with pytest.raises(InputError, match="book 'empty' has no layers: a scenario grid needs at least one layer"):
        scenario_grid(Book.from_layers("empty", []), MARKET)


def test_grid_html_lists_the_worst_cells_with_each_layer() -> None:
    title, (cells,) = read_tables(GRID._repr_html_())
    assert title == repr(GRID).splitlines()[0]
    assert describe_dynamics(GRID.settings) in cells.caption
    assert len(cells.rows) == WORST_CELLS
    assert cells.rows[0] == ["+10", "-5", "7", "-125,921", "-3,445", "-5,202", "985", "-133,583", "-6", "0"]
    assert cells.rows[1][:3] == ["+10", "-5", "1"]


def test_worst_indices_are_the_smallest_book_cells_in_grid_order() -> None:
    """Against a full stable sort (the method sorts only the cells at or below the cut)."""
    expected = np.argsort(GRID.book, axis=None, kind="stable")[:7]
    assert [np.ravel_multi_index(i, GRID.book.shape) for i in GRID.worst_indices(7)] == list(expected)
    ties = hand_grid([-0.05, 0.0, 0.05, 0.1], [-5.0, 0.0, -5.0, 0.0, np.nan, 0.0, -5.0, 0.0])
    assert [i[0] for i in ties.worst_indices(2)] == [0, 1]  # three-way tie at -5: grid order
    assert [i[0] for i in ties.worst_indices(9)] == [0, 1, 3, 2]  # the NaN cell last


def test_the_grids_book_and_hedge_offset_are_read_only() -> None:
    """Worked out once and shared: a caller cannot change them under the repr's feet."""
    with pytest.raises(ValueError, match="read-only"):
        GRID.book[0, 0, 0, 0] = 0.0
    assert GRID.book is GRID.book and GRID.hedge_offset is GRID.hedge_offset


def test_stress_repr_and_html_give_each_layers_pnl() -> None:
    """The numbers checked by hand in the review (README.md quotes the layers)."""
    lines = repr(STRESS).splitlines()
    assert lines == [
        "StressResult 2018-02-05: SPX -4.1 %, VIX to 34.5 (×2.16); book -45,542 $, hedges offset 31 % of the "
        "core's loss",
        "  core: -66,316 $",
        "  L1: +13,148 $",
        "  L2: +8,696 $",
        "  L3: -1,070 $",
    ]
    title, (table,) = read_tables(STRESS._repr_html_())
    assert title == lines[0] and table.caption == STRESS.preset.source
    assert table.rows == [
        ["book (all layers)", "-45,542"],
        ["core", "-66,316"],
        ["L1", "13,148"],
        ["L2", "8,696"],
        ["L3", "-1,070"],
    ]


def test_a_stress_without_vix_data_says_how_vix_moved() -> None:
    assert "(through the log-beta); book " in repr(stress_test(BOOK, MARKET, "2008-10-15")).splitlines()[0]


def test_a_stress_where_the_core_does_not_lose_says_so() -> None:
    calm = replace(STRESS, hedge_offset=math.nan)
    assert repr(calm).splitlines()[0].endswith("book -45,542 $, no core loss to offset")
