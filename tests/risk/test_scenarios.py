"""Scenario engine (issue 4): the full-revaluation grid against a plain Python loop over scenarios
and legs (:mod:`tests.reference.scenario_reference`), hand-checked dynamics, identities (zero shock,
linearity in quantities, layers summing to the book), the P&L explain, the grid's API,
thread-count determinism and bounded memory (the stresses and the vega reconciliation:
``test_stresses.py``).

Tolerance (grid vs reference): absolute, 1e-10 × the cell's gross size Σ|q·m|·(U′ + |V′| + |V₀|)
(U′ the leg's underlying in the scenario: S′ or the VIX future). The kernel's Black formula is
accurate to ~1e-15 of the forward in absolute terms (not relatively, for tiny far-OTM values), the
numpy reference to ~1e-16·F·(1 + |d₁|), and both re-read the same smile to the last few ulps, so
their difference is ~1e-15 of the gross size (measured: at most 8e-16 over 3,000 random books and
grids, floors and expiries included). 1e-10 leaves five orders of headroom, and the slips in the
dynamics that were tried on the reference — β(τ) at T′ instead of T, √(30/DTE) at the horizon's
DTE, the smile read at T′, the forward at T instead of T′ — each fail it by orders of magnitude.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.book import LEG_COLUMNS, Book, Layer, LayerSpec, Leg, Role
from alvh.book.instruments import LegKind
from alvh.data import example_book, example_market
from alvh.exceptions import InputError
from alvh.market.expiries import Settlement
from alvh.market.snapshot import Market
from alvh.risk.kernel_inputs import leg_arrays
from alvh.risk.scenarios import EXPLAIN_TERMS, Dynamics, ScenarioGrid, VolShiftScaling, scenario_grid
from alvh.risk.stresses import stress_test
from alvh.risk.valuation import value_book
from tests.reference import book_reference
from tests.reference import numpy_black_scholes as nbs
from tests.reference.scenario_reference import numpy_grid, reference_grid

MARKET = example_market()
BOOK = example_book()
AS_OF = MARKET.as_of
TODAY = AS_OF.date()
SPOT = MARKET.spx.spot
VIX = MARKET.vix.spot
RATE = MARKET.spx.rate

TOL = 1e-10
"""Grid vs reference: absolute tolerance per unit of the cell's gross size (module docstring)."""

DYNAMICS = ["sticky_strike", "sticky_moneyness"]
SCALINGS = ["parallel", "sqrt_time"]


def years(expiry: dt.date, time: dt.time) -> float:
    return (dt.datetime.combine(expiry, time) - AS_OF).total_seconds() / (365 * 86400)


def one_layer(*legs: Leg, role: Role = Role.CUSTOM) -> Book:
    return Book.from_layers("one", [Layer("x", role, legs)])


def with_link(market: Market, **update: float) -> Market:
    return market.model_copy(update={"link": market.link.model_copy(update=update)})


def assert_matches_reference(actual: np.ndarray, expected: np.ndarray, gross: np.ndarray, what: str) -> None:
    """|actual − expected| <= TOL·gross in every cell; on failure, list the worst cells."""
    assert actual.shape == expected.shape, what
    error = np.abs(actual - expected)
    limit = TOL * gross
    bad = ~(error <= limit)
    if bad.any():
        ratio = np.where(limit > 0, error / np.where(limit > 0, limit, 1.0), np.inf)
        worst = np.argsort(-ratio, axis=None)[:5]
        lines = [
            f"  cell {np.unravel_index(i, actual.shape)}: got {actual.flat[i]!r}, reference {expected.flat[i]!r}, "
            f"error {error.flat[i]:.3g} > {limit.flat[i]:.3g}"
            for i in worst
        ]
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} cells off the reference\n" + "\n".join(lines))


# --- the grid against the plain reference loop ---------------------------------------------------------

EXAMPLE_AXES = {
    "spot_shocks": [-0.2, -0.041, 0.0, 0.03],
    "vol_shifts": [-6.0, 0.0, 9.5],
    # 7 days: the first condor settles exactly at its close; 25.7 and 26.75: either side of the Dec VIX
    # expiry (25 days 17.5 hours out)
    "horizons": [0.0, 0.5, 7.0, 25.7, 26.75],
}


@pytest.mark.parametrize("dynamics", DYNAMICS)
@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("link", [False, True])
@pytest.mark.parametrize("vix_levels", [None, [11.0, 37.3]])
def test_example_book_grid_matches_the_reference_loop(
    dynamics: str, scaling: str, link: bool, vix_levels: list[float] | None
) -> None:
    market = with_link(MARKET, vvol_beta=0.6)
    options: dict[str, Any] = {
        "dynamics": dynamics,
        "vol_shift_scaling": scaling,
        "spot_vol_link": link,
        "vix_levels": vix_levels,
    }
    grid = scenario_grid(BOOK, market, **EXAMPLE_AXES, **options)
    ref = reference_grid(BOOK, market, **EXAMPLE_AXES, **options)
    assert_matches_reference(grid.pnl, ref.pnl, ref.gross, "kernel")
    baseline = numpy_grid(leg_arrays(BOOK, market), market, **EXAMPLE_AXES, **options, layers=len(BOOK.layers))
    assert_matches_reference(baseline, ref.pnl, ref.gross, "numpy_grid")


SPX_EXPIRIES = sorted(
    {s.expiry for s in MARKET.spx.smiles} | {TODAY + dt.timedelta(days=d) for d in (0, 1, 3, 10, 45, 150)}
)
VIX_EXPIRIES = [f.expiry for f in MARKET.vix.futures]
quantities = st.integers(-40, 40).filter(bool).map(float)


@st.composite
def small_leg(draw: st.DrawFn) -> Leg:
    kind = draw(st.sampled_from(["SPXW", "SPXW", "SPX", "VIX", "VIX", "VX", "VXM", "VARSWAP", "ES", "MES"]))
    if kind in ("SPX", "SPXW"):
        expiry = draw(st.sampled_from(SPX_EXPIRIES))
        strike = 5.0 * draw(st.integers(960, 1300))  # 4800 ... 6500
        return Leg(kind, expiry, draw(quantities), strike, draw(st.sampled_from(["call", "put"])))
    if kind == "VIX":
        strike = 0.5 * draw(st.integers(20, 80))  # 10 ... 40
        return Leg(
            kind, draw(st.sampled_from(VIX_EXPIRIES)), draw(quantities), strike, draw(st.sampled_from(["call", "put"]))
        )
    if kind in ("VX", "VXM"):
        return Leg(kind, draw(st.sampled_from(VIX_EXPIRIES)), draw(quantities))
    if kind in ("ES", "MES"):
        return Leg(kind, draw(st.sampled_from([ES_DEC, ES_MAR])), draw(quantities))
    start = TODAY - dt.timedelta(days=draw(st.integers(0, 60)))
    return Leg(
        kind,
        draw(st.sampled_from([e for e in SPX_EXPIRIES if e > TODAY])),
        1000.0 * draw(quantities),
        draw(st.floats(10.0, 35.0)),
        start=start,
        realized_vol=draw(st.floats(5.0, 60.0)) if start < TODAY else None,
    )


@st.composite
def small_book(draw: st.DrawFn, max_legs: int = 8) -> Book:
    roles = [Role.CORE, *draw(st.lists(st.sampled_from([r for r in Role if r.is_hedge]), min_size=0, max_size=2))]
    legs: list[list[Leg]] = [[] for _ in roles]
    for leg in draw(st.lists(small_leg(), min_size=1, max_size=max_legs)):
        legs[draw(st.integers(0, len(roles) - 1))].append(leg)
    return Book.from_layers("small", [Layer(f"layer{i}", role, tuple(legs[i])) for i, role in enumerate(roles)])


def unique_lists(values: st.SearchStrategy[float], max_size: int = 3) -> st.SearchStrategy[list[float]]:
    return st.lists(values, min_size=1, max_size=max_size, unique=True)


scenario_axes = st.fixed_dictionaries(
    {
        "spot_shocks": unique_lists(st.floats(-0.25, 0.25) | st.just(0.0)),
        "vol_shifts": unique_lists(st.floats(-12.0, 25.0) | st.just(0.0)),
        # 7, 14: SPXW expiries settle exactly at their close; 25.7 and 25.75: either side of the Dec VIX
        # expiry (25 days 17.5 hours out); up to 60 days
        "horizons": unique_lists(st.sampled_from([0.0, 0.1, 1.0, 7.0, 14.0, 25.7, 25.75, 45.0]) | st.floats(0.0, 60.0)),
        "vix_levels": st.none() | unique_lists(st.floats(9.0, 80.0), max_size=2),
        "dynamics": st.sampled_from(DYNAMICS),
        "vol_shift_scaling": st.sampled_from(SCALINGS),
        "spot_vol_link": st.booleans(),
    }
)
links = st.fixed_dictionaries(
    {"log_beta": st.sampled_from([-5.0, -8.0, -3.0]), "vvol_beta": st.sampled_from([0.0, 0.5, 1.2])}
)


@given(book=small_book(), axes=scenario_axes, link=links)
def test_random_books_match_the_reference_loop(book: Book, axes: dict[str, Any], link: dict[str, float]) -> None:
    market = with_link(MARKET, **link)
    grid = scenario_grid(book, market, **axes)
    ref = reference_grid(book, market, **axes)
    assert_matches_reference(grid.pnl, ref.pnl, ref.gross, "kernel")
    baseline = numpy_grid(leg_arrays(book, market), market, **axes, layers=len(book.layers))
    assert_matches_reference(baseline, ref.pnl, ref.gross, "numpy_grid")


# --- hand-checked dynamics -------------------------------------------------------------------------------

DEC_VIX = dt.date(2026, 12, 16)
JAN_VIX = dt.date(2027, 1, 20)
ES_DEC, ES_MAR = dt.date(2026, 12, 18), dt.date(2027, 3, 19)  # third Fridays: quarterly ES/MES expiries


def term_beta(expiry: dt.date) -> float:
    return (1.0 + years(expiry, dt.time(9, 30)) / 0.02) ** -0.5  # the default β(τ) of docs/method.md, Models


def test_vix_future_moves_by_term_beta_times_the_vix_change() -> None:
    book = one_layer(Leg("VXM", JAN_VIX, 7), Leg("VX", DEC_VIX, -2))
    grid = scenario_grid(book, MARKET, spot_shocks=[0.0], vol_shifts=[3.0], horizons=[0.0], vix_levels=[12.5, 30.0])
    for x, level in enumerate([12.5, 30.0]):
        expected = 7 * 100 * term_beta(JAN_VIX) * (level - VIX) - 2 * 1000 * term_beta(DEC_VIX) * (level - VIX)
        assert grid.pnl[0, 0, 0, x, 0] == pytest.approx(expected, rel=1e-13)
    derived = scenario_grid(book, MARKET, spot_shocks=[0.0], vol_shifts=[3.0], horizons=[0.0])
    # VIX moves by the vol shift in points (VIX ≈ 100 × the 30-day SPX vol)
    expected = (7 * 100 * term_beta(JAN_VIX) - 2 * 1000 * term_beta(DEC_VIX)) * 3.0
    assert derived.pnl[0, 0, 0, 0, 0] == pytest.approx(expected, rel=1e-13)


def test_a_vix_future_past_its_expiry_settles_on_the_scenario_vix() -> None:
    book = one_layer(Leg("VXM", DEC_VIX, 10))
    grid = scenario_grid(book, MARKET, spot_shocks=[-0.05], vol_shifts=[4.0], horizons=[25.0, 26.0], spot_vol_link=True)
    vix_after = VIX + 4.0 + VIX * (0.95**-5.0 - 1.0)
    before = 10 * 100 * term_beta(DEC_VIX) * (vix_after - VIX)  # 25 days: 17.5 hours before the SOQ
    after = 10 * 100 * (vix_after - 17.15)  # 26 days: settled at VIX′, the basis is gone
    assert grid.pnl[0, 0, :, 0, 0] == pytest.approx([before, after], rel=1e-13)


def test_sp500_futures_move_with_the_spx_forward_and_settle_on_spot() -> None:
    book = one_layer(Leg("ES", ES_MAR, -3), Leg("MES", ES_DEC, 8))
    shocks, horizons = [-0.1, 0.04], [0.0, 5.0, 30.0]  # ES_DEC settles 28 days out
    grid = scenario_grid(book, MARKET, spot_shocks=shocks, vol_shifts=[0.0, 9.0], horizons=horizons, explain=True)
    assert grid.explain is not None
    t_mar, t_dec = years(ES_MAR, dt.time(9, 30)), years(ES_DEC, dt.time(9, 30))
    q_mar, q_dec = MARKET.div_yield(ES_MAR, t_mar, Settlement.AM), MARKET.div_yield(ES_DEC, t_dec, Settlement.AM)

    def forward(spot: float, t: float, q: float) -> float:
        return spot * math.exp((RATE - q) * max(t, 0.0))

    for i, shock in enumerate(shocks):
        moved = SPOT * (1 + shock)
        for k, h in enumerate(horizons):
            es = -3 * 50 * (forward(moved, t_mar - h / 365, q_mar) - forward(SPOT, t_mar, q_mar))
            mes = 8 * 5 * (forward(moved, t_dec - h / 365, q_dec) - forward(SPOT, t_dec, q_dec))
            if h == 30.0:  # settled at S′
                assert forward(moved, t_dec - h / 365, q_dec) == moved
            for j in range(2):  # no vol in a future
                assert grid.pnl[i, j, k, 0, 0] == pytest.approx(es + mes, rel=1e-12)
                terms = dict(zip(EXPLAIN_TERMS, grid.explain[i, j, k, 0], strict=True))
                delta = (-150 * math.exp((RATE - q_mar) * t_mar) + 40 * math.exp((RATE - q_dec) * t_dec)) * (
                    moved - SPOT
                )
                theta = (
                    (
                        -150 * forward(SPOT, t_mar, q_mar) * -(RATE - q_mar)
                        + 40 * forward(SPOT, t_dec, q_dec) * -(RATE - q_dec)
                    )
                    * h
                    / 365
                )
                assert terms["delta"] == pytest.approx(delta, rel=1e-12)
                assert terms["theta"] == pytest.approx(theta, rel=1e-12, abs=1e-9)
                assert [terms[t] for t in ("gamma", "vega", "vanna", "volga")] == [0.0] * 4


def test_spx_option_expiring_inside_the_horizon_settles_at_intrinsic() -> None:
    expiry = dt.date(2026, 11, 27)  # SPXW, settles at the close 7 days out
    leg = Leg("SPXW", expiry, -3, 5800.0, "put")
    t = years(expiry, dt.time(16, 0))
    vol = float(MARKET.spx_vol(5800.0, expiry, t))
    value0 = float(nbs.greeks(SPOT, 5800.0, t, vol, RATE, 0.013, False)["price"])
    grid = scenario_grid(one_layer(leg), MARKET, spot_shocks=[-0.03, 0.02], vol_shifts=[7.0], horizons=[7.0, 10.0])
    for i, shock in enumerate([-0.03, 0.02]):
        intrinsic = max(5800.0 - SPOT * (1 + shock), 0.0)
        assert grid.pnl[i, 0, :, 0, 0] == pytest.approx([-300 * (intrinsic - value0)] * 2, rel=1e-12, abs=1e-9)


def test_variance_swap_vega_shift_accrues_over_the_horizon_at_the_shifted_vol() -> None:
    expiry = dt.date(2027, 1, 15)
    start = TODAY - dt.timedelta(days=20)
    book = one_layer(Leg("VARSWAP", expiry, 5_000.0, 18.0, start=start, realized_vol=14.0))
    (row,) = [r for _, r in book.legs.iterrows()]
    leg = book_reference.leg_inputs(row, MARKET)
    f, sigma, k = leg.remaining_fraction, leg.vol, 0.18
    assert 0 < f < 1
    grid = scenario_grid(book, MARKET, spot_shocks=[0.0], vol_shifts=[-2.0, 5.0], horizons=[0.0, 10.0])
    value0 = math.exp(-RATE * leg.years) * (leg.accrued_variance + f * sigma**2 - k**2) * 100 / (2 * k)
    for j, shift in enumerate([-2.0, 5.0]):
        s = sigma + shift / 100
        for h, days in enumerate([0.0, 10.0]):
            t = leg.years - days / 365
            value = math.exp(-RATE * t) * (leg.accrued_variance + f * s**2 - k**2) * 100 / (2 * k)
            assert grid.pnl[0, j, h, 0, 0] == pytest.approx(5_000 * (value - value0), rel=1e-11)


def test_vix_option_vol_moves_with_the_vvol_beta() -> None:
    market = with_link(MARKET, vvol_beta=0.8)
    t = years(JAN_VIX, dt.time(9, 30))
    book = one_layer(Leg("VIX", JAN_VIX, 25, 22.0, "call"))
    grid = scenario_grid(book, market, spot_shocks=[0.0], vol_shifts=[0.0], horizons=[0.0], vix_levels=[24.0])
    future = 18.20 + term_beta(JAN_VIX) * (24.0 - VIX)
    value = nbs.greeks(future, 22.0, t, 0.86 * (24.0 / VIX) ** 0.8, RATE, 0.0, True, model="black76")["price"]
    value0 = nbs.greeks(18.20, 22.0, t, 0.86, RATE, 0.0, True, model="black76")["price"]
    assert grid.pnl[0, 0, 0, 0, 0] == pytest.approx(2500 * float(value - value0), rel=1e-12)


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_sqrt_time_scaling_shifts_each_spx_leg_by_sqrt_30_over_dte(dynamics: str) -> None:
    expiry = dt.date(2026, 11, 27)  # 7 DTE: the shift is × √(30/7)
    leg = Leg("SPXW", expiry, 1, 5900.0, "call")
    by_sqrt_time = scenario_grid(
        one_layer(leg),
        MARKET,
        spot_shocks=[0.0],
        vol_shifts=[2.0],
        horizons=[0.0],
        dynamics=dynamics,
        vol_shift_scaling="sqrt_time",
    )
    parallel = scenario_grid(
        one_layer(leg),
        MARKET,
        spot_shocks=[0.0],
        vol_shifts=[2.0 * math.sqrt(30 / 7)],
        horizons=[0.0],
        dynamics=dynamics,
    )
    assert by_sqrt_time.pnl[0, 0, 0, 0, 0] == pytest.approx(parallel.pnl[0, 0, 0, 0, 0], rel=1e-13)


# --- identities ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dynamics", DYNAMICS)
@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("link", [False, True])
def test_zero_shock_at_horizon_zero_gives_exactly_zero_pnl(dynamics: str, scaling: str, link: bool) -> None:
    market = with_link(MARKET, vvol_beta=1.0)
    options = {"dynamics": dynamics, "vol_shift_scaling": scaling, "spot_vol_link": link}
    grid = scenario_grid(BOOK, market, spot_shocks=[0.0, -0.1], vol_shifts=[0.0, 3.0], horizons=[0.0, 1.0], **options)
    assert (grid.pnl[0, 0, 0, 0] == 0.0).all()
    assert (np.abs(grid.pnl).sum(axis=-1) > 0).sum() == grid.pnl[..., 0].size - 1  # every other cell moves
    at_spot = scenario_grid(
        BOOK, market, spot_shocks=[0.0], vol_shifts=[0.0], horizons=[0.0], vix_levels=[VIX], **options
    )
    assert (at_spot.pnl == 0.0).all()


@given(book=small_book(), dynamics=st.sampled_from(DYNAMICS), link=st.booleans())
def test_zero_shock_is_zero_on_random_books(book: Book, dynamics: str, link: bool) -> None:
    grid = scenario_grid(
        book, MARKET, spot_shocks=[0.0], vol_shifts=[0.0], horizons=[0.0], dynamics=dynamics, spot_vol_link=link
    )
    assert (grid.pnl == 0.0).all()


def leg_table(book: Book) -> pd.DataFrame:
    """A book's legs as ``Book.from_frame`` takes them."""
    return book.legs[[*LEG_COLUMNS, "source"]]


def scaled(book: Book, factor: float) -> Book:
    legs = leg_table(book).copy()
    legs["quantity"] *= factor
    return Book(book.name, book.layers, legs)


def size_scale(book: Book, grid: ScenarioGrid) -> float:
    """Σ|q·m| × the largest underlying any leg sees: the absolute scale of rounding in P&L sums."""
    return float((book.legs["quantity"].abs() * book.legs["multiplier"]).sum() * SPOT * (1 + grid.spot_shocks.max()))


GRID_AXES = {"spot_shocks": [-0.08, 0.0, 0.05], "vol_shifts": [-4.0, 0.0, 8.0], "horizons": [0.0, 3.0, 30.0]}


@given(book=small_book(), factor=st.sampled_from([-3.0, 2.0, 0.5, 7.0]), dynamics=st.sampled_from(DYNAMICS))
def test_pnl_is_linear_in_quantities(book: Book, factor: float, dynamics: str) -> None:
    base = scenario_grid(book, MARKET, **GRID_AXES, dynamics=dynamics, spot_vol_link=True)
    times = scenario_grid(scaled(book, factor), MARKET, **GRID_AXES, dynamics=dynamics, spot_vol_link=True)
    np.testing.assert_allclose(times.pnl, factor * base.pnl, rtol=0, atol=1e-13 * abs(factor) * size_scale(book, base))


@given(first=small_book(), second=small_book())
def test_pnl_is_additive_over_books(first: Book, second: Book) -> None:
    renamed = [LayerSpec(layer.name + "b", layer.role) for layer in second.layers]
    legs = pd.concat([leg_table(first), leg_table(second).assign(layer=second.legs["layer"] + "b")], ignore_index=True)
    merged = Book("merged", [*first.layers, *renamed], legs)
    one = scenario_grid(first, MARKET, **GRID_AXES).book
    two = scenario_grid(second, MARKET, **GRID_AXES).book
    both = scenario_grid(merged, MARKET, **GRID_AXES)
    np.testing.assert_allclose(both.book, one + two, rtol=0, atol=1e-13 * size_scale(merged, both))


def test_layers_sum_to_the_book_and_each_layer_is_its_own_book() -> None:
    grid = scenario_grid(BOOK, MARKET, **GRID_AXES, spot_vol_link=True)
    assert grid.layers == ["core", "L1", "L2", "L3"]
    np.testing.assert_array_equal(grid.book, grid.pnl.sum(axis=-1))
    scale = size_scale(BOOK, grid)
    for layer in BOOK.layers:
        alone = Book(BOOK.name, [layer], BOOK.legs[BOOK.legs["layer"] == layer.name])
        own = scenario_grid(alone, MARKET, **GRID_AXES, spot_vol_link=True)
        np.testing.assert_allclose(own.pnl[..., 0], grid.layer(layer.name), rtol=0, atol=1e-13 * scale)
    single = Book.from_frame(leg_table(BOOK).assign(layer="all"), roles={"all": "core"})
    total = scenario_grid(single, MARKET, **GRID_AXES, spot_vol_link=True)
    np.testing.assert_allclose(total.pnl[..., 0], grid.book, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_a_long_vix_call_gains_with_the_vol_shift_and_with_a_spot_drop_when_linked(dynamics: str) -> None:
    book = one_layer(Leg("VIX", JAN_VIX, 10, 20.0, "call"), role=Role.OUTER)
    vols = [-8.0, -4.0, -1.0, 0.0, 1.0, 4.0, 10.0, 20.0]
    by_vol = scenario_grid(book, MARKET, spot_shocks=[0.0], vol_shifts=vols, horizons=[0.0, 5.0], dynamics=dynamics)
    assert (np.diff(by_vol.pnl[0, :, :, 0, 0], axis=0) > 0).all()
    assert by_vol.pnl[0, vols.index(0.0), 0, 0, 0] == 0.0
    spots = [0.05, 0.02, 0.0, -0.01, -0.04, -0.1, -0.2]  # falling spot
    linked = scenario_grid(
        book,
        MARKET,
        spot_shocks=spots,
        vol_shifts=[0.0, 3.0],
        horizons=[0.0, 5.0],
        dynamics=dynamics,
        spot_vol_link=True,
    )
    assert (np.diff(linked.pnl[:, :, :, 0, 0], axis=0) > 0).all()
    assert linked.pnl[spots.index(-0.04), 0, 0, 0, 0] > 0 > linked.pnl[spots.index(0.02), 0, 0, 0, 0]
    unlinked = scenario_grid(book, MARKET, spot_shocks=spots, vol_shifts=[0.0], horizons=[0.0], dynamics=dynamics)
    assert (unlinked.pnl == 0.0).all()  # without the link a spot move alone leaves VIX where it is


def test_2018_02_05_stress_hedge_layers_offset_part_of_the_condor_loss() -> None:
    result = stress_test(BOOK, MARKET, "2018-02-05")
    layers = result.layers
    assert list(layers.index) == ["core", "L1", "L2", "L3"]
    assert layers["core"] < 0  # short vega, short gamma: the condors lose
    assert layers["L1"] > 0 and layers["L2"] > 0  # VIX call spread and long VXM gain
    assert layers["L3"] < 0  # the VIX put spread loses as VIX spikes
    hedges = layers.drop("core").sum()
    assert result.hedge_offset == pytest.approx(-hedges / layers["core"], rel=1e-14)
    assert 0.1 < result.hedge_offset < 1.0  # part of the loss, not all of it
    assert layers["core"] < result.book < 0
    assert result.book == pytest.approx(layers.sum(), rel=1e-14)
    assert result.vix_after == pytest.approx(VIX * 37.3 / 17.3, rel=1e-14)


# --- the P&L explain ------------------------------------------------------------------------------------

SMALL = {"spot_shocks": [-0.005, 0.0, 0.005], "vol_shifts": [-0.5, 0.0, 0.5], "horizons": [0.0, 0.1]}


def explained(dynamics: str = "sticky_strike", link: bool = False, book: Book = BOOK, **axes: Any) -> ScenarioGrid:
    return scenario_grid(book, MARKET, **(axes or SMALL), dynamics=dynamics, spot_vol_link=link, explain=True)


@pytest.mark.parametrize("dynamics", DYNAMICS)
@pytest.mark.parametrize("link", [False, True])
def test_explain_residual_is_small_for_small_shocks(dynamics: str, link: bool) -> None:
    grid = explained(dynamics, link)
    assert grid.explain is not None
    assert grid.explain.shape == (*grid.book.shape, len(EXPLAIN_TERMS))
    assert EXPLAIN_TERMS == ["delta", "gamma", "vega", "theta", "vanna", "volga", "residual"]
    terms, residual = grid.explain[..., :-1], grid.explain[..., -1]
    # the residual is, by definition, full revaluation minus the Taylor terms
    np.testing.assert_allclose(terms.sum(axis=-1) + residual, grid.book, rtol=0, atol=1e-9 * np.abs(grid.book).max())
    # and for ±0.5 % spot, ±0.5 vol point, 0.1 day it is a few % of the P&L the grid spans
    assert np.abs(residual).max() < 0.05 * np.abs(grid.book).max()
    big = np.abs(grid.book) > 0.2 * np.abs(grid.book).max()
    assert (np.abs(residual[big]) < 0.1 * np.abs(grid.book[big])).all()


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_explain_residual_is_third_order_in_the_shock(dynamics: str) -> None:
    """With the horizon at 0 the explain is a full second-order expansion in (dU, dσ): halving every
    shock divides the residual (its largest value over the grid) by about 8."""
    residuals = []
    for scale in (1.0, 0.5, 0.25):
        shocks = scale * np.array([-1.0, -0.5, 0.5, 1.0])
        grid = explained(dynamics, True, spot_shocks=0.01 * shocks, vol_shifts=shocks, horizons=[0.0])
        assert grid.explain is not None
        residuals.append(np.abs(grid.explain[..., -1]).max())
    ratios = np.array(residuals[:-1]) / np.array(residuals[1:])
    assert ((ratios > 6.0) & (ratios < 10.0)).all(), ratios


def test_explain_terms_are_zero_at_the_null_scenario_with_sticky_strike() -> None:
    grid = explained("sticky_strike", True)
    assert grid.explain is not None
    assert (grid.explain[1, 1, 0, 0] == 0.0).all()


def test_explain_terms_at_the_null_scenario_with_sticky_moneyness_are_rounding_only() -> None:
    grid = explained("sticky_moneyness", True)
    assert grid.explain is not None
    assert grid.book[1, 1, 0, 0] == 0.0
    scale = size_scale(BOOK, grid)
    assert np.abs(grid.explain[1, 1, 0, 0]).max() <= 1e-13 * scale


def test_explain_terms_are_exactly_zero_at_the_null_scenario_with_sticky_moneyness() -> None:
    grid = explained("sticky_moneyness", True)
    assert grid.explain is not None
    assert (grid.explain[1, 1, 0, 0] == 0.0).all()


def test_explain_terms_are_the_books_greeks_times_the_moves() -> None:
    """Sticky strike, no link: a pure spot move is delta and gamma of the SPX legs; a pure vol shift
    is the book's SPX-equivalent vega (SPX legs' vega, VIX legs' futures delta × β(τ)); a pure
    horizon is theta per day × days."""
    risk = value_book(BOOK, MARKET)
    legs, total = risk.legs, risk.total
    spx = legs["instrument"].isin(["SPX", "SPXW"])
    s, v, h = 0.004, 0.7, 0.25
    grid = explained(spot_shocks=[0.0, s], vol_shifts=[0.0, v], horizons=[0.0, h])
    assert grid.explain is not None
    e = dict(zip(EXPLAIN_TERMS, np.moveaxis(grid.explain[..., 0, :], -1, 0), strict=True))
    ds = SPOT * s
    assert e["delta"][1, 0, 0] == pytest.approx(legs.loc[spx, "delta"].sum() * ds, rel=1e-10)
    assert e["gamma"][1, 0, 0] == pytest.approx(0.5 * legs.loc[spx, "gamma"].sum() * ds**2, rel=1e-10)
    assert e["delta"][0, 1, 0] + e["vega"][0, 1, 0] == pytest.approx(total["spx_vega"] * v, rel=1e-10)
    assert e["vega"][0, 1, 0] == pytest.approx(legs.loc[spx, "vega"].sum() * v, rel=1e-10)
    assert e["volga"][0, 1, 0] == pytest.approx(0.5 * legs.loc[spx, "volga"].sum() * v**2, rel=1e-10)
    assert e["vanna"][1, 1, 0] == pytest.approx(legs.loc[spx, "vanna"].sum() * ds * v, rel=1e-10)
    assert e["theta"][0, 0, 1] == pytest.approx(total["theta"] * h, rel=1e-10)
    assert e["theta"][0, 0, 0] == 0.0


def test_explain_is_none_unless_asked() -> None:
    grid = scenario_grid(BOOK, MARKET)
    assert grid.explain is None
    assert not any(c.startswith("explain_") for c in grid.to_frame().columns)


# --- the grid's API --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spot_shocks": [0.1, -1.0]}, r"^spot_shocks\[1\] = -1\.0 is not allowed: must be > -1"),
        ({"spot_shocks": [-1.5]}, r"^spot_shocks\[0\] = -1\.5 is not allowed: must be > -1"),
        ({"horizons": [0.0, -1.0]}, r"^horizons\[1\] = -1\.0 is not allowed: must be >= 0 \(calendar days\)"),
        ({"spot_shocks": []}, r"^spot_shocks must be a non-empty 1-D list of numbers"),
        ({"vol_shifts": []}, r"^vol_shifts must be a non-empty 1-D list of numbers"),
        ({"horizons": []}, r"^horizons must be a non-empty 1-D list of numbers"),
        ({"vix_levels": []}, r"^vix_levels must be a non-empty 1-D list of numbers"),
        ({"vol_shifts": [[1.0, 2.0]]}, r"^vol_shifts must be a non-empty 1-D list of numbers"),
        ({"spot_shocks": ["down"]}, r"^spot_shocks must be a non-empty 1-D list of numbers, got \['down'\]"),
        ({"vol_shifts": [1.0, math.nan]}, r"^vol_shifts\[1\] = nan is not allowed: must be finite"),
        ({"horizons": [math.inf]}, r"^horizons\[0\] = inf is not allowed: must be finite"),
        ({"vix_levels": [20.0, 0.0]}, r"^vix_levels\[1\] = 0\.0 is not allowed: must be > 0"),
        ({"dynamics": "sticky_delta"}, r"^dynamics = 'sticky_delta' is not allowed: use sticky_strike or sticky_mon"),
        ({"vol_shift_scaling": "log"}, r"^vol_shift_scaling = 'log' is not allowed: use parallel or sqrt_time"),
    ],
)
def test_bad_axes_and_options_raise_input_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        scenario_grid(BOOK, MARKET, **kwargs)


def test_axes_on_unaligned_buffers_are_taken() -> None:
    """Axes whose memory is not 8-byte aligned (arrays Dask deserializes onto a byte buffer) give
    the grid of the same values, not an error."""
    axes = {"spot_shocks": [-0.05, 0.0, 0.03], "vol_shifts": [-2.0, 4.0], "horizons": [0.0, 2.0]}
    unaligned = {}
    for name, values in axes.items():
        buffer = bytearray(8 * len(values) + 1)
        array = np.frombuffer(buffer, dtype=np.float64, count=len(values), offset=1)
        array[:] = values
        assert not array.flags.aligned
        unaligned[name] = array
    np.testing.assert_array_equal(scenario_grid(BOOK, MARKET, **unaligned).pnl, scenario_grid(BOOK, MARKET, **axes).pnl)


def test_options_accept_enums_and_strings_and_default_axes_are_documented() -> None:
    by_enum = scenario_grid(BOOK, MARKET, dynamics=Dynamics.STICKY_STRIKE, vol_shift_scaling=VolShiftScaling.SQRT_TIME)
    by_name = scenario_grid(BOOK, MARKET, dynamics="sticky_strike", vol_shift_scaling="sqrt_time")
    np.testing.assert_array_equal(by_enum.pnl, by_name.pnl)
    assert by_name.settings == {
        "dynamics": "sticky_strike",
        "vol_shift_scaling": "sqrt_time",
        "spot_vol_link": False,
        "log_beta": MARKET.link.log_beta,
        "vvol_beta": MARKET.link.vvol_beta,
        "as_of": AS_OF.isoformat(),
    }
    np.testing.assert_allclose(by_name.spot_shocks, np.arange(-10, 11, 2) / 100, rtol=0, atol=1e-15)
    assert by_name.vol_shifts.tolist() == [-5.0, 0.0, 5.0, 10.0]
    assert by_name.horizons.tolist() == [0.0, 1.0, 7.0]
    assert by_name.vix_levels is None
    assert by_name.pnl.shape == (11, 4, 3, 1, 4)


@pytest.mark.parametrize("vix_levels", [None, [12.0, 25.0]])
def test_to_frame_has_labelled_axes_in_grid_order(vix_levels: list[float] | None) -> None:
    grid = scenario_grid(BOOK, MARKET, **GRID_AXES, vix_levels=vix_levels, explain=True)
    frame = grid.to_frame()
    axes = ["spot_shock", "vol_shift", "horizon_days"] + (["vix_level"] if vix_levels else [])
    explain = [f"explain_{t}" for t in EXPLAIN_TERMS]
    assert list(frame.columns) == [*axes, *grid.layers, "book", "floored_legs", *explain]
    assert list(grid.axes) == axes
    assert len(frame) == grid.book.size
    for _, row in frame.sample(8, random_state=1).iterrows():
        index = tuple(int(np.flatnonzero(values == row[name])[0]) for name, values in grid.axes.items())
        if vix_levels is None:
            index = (*index, 0)
        assert row[grid.layers].tolist() == grid.pnl[index].tolist()
        assert row["book"] == grid.book[index]
        assert grid.explain is not None
        assert row[[f"explain_{t}" for t in EXPLAIN_TERMS]].tolist() == grid.explain[index].tolist()


def test_worst_is_the_cell_with_the_books_largest_loss() -> None:
    grid = scenario_grid(BOOK, MARKET, **GRID_AXES, vix_levels=[12.0, 30.0], spot_vol_link=True)
    frame = grid.to_frame()
    worst = grid.worst
    row = frame.loc[frame["book"].idxmin()]
    assert worst == {
        "pnl": row["book"],
        "spot_shock": row["spot_shock"],
        "vol_shift": row["vol_shift"],
        "horizon_days": row["horizon_days"],
        "vix_level": row["vix_level"],
    }
    assert worst["pnl"] == grid.book.min() < 0
    assert "vix_level" not in scenario_grid(BOOK, MARKET).worst
    cells = grid.worst_cells(5)
    assert cells[0] == worst and [c["pnl"] for c in cells] == sorted(frame["book"])[:5]
    assert {c["vix_level"] for c in grid.worst_cells(grid.book.size)} == {12.0, 30.0}


def test_hedge_offset_is_the_share_of_the_core_loss_the_hedges_offset_and_nan_where_the_core_does_not_lose() -> None:
    grid = scenario_grid(BOOK, MARKET, **GRID_AXES, spot_vol_link=True)
    core, hedge = grid.layer("core"), grid.pnl[..., 1:].sum(axis=-1)
    offset = grid.hedge_offset
    assert offset.shape == grid.book.shape
    losing = core < 0
    assert losing.any() and (~losing).any()
    assert np.isnan(offset[~losing]).all()
    np.testing.assert_allclose(offset[losing], -hedge[losing] / core[losing], rtol=1e-15)
    assert np.isnan(offset[1, 1, 0, 0])  # the null cell: nothing lost


@pytest.mark.parametrize("name", ["spot_shock", "book", "vix_level", "explain_delta"])
def test_to_frame_refuses_a_layer_named_like_one_of_its_columns(name: str) -> None:
    book = Book.from_layers(
        "clash",
        [
            Layer("core", "core", (Leg("SPXW", JAN_VIX, -1, 5600.0, "put"),)),
            Layer(name, "custom", (Leg("VXM", DEC_VIX, 1),)),
        ],
    )
    grid = scenario_grid(book, MARKET, **GRID_AXES)
    with pytest.raises(InputError, match=rf"^layer '{name}' has the name of a column of the scenario table"):
        grid.to_frame()


def test_layer_names_are_checked() -> None:
    grid = scenario_grid(BOOK, MARKET, **GRID_AXES)
    with pytest.raises(InputError, match=r"no layer 'L9'; layers: core, L1, L2, L3"):
        grid.layer("L9")


# --- threads and memory ----------------------------------------------------------------------------------

THREAD_SCRIPT = """
import json, sys
import numpy as np
import alvh
from alvh.book import Book
from alvh.data import example_market
from alvh.risk.scenarios import scenario_grid
from tests.helpers import random_legs

market = example_market()
n = 4_000
frame = random_legs(market, n, seed=11, layers=["core", "a", "b", "c"],
                    kind_weights=[0.2, 0.4, 0.2, 0.05, 0.05, 0.05, 0.03, 0.02], entry_prices=False)
# each core leg a position of its own; the other layers without a role in the method
book = Book.from_frame(frame.assign(group=[f"leg {i + 1}" for i in range(n)]), roles=dict.fromkeys("abc", "custom"))
axes = dict(spot_shocks=np.linspace(-0.15, 0.1, 8), vol_shifts=[-5.0, 0.0, 3.0, 8.0, 15.0, 30.0],
            horizons=[0.0, 1.0, 9.5, 25.75, 40.0])
one = scenario_grid(book, market, **axes, dynamics="sticky_moneyness", vol_shift_scaling="sqrt_time",
                    spot_vol_link=True, explain=True)
two = scenario_grid(book, market, **axes, vix_levels=[12.0, 30.0], dynamics="sticky_strike")
np.save(sys.argv[1], np.concatenate([one.pnl.ravel(), one.explain.ravel(), two.pnl.ravel()]))
print(json.dumps({"threads": alvh.thread_count(), "legs": n, "scenarios": [one.book.size, two.book.size]}))
"""


def run_script(script: str, *args: str, **env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_grid_is_bit_identical_for_any_thread_count(tmp_path: Path) -> None:
    info1 = run_script(THREAD_SCRIPT, str(tmp_path / "one.npy"), ALVH_NUM_THREADS="1")
    info3 = run_script(THREAD_SCRIPT, str(tmp_path / "three.npy"), ALVH_NUM_THREADS="3")
    assert (info1["threads"], info3["threads"]) == (1, 3)
    assert info1["legs"] >= 4_000 and min(info1["scenarios"]) >= 240
    one, three = np.load(tmp_path / "one.npy"), np.load(tmp_path / "three.npy")
    assert np.isfinite(one).all() and np.abs(one).max() > 0
    assert one.tobytes() == three.tobytes()


MEMORY_SCRIPT = """
import json, resource
import numpy as np, pandas as pd
from alvh.book import Book
from alvh.data import example_market
from alvh.risk import ValuationCache
from alvh.risk.scenarios import scenario_grid

market = example_market()
rng = np.random.default_rng(3)
n = 20_000
spx = [s.expiry for s in market.spx.smiles]
vix = [f.expiry for f in market.vix.futures]
kind = rng.choice(["SPXW", "VIX", "VXM"], n, p=[0.8, 0.15, 0.05])
expiry = np.where(kind == "SPXW", np.array(spx, dtype=object)[rng.integers(0, len(spx), n)],
                  np.array(vix, dtype=object)[rng.integers(0, len(vix), n)])
strike = np.where(kind == "VIX", rng.integers(12, 40, n), 5.0 * rng.integers(1000, 1300, n)).astype(float)
strike[kind == "VXM"] = np.nan
right = np.where(rng.random(n) < 0.5, "call", "put").astype(object)
right[kind == "VXM"] = None
frame = pd.DataFrame({"layer": rng.choice(["core", "h1", "h2"], n), "instrument": kind, "expiry": expiry,
                      "right": right, "strike": strike,
                      "quantity": rng.integers(1, 20, n) * np.where(rng.random(n) < 0.5, -1.0, 1.0),
                      "group": [f"leg {i + 1}" for i in range(n)]})
book = Book.from_frame(frame, roles={"h1": "custom", "h2": "custom"})
axes = dict(spot_shocks=np.linspace(-0.2, 0.2, 20), vol_shifts=np.linspace(-5, 15, 10), horizons=np.arange(10.0))
cache = ValuationCache()  # the warm-up works out the leg arrays (and starts the threads) once
scenario_grid(book, market, spot_shocks=[0.0], vol_shifts=[0.0], horizons=[0.0], cache=cache)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
grid = scenario_grid(book, market, **axes, explain=True, cache=cache)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"legs": n, "scenarios": grid.book.size, "growth_bytes": (after - before) * 1024,
                  "finite": bool(np.isfinite(grid.pnl).all())}))
"""


def test_memory_stays_bounded_on_a_large_grid() -> None:
    """20k legs × 2k scenarios: a legs × scenarios array would be 320 MB; peak RSS grows by far less."""
    info = run_script(MEMORY_SCRIPT)
    assert info["finite"]
    assert info["legs"] * info["scenarios"] >= 40_000_000
    assert info["growth_bytes"] < info["legs"] * info["scenarios"] * 8 / 20  # < 16 MB of the 320 MB


# --- floors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_the_grid_says_where_vols_and_vix_were_floored(dynamics: str) -> None:
    """A −30-point shift takes the short-dated SPX vols below 0 and VIX (16) below its floor: the
    grid counts, per scenario, the legs valued on a floored input, and shows it in its table."""
    grid = scenario_grid(
        BOOK, MARKET, spot_shocks=[0.0], vol_shifts=[-30.0, -5.0, 0.0], horizons=[0], dynamics=dynamics
    )
    assert grid.floored_legs.shape == (1, 3, 1, 1) and grid.floored_legs.dtype == np.uint32
    floored, mild, none = grid.floored_legs[0, :, 0, 0]
    assert floored > 0 and mild == 0 and none == 0
    assert grid.floored_scenarios == 1
    assert grid.to_frame()["floored_legs"].tolist() == [floored, 0, 0]


def test_sticky_strike_floors_are_the_legs_whose_vol_plus_shift_is_negative() -> None:
    """Sticky strike, parallel: an SPX leg floors exactly where its vol + shift < 0; every VIX leg
    where VIX + shift < 0.01."""
    arrays = leg_arrays(BOOK, MARKET)
    spx = arrays["kind"] == LegKind.SPX_OPTION
    shifts = [-40.0, -25.0, -15.9, -10.0]
    grid = scenario_grid(BOOK, MARKET, spot_shocks=[0.0], vol_shifts=shifts, horizons=[0], dynamics="sticky_strike")
    for j, shift in enumerate(shifts):
        expected = int(np.count_nonzero(spx & (arrays["vol"] + shift / 100 < 0)))
        expected += int(np.count_nonzero(~spx)) if VIX + shift < 0.01 else 0
        assert grid.floored_legs[0, j, 0, 0] == expected, shift
