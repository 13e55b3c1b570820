"""The book as the decision engine changes it (docs/method.md, Decisions): an immutable state —
a book and what stays fixed while it changes (market, rules, the rules' other inputs, the next
event) — whose valuation and rule results are computed on first read, once.

Computed on first read so that the state after the last action (which the backtest never reads)
costs nothing; once, because they are a function of the state's frozen fields alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from alvh.book import Book
from alvh.market.events import Event
from alvh.market.snapshot import Market
from alvh.method.actions import Action, ActionType
from alvh.method.costs import TradingCosts
from alvh.method.rules import RuleId, RuleInputs, RuleResult, Rules, evaluate_rules
from alvh.method.rules.evaluation import evaluate_rule
from alvh.method.rules.registry import RULE_SPECS
from alvh.method.signals import Signals
from alvh.method.trades import Trade, apply_trades
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import BookRisk, value_book

__all__ = ["GREEK_SUMMARY", "BookState", "DecisionInputs", "HedgeHistory", "Step", "StepResult", "greek_summary"]

GREEK_SUMMARY = ["spx_delta", "spx_dollar_delta", "spx_gamma", "spx_vega", "tw_vega", "theta", "market_value"]


def greek_summary(risk: BookRisk) -> dict[str, float]:
    """The headline numbers of a valued book."""
    out = {name: float(risk.total[name]) for name in GREEK_SUMMARY}
    out["delta_per_condor"] = risk.delta_per_condor
    out["hedge_vega_share"] = risk.hedge_vega_share
    return out


@dataclass(frozen=True)
class HedgeHistory:
    """What the hedge rules remember of the days before (docs/method.md, Bands and sizing): the
    core's vega at the previous closes (the smoothed denominator) and the last day a hedge was
    taken off (the minimum holding time). A caller without a past (a one-off report) passes none."""

    core_vega: tuple[float, ...] = ()
    """The core's SPX-equivalent vega ($ per vol point) at the previous closes, oldest first."""
    last_hedge_exit: dt.date | None = None
    """The last day a hedge layer was taken off (a trim or a de-layering)."""


@dataclass(frozen=True, eq=False)
class DecisionInputs:
    """What one decision is made against, the same for every state of the book: the market, the
    rules, the rules' inputs other than the book (see :class:`alvh.method.rules.RuleInputs`), the
    next scheduled event, and the cache every valuation of the decision shares (the books after
    each action mostly hold the same condors)."""

    market: Market
    rules: Rules
    cache: ValuationCache
    signals: Signals | None = None
    spx_history: pd.Series | None = None
    inflation_rising: bool | None = None
    theta_ratio: float | None = None
    opened_today: tuple[str, ...] | None = None
    """The core groups opened today, before the decision (R-SHORT-DELTA); None: not known."""
    event: Event | None = None
    costs: TradingCosts = field(default_factory=TradingCosts)
    history: HedgeHistory = field(default_factory=HedgeHistory)


@dataclass(frozen=True, eq=False)
class BookState:
    """A book the engine reached, and its valuation and rule results (computed on first read)."""

    book: Book
    inputs: DecisionInputs

    @cached_property
    def risk(self) -> BookRisk:
        return value_book(self.book, self.inputs.market, per_leg=True, cache=self.inputs.cache)

    @cached_property
    def greeks(self) -> dict[str, float]:
        return greek_summary(self.risk)

    @cached_property
    def _rule_inputs(self) -> RuleInputs:
        given = self.inputs
        return RuleInputs(
            self.book,
            given.market,
            self.risk,
            signals=given.signals,
            spx_history=given.spx_history,
            inflation_rising=given.inflation_rising,
            theta_ratio=given.theta_ratio,
            opened_today=given.opened_today,
            core_vega_history=given.history.core_vega,
            cache=given.cache,
        )

    @cached_property
    def results(self) -> tuple[RuleResult, ...]:
        return tuple(evaluate_rules(self._rule_inputs, self.inputs.rules))

    @cached_property
    def _rules(self) -> dict[str, RuleResult]:
        """The rules read one at a time so far, by id (before :attr:`results` are evaluated)."""
        return {}

    @property
    def rules_read(self) -> tuple[RuleResult, ...]:
        """The rules evaluated so far: all of them once :attr:`results` are, else those read one
        at a time (:meth:`rule`), in the registry's order."""
        if "results" in self.__dict__:
            return self.results
        return tuple(self._rules[spec.id] for spec in RULE_SPECS if spec.id in self._rules)

    def rule(self, rule_id: str) -> RuleResult:
        """One rule's result on this book: from :attr:`results` once they are evaluated, else that
        rule alone, once (a step that reads one rule does not evaluate them all)."""
        if "results" in self.__dict__:
            return next(r for r in self.results if r.id == rule_id)
        if rule_id not in self._rules:
            self._rules[rule_id] = evaluate_rule(rule_id, self._rule_inputs, self.inputs.rules)
        return self._rules[rule_id]

    @cached_property
    def fired(self) -> Mapping[str, RuleResult]:
        """The rules that call for action on this book, by id: looking one up evaluates that rule
        alone (:meth:`rule`; the steps read a few rules of the states after the first), listing
        them evaluates them all."""
        return _Fired(self)

    def after(self, trades: Iterable[Trade]) -> BookState:
        """The state of this book with ``trades`` done (this state is left as it is)."""
        return BookState(apply_trades(self.book, trades), self.inputs)

    def act(
        self,
        kind: ActionType,
        rules: tuple[str, ...],
        reason: str,
        numbers: dict[str, float],
        trades: tuple[Trade, ...] = (),
        *,
        feasible: bool = True,
    ) -> tuple[Action, BookState]:
        """The action and the state it leaves: an action without trades (infeasible, nothing to
        close) leaves the book as it was."""
        after = self.after(trades) if trades else self
        return Action(kind, rules, reason, numbers, trades, feasible, after=after), after


_RULE_IDS = frozenset(rule.value for rule in RuleId)


class _Fired(Mapping[str, RuleResult]):
    """:attr:`BookState.fired`."""

    def __init__(self, state: BookState) -> None:
        self._state = state

    def __getitem__(self, rule_id: str) -> RuleResult:
        if rule_id not in _RULE_IDS:
            raise KeyError(rule_id)  # a mapping's answer for a key it never holds
        result = self._state.rule(rule_id)
        if not result.fired:
            raise KeyError(rule_id)
        return result

    def __iter__(self) -> Iterator[str]:
        return (r.id for r in self._state.results if r.fired)

    def __len__(self) -> int:
        return sum(r.fired for r in self._state.results)


StepResult = tuple[Action | None, BookState]
"""A step's action (None: the step does nothing) and the state it leaves."""

Step = Callable[[BookState], StepResult]
"""One step of the decision engine: it answers the rules fired on the state it is given."""
