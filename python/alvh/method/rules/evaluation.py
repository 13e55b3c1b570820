"""Evaluate every rule of the registry on a valued book, R-MACD-TIGHTEN first: while it fires, the
vega limits it names (:attr:`RuleSpec.tightened`) are tightened for the rules evaluated after it."""

from __future__ import annotations

from alvh.method.rules.config import Rules, default_rules
from alvh.method.rules.registry import RULE_SPECS, TIGHTENER, RuleSpec, rule_spec
from alvh.method.rules.results import RuleInputs, RuleResult, skipped

__all__ = ["evaluate_rule", "evaluate_rules"]


def evaluate_rules(inputs: RuleInputs, rules: Rules | None = None) -> list[RuleResult]:
    """Evaluate every enabled rule (disabled ones are reported as skipped), in table order."""
    rules = rules or default_rules()
    tightener = _evaluate(rule_spec(TIGHTENER), inputs, rules)
    in_force = rules.in_force(tightener.fired)
    return [tightener if spec.id is TIGHTENER else _evaluate(spec, inputs, in_force) for spec in RULE_SPECS]


def evaluate_rule(rule_id: str, inputs: RuleInputs, rules: Rules) -> RuleResult:
    """One rule alone, as :func:`evaluate_rules` would give it (R-MACD-TIGHTEN evaluated first only
    when the rule has limits it tightens)."""
    spec = rule_spec(rule_id)
    tightening = bool(spec.tightened) and _evaluate(rule_spec(TIGHTENER), inputs, rules).fired
    return _evaluate(spec, inputs, rules.in_force(tightening))


def _evaluate(spec: RuleSpec, inputs: RuleInputs, rules: Rules) -> RuleResult:
    if not rules.by_id(spec.id).enabled:
        return skipped(spec.id, "switched off in the rules file")
    return spec.evaluate(inputs, rules)
