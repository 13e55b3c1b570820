"""Stress-budgeted hedge sizing (docs/method.md, Stress-budgeted sizing): integer units of hedge
candidates that keep the book's P&L in every scenario above a floor, within a premium budget, at
least dollar cost — one mixed-integer program solved by scipy's MILP (HiGHS).

Scenario P&L is linear in the units added (each scenario is a full revaluation of the book plus
x_i times one unit of candidate i; :func:`alvh.method.stress.stress_scenarios`), so with buys p_i
and sells m_i (x_i = p_i − m_i), B_s and P_si the book's and a unit's P&L in scenario s, F the
floor, t_i the $ to trade a unit, c_i its premium, W the premium held:

    buy:   minimise   Σ t_i·(p_i + m_i)
           subject to B_s + Σ P_si·x_i ≥ F                      every scenario s
                      W + Σ c_i·x_i + Σ t_i·(p_i + m_i) ≤ budget
                      H + Σ v_i·x_i ≤ max(cap, H)                hedge vega cap (optional)
                      D + Σ d_i·x_i in the delta band, widened to D if D is outside (optional)
                      one binary direction per family of candidates (as method/sizing.py)
    if no integer mix meets every floor: minimise the shortfall below F — the worst scenario's
    (u with B_s + Σ P_si·x_i + u ≥ F) or the mean (one u_s each) — then the cheapest mix within
    ``tolerance`` of the least shortfall;
    trim:  sells only; minimise Σ (t_i − c_i)·m_i (release the most premium net of costs) with
           every floor kept (a trim frees budget: the budget row is not needed).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from alvh._format import dollars
from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.method.sizing import HedgeCandidate, VegaBounds, unit_costs
from alvh.method.stress import StressScenarios

__all__ = ["Shortfall", "StressSizing", "size_for_stress"]

Shortfall = Literal["worst", "mean"]

_HIGHS_OPTIONS = {"mip_rel_gap": 0.0, "mip_heuristic_run_feasibility_jump": False}
"""Prove each optimum (a few dozen variables): the default relative gap of 1e-4 could leave a
dearer mix than the cheapest. Without the feasibility-jump heuristic (HiGHS 1.10+), as in
method/sizing.py: on the example book it takes three times as long as the whole search."""

_NO_MIX_WITHIN = 1.0
"""$: a least shortfall proven above this (far beyond HiGHS's feasibility tolerances) leaves no mix
with every scenario at or above the floor."""


@dataclass(frozen=True)
class StressSizing:
    """The solver's answer ($ throughout)."""

    feasible: bool
    """A mix was found within the budget and bounds (False: not even the book as it is fits)."""
    within_limit: bool
    """Every scenario's P&L is at or above the floor after the trade."""
    units: dict[str, int]
    worst_before: float
    worst_after: float
    worst_scenario: str
    """The label of the scenario that loses most after the trade."""
    shortfall: float
    """How far below the floor the book stays after the trade: the worst scenario's, or the mean
    over the scenarios (as sized); 0 within the limit."""
    cost: float
    """Trading costs of the trade."""
    premium: float
    """Premium paid (negative: received) for the trade."""
    budget_used: float
    """Premium held plus premium and costs of the trade."""
    message: str


def size_for_stress(
    candidates: Sequence[HedgeCandidate],
    scenarios: StressScenarios,
    *,
    floor: float,
    budget: float,
    held_premium: float = 0.0,
    tolerance: float = 0.0,
    shortfall: Shortfall = "worst",
    trim: bool = False,
    vega: tuple[float, float] | None = None,
    delta: tuple[float, float, float] | None = None,
    caps: VegaBounds | None = None,
) -> StressSizing:
    """Size ``candidates`` (one per column of ``scenarios.units``) by the program of the module
    docstring.

    Parameters
    ----------
    floor
        $ every scenario's P&L must stay at or above (negative: a loss).
    budget, held_premium
        $ the hedges may use (premium held plus premium and costs of the trade), and the premium
        in the hedges held.
    tolerance
        $ of shortfall above the least achievable that the cheaper mix may keep (when the floor
        cannot be met).
    shortfall
        ``"worst"`` or ``"mean"``: the shortfall minimised when the floor cannot be met.
    trim
        Sell only, keeping every floor, releasing the most premium net of costs.
    vega
        (hedge vega now, cap), $ per SPX vol point: the trade never takes hedge vega above
        max(cap, now).
    delta
        (book SPX delta now, low, high), shares: the trade keeps delta in [low, high], widened to
        include delta now.
    caps
        Groups of candidates whose vega together stays within bounds (R-DELTA's cap on the VIX
        futures), as :func:`alvh.method.sizing.size_hedges` takes them.
    """
    k = len(candidates)
    if scenarios.units.shape != (len(scenarios.labels), k):
        raise InputError(
            f"scenarios.units has shape {scenarios.units.shape}: need one row per scenario "
            f"({len(scenarios.labels)}) and one column per candidate ({k})"
        )
    if shortfall not in ("worst", "mean"):
        raise InputError(f"shortfall = {shortfall!r} is not allowed: use 'worst' or 'mean'")
    if not np.isfinite([floor, budget, held_premium, tolerance]).all() or tolerance < 0:
        raise InputError(
            f"floor, budget, held_premium and tolerance must be finite and tolerance >= 0, got "
            f"{floor}, {budget}, {held_premium} and {tolerance}"
        )
    program = _Program(candidates, scenarios, floor, trim)
    program.add_budget(budget - held_premium)
    if vega is not None:
        now, cap = vega
        program.add(program.signed(program.vega), -np.inf, max(cap, now) - now)
    if delta is not None:
        now, low, high = delta
        program.add(program.signed(program.delta), min(low, now) - now, max(high, now) - now)
    for mask, now, low, high in (caps or {}).values():
        program.add(program.signed(program.vega * mask), low - now, high - now)
    if program.out_of_reach():
        x = None
    else:
        x = program.cheapest() if trim else program.within_floor_or_least_shortfall(shortfall, tolerance)
    return _result(candidates, scenarios, x, floor, held_premium, shortfall)


class _Program:
    """The program's variables (p, m, z): buys and sells of each candidate and one binary
    direction per family of several candidates; and its rows other than the scenarios'."""

    def __init__(self, candidates: Sequence[HedgeCandidate], scenarios: StressScenarios, floor: float, trim: bool):
        k = len(candidates)
        self.k, self.trim = k, trim
        self.vega = np.array([c.spx_vega for c in candidates], dtype=float)
        self.delta = np.array([c.spx_delta for c in candidates], dtype=float)
        self.premium = np.array([c.cost for c in candidates], dtype=float)
        self.trade_cost = np.array([c.trade_cost for c in candidates], dtype=float)
        self.buy_cost, self.sell_cost = unit_costs(candidates)  # with the futures' roll-down
        self.roll_saved = np.maximum([c.roll_down for c in candidates], 0.0)
        """$ a long future sold no longer loses to its roll-down: what a trim releases besides premium."""
        names = [c.family for c in candidates]
        families = [f for f in dict.fromkeys(names) if f is not None and names.count(f) > 1]
        self.f = len(families)
        buys = np.array([0 if trim else c.max_units for c in candidates], dtype=float)
        sells = np.array([-c.min_units for c in candidates], dtype=float)
        self.upper = np.concatenate([buys, sells, np.ones(self.f)])
        self.rows: list[FloatArray] = []
        self.low: list[float] = []
        self.high: list[float] = []
        for j, family in enumerate(families):
            for i, c in enumerate(candidates):
                if c.family == family:  # p_i <= buys_i·z_j and m_i <= sells_i·(1 − z_j)
                    buy, sell = np.zeros(2 * k + self.f), np.zeros(2 * k + self.f)
                    buy[i], buy[2 * k + j] = 1.0, -buys[i]
                    sell[k + i], sell[2 * k + j] = 1.0, sells[i]
                    self.add(buy, -np.inf, 0.0)
                    self.add(sell, -np.inf, float(sells[i]))
        # every scenario at or above the floor: Σ P_si·x_i >= F − B_s
        self.scenario_rows = np.hstack([scenarios.units, -scenarios.units, np.zeros((len(scenarios.book), self.f))])
        self.scenario_low = floor - scenarios.book

    def signed(self, per_candidate: FloatArray) -> FloatArray:
        """A row of Σ a_i·x_i."""
        return np.concatenate([per_candidate, -per_candidate, np.zeros(self.f)])

    def add(self, row: FloatArray, low: float, high: float) -> None:
        self.rows.append(row)
        self.low.append(low)
        self.high.append(high)

    def add_budget(self, room: float) -> None:
        """Premium and costs of the trade within ``room`` (a trim frees budget: no row)."""
        if not self.trim:
            # commissions and half-spreads: a future's expected roll-down is the objective's, not
            # budget spent (it would not count among the hedges held the next day)
            trading = np.concatenate([self.trade_cost, self.trade_cost, np.zeros(self.f)])
            self.add(self.signed(self.premium) + trading, -np.inf, room)

    def traded_cost(self) -> FloatArray:
        return np.concatenate([self.buy_cost, self.sell_cost, np.zeros(self.f)])

    def out_of_reach(self) -> bool:
        """Whether a row other than the scenarios' is out of reach of the columns' bounds alone (by
        more than 1e-6 of its size, far beyond HiGHS's tolerances): no mix fits, as HiGHS would
        answer, without asking it (a premium budget already spent before any trade)."""
        reach = self._fixed() * self.upper  # every column's lower bound is 0
        slack = 1e-6 * np.maximum(np.abs(reach).sum(axis=1), 1.0)
        lowest, highest = np.minimum(reach, 0.0).sum(axis=1), np.maximum(reach, 0.0).sum(axis=1)
        return bool(np.any(lowest > np.asarray(self.high) + slack) or np.any(highest < np.asarray(self.low) - slack))

    def cheapest(self) -> NDArray[np.int64] | None:
        """The least-cost mix (a trim: the most premium released net of costs) with every
        scenario at or above the floor; None if there is none."""
        objective = self.traded_cost()
        if self.trim:
            objective[self.k : 2 * self.k] -= self.premium + self.roll_saved
        high = np.full(len(self.scenario_low), np.inf)
        found = self._milp(objective, self.scenario_rows, self.scenario_low, high, 0)
        return None if found is None else self._units(found.x)

    def within_floor_or_least_shortfall(self, shortfall: Shortfall, tolerance: float) -> NDArray[np.int64] | None:
        """The cheapest mix with every scenario at or above the floor, else the cheapest within
        ``tolerance`` of the least shortfall below it, with shortfall variables u (one for the
        worst scenario, one per scenario for the mean). The least shortfall is solved first:
        when its proven bound exceeds :data:`_NO_MIX_WITHIN`, no mix meets the floor and the
        cheapest such mix is not searched for (most breaches: one solve fewer)."""
        n = len(self.scenario_low)
        extra = 1 if shortfall == "worst" else n
        rows = np.hstack([self.scenario_rows, np.ones((n, 1)) if shortfall == "worst" else np.eye(n)])
        low, high = self.scenario_low, np.full(n, np.inf)
        measure = np.concatenate([np.zeros(len(self.upper)), np.full(extra, 1.0 / extra)])
        least = self._milp(measure, rows, low, high, extra, abs_gap=0.1 * tolerance if tolerance else None)
        if least is None:
            return None  # no mix fits the bounds, whatever its shortfall
        bound = least.mip_dual_bound  # None without integer columns; NaN: not proven
        if bound is None or not bound > _NO_MIX_WITHIN:
            within = self.cheapest()
            if within is not None:
                return within
        best = float(measure @ least.x)
        cheapest = self._milp(
            np.concatenate([self.traded_cost(), np.zeros(extra)]),
            np.vstack([rows, measure]),
            np.append(low, -np.inf),
            np.append(high, best + tolerance + 1e-9 * max(1.0, best)),
            extra,
        )
        return self._units(least.x if cheapest is None else cheapest.x)

    def _units(self, x: FloatArray) -> NDArray[np.int64]:
        units: NDArray[np.int64] = np.rint(x[: self.k] - x[self.k : 2 * self.k]).astype(np.int64)
        return units

    def _fixed(self) -> FloatArray:
        """The rows other than the scenarios', as a matrix."""
        return np.array(self.rows).reshape(len(self.rows), len(self.upper))

    def _milp(
        self,
        objective: FloatArray,
        rows: FloatArray,
        low: FloatArray,
        high: FloatArray,
        extra: int,
        *,
        abs_gap: float | None = None,
    ) -> OptimizeResult | None:
        """Solve with the fixed rows (padded with ``extra`` continuous columns >= 0) and ``rows``
        in [``low``, ``high``]: scipy's result (``x``, and ``mip_dual_bound``, the objective's proven
        lower bound); None when there is no solution."""
        fixed = self._fixed()
        matrix = np.vstack([np.hstack([fixed, np.zeros((len(fixed), extra))]), rows])
        options = {**_HIGHS_OPTIONS, **({} if abs_gap is None else {"mip_abs_gap": abs_gap})}
        constraints = LinearConstraint(matrix, np.concatenate([self.low, low]), np.concatenate([self.high, high]))
        with warnings.catch_warnings():  # scipy warns that it hands the HiGHS options over verbatim
            warnings.filterwarnings("ignore", message="Unrecognized options detected")
            result: OptimizeResult = milp(
                objective,
                constraints=constraints,
                bounds=Bounds(np.zeros(len(self.upper) + extra), np.concatenate([self.upper, np.full(extra, np.inf)])),
                integrality=np.concatenate([np.ones(len(self.upper)), np.zeros(extra)]),
                options=options,
            )
        return result if result.status == 0 else None


def _result(
    candidates: Sequence[HedgeCandidate],
    scenarios: StressScenarios,
    x: NDArray[np.int64] | None,
    floor: float,
    held_premium: float,
    shortfall: Shortfall,
) -> StressSizing:
    """The answer for units ``x`` (None: no mix fits the budget and bounds)."""
    label_before, worst_before = scenarios.worst_with()
    if x is None:
        return StressSizing(
            False,
            worst_before >= floor,
            {},
            worst_before,
            worst_before,
            label_before,
            _shortfall(scenarios.book, floor, shortfall),
            0.0,
            0.0,
            held_premium,
            "infeasible: no integer mix of the candidates fits the budget and bounds, not even the book as it is",
        )
    after = scenarios.pnl_with(x.astype(np.float64))
    label, worst = scenarios.worst_with(x.astype(np.float64))
    buy, sell = unit_costs(candidates)
    cost = float(np.maximum(x, 0) @ buy + np.maximum(-x, 0) @ sell)
    premium = float(x @ np.array([c.cost for c in candidates], dtype=float))
    within = worst >= floor - 1e-6 * max(1.0, abs(floor))
    units = {c.name: int(u) for c, u in zip(candidates, x, strict=True) if u}
    short = _shortfall(after, floor, shortfall)
    below = f"{shortfall} shortfall {dollars(short, sign=False)} below the floor"
    where = "every scenario inside the limit" if within else below
    return StressSizing(
        True,
        bool(within),
        units,
        worst_before,
        worst,
        label,
        short,
        cost,
        premium,
        held_premium + premium + cost,
        f"{sum(abs(u) for u in units.values())} unit(s), {dollars(cost, sign=False)} of costs and "
        f"{dollars(premium)} of premium: worst scenario {dollars(worst_before)} → {dollars(worst)} ({label}), {where}",
    )


def _shortfall(pnl: FloatArray, floor: float, shortfall: Shortfall) -> float:
    """$ below the floor: the worst scenario's, or the mean over the scenarios."""
    below = np.maximum(floor - pnl, 0.0)
    return float(below.max() if shortfall == "worst" else below.mean())
