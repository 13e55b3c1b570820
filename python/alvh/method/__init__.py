"""The method layer (docs/method.md): market signals, the rule table and its evaluation, the
decision engine and the hedge-sizing solver."""

from alvh.method.decisions import Action, ActionType, Decision, Trade, decide
from alvh.method.rules import RuleId, RuleResult, Rules, RuleStatus, default_rules, evaluate_rules, load_rules
from alvh.method.signals import Signals, signal_history, signal_snapshot
from alvh.method.sizing import size_hedges

__all__ = [
    "Action",
    "ActionType",
    "Decision",
    "RuleId",
    "RuleResult",
    "RuleStatus",
    "Rules",
    "Signals",
    "Trade",
    "decide",
    "default_rules",
    "evaluate_rules",
    "load_rules",
    "signal_history",
    "signal_snapshot",
    "size_hedges",
]
