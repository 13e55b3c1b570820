"""Speed of the stress-budgeted hedge sizing (docs/method.md, Stress-budgeted sizing) on the example
book: the hedge candidates' and the book's P&L in R-STRESS's 41 scenarios (one call of the scenario
engine) and the MILP; and the whole step (the rule's own scenario call, the sizing, the action and the
book after it). No ratio gate (nothing comparable exists): the benchmark reports ms and checks that its
result meets every constraint, on the book after the trades valued afresh."""

from dataclasses import replace

import numpy as np

from alvh.data import example_book, example_market
from alvh.method.hedging import hedge_candidates
from alvh.method.rules import RuleId, default_rules
from alvh.method.sizing import unit_costs
from alvh.method.state import BookState, DecisionInputs
from alvh.method.stress import stress_scenarios
from alvh.method.stress_hedge import stress_hedge
from alvh.method.stress_sizing import StressSizing, size_for_stress
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import value_book

MARKET, BOOK = example_market(), example_book()
RULES = default_rules().with_overrides({RuleId.STRESS: {"enabled": True, "loss_limit": 0.9}})
RULE = RULES.stress


def _state() -> BookState:
    return BookState(BOOK, DecisionInputs(MARKET, RULES, ValuationCache()))


STATE = _state()
CANDIDATES = hedge_candidates(STATE, allow_selling=False, new_l1=True)
MARGIN = float(STATE.risk.condors["max_loss"].sum())
BUDGET = RULE.budget_share * float(STATE.risk.condors["credit"].sum())
HELD = float(STATE.risk.layers.loc[STATE.risk.layers["role"] != "core", "market_value"].sum())
BAND = RULES.delta.max_abs * 100 * STATE.risk.core_units


def _size() -> StressSizing:
    scenarios = stress_scenarios(BOOK, MARKET, RULE, [c.legs for c in CANDIDATES])
    return size_for_stress(
        CANDIDATES,
        scenarios,
        floor=-RULE.target * RULE.loss_limit * MARGIN,
        budget=BUDGET,
        held_premium=HELD,
        tolerance=(1 - RULE.target) * RULE.loss_limit * MARGIN,
        vega=(STATE.risk.hedge_vega, RULE.max_vega_share * abs(STATE.risk.core_vega)),
        delta=(float(STATE.risk.total["spx_delta"]), -BAND, BAND),
    )


def _report(benchmark, what: str) -> None:  # type: ignore[no-untyped-def]
    if benchmark.stats is not None:  # None when timing is disabled (benches run as plain tests)
        print(f"\n{what}: {benchmark.stats['min'] * 1e3:.1f} ms (best), {benchmark.stats['mean'] * 1e3:.1f} ms (mean)")


def test_stress_sizing(benchmark) -> None:  # type: ignore[no-untyped-def]
    result = benchmark(_size)
    _report(benchmark, "stress sizing of the example book (one engine call + MILP)")
    assert result.feasible and result.within_limit and result.units
    by_name = {c.name: c for c in CANDIDATES}
    after = BOOK.with_legs(
        [
            (by_name[name].layer, replace(leg, quantity=leg.quantity * units))
            for name, units in result.units.items()
            for leg in by_name[name].legs
        ]
    )
    # every scenario inside the target, on the book after valued afresh
    _, worst = stress_scenarios(after, MARKET, RULE).worst_with()
    assert worst >= -RULE.target * RULE.loss_limit * MARGIN
    assert np.isclose(worst, result.worst_after, rtol=1e-9)
    risk = value_book(after, MARKET)
    assert risk.hedge_vega <= max(RULE.max_vega_share * abs(risk.core_vega), STATE.risk.hedge_vega)
    assert abs(float(risk.total["spx_delta"])) <= max(BAND, abs(float(STATE.risk.total["spx_delta"])))
    assert result.budget_used <= BUDGET
    buy, sell = unit_costs(CANDIDATES)  # commissions, half-spreads and the futures' roll-down
    units = np.array([result.units.get(c.name, 0) for c in CANDIDATES])
    assert np.isclose(result.cost, np.maximum(units, 0) @ buy + np.maximum(-units, 0) @ sell)


def test_stress_step(benchmark) -> None:  # type: ignore[no-untyped-def]
    action, after = benchmark(lambda: stress_hedge(_state()))
    _report(benchmark, "stress_hedge step on the example book (rule, sizing, action, book after)")
    assert action is not None and action.feasible and action.trades
    result = next(r for r in after.results if r.id == RuleId.STRESS)
    # the rule re-evaluated on the book after agrees with the sizing's promise (with R-DELTA's cap on
    # the VIX futures' vega as shipped, the example book stays just beyond its 90 % limit)
    assert np.isclose(result.details["worst_pnl"], action.numbers["worst_after"], rtol=1e-9)
    assert result.fired == (action.numbers["worst_after"] < -action.numbers["loss_limit"])
    assert action.numbers["worst_after"] > action.numbers["worst_before"]
