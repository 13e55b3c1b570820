"""Hedge sizing: integer contracts of candidate hedge instruments that bring the hedge layers'
vega into a band of the core's and the book's net SPX delta into its band, at least cost — a small
mixed-integer program solved by scipy's MILP (HiGHS) (docs/method.md, Bands and sizing).

Both the book's SPX-equivalent delta and vega are linear in the contracts added, so with p_i and
m_i the units of candidate i bought and sold (per unit: delta d_i, vega v_i, cost c_i), D and H
the book's delta and the hedge layers' vega, C the core's |vega| and U the condor units:

    minimise   Σ c_i⁺·p_i + c_i⁻·m_i                       (dollars, or contracts)
    subject to |D + Σ (p_i − m_i)·d_i| <= band·100·U        (R-DELTA)
               lo·C − s <= H + Σ (p_i − m_i)·v_i <= hi·C + s (R-HEDGE-VEGA's target band)
               s <= 0                                       (first: the band itself)
               per hedge layer with a target: its vega within bounds (R-SLEEVE-VEGA)
               per capped group (the VIX futures): its vega within bounds (R-DELTA's cap)

A band no integer mix reaches is not forced: a first program finds s*, the least the band must
give way, and the second sizes at least cost within s* (+ a tolerance). A centre (``lo = hi``)
is the engine before hysteresis: as close to the target as integers get, then the cheapest
within the tolerance. Sleeve bounds that cannot be met are dropped with a note rather than
failing the whole hedge.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from alvh._format import dollars
from alvh.book import Instrument, Leg
from alvh.exceptions import InputError
from alvh.method.rules import RuleId

__all__ = ["HedgeCandidate", "Objective", "SizingResult", "VegaBounds", "closest_gap", "size_hedges", "unit_costs"]


@dataclass(frozen=True)
class HedgeCandidate:
    """One unit of a hedge instrument (a future, or a spread of two options) and its effect."""

    name: str
    layer: str
    legs: tuple[Leg, ...]
    spx_delta: float
    """SPX shares-equivalent delta of one unit."""
    spx_vega: float
    """$ per SPX vol point of one unit."""
    cost: float
    """$ paid for one unit (premium; 0 for futures)."""
    trade_cost: float = 0.0
    """$ it costs to trade one unit, in or out: commissions and half-spreads
    (:meth:`alvh.method.costs.TradingCosts.per_contract`)."""
    roll_down: float = 0.0
    """$ one long unit is expected to lose while held as its future rolls toward spot (a short
    gains it): the sizing adds it to the cost of the side that pays it and never counts the gain."""
    min_units: int = 0
    max_units: int = 1000
    family: str | None = None
    """Candidates of one family (e.g. VX and VXM on the same expiry) are traded in one direction:
    never bought and sold at once, which would pay commissions for an offsetting position."""

    def __post_init__(self) -> None:
        if not self.min_units <= 0 <= self.max_units:
            raise InputError(
                f"hedge candidate {self.name!r}: need min_units <= 0 <= max_units (sells are negative units), "
                f"got {self.min_units} and {self.max_units}"
            )

    @property
    def contracts(self) -> int:
        """Contracts in one unit."""
        return int(sum(abs(leg.quantity) for leg in self.legs))


@dataclass(frozen=True)
class SizingResult:
    """The solver's answer. ``gave_way``: how far (share of core vega) the vega band had to give
    way to the delta band and the limits (0 when it was met)."""

    feasible: bool
    units: dict[str, int]
    delta_per_condor: float
    hedge_share: float
    contracts: int
    message: str
    numbers: dict[str, float] = field(default_factory=dict)
    cost: float = 0.0
    gave_way: float = 0.0


Objective = Literal["dollars", "contracts"]

VegaBounds = dict[str, tuple[NDArray[np.bool_], float, float, float]]
"""Named groups of candidates whose vega together must stay within bounds after the trades:
(which candidates, their vega now, low, high) — R-SLEEVE-VEGA's sleeves, R-DELTA's cap."""


def unit_costs(candidates: Sequence[HedgeCandidate]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """$ to buy and to sell one unit of each candidate: its trade cost, and a future's roll-down on
    the side that pays it (never counted as a gain)."""
    trade = np.array([c.trade_cost for c in candidates], dtype=float)
    roll = np.array([c.roll_down for c in candidates], dtype=float)
    return trade + np.maximum(roll, 0.0), trade + np.maximum(-roll, 0.0)


def size_hedges(
    candidates: list[HedgeCandidate],
    *,
    spx_delta: float,
    hedge_vega: float,
    core_vega: float,
    condor_units: float,
    delta_band: float = math.inf,
    share_band: tuple[float, float] = (-math.inf, math.inf),
    objective: Objective = "dollars",
    share_tolerance: float = 0.01,
    sleeves: VegaBounds | None = None,
    caps: VegaBounds | None = None,
) -> SizingResult:
    """Size the candidates (see the module docstring) and return the units of each.

    ``share_band``: (lo, hi) of hedge vega as a share of |core vega| after the trades; lo == hi is
    a centre to get as close to as integers allow. ``share_tolerance``: how far beyond the least
    reachable deviation from the band (share of core vega) the cheapest mix may go. ``sleeves``
    are dropped with a note when they cannot be met with the rest; ``caps`` always hold. An
    infinite ``delta_band`` or band edge drops that constraint.
    """
    if not candidates:
        return SizingResult(False, {}, float("nan"), float("nan"), 0, "no hedge instruments to size")
    core = abs(core_vega)
    per_unit = condor_units * Instrument.SPX.multiplier  # a condor unit: one SPX contract a leg
    if not core or not per_unit:
        return SizingResult(
            False, {}, float("nan"), float("nan"), 0, "no core condors with vega to size the hedges against"
        )
    problem = _Problem(candidates, spx_delta, hedge_vega, core, per_unit, delta_band, share_band, objective, caps or {})
    note = ""
    solution = problem.solve(share_tolerance, sleeves or {})
    if solution is None and sleeves:
        solution = problem.solve(share_tolerance, {})
        note = f" (the sleeve targets of {RuleId.SLEEVE_VEGA.value} could not all be met too)"
    if solution is None:
        return SizingResult(False, {}, spx_delta / per_unit, hedge_vega / core, 0, problem.infeasible_reason())
    units, gave_way = solution
    d, v, n = problem.d, problem.v, problem.n
    delta_after = spx_delta + float(units @ d)
    vega_after = hedge_vega + float(units @ v)
    contracts = int(np.abs(units) @ n)
    cost = problem.dollars(units)
    return SizingResult(
        True,
        {c.name: int(u) for c, u in zip(candidates, units, strict=True) if u},
        delta_after / per_unit,
        vega_after / core,
        contracts,
        f"{contracts} contract(s), {dollars(cost, sign=False)} to trade: delta per condor unit "
        f"{delta_after / per_unit:+.3f}, hedge vega {vega_after / core:.0%} of core{note}",
        {
            "delta_before": spx_delta,
            "delta_after": delta_after,
            "hedge_vega_before": hedge_vega,
            "hedge_vega_after": vega_after,
            "trade_cost": cost,
        },
        cost=cost,
        gave_way=gave_way,
    )


def closest_gap(tolerance: float, core: float) -> float:
    """How far above the least reachable distance to the vega band ($ of vega per vol point) the
    solver may stop looking for it: the distance is needed only to well within the tolerance, and a
    gap of up to $1 (a VXM is ~$50) makes that stage several times faster. The cheapest mix is then
    taken within the tolerance of the distance found (:attr:`SizingResult.gave_way`)."""
    return min(1.0, 0.1 * tolerance * core)


_HIGHS_OPTIONS: dict[str, Any] = {"mip_heuristic_run_feasibility_jump": False}
"""HiGHS settings for these small programs: the feasibility-jump heuristic (HiGHS 1.10+; an older
HiGHS warns and ignores the name) takes longer than the whole branch and bound here, and each
optimum is still proved without it (the 2014–2018 backtest sizes the same hedges in half the time)."""


class _Problem:
    """The MILP in variables (p, m, z, s): buys and sells of each candidate, one binary direction
    per family of several candidates (p_i <= max_i·z, m_i <= sells_i·(1 − z)), and how far the
    vega band gives way."""

    def __init__(
        self,
        candidates: list[HedgeCandidate],
        spx_delta: float,
        hedge_vega: float,
        core: float,
        per_unit: float,
        delta_band: float,
        share_band: tuple[float, float],
        objective: Objective,
        caps: VegaBounds,
    ) -> None:
        self.candidates = candidates
        self.d = np.array([c.spx_delta for c in candidates])
        self.v = np.array([c.spx_vega for c in candidates])
        self.n = np.array([c.contracts for c in candidates], dtype=float)
        self.buy_cost, self.sell_cost = unit_costs(candidates)
        self.per_contract = objective == "contracts"
        self.spx_delta, self.hedge_vega, self.core, self.per_unit = spx_delta, hedge_vega, core, per_unit
        self.delta_band, self.share_band, self.caps = delta_band, share_band, caps
        k = len(candidates)
        names = [c.family for c in candidates]
        self.families = [f for f in dict.fromkeys(names) if f is not None and names.count(f) > 1]
        self.k, f = k, len(self.families)
        buys = np.array([c.max_units for c in candidates], dtype=float)
        sells = np.array([-c.min_units for c in candidates], dtype=float)
        self.bounds = Bounds(np.zeros(2 * k + f + 1), np.concatenate([buys, sells, np.ones(f), [np.inf]]))
        self.integrality = np.concatenate([np.ones(2 * k + f), [0]])
        self.direction = []
        for j, family in enumerate(self.families):
            for i, c in enumerate(candidates):
                if c.family == family:
                    buy, sell = np.zeros(2 * k + f + 1), np.zeros(2 * k + f + 1)
                    buy[i], buy[2 * k + j] = 1.0, -buys[i]
                    sell[k + i], sell[2 * k + j] = 1.0, sells[i]
                    self.direction += [LinearConstraint(buy, -np.inf, 0.0), LinearConstraint(sell, -np.inf, sells[i])]

    def dollars(self, units: NDArray[np.int64]) -> float:
        """What trading ``units`` costs."""
        return float(np.maximum(units, 0) @ self.buy_cost + np.maximum(-units, 0) @ self.sell_cost)

    def _row(self, per_candidate: NDArray[np.float64], slack: float = 0.0) -> NDArray[np.float64]:
        return np.concatenate([per_candidate, -per_candidate, np.zeros(len(self.families)), [slack]])

    def _constraints(self, sleeves: VegaBounds) -> list[LinearConstraint]:
        rows = list(self.direction)
        if np.isfinite(self.delta_band):
            room = self.delta_band * self.per_unit
            rows.append(LinearConstraint(self._row(self.d), -room - self.spx_delta, room - self.spx_delta))
        low, high = self.share_band
        if np.isfinite(low):
            rows.append(LinearConstraint(self._row(self.v, 1.0), low * self.core - self.hedge_vega, np.inf))
        if np.isfinite(high):
            rows.append(LinearConstraint(self._row(self.v, -1.0), -np.inf, high * self.core - self.hedge_vega))
        for mask, now, lo, hi in [*sleeves.values(), *self.caps.values()]:
            if mask.any():
                rows.append(LinearConstraint(self._row(self.v * mask), lo - now, hi - now))
        return rows

    def solve(self, tolerance: float, sleeves: VegaBounds) -> tuple[NDArray[np.int64], float] | None:
        """The cheapest units and how far the band gave way (None: the hard limits cannot be met)."""
        constraints = self._constraints(sleeves)
        slack_only = self._row(np.zeros(self.k), 1.0)
        per_unit_cost = self.n if self.per_contract else np.maximum(self.buy_cost, 1e-9)
        cost = np.concatenate(
            [
                per_unit_cost,
                self.n if self.per_contract else np.maximum(self.sell_cost, 1e-9),
                np.zeros(len(self.families) + 1),
            ]
        )
        low, high = self.share_band
        if low < high:  # a band: try it as it is first
            within = self._milp(cost, [*constraints, LinearConstraint(slack_only, -np.inf, 0.0)])
            if within.status == 0:
                return self._units(within.x), 0.0
        closest = self._milp(slack_only, constraints, abs_gap=closest_gap(tolerance, self.core))
        if closest.status != 0:
            return None
        gave = float(closest.x[-1])
        cheapest = self._milp(
            cost, [*constraints, LinearConstraint(slack_only, -np.inf, gave + tolerance * self.core + 1e-9)]
        )
        x = cheapest.x if cheapest.status == 0 else closest.x
        return self._units(x), gave / self.core

    def _units(self, x: NDArray[np.float64]) -> NDArray[np.int64]:
        units: NDArray[np.int64] = np.rint(x[: self.k] - x[self.k : 2 * self.k]).astype(np.int64)
        return units

    def _milp(
        self, objective: NDArray[np.float64], constraints: list[LinearConstraint], abs_gap: float | None = None
    ) -> OptimizeResult:
        # one dense matrix: scipy converts each LinearConstraint to sparse form, which costs more
        # than HiGHS solving these few rows
        matrix = np.vstack([np.atleast_2d(c.A) for c in constraints])
        low, high = (
            np.concatenate([np.broadcast_to(getattr(c, bound), np.atleast_2d(c.A).shape[:1]) for c in constraints])
            for bound in ("lb", "ub")
        )
        with warnings.catch_warnings():  # scipy warns that it hands _HIGHS_OPTIONS over verbatim
            warnings.filterwarnings("ignore", message="Unrecognized options detected")
            return milp(
                objective,
                constraints=LinearConstraint(matrix, low, high),
                bounds=self.bounds,
                integrality=self.integrality,
                options={**_HIGHS_OPTIONS, **({} if abs_gap is None else {"mip_abs_gap": abs_gap})},
            )

    def infeasible_reason(self) -> str:
        names = ", ".join(c.name for c in self.candidates)
        if not np.isfinite(self.delta_band):
            return f"infeasible: no integer mix of {names} within their limits meets the caps on their vega"
        return (
            f"infeasible: no integer mix of {names} within their limits brings delta per condor unit "
            f"({self.spx_delta / self.per_unit:+.3f}) inside ±{self.delta_band:g}"
        )
