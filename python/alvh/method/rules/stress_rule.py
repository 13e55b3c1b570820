"""R-STRESS (docs/method.md, Rules: R-STRESS): the book's worst P&L over the stress scenario set
(:func:`alvh.method.stress.stress_scenarios`) against a loss limit, a share of the core's
defined-risk margin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alvh._format import dollars
from alvh.method.rules.ids import RuleId
from alvh.method.rules.results import RuleInputs, RuleResult, rule_result, skipped
from alvh.method.stress import stress_scenarios

if TYPE_CHECKING:
    from alvh.method.rules.config import Rules

__all__ = ["stress"]


def stress(inputs: RuleInputs, rules: Rules) -> RuleResult:
    """Breach when the worst scenario loses more than ``loss_limit`` of the margin; the value is
    the worst loss as a share of the limit (above 1: a breach; at or below 0: no scenario loses)."""
    rule, risk = rules.stress, inputs.risk
    margin = float(risk.condors["max_loss"].sum()) if len(risk.condors) else 0.0
    if margin <= 0:
        return skipped(RuleId.STRESS, "the core has no defined-risk margin to set the loss limit against")
    scenarios = stress_scenarios(inputs.book, inputs.market, rule, cache=inputs.cache)
    label, worst = scenarios.worst_with()
    limit = rule.loss_limit * margin
    share = -worst / limit
    return rule_result(
        RuleId.STRESS,
        rule,
        share > 1,
        share,
        f"worst scenario loss <= {rule.loss_limit:.0%} of margin ({dollars(limit, sign=False)})",
        f"The worst of {len(scenarios.labels)} stress scenarios ({label}) makes {dollars(worst)}: "
        f"{share:.0%} of the {dollars(limit, sign=False)} loss limit.",
        worst_scenario=label,
        worst_pnl=worst,
        loss_limit=limit,
        margin=margin,
    )
