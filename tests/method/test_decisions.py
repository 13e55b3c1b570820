"""The decision engine as a pipeline (docs/method.md, Decisions): the steps in their documented order, each
given the state the previous one left and leaving it unchanged; HOLD; the Greeks and rules after the
last action evaluated when read; the decision as JSON."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

import pytest

from alvh.backtest.config import HEDGE_RULES
from alvh.method import decisions
from alvh.method.decisions import STEPS, ActionType, decide, run_steps
from alvh.method.hedging import hedge_delta, hedge_vega
from alvh.method.rules import RuleId, RuleInputs, default_rules, evaluate_rules, rule_spec, rules_triggering
from alvh.method.signals import MacdTrend
from alvh.method.state import BookState, DecisionInputs, Step, StepResult, greek_summary
from alvh.method.steps import add_l3, add_theta_layer, delayer, reduce_crowded, roll_core
from alvh.method.stress_hedge import stress_hedge
from alvh.method.trades import apply_trades
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import value_book
from tests.method.decision_cases import (
    BALANCED,
    BOOK,
    HISTORY_1,
    LAYER_SIGNALS,
    MARKET,
    RULES,
    SCENARIOS,
    decision,
    positions,
    signals,
)

# --- the pipeline -----------------------------------------------------------------------------------

LAYERS = BookState(BALANCED, DecisionInputs(MARKET, RULES, ValuationCache(), signals=LAYER_SIGNALS))
"""The "layers" case as the first state: L3, a theta layer, then a hedge."""


def test_the_steps_act_in_the_documented_order() -> None:
    """STEPS acts in the order the module docstring lists the actions, the hedges last."""
    documented = [ActionType(name) for name in re.findall(r"^\* ``([A-Z_0-9]+)``", decisions.__doc__ or "", re.M)]
    acts = {
        delayer: ActionType.DELAYER,
        roll_core: ActionType.ROLL_CORE,
        reduce_crowded: ActionType.REDUCE,
        add_l3: ActionType.ADD_L3,
        add_theta_layer: ActionType.ADD_THETA_LAYER,
        stress_hedge: ActionType.ADD_VEGA_HEDGE,
        hedge_vega: ActionType.ADD_VEGA_HEDGE,
        hedge_delta: ActionType.HEDGE_DELTA,
    }
    assert tuple(acts) == STEPS
    assert documented == [*acts.values(), ActionType.HOLD]


def test_a_step_returns_the_next_state_and_leaves_the_given_one_unchanged() -> None:
    legs = LAYERS.book.legs.copy()
    results = LAYERS.results
    action, after = add_l3(LAYERS)
    assert action is not None and action.type is ActionType.ADD_L3 and action.trades
    assert action.after is after and after is not LAYERS and after.inputs is LAYERS.inputs
    assert positions(after.book) == positions(apply_trades(BALANCED, action.trades))
    # the state given is as it was: same book, same legs, same rule results
    assert LAYERS.book is BALANCED and LAYERS.book.legs.equals(legs) and LAYERS.results is results
    with pytest.raises(dataclasses.FrozenInstanceError):
        LAYERS.book = after.book  # type: ignore[misc]
    # a step with nothing to do hands the same state on
    assert roll_core(LAYERS) == (None, LAYERS)


def test_each_step_is_given_the_state_the_previous_action_left() -> None:
    given: list[BookState] = []

    def watched(step: Step) -> Step:
        def run(state: BookState) -> StepResult:
            given.append(state)
            return step(state)

        return run

    actions = run_steps(LAYERS, [watched(step) for step in STEPS])
    assert [a.type for a in actions] == [a.type for a in decision("layers").actions]
    assert [a.trades for a in actions] == [a.trades for a in decision("layers").actions]
    l3, theta = actions[:2]
    assert given[:4] == [LAYERS] * 4  # delayer, roll, reduce: nothing to do; then L3
    assert given[4] is l3.after and given[5] is theta.after
    # the rules on the book after the hedges are evaluated only when read (the delta step reads R-DELTA
    # alone on the book the vega step leaves)
    assert "results" not in vars(actions[-1].after)


def test_every_valuation_of_a_decision_shares_one_cache() -> None:
    """The caller's cache when given, else one of the decision's own."""
    book, market, kwargs = SCENARIOS["layers"]
    cache = ValuationCache()
    d = decide(book, market, cache=cache, **kwargs)
    assert len(d.actions) == 3 and all(a.after.inputs.cache is cache for a in d.actions)
    own = decision("layers").actions
    assert own[0].after.inputs.cache is own[-1].after.inputs.cache is not cache


def test_no_step_acting_is_a_hold_on_the_state_given() -> None:
    (hold,) = run_steps(LAYERS, ())
    assert hold.type is ActionType.HOLD and hold.trades == () and hold.after is LAYERS


# --- the decision -----------------------------------------------------------------------------------


def test_hold_when_nothing_fires() -> None:
    d = decision("hold")
    assert [a.type for a in d.actions] == [ActionType.HOLD]
    hold = d.actions[0]
    assert hold.trades == () and hold.greeks_after == greek_summary(d.risk)
    assert hold.rules_after == d.rules
    # no rule that acts fires (the net-vega checks may warn: they trade nothing)
    assert not any(r.fired for r in d.rules if rule_spec(r.id).actions)


def test_rules_after_the_last_action_are_those_of_the_book_after_from_the_inputs_as_given() -> None:
    """The Greeks and rules after the last action are evaluated when first read (the backtest never
    reads them), from decide()'s inputs as they were: changing the caller's series afterwards
    changes nothing."""
    book, market, kwargs = SCENARIOS["no_roll"]  # spot beyond a short put for one session, then a hedge
    history = kwargs["spx_history"].copy()
    d = decide(book, market, spx_history=history, rules=kwargs["rules"])
    history.iloc[:] = 5700.0  # two sessions beyond, had it been read now
    last = d.actions[-1]
    assert last.trades
    risk = value_book(d.book_after, market)
    after = evaluate_rules(RuleInputs(d.book_after, market, risk, spx_history=HISTORY_1), kwargs["rules"])
    assert max(next(r for r in after if r.id == RuleId.ROLL).details["sessions"].values()) == 1
    assert [(r.id, r.status, r.details.get("sessions")) for r in last.rules_after] == [
        (r.id, r.status, r.details.get("sessions")) for r in after
    ]
    assert last.rules_after is last.rules_after  # evaluated once
    assert last.greeks_after == pytest.approx(greek_summary(value_book(d.book_after, market)), rel=1e-12)


LEAN_VARIANTS: dict[str, dict[str, Any]] = {
    "as given": {},
    "stress sizing": {"rules": default_rules()},
    "hedge rules off": {"rules": default_rules().with_overrides({r: {"enabled": False} for r in HEDGE_RULES})},
    "tightened": {
        "rules": default_rules(),
        "signals": signals(vix_macd_trend=MacdTrend.EXPANDING),
        "inflation_rising": True,
    },
}
"""The cases' rules and inputs, and the backtest's: the default rules (hedges sized by R-STRESS),
those of its naked and static strategies, and R-MACD-TIGHTEN firing (the rules after it read
tightened limits)."""


@pytest.mark.parametrize("variant", list(LEAN_VARIANTS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_without_all_rules_the_actions_are_the_same_and_only_the_rules_read_are_evaluated(
    name: str, variant: str
) -> None:
    """``all_rules=False`` (the backtest): the same actions, trades and numbers; the decision's
    rules are those the steps read, as evaluate_rules gives them, in the registry's order; R-RECON
    (information only: a repricing of the book) is not evaluated."""
    book, market, kwargs = SCENARIOS[name]
    inputs = {"rules": RULES, **kwargs, **LEAN_VARIANTS[variant]}
    full = decide(book, market, **inputs)
    lean = decide(book, market, **inputs, all_rules=False)
    assert [(a.type, a.rules, a.trades, a.feasible) for a in lean.actions] == [
        (a.type, a.rules, a.trades, a.feasible) for a in full.actions
    ]
    assert [a.numbers for a in lean.actions] == [a.numbers for a in full.actions]
    by_id = {r.id: r for r in full.rules}
    ids = [r.id for r in lean.rules]
    assert ids == [r.id for r in full.rules if r.id in ids]  # the registry's order
    assert [(r.status, r.value, r.message) for r in lean.rules] == [
        (by_id[i].status, by_id[i].value, by_id[i].message) for i in ids
    ]
    assert RuleId.RECON not in ids and len(ids) < len(full.rules)
    if variant == "tightened":
        assert by_id[RuleId.MACD_TIGHTEN].fired


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_decision_serialises_to_json(name: str) -> None:
    d = decision(name)
    data = d.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert data["as_of"] == "2026-11-20T16:00:00" and data["book"] == BOOK.name
    for key, value in greek_summary(d.risk).items():
        assert data["greeks"][key] == pytest.approx(value, rel=1e-15)
    assert [r["id"] for r in data["rules"]] == [r.id for r in d.rules]
    for r, rd in zip(d.rules, data["rules"], strict=True):
        assert rd["status"] == r.status.value
        assert rd["value"] == (None if r.value is None else pytest.approx(r.value, rel=1e-15))
    assert len(data["actions"]) == len(d.actions)
    for a, ad in zip(d.actions, data["actions"], strict=True):
        assert ad["type"] == a.type.value and ad["rules"] == list(a.rules) and ad["feasible"] == a.feasible
        assert ad["cost"] == pytest.approx(a.cost, abs=0.005)
        for key, value in a.greeks_after.items():
            assert ad["greeks_after"][key] == (None if not math.isfinite(value) else pytest.approx(value, rel=1e-15))
        for key, value in a.numbers.items():
            assert ad["numbers"][key] == (None if not math.isfinite(value) else pytest.approx(value, rel=1e-15))
        assert [r["id"] for r in ad["rules_after"]] == [r.id for r in a.rules_after]
        for t, td in zip(a.trades, ad["trades"], strict=True):
            assert td["quantity"] == t.quantity and td["instrument"] == t.instrument and td["layer"] == t.layer
            assert td["expiry"] == t.expiry.isoformat() and td["strike"] == t.strike and td["right"] == t.right
            assert td["price"] == pytest.approx(t.price, abs=5e-5) and td["cost"] == pytest.approx(t.cost, abs=0.005)
    if d.next_event is not None:
        assert data["next_event"] == {"date": d.next_event.date.isoformat(), "kind": d.next_event.kind}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_action_names_only_rules_the_registry_lets_trigger_it(name: str) -> None:
    """The registry's ``actions`` are the engine's contract: an action cites a rule only if that
    rule's spec lists the action (and an action other than HOLD cites at least one)."""
    for action in decision(name).actions:
        allowed = set(rules_triggering(action.type))
        assert set(action.rules) <= allowed, (name, action.type, action.rules, allowed)
        assert action.rules or action.type is ActionType.HOLD, (name, action.type)
