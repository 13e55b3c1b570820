"""The stress-budgeted MILP (docs/method.md, Stress-budgeted sizing) against brute force: on small
random candidate sets every integer mix is tried, and the solver's answer meets every scenario floor,
the budget, the vega cap and the family rule, and costs no more than any feasible mix (or, when none
meets the floors, keeps no more shortfall than the least, within the tolerance); trims sell only and
release the most premium; bad inputs are named."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.exceptions import InputError
from alvh.method.sizing import HedgeCandidate
from alvh.method.stress import StressScenarios
from alvh.method.stress_sizing import Shortfall, StressSizing, size_for_stress


@dataclass(frozen=True)
class Case:
    """A random program. Integer data: sums are exact, so no floor is met or missed by rounding."""

    candidates: list[HedgeCandidate]
    scenarios: StressScenarios
    floor: float
    budget: float
    held: float
    vega_now: float
    vega_cap: float


@st.composite
def cases(draw: st.DrawFn) -> Case:
    k = draw(st.integers(2, 4))
    n = draw(st.integers(1, 6))
    integer = st.integers(-60, 60).map(float)
    candidates = []
    for i in range(k):
        low, high = draw(st.integers(-3, 0)), draw(st.integers(0, 3))
        candidates.append(
            HedgeCandidate(
                f"c{i}",
                "L",
                (),
                spx_delta=0.0,
                spx_vega=draw(integer),
                cost=draw(st.integers(0, 40).map(float)),
                trade_cost=draw(st.integers(0, 15).map(float)),
                min_units=low,
                max_units=high,
                family=draw(st.sampled_from([None, "f"])),
            )
        )
    pnl = np.array([[draw(integer) for _ in range(k)] for _ in range(n)])
    book = np.array([draw(st.integers(-150, 30).map(float)) for _ in range(n)])
    scenarios = StressScenarios(tuple(f"s{j}" for j in range(n)), book, pnl)
    vega_now = draw(integer)
    return Case(
        candidates,
        scenarios,
        floor=float(draw(st.integers(-100, 0))),
        budget=float(draw(st.integers(0, 200))),
        held=float(draw(st.integers(0, 60))),
        vega_now=vega_now,
        vega_cap=vega_now + draw(st.integers(-20, 150)),
    )


def _mixes(case: Case) -> list[np.ndarray]:
    """Every integer mix within the bounds, the budget, the vega cap and the family rule (one
    direction per family)."""
    c = case.candidates
    ranges = [range(x.min_units, x.max_units + 1) for x in c]
    premium, cost, vega = (np.array([getattr(x, a) for x in c]) for a in ("cost", "trade_cost", "spx_vega"))
    mixes = []
    for units in itertools.product(*ranges):
        x = np.array(units, dtype=float)
        family = [u for u, cand in zip(units, c, strict=True) if cand.family == "f" and u]
        if family and min(family) < 0 < max(family):
            continue
        if case.held + premium @ x + cost @ np.abs(x) > case.budget:
            continue
        if case.vega_now + vega @ x > max(case.vega_cap, case.vega_now):
            continue
        mixes.append(x)
    return mixes


def _size(case: Case, *, shortfall: Shortfall = "worst", tolerance: float = 0.0, trim: bool = False) -> StressSizing:
    return size_for_stress(
        case.candidates,
        case.scenarios,
        floor=case.floor,
        budget=case.budget,
        held_premium=case.held,
        vega=(case.vega_now, case.vega_cap),
        shortfall=shortfall,
        tolerance=tolerance,
        trim=trim,
    )


def _units(case: Case, units: dict[str, int]) -> np.ndarray:
    return np.array([units.get(c.name, 0) for c in case.candidates], dtype=float)


def _check_bounds(case: Case, x: np.ndarray) -> None:
    """The answer is one of the allowed mixes (budget, cap, family rule, bounds)."""
    assert any(np.array_equal(x, mix) for mix in _mixes(case)), x


@given(cases())
def test_limit_met_at_least_cost_or_reported_unreachable(case: Case) -> None:
    result = _size(case)
    mixes = _mixes(case)
    cost = np.array([c.trade_cost for c in case.candidates])
    meeting = [x for x in mixes if (case.scenarios.pnl_with(x) >= case.floor).all()]
    if not mixes:  # not even the book as it is fits the budget and cap
        assert not result.feasible and not result.units
        return
    assert result.feasible
    x = _units(case, result.units)
    _check_bounds(case, x)
    if not meeting:
        assert not result.within_limit
        return
    assert result.within_limit
    assert (case.scenarios.pnl_with(x) >= case.floor).all()
    assert result.cost == pytest.approx(cost @ np.abs(x))
    assert result.cost <= min(cost @ np.abs(m) for m in meeting) + 1e-9


@given(cases(), st.sampled_from(["worst", "mean"]), st.sampled_from([0.0, 5.0]))
def test_unreachable_limit_keeps_the_least_shortfall(case: Case, shortfall: Shortfall, tolerance: float) -> None:
    result = _size(case, shortfall=shortfall, tolerance=tolerance)
    mixes = _mixes(case)
    if not mixes or any((case.scenarios.pnl_with(m) >= case.floor).all() for m in mixes):
        return  # the floors can be met: the previous test's case

    def measure(x: np.ndarray) -> float:
        below = np.maximum(case.floor - case.scenarios.pnl_with(x), 0.0)
        return float(below.max() if shortfall == "worst" else below.mean())

    x = _units(case, result.units)
    _check_bounds(case, x)
    least = min(measure(m) for m in mixes)
    assert result.shortfall == pytest.approx(measure(x))
    assert measure(x) <= least + tolerance + 1e-6
    # and no mix that is as good costs less
    cost = np.array([c.trade_cost for c in case.candidates])
    as_good = [m for m in mixes if measure(m) <= least + tolerance - 1e-6]
    if as_good:
        assert cost @ np.abs(x) <= min(cost @ np.abs(m) for m in as_good) + 1e-9


@given(cases())
def test_trim_sells_only_keeps_the_floor_and_releases_the_most(case: Case) -> None:
    ok = case.scenarios.book >= case.floor
    if not ok.all():
        return  # a trim is asked for only when the book is inside the floor
    result = _size(case, trim=True)
    x = _units(case, result.units)
    assert (x <= 0).all() and (case.scenarios.pnl_with(x) >= case.floor).all()
    net = np.array([c.trade_cost - c.cost for c in case.candidates])  # per unit sold
    sells = [
        -np.array(m, dtype=float)
        for m in itertools.product(*[range(c.min_units, 1) for c in case.candidates])
        if (case.scenarios.pnl_with(np.array(m, dtype=float)) >= case.floor).all()
        and case.vega_now + np.array([c.spx_vega for c in case.candidates]) @ np.array(m, dtype=float)
        <= max(case.vega_cap, case.vega_now)
    ]
    assert net @ -x <= min(net @ s for s in sells) + 1e-9


def _two(**second: object) -> list[HedgeCandidate]:
    return [
        HedgeCandidate("big", "L2", (), 0.0, 10.0, 0.0, trade_cost=26.0, min_units=-5, max_units=5, family="VX"),
        HedgeCandidate("small", "L2", (), 0.0, 1.0, 0.0, trade_cost=3.5, min_units=-50, max_units=50, family="VX"),
    ]


def test_a_family_is_never_bought_and_sold_at_once() -> None:
    # two scenarios that ask for exactly 9 small-equivalents (10·big + small = 9): 1 big − 1 small
    # costs 29.5, 9 small 31.5; the family rule forbids the former
    scenarios = StressScenarios(("up", "down"), np.array([-100.0, -82.0]), np.array([[10.0, 1.0], [-10.0, -1.0]]))
    result = size_for_stress(_two(), scenarios, floor=-91.0, budget=1e6)
    assert result.units == {"small": 9} and result.cost == pytest.approx(31.5)


def test_delta_band_is_kept_and_widened_to_delta_now() -> None:
    candidates = [HedgeCandidate("future", "L2", (), -100.0, 10.0, 0.0, trade_cost=1.0, max_units=10)]
    scenarios = StressScenarios(("s",), np.array([-100.0]), np.array([[10.0]]))
    # each future takes delta down 100: from 0 within ±250, at most 2 (the floor asks for 5)
    kept = size_for_stress(candidates, scenarios, floor=-50.0, budget=1e6, delta=(0.0, -250.0, 250.0))
    assert kept.units == {"future": 2} and not kept.within_limit
    # from 900, outside the band, the trade may bring it down but not below the band
    down = size_for_stress(candidates, scenarios, floor=-50.0, budget=1e6, delta=(900.0, -250.0, 250.0))
    assert down.units == {"future": 5} and down.within_limit


def test_budget_already_spent_is_infeasible() -> None:
    scenarios = StressScenarios(("s",), np.array([-100.0]), np.array([[10.0, 1.0]]))
    result = size_for_stress(_two(), scenarios, floor=-50.0, budget=100.0, held_premium=150.0)
    assert not result.feasible and result.units == {} and "budget" in result.message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shortfall": "median"}, "shortfall = 'median' is not allowed: use 'worst' or 'mean'"),
        ({"tolerance": -1.0}, "tolerance >= 0"),
        ({"floor": float("nan")}, "must be finite"),
    ],
)
def test_bad_inputs_are_named(kwargs: dict[str, object], message: str) -> None:
    scenarios = StressScenarios(("s",), np.array([-100.0]), np.array([[10.0, 1.0]]))
    arguments: dict[str, object] = {"floor": -50.0, "budget": 100.0, **kwargs}
    with pytest.raises(InputError, match=message):
        size_for_stress(_two(), scenarios, **arguments)  # type: ignore[arg-type]


def test_one_column_per_candidate() -> None:
    scenarios = StressScenarios(("s",), np.array([-100.0]), np.array([[10.0]]))
    with pytest.raises(InputError, match=r"shape \(1, 1\): need one row per scenario \(1\) and one column per"):
        size_for_stress(_two(), scenarios, floor=-50.0, budget=100.0)


def test_a_trim_sells_held_futures_for_the_roll_down_they_would_lose() -> None:
    """Held futures carry no premium to release, but in contango each loses its roll-down while held:
    a trim sells them down as far as the floor allows (before, the trim valued only premium and
    never sold a future)."""
    future = HedgeCandidate(
        "future", "L2", (), 0.0, 10.0, 0.0, trade_cost=3.5, roll_down=30.0, min_units=-5, max_units=0
    )
    scenarios = StressScenarios(("down",), np.array([-40.0]), np.array([[10.0]]))  # the book holds 5 already
    result = size_for_stress([future], scenarios, floor=-60.0, budget=1e6, trim=True)
    assert result.units == {"future": -2}  # -40 - 2·10 = -60: the floor
    flat = replace(future, roll_down=0.0)
    assert size_for_stress([flat], scenarios, floor=-60.0, budget=1e6, trim=True).units == {}
