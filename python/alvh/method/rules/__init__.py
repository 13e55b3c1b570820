"""The rule table of the ALVH method (docs/method.md, Rules) as data, and its evaluation on a
valued book.

========================  ==========================================================================
module                    what it holds
========================  ==========================================================================
:mod:`.ids`               :class:`RuleId`, the id of every rule
:mod:`.parameters`        the pydantic model of each rule's parameters
:mod:`.results`           :class:`RuleInputs`, :class:`RuleResult`, :class:`RuleStatus`
:mod:`.book_rules`        the evaluators of the rules on the book (delta, vega, theta, strikes, ...)
:mod:`.signal_rules`      the evaluators of the rules on market signals (RSI, MACD, A/D, VIX spikes)
:mod:`.registry`          :data:`RULE_SPECS`: each rule declared once — id, parameters, evaluator,
                          actions, hedge flag, the limits R-MACD-TIGHTEN tightens
:mod:`.config`            :class:`Rules` (checked against the registry), :func:`load_rules`
:mod:`.evaluation`        :func:`evaluate_rules`
========================  ==========================================================================
"""

from alvh.method.rules.book_rules import near_breakeven
from alvh.method.rules.config import DEFAULT_RULES_PATH, Rules, default_rules, load_rules
from alvh.method.rules.evaluation import evaluate_rules
from alvh.method.rules.ids import RuleId
from alvh.method.rules.registry import RULE_SPECS, RuleSpec, hedge_rules, rule_spec, rules_triggering
from alvh.method.rules.results import RuleInputs, RuleResult, RuleStatus

__all__ = [
    "DEFAULT_RULES_PATH",
    "RULE_SPECS",
    "RuleId",
    "RuleInputs",
    "RuleResult",
    "RuleSpec",
    "RuleStatus",
    "Rules",
    "default_rules",
    "evaluate_rules",
    "hedge_rules",
    "load_rules",
    "near_breakeven",
    "rule_spec",
    "rules_triggering",
]
