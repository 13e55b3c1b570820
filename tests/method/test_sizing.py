"""Hedge sizing (docs/method.md, Bands and sizing): the MILP of :func:`alvh.method.sizing.size_hedges`
against a brute-force enumeration over a small box of integer units — at least dollar cost (or
contracts) inside the target band, or as close to it as the hard limits allow —, its reports (units,
delta and vega after, contracts, cost), and infeasible limits reported rather than forced."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.book import Leg
from alvh.exceptions import InputError
from alvh.method.rules import RuleId
from alvh.method.sizing import HedgeCandidate, SizingResult, closest_gap, size_hedges

EXPIRY = dt.date(2026, 12, 16)


def _legs(contracts: int) -> tuple[Leg, ...]:
    """``contracts`` legs of one contract each (the solver only counts them)."""
    return tuple(Leg("VXM", EXPIRY, 1.0 if i % 2 == 0 else -1.0, entry_price=17.0) for i in range(contracts))


def _candidate(
    name: str,
    delta: float,
    vega: float,
    *,
    contracts: int = 1,
    min_units: int = 0,
    max_units: int = 1000,
    layer: str = "L2",
    family: str | None = None,
    trade_cost: float | None = None,
    roll_down: float = 0.0,
) -> HedgeCandidate:
    return HedgeCandidate(
        name,
        layer,
        _legs(contracts),
        delta,
        vega,
        0.0,
        trade_cost=3.5 * contracts if trade_cost is None else trade_cost,
        roll_down=roll_down,
        min_units=min_units,
        max_units=max_units,
        family=family,
    )


# VIX futures per contract at the example market (SPX-equivalent; VX = 10 x VXM), with the default
# costs: $1 commission + half a 0.05 tick (VXM $2.50, VX $25), a VIX option $1 + $5
VXM = _candidate("VXM", -0.6375, 47.01, min_units=-1000, trade_cost=3.5)
VX = _candidate("VX", -6.375, 470.1, min_units=-100, trade_cost=26.0)
SPREAD = _candidate("call spread", -0.193, 14.25, contracts=2, layer="L1", trade_cost=12.0)


# --- the brute-force oracle ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    candidates: list[HedgeCandidate]
    spx_delta: float
    hedge_vega: float
    core_vega: float
    condor_units: float
    delta_band: float
    share_band: tuple[float, float]
    share_tolerance: float
    objective: str = "dollars"

    def solve(self) -> SizingResult:
        return size_hedges(
            self.candidates,
            spx_delta=self.spx_delta,
            hedge_vega=self.hedge_vega,
            core_vega=self.core_vega,
            condor_units=self.condor_units,
            delta_band=self.delta_band,
            share_band=self.share_band,
            share_tolerance=self.share_tolerance,
            objective=self.objective,  # type: ignore[arg-type]
        )

    def enumerate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every integer point of the box (units, delta after, hedge vega after)."""
        ranges = [range(c.min_units, c.max_units + 1) for c in self.candidates]
        units = np.array(list(itertools.product(*ranges)), dtype=float)
        d = np.array([c.spx_delta for c in self.candidates])
        v = np.array([c.spx_vega for c in self.candidates])
        return units, self.spx_delta + units @ d, self.hedge_vega + units @ v

    def cost(self, units: np.ndarray) -> np.ndarray:
        """What each point costs: dollars (the roll-down only on the side that pays it) or contracts."""
        if self.objective == "contracts":
            return np.abs(units) @ np.array([c.contracts for c in self.candidates], dtype=float)
        trade = np.array([c.trade_cost for c in self.candidates])
        roll = np.array([c.roll_down for c in self.candidates])
        return np.maximum(units, 0) @ (trade + np.maximum(roll, 0)) + np.maximum(-units, 0) @ (
            trade + np.maximum(-roll, 0)
        )

    def feasible(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The box's points that meet the delta band and one direction per family: (mask, units,
        how far hedge vega is outside the share band)."""
        units, delta, vega = self.enumerate()
        core = abs(self.core_vega)
        mask = np.abs(delta) <= self.delta_band * 100 * self.condor_units + 1e-9
        for family in {c.family for c in self.candidates} - {None}:
            members = units[:, [c.family == family for c in self.candidates]]
            mask &= ~((members > 0).any(axis=1) & (members < 0).any(axis=1))  # one direction per family
        low, high = self.share_band
        outside = np.maximum(np.maximum(low * core - vega, vega - high * core), 0.0)
        return mask, units, outside

    def best_distance(self) -> float:
        mask, _, outside = self.feasible()
        return float(outside[mask].min())

    def oracle(self, gave_way: float | None = None) -> float:
        """The least cost among the feasible points inside the band (if any lies there), else among
        those within the tolerance of ``gave_way``, the distance to the band the solver settled on
        (default: the least distance)."""
        feasible, units, outside = self.feasible()
        gave_way = self.best_distance() if gave_way is None else gave_way
        core = abs(self.core_vega)
        inside = feasible & (outside == 0)
        low, high = self.share_band
        if low < high and inside.any():
            allowed = inside
        else:
            allowed = feasible & (outside <= gave_way + self.share_tolerance * core + 1e-9)
        return float(self.cost(units)[allowed].min())

    def check(self, result: SizingResult) -> None:
        """``result`` lies in the box, meets the delta band, and its numbers are its units'."""
        units = np.array([result.units.get(c.name, 0) for c in self.candidates], dtype=float)
        assert set(result.units) <= {c.name for c in self.candidates}
        assert all(isinstance(u, int) and u != 0 for u in result.units.values())
        for c, u in zip(self.candidates, units, strict=True):
            assert c.min_units <= u <= c.max_units
        delta = self.spx_delta + sum(u * c.spx_delta for c, u in zip(self.candidates, units, strict=True))
        vega = self.hedge_vega + sum(u * c.spx_vega for c, u in zip(self.candidates, units, strict=True))
        core = abs(self.core_vega)
        assert abs(delta) <= self.delta_band * 100 * self.condor_units + 1e-9
        assert result.delta_per_condor == pytest.approx(delta / (100 * self.condor_units), abs=1e-12)
        assert result.hedge_share == pytest.approx(vega / core, abs=1e-12)
        assert result.numbers["delta_after"] == pytest.approx(delta, abs=1e-9)
        assert result.numbers["hedge_vega_after"] == pytest.approx(vega, abs=1e-9)
        assert result.contracts == int(np.abs(units) @ np.array([c.contracts for c in self.candidates]))
        dollars = Problem(**{**self.__dict__, "objective": "dollars"}).cost(units[None, :])[0]
        assert result.cost == pytest.approx(dollars, abs=1e-9)


# --- small hand-made cases ------------------------------------------------------------------------

BOXED = [
    _candidate("VXM", -0.6375, 47.01, min_units=-20, max_units=20, trade_cost=3.5),
    _candidate("VX", -6.375, 470.1, min_units=-5, max_units=5, trade_cost=26.0),
    _candidate("call spread", -0.193, 14.25, contracts=2, max_units=100, layer="L1", trade_cost=12.0),
]
"""The example book's hedge instruments in a box small enough to enumerate."""


def test_a_breach_is_traded_to_the_target_bands_edge_at_least_cost() -> None:
    """The example book's numbers (core -4,591 $/vol pt on 30 condors, hedges at 21 %): the hedge
    stops at the 45 % edge of the 45-55 % target band, not at its centre, at the least cost of the box."""
    problem = Problem(BOXED, -117.7, 961.0, -4591.0, 30, 0.15, (0.45, 0.55), 0.01)
    result = problem.solve()
    assert result.feasible and result.gave_way == 0.0
    problem.check(result)
    assert 0.45 <= result.hedge_share < 0.45 + 47.01 / 4591.0  # within one VXM of the edge
    assert result.cost == pytest.approx(problem.oracle())
    assert result.message.startswith(f"{result.contracts} contract(s), {result.cost:,.0f} $ to trade")


def test_the_centre_is_today_s_engine_closest_to_the_target() -> None:
    """``lo == hi``: as close to 50 % as integers get (within the tolerance), then the cheapest."""
    problem = Problem(BOXED, -117.7, 961.0, -4591.0, 30, 0.15, (0.5, 0.5), 0.01)
    result = problem.solve()
    problem.check(result)
    assert abs(result.hedge_share - 0.5) <= problem.best_distance() / 4591.0 + 0.01 + 1e-9
    assert result.cost == pytest.approx(problem.oracle())


def test_dollars_and_contracts_choose_differently() -> None:
    """Vega 400 from a cheap many-contract spread (10 contracts, $20) or a dear single future ($40):
    dollars buy the spread, contracts the future."""
    spread = _candidate("spread", 0.0, 400.0, contracts=10, max_units=3, trade_cost=20.0)
    future = _candidate("future", 0.0, 400.0, contracts=1, max_units=3, trade_cost=40.0)
    for objective, bought in (("dollars", "spread"), ("contracts", "future")):
        problem = Problem([spread, future], 0.0, 0.0, -1000.0, 1, np.inf, (0.35, 0.45), 0.0, objective)
        result = problem.solve()
        problem.check(result)
        assert result.units == {bought: 1}
        assert problem.cost(np.array([[result.units.get("spread", 0), result.units.get("future", 0)]]))[0] == (
            problem.oracle()
        )


def test_roll_down_is_a_cost_of_the_side_that_pays_it() -> None:
    """A future in contango loses its roll-down held long: buying it costs $3.5 + $30, selling it $3.5.
    To lift hedge vega a spread ($12) beats the future; to lower it, selling the future is cheaper."""
    future = _candidate("future", 0.0, 50.0, min_units=-5, max_units=5, trade_cost=3.5, roll_down=30.0)
    spread = _candidate("spread", 0.0, 50.0, contracts=2, min_units=-5, max_units=5, trade_cost=12.0)
    up = Problem([future, spread], 0.0, 400.0, -1000.0, 1, np.inf, (0.45, 0.55), 0.0).solve()
    assert up.units == {"spread": 1} and up.cost == 12.0
    down = Problem([future, spread], 0.0, 600.0, -1000.0, 1, np.inf, (0.45, 0.55), 0.0).solve()
    assert down.units == {"future": -1} and down.cost == 3.5


def test_futures_of_one_family_are_traded_in_one_direction() -> None:
    """Seventeen VXM of exposure at contracts: as separate instruments, 2 VX - 3 VXM (5 contracts)
    beats 1 VX + 7 VXM (8); as one family (the same future), buying one while selling the other is
    not allowed, so 1 VX + 7 VXM."""
    for family, expected in ((None, {"VXM": -3, "VX": 2}), ("VX Dec", {"VXM": 7, "VX": 1})):
        vxm = _candidate("VXM", -1.0, 10.0, min_units=-30, max_units=30, family=family)
        vx = _candidate("VX", -10.0, 100.0, min_units=-5, max_units=5, family=family)
        problem = Problem([vxm, vx], 0.0, 330.0, -1000.0, 1, 1.0, (0.5, 0.5), 0.0, "contracts")
        result = problem.solve()
        problem.check(result)
        assert result.hedge_share == pytest.approx(0.5)
        assert result.units == expected
        assert result.contracts == sum(abs(u) for u in expected.values()) == problem.oracle()


def test_delta_band_brought_in_with_futures() -> None:
    """Delta +0.20 per condor on 10 condors (+200 shares): buying VIX futures is short SPX delta, so
    buy enough to come inside ±0.15 (at least 50/6.375 = 8 VX of exposure), at least cost."""
    problem = Problem([VXM, VX], 200.0, 1000.0, -1000.0, 10, 0.15, (-np.inf, np.inf), 0.01)
    result = problem.solve()
    assert result.feasible
    problem.check(result)
    assert abs(result.delta_per_condor) <= 0.15
    assert result.numbers["delta_before"] == 200.0


def test_a_blocked_band_gives_way_only_as_far_as_it_must() -> None:
    """Hedges at -400 % of core (a short VIX-futures book) and delta at the band's edge: the futures
    that would lift vega also push delta out, so the band cannot be met; vega still moves toward it
    as far as delta allows, and ``gave_way`` says how far short it stays."""
    futures = [_candidate("VXM", -1.0, 10.0, min_units=-50, max_units=50, family="f")]
    problem = Problem(futures, -130.0, -4000.0, -1000.0, 10, 0.15, (0.45, 0.55), 0.0)
    result = problem.solve()
    problem.check(result)
    assert result.units == {"VXM": 20}  # delta -130 -> -150: the band's edge
    assert result.gave_way == pytest.approx((0.45 * 1000 - (-4000 + 200)) / 1000)
    assert result.hedge_share == pytest.approx(-3.8)


def test_trim_sells_within_min_units() -> None:
    held = _candidate("held spread", -0.2, 15.0, contracts=2, min_units=-100, max_units=0, layer="L1")
    problem = Problem([held], -10.0, 1350.0, -1500.0, 10, 0.15, (0.45, 0.55), 0.01)
    result = problem.solve()
    problem.check(result)
    assert result.units["held spread"] < 0 and result.hedge_share <= 0.55
    assert result.cost == problem.oracle()


def test_sleeve_bounds_are_kept() -> None:
    """An L1 sleeve that must gain 600 forces spreads; one no mix can meet is dropped with a note."""
    candidates = [VXM, VX, SPREAD]
    problem = Problem(candidates, -117.7, 961.0, -4591.0, 30, 0.15, (0.45, 0.55), 0.01)
    kwargs = {
        "spx_delta": problem.spx_delta,
        "hedge_vega": problem.hedge_vega,
        "core_vega": problem.core_vega,
        "condor_units": problem.condor_units,
        "share_band": problem.share_band,
    }
    l1 = np.array([c.layer == "L1" for c in candidates])
    result = size_hedges(candidates, **kwargs, sleeves={"L1": (l1, 570.0, 1170.0, 1500.0)})
    problem.check(result)
    assert 1170.0 <= 570.0 + result.units.get("call spread", 0) * SPREAD.spx_vega <= 1500.0
    assert "sleeve" not in result.message
    dropped = size_hedges(candidates, **kwargs, sleeves={"L1": (l1, 570.0, 100000.0, 100001.0)})
    assert dropped.feasible
    assert f"sleeve targets of {RuleId.SLEEVE_VEGA.value} could not all be met" in dropped.message
    problem.check(dropped)


def test_caps_always_hold() -> None:
    """A cap on the futures' vega (R-DELTA's on the VIX futures) is kept even if the band is missed."""
    futures = np.array([True, True, False])
    capped = size_hedges(
        [VXM, VX, SPREAD], spx_delta=0.0, hedge_vega=0.0, core_vega=-4000.0, condor_units=30,
        share_band=(0.45, 0.55), caps={"VIX futures": (futures, 0.0, -400.0, 400.0)},
    )  # fmt: skip
    vega = capped.units.get("VXM", 0) * VXM.spx_vega + capped.units.get("VX", 0) * VX.spx_vega
    assert capped.feasible and abs(vega) <= 400.0
    assert 0.45 <= capped.hedge_share <= 0.55  # the spreads carry the rest


# --- infeasible limits are reported -----------------------------------------------------------------


def test_impossible_delta_band_is_reported_infeasible() -> None:
    """Integer VIX futures move delta in steps of 0.6375: a band of +-0.0001 per condor around a
    delta that is not on that grid cannot be met."""
    result = size_hedges([VXM, VX], spx_delta=100.3, hedge_vega=0.0, core_vega=-1000.0, condor_units=1, delta_band=1e-4)
    assert not result.feasible
    assert result.units == {} and result.contracts == 0
    assert (
        result.message.startswith("infeasible") and "VXM, VX" in result.message and "inside ±0.0001" in result.message
    )
    assert result.delta_per_condor == pytest.approx(100.3 / 100)  # the numbers before, unchanged


def test_no_candidates_or_no_core() -> None:
    kwargs = {"spx_delta": 0.0, "hedge_vega": 0.0, "core_vega": -1000.0, "condor_units": 10}
    assert not size_hedges([], **kwargs).feasible
    assert "no hedge instruments" in size_hedges([], **kwargs).message
    for missing in ({"core_vega": 0.0}, {"condor_units": 0}):
        result = size_hedges([VXM, VX], **{**kwargs, **missing})
        assert not result.feasible
        assert "no core condors" in result.message


# --- property: the MILP equals brute force ---------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """Integer deltas, vegas and costs, half-integer bounds: no point sits on a bound, so the
    oracle's answer does not depend on the solver's tolerances."""
    k = draw(st.integers(2, 3))
    families = draw(st.lists(st.sampled_from([None, "f"]), min_size=k, max_size=k))
    candidates = []
    for i in range(k):
        low = draw(st.integers(-4, 0))
        candidates.append(
            _candidate(
                f"c{i}",
                draw(st.integers(-20, 20)),
                draw(st.integers(-60, 60)),
                contracts=draw(st.integers(1, 2)),
                min_units=low,
                max_units=draw(st.integers(max(low, 0), 6)),
                family=families[i],
                trade_cost=float(draw(st.integers(1, 12))),
                roll_down=float(draw(st.integers(-4, 4))),
            )
        )
    core = 1000.0
    lo = draw(st.integers(0, 600))
    hi = draw(st.integers(lo, 1000))
    centre = draw(st.booleans())
    return Problem(
        candidates,
        spx_delta=float(draw(st.integers(-60, 60))),
        hedge_vega=float(draw(st.integers(0, 1000))),
        core_vega=-core,
        condor_units=1,
        delta_band=(draw(st.integers(0, 60)) + 0.5) / 100,
        share_band=((lo + 0.5) / core,) * 2 if centre else ((lo - 0.5) / core, (hi + 0.5) / core),
        share_tolerance=draw(st.sampled_from([0.0, 5.0, 20.0])) / core + 0.5 / core,
        objective=draw(st.sampled_from(["dollars", "contracts"])),
    )


@given(problems())
def test_milp_matches_brute_force(problem: Problem) -> None:
    """The cheapest integer mix, by enumeration. Outside the band the solver settles the least
    distance to it only to within closest_gap (HiGHS's absolute gap), then takes the cheapest mix
    within the tolerance of the distance it settled on: that distance must lie in the gap above the
    true least distance, and the mix must be the cheapest within the tolerance of it."""
    result = problem.solve()
    core = abs(problem.core_vega)
    if not problem.feasible()[0].any():
        assert not result.feasible
        assert result.message.startswith("infeasible")
        return
    assert result.feasible, result.message
    problem.check(result)
    gave_way = result.gave_way * core
    best = problem.best_distance()
    if gave_way:
        assert best - 1e-6 <= gave_way <= best + closest_gap(problem.share_tolerance, core) + 1e-6
    units = np.array([[result.units.get(c.name, 0) for c in problem.candidates]], dtype=float)
    assert problem.cost(units)[0] == pytest.approx(problem.oracle(gave_way))
    # and it is inside the band, or within the tolerance of the distance settled on
    vega = result.hedge_share * core
    low, high = problem.share_band
    distance = max(low * core - vega, vega - high * core, 0.0)
    assert distance <= gave_way + problem.share_tolerance * core + 1e-6


@pytest.mark.parametrize(("low", "high"), [(1, 5), (-5, -1)])
def test_candidate_units_must_include_zero(low: int, high: int) -> None:
    with pytest.raises(InputError, match="need min_units <= 0 <= max_units"):
        _candidate("bad", -1.0, 10.0, min_units=low, max_units=high)
