"""The stress-budgeted hedge step (docs/method.md, Stress-budgeted sizing) end to end on the example
book and the decision engine's cases: a breach bought back to the target at least cost and within the
budget, checked against a fresh evaluation of the book after; hysteresis (nothing between the trim
level and the limit); trims that sell held hedges; an unreachable limit sized to the least shortfall
under the vega cap; a spent budget reported; the rule off by default and while de-layering."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from alvh.book import Book, Leg
from alvh.market.snapshot import Market
from alvh.method import stress_hedge as stress_hedge_module
from alvh.method.actions import Action, ActionType
from alvh.method.decisions import run_steps
from alvh.method.rules import RuleId, RuleStatus, default_rules
from alvh.method.signals import Signals
from alvh.method.sizing import HedgeCandidate
from alvh.method.state import BookState, DecisionInputs, HedgeHistory
from alvh.method.stress import stress_scenarios
from alvh.method.stress_hedge import stress_hedge
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import value_legs
from tests.method.decision_cases import (
    AFTER_SPIKE,
    BOOK,
    MARKET,
    OVER_HEDGED,
    RETRACED,
    RULES,
    decision,
    positions,
)

UNCAPPED = {"vix_vega_cap": 100.0}
"""R-DELTA's cap on the VIX futures' vega lifted: the sizing's other limits alone (the cap is tested
on its own)."""


def _state(
    book: Book = BOOK,
    market: Market = MARKET,
    signals: Signals | None = None,
    delta: dict[str, Any] = UNCAPPED,
    history: HedgeHistory | None = None,
    **stress: Any,
) -> BookState:
    rules = RULES.with_overrides({RuleId.STRESS: {"enabled": True, **stress}, RuleId.DELTA: delta})
    inputs = DecisionInputs(market, rules, ValuationCache(), signals=signals, history=history or HedgeHistory())
    return BookState(book, inputs)


def _stress(results: tuple[Any, ...]) -> Any:
    return next(r for r in results if r.id == RuleId.STRESS)


def _act(state: BookState) -> Action:
    action, after = stress_hedge(state)
    assert action is not None
    assert after is action.after
    return action


def test_breach_bought_back_to_the_target_edge_at_least_cost() -> None:
    state = _state(loss_limit=0.9)
    before = _stress(state.results)
    assert before.status is RuleStatus.BREACH and before.value > 1
    action = _act(state)
    assert action.type is ActionType.ADD_VEGA_HEDGE and action.rules == (RuleId.STRESS,) and action.feasible
    assert action.trades and all(t.quantity > 0 for t in action.trades)
    limit = action.numbers["loss_limit"]
    assert limit == pytest.approx(0.9 * before.details["margin"])
    # the book after, valued again through the same rule: the worst loss the sizing promised, inside the
    # target (0.9 of the limit), so R-STRESS no longer fires
    after = _stress(action.rules_after)
    assert after.status is RuleStatus.OK
    assert after.details["worst_pnl"] == pytest.approx(action.numbers["worst_after"], rel=1e-9)
    assert -0.9 * limit <= action.numbers["worst_after"] > action.numbers["worst_before"]
    # to the edge, not beyond: one future fewer of any kind bought leaves the target
    for trade in action.trades:
        one_fewer = action.after.book.with_legs([(trade.layer, replace(trade, quantity=-1).to_leg())])
        _, worst = stress_scenarios(one_fewer, MARKET, state.inputs.rules.stress).worst_with()
        assert worst < -0.9 * limit, trade
    assert action.numbers["budget_used"] <= action.numbers["budget"]
    # the trades are the sizing's units, and the book after is the book plus them
    both = positions(BOOK.with_legs([(t.layer, t.to_leg()) for t in action.trades]))
    expected = {key: q for key, q in both.items() if q}
    assert positions(action.after.book) == expected


def test_inside_the_limit_and_above_the_trim_level_nothing_trades() -> None:
    state = _state(loss_limit=1.0)  # the worst scenario takes 92 % of the margin: inside, above 0.5
    result = _stress(state.results)
    assert result.status is RuleStatus.OK and 0.5 < result.value <= 1
    assert stress_hedge(state) == (None, state)


def test_far_inside_the_limit_held_hedges_are_sold_back_to_the_target() -> None:
    # a decision case (hedge vega 90 % of the core's): worst loss $89k with its L1, $120k without;
    # trim under 0.7 of a $140k limit and keep inside 0.8 of it ($112k): some of the L1, not all
    state = _state(OVER_HEDGED, loss_limit=1.11, trim_below=0.7, target=0.8)
    result = _stress(state.results)
    assert result.status is RuleStatus.OK and result.value < 0.7
    action = _act(state)
    assert action.type is ActionType.TRIM_HEDGE and action.feasible
    # each trade takes a held L1 position toward zero: the spreads are sold back, none opened
    before = positions(OVER_HEDGED)
    both = positions(OVER_HEDGED.with_legs([(t.layer, t.to_leg()) for t in action.trades]))
    traded = {key: q - before.get(key, 0.0) for key, q in both.items() if q != before.get(key, 0.0)}
    assert traded and all(
        key.startswith("L1|") and before[key] * q < 0 and abs(q) <= abs(before[key]) for key, q in traded.items()
    )
    limit = action.numbers["loss_limit"]
    assert -0.8 * limit <= action.numbers["worst_after"] < -0.8 * limit + 500  # to the edge: a spread is ~$500
    sold = -sum(q for key, q in traded.items() if before[key] > 0)  # long legs: one per spread
    assert 0 < sold < 40 + 223  # some of the spreads held, not all
    assert _stress(action.rules_after).details["worst_pnl"] == pytest.approx(action.numbers["worst_after"], rel=1e-9)
    assert action.numbers["premium"] < 0  # premium received
    assert action.greeks_after["hedge_vega_share"] < state.greeks["hedge_vega_share"]


def test_a_trim_with_nothing_to_sell_is_no_action() -> None:
    core_only = Book("core only", BOOK.layers[:1], BOOK.legs[BOOK.legs["layer"] == "core"])
    state = _state(core_only, loss_limit=3.0)
    assert _stress(state.results).value < 0.5  # far inside: a trim, but no hedge is held
    assert stress_hedge(state) == (None, state)


def test_unreachable_limit_is_sized_to_the_least_shortfall_under_the_vega_cap() -> None:
    state = _state(loss_limit=0.25, hold_delta_band=False)
    action = _act(state)
    assert action.type is ActionType.ADD_VEGA_HEDGE and action.feasible and action.trades
    assert action.numbers["shortfall_after"] > 0 and "worst shortfall" in action.reason
    assert action.numbers["worst_after"] > action.numbers["worst_before"]
    assert action.greeks_after["hedge_vega_share"] <= 1.0  # max_vega_share
    # the next day on the book after: already the best the budget and cap allow, so no new trade
    again = _act(BookState(action.after.book, state.inputs))
    assert not again.trades and not again.feasible
    assert "no integer mix within the budget does better" in again.reason


def test_spent_budget_is_reported_without_trades() -> None:
    action = _act(_state(loss_limit=0.9, budget_share=0.0))  # the example holds $5k of L1 and L3
    assert not action.feasible and not action.trades
    assert "budget" in action.reason and action.numbers["budget"] == 0


def test_on_by_default_off_with_the_bands_and_while_de_layering() -> None:
    assert default_rules().stress.enabled and not default_rules().hedge_vega.enabled
    assert _stress(decision("under").rules).status is RuleStatus.SKIPPED  # the bands' rules
    off = BookState(BOOK, DecisionInputs(MARKET, RULES, ValuationCache()))
    assert stress_hedge(off) == (None, off)
    delayering = _state(BOOK, AFTER_SPIKE, RETRACED, loss_limit=0.25)
    assert RuleId.DELAYER in delayering.fired and RuleId.STRESS in delayering.fired
    assert stress_hedge(delayering) == (None, delayering)


def test_runs_as_a_step_of_the_engine() -> None:
    actions = run_steps(_state(loss_limit=0.9), (stress_hedge,))
    assert [a.type for a in actions] == [ActionType.ADD_VEGA_HEDGE]
    assert _stress(actions[0].rules_after).status is RuleStatus.OK


def test_a_trade_without_vega_is_a_delta_hedge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sold S&P 500 futures gain in every down scenario and carry no vega: the action says so."""
    es = Leg("ES", dt.date(2026, 12, 18), 1.0, entry_price=5900.0)
    state = _state(loss_limit=0.9, hold_delta_band=False)
    spx_delta = float(value_legs([(es,)], MARKET)["spx_delta"].iloc[0])
    future = HedgeCandidate("ES 2026-12-18", "L2", (es,), spx_delta, 0.0, 0.0, min_units=-20, max_units=0)
    monkeypatch.setattr(stress_hedge_module, "hedge_candidates", lambda *_, **__: [future])
    action = _act(state)
    assert action.type is ActionType.HEDGE_DELTA and action.feasible
    assert [(t.instrument, t.quantity < 0) for t in action.trades] == [("ES", True)]
    assert (
        action.numbers["hedge_vega_added"] == 0 and action.numbers["worst_after"] >= -0.9 * action.numbers["loss_limit"]
    )


def test_the_vix_futures_stay_under_r_delta_s_cap() -> None:
    """With the cap as shipped (25 % of core vega) the VIX futures bought stay under it, and the
    rest of the protection comes from L1 spreads."""
    state = _state(loss_limit=0.9, delta={})
    action = _act(state)
    assert action.trades and action.feasible
    after = action.after.risk.legs
    futures = after[after["instrument"].isin(["VX", "VXM"])]["spx_vega"].sum()
    cap = RULES.delta.vix_vega_cap * abs(state.risk.core_vega)
    assert futures <= cap + 1e-6
    assert any(t.instrument == "VIX" for t in action.trades)
    uncapped = _act(_state(loss_limit=0.9))
    after = uncapped.after.risk.legs
    assert after[after["instrument"].isin(["VX", "VXM"])]["spx_vega"].sum() > cap  # the cap binds here


def test_no_hedge_bought_within_the_holding_time() -> None:
    yesterday = HedgeHistory(last_hedge_exit=MARKET.as_of.date() - dt.timedelta(days=1))
    action = _act(_state(loss_limit=0.9, history=yesterday))
    assert not action.trades and not action.feasible and action.reason.startswith("Held:")
    later = HedgeHistory(last_hedge_exit=MARKET.as_of.date() - dt.timedelta(days=5))
    assert _act(_state(loss_limit=0.9, history=later)).trades
