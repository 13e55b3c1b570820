"""How the decision engine's answers show in a console, a notebook and the HTML risk report
(:mod:`alvh._repr`): an action by its rules, its trades and its premium; a decision by the rules
that fired and its actions. The HTML tables — the rules (fired rules tinted), the actions and
their trades — are drawn here once, for a notebook's Decision and Action and for the report's
page (:mod:`alvh.app.html_report`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from alvh._format import count, dollars, share, signed
from alvh._html import table
from alvh._repr import MAX_ROWS, bounded, html_block

if TYPE_CHECKING:  # the result classes call these functions from their own modules
    from alvh.method.actions import Action
    from alvh.method.decisions import Decision
    from alvh.method.rules.results import RuleResult
    from alvh.method.trades import Trade

__all__ = [
    "action_html",
    "action_text",
    "actions_html",
    "decision_html",
    "decision_text",
    "rules_html",
    "trade_text",
    "trades_html",
]

REASON_CHARS = 160
"""An action's reason is cut to this many characters in its text repr (the HTML has it whole)."""

BREACH, WARN = "breach", "warn"
"""The fired :class:`~alvh.method.rules.RuleStatus` values, most urgent first (by value: the rules
package imports the actions, which import this module)."""


def trade_text(trade: Trade) -> str:
    """One trade on one line: ``-10 SPXW 2026-12-04 5685 put @ 3.10 → core`` (the price in index
    points per unit, as quoted)."""
    strike = "" if trade.strike is None else f" {trade.strike:g}"
    right = "" if trade.right is None else f" {trade.right}"
    return f"{trade.quantity:+,d} {trade.instrument} {trade.expiry}{strike}{right} @ {trade.price:,.2f} → {trade.layer}"


def _trades_frame(trades: Sequence[Trade], numbers: Sequence[int] | None = None) -> pd.DataFrame:
    """The trades as table rows (``numbers``: the number of each one's action, in a first column)."""
    frame = pd.DataFrame(
        {
            "layer": [t.layer for t in trades],
            "instrument": [t.instrument for t in trades],
            "expiry": [t.expiry.isoformat() for t in trades],
            "right": [t.right or "" for t in trades],
            "strike": ["" if t.strike is None else f"{t.strike:g}" for t in trades],
            "quantity": [f"{t.quantity:+,d}" for t in trades],
            "price (index pts)": [f"{t.price:,.2f}" for t in trades],
            "cost ($)": [signed(t.cost) for t in trades],
        }
    )
    if numbers is not None:
        frame.insert(0, "action #", list(numbers))
    return frame


# --- the tables a notebook and the report share -----------------------------------------------


def rules_html(results: Sequence[RuleResult]) -> str:
    """The rule table: id, status, value, limit and message, the rules that fired (in breach or
    in warning: they call for action) tinted. Value and limit are in each rule's own units
    (docs/method.md, the rule table), so they share a column but not a unit."""
    frame = pd.DataFrame(
        {
            "rule": [r.id for r in results],
            "status": [r.status.value for r in results],
            "value": ["" if r.value is None or not math.isfinite(r.value) else f"{r.value:.4g}" for r in results],
            "limit": [r.limit for r in results],
            "message": [r.message for r in results],
        }
    )
    breaches = sum(r.status == BREACH for r in results)
    warnings = sum(r.status == WARN for r in results)
    caption = (
        f"{breaches} of {len(results)} rules in breach, {warnings} in warning (tinted); value and limit in "
        "each rule's own units"
    )
    return table(frame, caption=caption, flagged=[r.fired for r in results])


def actions_html(actions: Sequence[Action], *, after: bool = False) -> str:
    """The action table, one row per action in order (infeasible ones tinted): its rules, trades,
    premium and reason; with ``after``, also the book's delta per condor, hedge vega share and
    rules in breach once it is done (each action valued on the book the ones before leave: the
    report's page has them; a notebook repr does not value books)."""
    rows = []
    for number, action in enumerate(actions, 1):
        row = {
            "#": number,
            "action": action.type.value + ("" if action.feasible else " (not feasible)"),
            "rules": ", ".join(action.rules),
            "trades": len(action.trades),
            "premium ($)": signed(action.cost),
        }
        if after:
            greeks = action.greeks_after
            breaches = [r.id for r in action.rules_after if r.status == BREACH]
            row["Δ per condor after"] = signed(greeks["delta_per_condor"], 3) if greeks else ""
            row["hedge vega after"] = share(greeks["hedge_vega_share"]) if greeks else ""
            row["breaches after"] = (", ".join(breaches) or "none") if action.trades else ""
        rows.append({**row, "reason": action.reason})
    caption = "Actions, each applied to the book the ones before leave (not feasible ones tinted)"
    return table(pd.DataFrame(rows), caption=caption, flagged=[not a.feasible for a in actions])


def trades_html(actions: Sequence[Action]) -> str:
    """Every trade of ``actions``, numbered by its action; empty text when there is none."""
    numbered = [(number, trade) for number, action in enumerate(actions, 1) for trade in action.trades]
    if not numbered:
        return ""
    frame = _trades_frame([t for _, t in numbered], [n for n, _ in numbered])
    return table(frame, caption="Trades (quantity in contracts: + buy, − sell)")


# --- one action -------------------------------------------------------------------------------


def _action_title(action: Action) -> str:
    rules = f" ({', '.join(action.rules)})" if action.rules else ""
    feasible = "" if action.feasible else ", not feasible"
    trades = count(len(action.trades), "trade")
    return f"Action {action.type.value}{rules}: {trades}, premium {dollars(action.cost)}{feasible}"


def action_text(action: Action) -> str:
    """The title, the trades (at most :data:`MAX_ROWS`) and the reason, cut to
    :data:`REASON_CHARS` (no line when there is none)."""
    reason = action.reason if len(action.reason) <= REASON_CHARS else action.reason[: REASON_CHARS - 1] + "…"
    trades = bounded([trade_text(t) for t in action.trades[: MAX_ROWS + 1]], "trades", total=len(action.trades))
    return "\n".join([_action_title(action), *trades, *([f"  {reason}"] if reason else [])])


def action_html(action: Action) -> str:
    """The reason, the trades and the numbers that fired the action."""
    numbers = pd.DataFrame({"number": list(action.numbers), "value": list(action.numbers.values())})
    if action.trades:
        parts = [table(_trades_frame(action.trades), caption=action.reason)]
    else:
        parts = [table(pd.DataFrame({"reason": [action.reason]}))]
    if len(numbers):
        parts.append(table(numbers, caption="Numbers that fired it", digits=4))
    return html_block(_action_title(action), *parts)


# --- a decision -------------------------------------------------------------------------------


def _decision_title(decision: Decision) -> str:
    types = f" ({', '.join(a.type.value for a in decision.actions)})" if decision.actions else ""
    return (
        f"Decision for {decision.book.name!r} at {decision.as_of:%Y-%m-%d %H:%M}: "
        f"{count(len(decision.actions), 'action')}{types}"
    )


def _trades_line(action: Action) -> str:
    trades = [trade_text(t) for t in action.trades[:MAX_ROWS]]
    more = len(action.trades) - MAX_ROWS
    return "; ".join(trades + ([f"… {more:,} more trades"] if more > 0 else [])) or "no trades"


def decision_text(decision: Decision) -> str:
    """The title, the rules that fired (in breach, then in warning), one line per action with its
    trades, and the next scheduled event."""
    lines = [_decision_title(decision)]
    for status in (BREACH, WARN):
        fired = [r.id for r in decision.rules if r.status == status]
        if fired:
            lines.append(f"  {status}: {', '.join(fired)}")
    actions = [f"{a.type.value}: {_trades_line(a)}" for a in decision.actions[: MAX_ROWS + 1]]
    lines += bounded(actions, "actions", total=len(decision.actions))
    if decision.next_event is not None:
        lines.append(f"  next event: {decision.next_event.kind} on {decision.next_event.date}")
    return "\n".join(lines)


def decision_html(decision: Decision) -> str:
    """The rule table (rules that fired tinted), the actions and every proposed trade."""
    parts = [rules_html(decision.rules), actions_html(decision.actions), trades_html(decision.actions)]
    return html_block(_decision_title(decision), *parts)
