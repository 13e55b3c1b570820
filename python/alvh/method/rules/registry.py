"""The rule registry: every rule of the method declared once, in table order — its id, the model
of its parameters, its evaluator, the actions it may trigger and whether it is about the hedge
layers (docs/method.md, Rules: each rule's subsection says what it measures, its default and its
source; the defaults themselves are in ``alvh/data/rules.toml``).

Everything else reads this table: :class:`alvh.method.rules.Rules` (the rules file's tables) is
checked against it, :func:`alvh.method.rules.evaluate_rules` runs its evaluators, and the decision
engine and the backtest ask it which rules trigger which actions (:func:`rules_triggering`) or
touch the hedges (:func:`hedge_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alvh.exceptions import ConfigError
from alvh.method.actions import ActionType
from alvh.method.rules import book_rules, signal_rules, stress_rule
from alvh.method.rules.ids import RuleId
from alvh.method.rules.parameters import (
    BreakevenRule,
    CrowdedRule,
    DelayerRule,
    DeltaRule,
    DteRule,
    HedgeVegaRule,
    L3Rule,
    MacdLadderRule,
    MacdTightenRule,
    NetVegaRule,
    ReconRule,
    RollRule,
    RsiReduceRule,
    RuleConfig,
    ShortDeltaRule,
    SkewAddRule,
    SleeveVegaRule,
    StressRule,
    ThetaRule,
    VegaPerSpreadRule,
)
from alvh.method.rules.results import RuleInputs, RuleResult

if TYPE_CHECKING:
    from alvh.method.rules.config import Rules

__all__ = ["RULE_SPECS", "TIGHTENER", "RuleSpec", "hedge_rules", "rule_spec", "rules_triggering"]


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the method.

    Attributes
    ----------
    id
        The rule's id, as rules.toml names it.
    field
        The attribute of :class:`alvh.method.rules.Rules` that holds its parameters.
    config
        The model of its parameters (its rules.toml table).
    evaluate
        Its evaluator: the inputs and the rules in force give its :class:`RuleResult`.
    actions
        The actions of the decision engine that name it when it fires.
    hedge
        Whether it is about the hedge layers (the backtest switches these off for unhedged books).
    tightened
        The fields of its parameters that R-MACD-TIGHTEN scales down while it fires.
    """

    id: RuleId
    field: str
    config: type[RuleConfig]
    evaluate: Callable[[RuleInputs, Rules], RuleResult]
    actions: tuple[ActionType, ...] = ()
    hedge: bool = False
    tightened: tuple[str, ...] = ()


_HEDGE_TRADES = (ActionType.ADD_VEGA_HEDGE, ActionType.TRIM_HEDGE)

RULE_SPECS: tuple[RuleSpec, ...] = (
    RuleSpec(
        RuleId.DELTA,
        "delta",
        DeltaRule,
        book_rules.delta,
        (ActionType.HEDGE_DELTA, *_HEDGE_TRADES),  # the hedge that meets the delta band may also move vega
        hedge=True,
    ),
    RuleSpec(RuleId.HEDGE_VEGA, "hedge_vega", HedgeVegaRule, book_rules.hedge_vega, _HEDGE_TRADES, hedge=True),
    # no action of its own: it bounds each hedge layer in the sizing of the hedge actions
    RuleSpec(
        RuleId.SLEEVE_VEGA, "sleeve_vega", SleeveVegaRule, book_rules.sleeve_vega, hedge=True, tightened=("max_drift",)
    ),
    # checks of the whole book's net vega, independent of R-HEDGE-VEGA: reported, no trades of their own
    RuleSpec(RuleId.NET_VEGA, "net_vega", NetVegaRule, book_rules.net_vega, hedge=True, tightened=("tolerance",)),
    RuleSpec(
        RuleId.VEGA_PER_SPREAD,
        "vega_per_spread",
        VegaPerSpreadRule,
        book_rules.vega_per_spread,
        hedge=True,
        tightened=("min", "max"),  # the band; its alert level stays
    ),
    RuleSpec(RuleId.THETA, "theta", ThetaRule, book_rules.theta),
    RuleSpec(RuleId.SHORT_DELTA, "short_delta", ShortDeltaRule, book_rules.short_delta),
    RuleSpec(RuleId.DTE, "dte", DteRule, book_rules.dte),
    RuleSpec(RuleId.BREAKEVEN, "breakeven", BreakevenRule, book_rules.breakeven),
    RuleSpec(RuleId.CROWDED_BE, "crowded", CrowdedRule, book_rules.crowded, (ActionType.REDUCE,)),
    RuleSpec(
        RuleId.RSI_REDUCE,
        "rsi_reduce",
        RsiReduceRule,
        signal_rules.rsi_reduce,
        (ActionType.ADD_VEGA_HEDGE,),
        hedge=True,
    ),
    RuleSpec(RuleId.L3, "l3", L3Rule, signal_rules.l3, (ActionType.ADD_L3,), hedge=True),
    RuleSpec(RuleId.SKEW_ADD, "skew_add", SkewAddRule, signal_rules.skew_add, (ActionType.ADD_THETA_LAYER,)),
    RuleSpec(
        RuleId.MACD_LADDER, "macd_ladder", MacdLadderRule, signal_rules.macd_ladder, (ActionType.ADD_THETA_LAYER,)
    ),
    # no action of its own: while it fires, the ``tightened`` fields above shrink by its share
    RuleSpec(RuleId.MACD_TIGHTEN, "macd_tighten", MacdTightenRule, signal_rules.macd_tighten),
    RuleSpec(RuleId.DELAYER, "delayer", DelayerRule, signal_rules.delayer, (ActionType.DELAYER,), hedge=True),
    RuleSpec(RuleId.ROLL, "roll", RollRule, book_rules.roll, (ActionType.ROLL_CORE,)),
    RuleSpec(RuleId.RECON, "recon", ReconRule, book_rules.recon),
    # the stress-budgeted sizing: its trade buys or sells hedges, named by what it does to hedge vega
    RuleSpec(
        RuleId.STRESS,
        "stress",
        StressRule,
        stress_rule.stress,
        (ActionType.HEDGE_DELTA, *_HEDGE_TRADES),
        hedge=True,
    ),
)
"""Every rule, in table order (the order of results and of the rules file)."""

TIGHTENER = RuleId.MACD_TIGHTEN
"""The rule evaluated before the others: while it fires, every spec's ``tightened`` fields are
scaled by (1 - its ``tighten`` share)."""

_BY_ID = {spec.id: spec for spec in RULE_SPECS}


def rule_spec(rule_id: RuleId | str) -> RuleSpec:
    """The spec of one rule, by its id (``RuleId.DELTA`` or ``"R-DELTA"``)."""
    try:
        return _BY_ID[RuleId(rule_id)]
    except ValueError:
        known = ", ".join(spec.id.value for spec in RULE_SPECS)
        raise ConfigError(f"unknown rule {rule_id!r}; rules: {known}") from None


def rules_triggering(*actions: ActionType) -> tuple[RuleId, ...]:
    """The rules that may trigger any of ``actions``, in table order."""
    return tuple(spec.id for spec in RULE_SPECS if set(spec.actions) & set(actions))


def hedge_rules() -> tuple[RuleId, ...]:
    """The rules about the hedge layers, in table order (off for a book without hedges)."""
    return tuple(spec.id for spec in RULE_SPECS if spec.hedge)
