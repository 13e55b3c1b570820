"""The historical stress presets against the closes they quote, a stress as the documented cell
of the scenario grid, users' own stresses, and the daily vega reconciliation (R-RECON)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from alvh.data import example_book, example_market
from alvh.exceptions import InputError
from alvh.risk.scenarios import scenario_grid
from alvh.risk.stresses import STRESS_PRESETS, StressPreset, stress_test, vega_reconciliation
from alvh.risk.valuation import value_book

MARKET = example_market()
BOOK = example_book()
VIX = MARKET.vix.spot


# --- stress presets ------------------------------------------------------------------------------------

ISSUE_MOVES = {
    "1987-10-19": (-0.205, None, None),
    "2008-10-15": (-0.090, None, None),
    "2015-08-24": (-0.039, 28.0, 40.7),
    "2018-02-05": (-0.041, 17.3, 37.3),
    "2020-03-16": (-0.120, 57.8, 82.7),
}


@pytest.mark.parametrize("name", list(ISSUE_MOVES))
def test_presets_carry_the_issues_moves_their_date_and_a_source(name: str) -> None:
    preset = STRESS_PRESETS[name]
    assert preset.name == name
    assert preset.date == dt.date.fromisoformat(name)
    assert (preset.spx_move, preset.vix_before, preset.vix_after) == ISSUE_MOVES[name]
    assert f"{-100 * preset.spx_move:.1f} %" in preset.source
    assert "S&P 500 close" in preset.source
    if preset.vix_before is not None:
        assert "VIX" in preset.source


def test_presets_list_exactly_the_issues_dates() -> None:
    assert list(STRESS_PRESETS) == list(ISSUE_MOVES)


@pytest.mark.parametrize("name", ["2008-10-15", "2015-08-24", "2018-02-05"])
def test_presets_match_the_closes_that_arch_data_ships(name: str) -> None:
    sp500 = pytest.importorskip("arch.data.sp500")
    spx = sp500.load()["Adj Close"]
    preset = STRESS_PRESETS[name]
    day = pd.Timestamp(preset.date)
    before, after = spx.loc[:day].iloc[-2:]  # the previous session's close and the day's
    assert spx.loc[:day].index[-1] == day
    assert round(after / before - 1.0, 3) == preset.spx_move
    assert f"{before:.2f} -> {after:.2f}" in preset.source
    if preset.vix_before is not None:
        vix = pytest.importorskip("arch.data.vix").load()["vix"]
        vix_before, vix_after = vix.loc[:day].iloc[-2:]
        assert vix.loc[:day].index[-1] == day
        assert (round(vix_before, 1), round(vix_after, 1)) == (preset.vix_before, preset.vix_after)
        assert f"VIX {vix_before:.2f} -> {vix_after:.2f}" in preset.source


def test_presets_without_older_closes_quote_their_own() -> None:
    # 1987-10-19 and 2020-03-16 lie outside arch.data's series: the closes quoted in the source give the move
    for name, (before, after) in {"1987-10-19": (282.70, 224.84), "2020-03-16": (2711.02, 2386.13)}.items():
        preset = STRESS_PRESETS[name]
        assert f"{before:.2f} -> {after:.2f}" in preset.source
        assert round(after / before - 1.0, 3) == preset.spx_move
    assert "57.83 -> 82.69" in STRESS_PRESETS["2020-03-16"].source


@pytest.mark.parametrize("name", list(ISSUE_MOVES))
def test_stress_test_is_the_documented_grid_cell(name: str) -> None:
    preset = STRESS_PRESETS[name]
    result = stress_test(BOOK, MARKET, name)
    if preset.vix_ratio is None:  # moved through the log-beta
        vix_after = VIX * (1 + preset.spx_move) ** MARKET.link.log_beta
    else:
        vix_after = VIX * preset.vix_after / preset.vix_before
    assert result.vix_after == pytest.approx(vix_after, rel=1e-15)
    grid = scenario_grid(
        BOOK,
        MARKET,
        spot_shocks=[preset.spx_move],
        vol_shifts=[result.vix_after - VIX],
        horizons=[1.0],
        vol_shift_scaling="sqrt_time",
    )
    assert result.layers.tolist() == grid.pnl[0, 0, 0, 0].tolist()
    assert result.layers.name == name
    assert result.preset is preset
    assert result.layers["core"] < 0


def test_users_can_add_their_own_stress() -> None:
    mine = StressPreset("desk-crash", dt.date(2030, 1, 2), -0.07, 20.0, 45.0, "desk scenario: SPX -7 %, VIX 20 -> 45")
    result = stress_test(BOOK, MARKET, mine, horizon_days=0.0, dynamics="sticky_strike")
    assert result.vix_after == pytest.approx(VIX * 2.25, rel=1e-15)
    grid = scenario_grid(
        BOOK,
        MARKET,
        spot_shocks=[-0.07],
        vol_shifts=[VIX * 1.25],
        horizons=[0.0],
        dynamics="sticky_strike",
        vol_shift_scaling="sqrt_time",
    )
    np.testing.assert_allclose(result.layers.to_numpy(), grid.pnl[0, 0, 0, 0], rtol=1e-13)
    with pytest.raises(InputError, match=r"no stress preset 'desk-crash'; presets: 1987-10-19, 2008-10-15"):
        stress_test(BOOK, MARKET, "desk-crash")


# --- the daily vega reconciliation ------------------------------------------------------------------------


def test_vega_reconciliation_rows_columns_and_monotone_for_a_short_vega_core() -> None:
    frame = vega_reconciliation(BOOK, MARKET)
    assert frame.index.name == "vol_shift"
    assert frame.index.tolist() == [-10.0, -5.0, -2.0, 2.0, 5.0, 10.0]
    assert list(frame.columns) == ["core", "L1", "L2", "L3", "book"]
    np.testing.assert_allclose(frame["book"], frame[["core", "L1", "L2", "L3"]].sum(axis=1), rtol=1e-15)
    assert value_book(BOOK, MARKET).layers.loc["core", "spx_vega"] < 0
    assert frame["core"].is_monotonic_decreasing and (np.diff(frame["core"]) < 0).all()
    assert (frame.loc[[-10.0, -5.0, -2.0], "core"] > 0).all() and (frame.loc[[2.0, 5.0, 10.0], "core"] < 0).all()
    assert (np.diff(frame["book"]) < 0).all()  # hedged at about half: the book is still short vega
    assert (np.diff(frame["L1"]) > 0).all() and (np.diff(frame["L2"]) > 0).all()  # long VIX exposure gains
    grid = scenario_grid(BOOK, MARKET, spot_shocks=[0.0], vol_shifts=frame.index, horizons=[0.0])
    np.testing.assert_array_equal(frame[grid.layers].to_numpy(), grid.pnl[0, :, 0, 0, :])
