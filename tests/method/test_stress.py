"""The stress scenario set (docs/method.md, Stress-budgeted sizing): the book's and each hedge unit's
P&L in R-STRESS's grid and presets (the book's once per cache), checked against a
scenario grid of each unit alone and against :func:`alvh.risk.stress_test` (which values the presets
with the spot–vol link off)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alvh import _core
from alvh.book import Book, Layer, Leg, Role
from alvh.method.hedging import hedge_candidates
from alvh.method.rules import RuleId
from alvh.method.state import BookState, DecisionInputs
from alvh.method.stress import StressScenarios, stress_scenarios
from alvh.risk.cache import ValuationCache
from alvh.risk.scenarios import scenario_grid
from alvh.risk.stresses import stress_test
from tests.method.decision_cases import BOOK, MARKET, RULES, add_l1_spreads

STRESS = RULES.with_overrides({RuleId.STRESS: {"enabled": True}}).stress
HELD = add_l1_spreads(BOOK, 20.0)
"""The example book with 20 more L1 call spreads: the candidates include the L1 held, to sell."""


def _units() -> list[tuple[str, tuple[Leg, ...]]]:
    state = BookState(HELD, DecisionInputs(MARKET, RULES, ValuationCache()))
    return [(c.name, c.legs) for c in hedge_candidates(state, allow_selling=True, new_l1=True)]


UNITS = _units()


def _alone(legs: tuple[Leg, ...]) -> Book:
    return Book.from_layers("unit", [Layer("unit", Role.CUSTOM, legs)])


def _grid_cells(book: Book) -> np.ndarray:
    """The book's P&L on R-STRESS's grid, in (spot, vol, horizon) order, from its own engine call."""
    grid = scenario_grid(
        book,
        MARKET,
        spot_shocks=STRESS.spot_shocks,
        vol_shifts=STRESS.vol_shifts,
        horizons=STRESS.horizons,
        vol_shift_scaling="sqrt_time",
        spot_vol_link=True,
    )
    return grid.book.reshape(-1)


def test_scenarios_are_the_grid_then_the_presets() -> None:
    scenarios = stress_scenarios(BOOK, MARKET, STRESS)
    grid = list(itertools.product(STRESS.spot_shocks, STRESS.vol_shifts, STRESS.horizons))
    assert len(scenarios.labels) == len(grid) + len(STRESS.presets) == 6 * 3 * 2 + 5
    assert scenarios.labels[0] == "spot -10%, vol +0 pts, 1 day(s)"
    assert scenarios.labels[len(grid) :] == tuple(f"{name} stress" for name in STRESS.presets)
    assert scenarios.units.shape == (len(scenarios.labels), 0)


def test_book_pnl_is_the_grid_and_the_presets_stress_test() -> None:
    scenarios = stress_scenarios(BOOK, MARKET, STRESS)
    n = len(scenarios.labels) - len(STRESS.presets)
    np.testing.assert_allclose(scenarios.book[:n], _grid_cells(BOOK), rtol=1e-12, atol=1e-6)
    presets = [stress_test(BOOK, MARKET, name).book for name in STRESS.presets]
    # the preset through the link (VIX·((1+s)^β − 1)) plus a shift, against VIX at its ratio alone
    np.testing.assert_allclose(scenarios.book[n:], presets, rtol=1e-9)


def test_each_units_pnl_matches_a_scenario_grid_of_that_unit_alone() -> None:
    assert {"held L1-added"} <= {name for name, _ in UNITS}  # buys and sells: futures, new L1, held L1
    scenarios = stress_scenarios(HELD, MARKET, STRESS, [legs for _, legs in UNITS])
    n = len(scenarios.labels) - len(STRESS.presets)
    assert scenarios.units.shape == (len(scenarios.labels), len(UNITS))
    for j, (name, legs) in enumerate(UNITS):
        alone = _alone(legs)
        np.testing.assert_allclose(scenarios.units[:n, j], _grid_cells(alone), rtol=1e-12, atol=1e-6, err_msg=name)
        presets = [stress_test(alone, MARKET, preset).book for preset in STRESS.presets]
        np.testing.assert_allclose(scenarios.units[n:, j], presets, rtol=1e-9, atol=1e-6, err_msg=name)
    # the units do not change the book's own P&L
    np.testing.assert_allclose(scenarios.book, stress_scenarios(HELD, MARKET, STRESS).book, rtol=1e-12)


def test_the_books_pnl_is_computed_once_per_cache_and_the_units_in_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    engine = _core.scenario_pnl

    def counted(*args: object) -> object:
        calls.append(args)
        return engine(*args)

    monkeypatch.setattr(_core, "scenario_pnl", counted)
    cache = ValuationCache()
    alone = stress_scenarios(HELD, MARKET, STRESS, cache=cache)
    assert len(calls) == 1
    with_units = stress_scenarios(HELD, MARKET, STRESS, [legs for _, legs in UNITS], cache=cache)
    assert len(calls) == 2  # the units only: the book's P&L comes from the cache
    np.testing.assert_array_equal(with_units.book, alone.book)
    # bit for bit what the book gives without a cache, and read-only where it is shared
    np.testing.assert_array_equal(alone.book, stress_scenarios(HELD, MARKET, STRESS).book)
    assert not alone.book.flags.writeable
    other = add_l1_spreads(HELD, 1.0)
    stress_scenarios(other, MARKET, STRESS, cache=cache)
    assert len(calls) == 4  # another book is valued afresh


def test_worst_and_pnl_with_units() -> None:
    scenarios = StressScenarios(("a", "b", "c"), np.array([-5.0, -9.0, 1.0]), np.array([[1.0], [3.0], [-2.0]]))
    assert scenarios.worst_with() == ("b", -9.0)
    assert scenarios.worst_with(np.array([3.0])) == ("c", -5.0)
    assert scenarios.worst_with(np.array([2.0])) == ("a", -3.0)  # a three-way tie: the first
    np.testing.assert_array_equal(scenarios.pnl_with(np.array([1.0])), [-4.0, -6.0, -1.0])
