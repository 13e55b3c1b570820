"""The decision engine: from the book's Greeks, the rules and the market signals, an ordered list
of actions — each with the rules and numbers that fired it, the proposed trades (instrument,
expiry, strikes, integer quantity, estimated cost) and the book's Greeks and rule results after
the trades, re-evaluated through the same engine (docs/method.md, Decisions).

The engine is a pipeline of steps (:data:`STEPS`) over immutable book states
(:class:`alvh.method.state.BookState`): each step answers the rules fired on the state it is
given and returns its action (or None) and the state its trades leave, which the next step is
given. In the order they act:

* ``DELAYER`` (R-DELAYER): close the L1, L3 and outer hedge layers that show a gain, to capture a
  spike's gain; while it fires no hedge is added back (no ADD_VEGA_HEDGE, ADD_L3 or R-RSI-REDUCE
  hedge);
* ``ROLL_CORE`` (R-ROLL): a true technical break — close the broken condor, reopen it out in time
  at R-ROLL's ``short_delta`` (the backtest's ``[ladder]``'s), with the wings it had;
* ``REDUCE`` (R-CROWDED-BE): cut the condors near their break-evens by a share, don't close them;
* ``ADD_L3`` (R-L3): VIX put spreads sized to a share of the core's vega;
* ``ADD_THETA_LAYER`` (R-MACD-LADDER, R-SKEW-ADD): a new condor at the target DTE, at
  R-MACD-LADDER's ``short_delta`` with its ``wing_width``-point wings (the backtest sets both from
  its ``[ladder]``), or a short put spread on the lower-delta side;
* ``ADD_VEGA_HEDGE`` / ``TRIM_HEDGE`` (R-STRESS, when switched on): hedges sized so that the book's
  loss in every scenario of a stress set stays above a limit, within a premium budget, at least
  cost (:func:`alvh.method.stress_hedge.stress_hedge`); the vega bands then size nothing;
* ``ADD_VEGA_HEDGE`` / ``TRIM_HEDGE`` (R-HEDGE-VEGA, R-RSI-REDUCE): nothing while the hedge
  share stays inside its trigger band; a breach is traded to the target band's nearest edge at
  least cost (:func:`alvh.method.hedging.hedge_vega`), with VX/VXM futures and L1 VIX call spreads
  expiring just after the next scheduled event (a trim sells back what is held); no vega hedge
  is added within ``min_hold_days`` of one taken off;
* ``HEDGE_DELTA`` (R-DELTA): E-mini and Micro E-mini S&P 500 futures bring delta back to the
  target edge (:func:`alvh.method.hedging.hedge_delta`); with ``instrument = "vix"`` the VIX
  futures of the vega step hold the delta band instead (the articles' L2), with a cap on their
  vega. Every hedge action is named by what its trades do to hedge vega; the core's strikes are
  left alone;
* ``HOLD`` when nothing fired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alvh._jsonable import jsonable
from alvh.book import Book
from alvh.market.events import Event, next_event
from alvh.market.snapshot import Market
from alvh.method.actions import Action, ActionType
from alvh.method.costs import TradingCosts
from alvh.method.display import decision_html, decision_text
from alvh.method.hedging import hedge_delta, hedge_vega
from alvh.method.rules import RuleResult, Rules, default_rules
from alvh.method.signals import Signals
from alvh.method.state import BookState, DecisionInputs, HedgeHistory, Step, greek_summary
from alvh.method.steps import add_l3, add_theta_layer, delayer, reduce_crowded, roll_core
from alvh.method.stress_hedge import stress_hedge
from alvh.method.trades import Trade, apply_trades
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import BookRisk

__all__ = ["STEPS", "Action", "ActionType", "Decision", "Trade", "decide", "run_steps"]

STEPS: tuple[Step, ...] = (
    delayer,
    roll_core,
    reduce_crowded,
    add_l3,
    add_theta_layer,
    stress_hedge,
    hedge_vega,
    hedge_delta,
)
"""The engine's steps in the order they act (the module docstring's); the hedges are last, so that
they size the book the others leave, and delta after vega, whose hedges move delta too."""


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one book and market."""

    as_of: dt.datetime
    book: Book
    risk: BookRisk
    rules: tuple[RuleResult, ...]
    actions: tuple[Action, ...]
    next_event: Event | None = None

    @property
    def book_after(self) -> Book:
        """The book with every proposed trade applied."""
        return apply_trades(self.book, [t for a in self.actions for t in a.trades])

    def __repr__(self) -> str:
        return decision_text(self)

    def _repr_html_(self) -> str:
        return decision_html(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the CLI's ``--json`` and the journal store this)."""
        data: dict[str, Any] = jsonable(
            {
                "as_of": self.as_of.isoformat(),
                "book": self.book.name,
                "greeks": greek_summary(self.risk),
                "rules": [r.to_dict() for r in self.rules],
                "actions": [a.to_dict() for a in self.actions],
                "next_event": None
                if self.next_event is None
                else {"date": self.next_event.date.isoformat(), "kind": self.next_event.kind},
            }
        )
        return data


def decide(
    book: Book,
    market: Market,
    *,
    rules: Rules | None = None,
    signals: Signals | None = None,
    events: list[Event] | None = None,
    spx_history: pd.Series | None = None,
    inflation_rising: bool | None = None,
    theta_ratio: float | None = None,
    opened_today: tuple[str, ...] | None = None,
    cache: ValuationCache | None = None,
    costs: TradingCosts | None = None,
    history: HedgeHistory | None = None,
    all_rules: bool = True,
) -> Decision:
    """Evaluate the rules on ``book`` at ``market`` and propose the actions of the module
    docstring, each re-evaluated after its trades.

    ``cache``: valuations to share with the caller's own of ``market`` (see
    :class:`alvh.risk.ValuationCache`); by default the decision's valuations share a cache of
    their own. ``costs``: what trading costs (the hedges are sized in these dollars; default
    :class:`alvh.method.costs.TradingCosts`). ``history``: what the hedge rules remember of the
    days before (default: nothing). ``opened_today``: the core groups opened today before this
    decision (R-SHORT-DELTA judges them at entry; default None: not known, and the rule reports the
    current deltas as information). ``all_rules=False``: only the rules the steps read are
    evaluated, and the decision's ``rules`` are those (a caller that executes the actions and
    reports no rule, the backtest, skips the others: R-RECON's repricing, the warnings); the
    actions are the same. R-MACD-TIGHTEN then still tightens the rules it names but is listed only
    if a step read it, and a HOLD's ``rules_after`` (all rules) are evaluated when first read."""
    event = next_event(events or [], market.as_of.date())
    inputs = DecisionInputs(
        market,
        rules or default_rules(),
        ValuationCache() if cache is None else cache,
        signals=signals,
        spx_history=None if spx_history is None else spx_history.copy(),  # read again after the call
        inflation_rising=inflation_rising,
        theta_ratio=theta_ratio,
        opened_today=None if opened_today is None else tuple(opened_today),
        event=event,
        costs=costs or TradingCosts(),
        history=history or HedgeHistory(),
    )
    first = BookState(book, inputs)
    # the decision hands this valuation out and a HOLD reads it later: read it now, while the
    # caller's book is as given (and every rule, unless the caller wants only those the steps read)
    risk, _ = first.risk, first.greeks
    if all_rules:
        first.results  # noqa: B018  (evaluated now, as the valuation)
    actions = run_steps(first)
    return Decision(market.as_of, book, risk, first.rules_read, actions, event)


def run_steps(state: BookState, steps: Sequence[Step] = STEPS) -> tuple[Action, ...]:
    """The actions of ``steps`` in turn, each given the state the previous one left (HOLD when
    none acts)."""
    actions = []
    for step in steps:
        action, state = step(state)
        if action is not None:
            actions.append(action)
    if not actions:
        actions.append(Action(ActionType.HOLD, (), "No rule calls for action: hold.", {}, (), after=state))
    return tuple(actions)
