"""The decision engine's stress-budgeted hedge step (docs/method.md, Stress-budgeted sizing): when
R-STRESS fires, hedges are bought until the book's worst loss over the stress scenarios is back to
``target`` × the limit, at least dollar cost and within the premium budget (or, when no mix
within the budget can, with the least shortfall); while the worst loss is under ``trim_below`` ×
the limit, held hedges are sold back as far as ``target`` allows. Between the two, nothing trades
(hysteresis). Sized by :func:`alvh.method.stress_sizing.size_for_stress` over the hedge step's
candidates, whose scenario P&L comes from one call of the scenario engine."""

from __future__ import annotations

import math

import numpy as np

from alvh._format import dollars
from alvh.book import Instrument, Role
from alvh.method.actions import ActionType
from alvh.method.hedging import hedge_action_type, hedge_candidates, unit_trades, vix_futures_cap
from alvh.method.rules import RuleId, RuleResult
from alvh.method.sizing import HedgeCandidate
from alvh.method.state import BookState, StepResult
from alvh.method.stress import stress_scenarios
from alvh.method.stress_sizing import StressSizing, size_for_stress

__all__ = ["stress_hedge"]


def stress_hedge(state: BookState) -> StepResult:
    """R-STRESS: buy hedges back inside the loss limit on a breach, sell them while far inside."""
    result = state.rule(RuleId.STRESS)
    if result.value is None or not math.isfinite(result.value) or RuleId.DELAYER in state.fired:
        return None, state  # off, skipped or not measurable (its breach says why); while de-layering, no hedge goes on
    rule = state.inputs.rules.stress
    trim = not result.fired and result.value < rule.trim_below
    if not (result.fired or trim):
        return None, state  # inside the limit and not far inside it: hold (hysteresis)
    last_exit = state.inputs.history.last_hedge_exit
    as_of = state.inputs.market.as_of.date()
    if not trim and last_exit is not None and (as_of - last_exit).days < rule.min_hold_days:
        wait = f"a hedge was taken off on {last_exit}: none is added back for {rule.min_hold_days} days"
        return state.act(ActionType.ADD_VEGA_HEDGE, (RuleId.STRESS,), f"Held: {wait}.", {}, feasible=False)
    risk = state.risk
    limit = float(result.details["loss_limit"])
    floor = -rule.target * limit
    credit = float(risk.condors["credit"].sum())
    budget = rule.budget_share * credit
    candidates = hedge_candidates(state, allow_selling=trim, new_l1=not trim)
    scenarios = stress_scenarios(
        state.book, state.inputs.market, rule, [c.legs for c in candidates], cache=state.inputs.cache
    )
    delta_band = state.inputs.rules.delta.max_abs * Instrument.SPX.multiplier * risk.core_units
    sizing = size_for_stress(
        candidates,
        scenarios,
        floor=floor,
        budget=budget,
        held_premium=_held_premium(state),
        tolerance=(1.0 - rule.target) * limit,
        shortfall=rule.shortfall,
        trim=trim,
        vega=(risk.hedge_vega, rule.max_vega_share * abs(risk.core_vega)),
        caps=vix_futures_cap(state, candidates, abs(risk.core_vega)),
        delta=(float(risk.total["spx_delta"]), -delta_band, delta_band) if rule.hold_delta_band else None,
    )
    if trim and not sizing.units:
        return None, state  # nothing held that can be sold inside the target
    return _action(state, result, candidates, sizing, limit, budget)


def _action(
    state: BookState,
    result: RuleResult,
    candidates: list[HedgeCandidate],
    sizing: StressSizing,
    limit: float,
    budget: float,
) -> StepResult:
    """The action of a sizing: named by what its trades do to hedge vega (added, taken off, or
    unchanged: delta alone; without trades, a breach asks to add), with its numbers and trades."""
    by_name = {c.name: c for c in candidates}
    vega_added = sum(by_name[name].spx_vega * units for name, units in sizing.units.items())
    kind = hedge_action_type(vega_added) if sizing.units else ActionType.ADD_VEGA_HEDGE
    numbers = {
        "worst_before": sizing.worst_before,
        "worst_after": sizing.worst_after,
        "loss_limit": limit,
        "shortfall_after": sizing.shortfall,
        "budget": budget,
        "budget_used": sizing.budget_used,
        "cost": sizing.cost,
        "premium": sizing.premium,
        "hedge_vega_added": vega_added,
    }
    budget_text = f"; budget {dollars(sizing.budget_used, sign=False)} of {dollars(budget, sign=False)}"
    if not sizing.feasible or not sizing.units:
        why = sizing.message if not sizing.feasible else "no integer mix within the budget does better than the book"
        return state.act(kind, (RuleId.STRESS,), f"{result.message} {why}{budget_text}.", numbers, feasible=False)
    trades = unit_trades(candidates, sizing.units)
    bought = ", ".join(f"{units:+d} {name}" for name, units in sizing.units.items())
    return state.act(
        kind,
        (RuleId.STRESS,),
        f"{result.message} {bought}: {sizing.message} (limit {dollars(limit, sign=False)}){budget_text}.",
        numbers,
        trades,
    )


def _held_premium(state: BookState) -> float:
    """$ the hedge layers hold in options: their market value (futures count 0)."""
    layers = state.risk.layers
    hedges = layers["role"].to_numpy(object) != Role.CORE.value
    return float(layers["market_value"].to_numpy(np.float64)[hedges].sum())
