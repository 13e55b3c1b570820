"""How the decision engine's answers show in a console and a notebook (:mod:`alvh._repr`): an
action by its rules, its trades and its premium; a decision by the rules that fired and its
actions, and in HTML the rule table (fired rules flagged), the actions and their trades."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from alvh._html import table
from alvh._repr import MAX_ROWS, bounded, count, dollars, html_block

if TYPE_CHECKING:  # the result classes call these functions from their own modules
    from alvh.method.actions import Action
    from alvh.method.decisions import Decision
    from alvh.method.trades import Trade

__all__ = ["action_html", "action_text", "decision_html", "decision_text", "trade_text"]

REASON_CHARS = 160
"""An action's reason is cut to this many characters in its text repr (the HTML has it whole)."""


def trade_text(trade: Trade) -> str:
    """One trade on one line: ``-10 SPXW 2026-12-04 5685 put @ 3.10 → core``."""
    strike = "" if trade.strike is None else f" {trade.strike:g}"
    right = "" if trade.right is None else f" {trade.right}"
    return f"{trade.quantity:+,d} {trade.instrument} {trade.expiry}{strike}{right} @ {trade.price:,.2f} → {trade.layer}"


def _trades_frame(trades: Sequence[Trade], actions: Sequence[str] | None = None) -> pd.DataFrame:
    columns = ["layer", "instrument", "expiry", "right", "strike", "quantity", "price", "cost"]
    frame = pd.DataFrame([t.to_dict() for t in trades], columns=columns)
    if actions is not None:
        frame.insert(0, "action", list(actions))
    return frame.rename(columns={"price": "price (per unit)", "cost": "cost ($)"})


# --- one action -------------------------------------------------------------------------------


def _action_title(action: Action) -> str:
    rules = f" ({', '.join(action.rules)})" if action.rules else ""
    feasible = "" if action.feasible else ", not feasible"
    trades = count(len(action.trades), "trade")
    return f"Action {action.type.value}{rules}: {trades}, premium {dollars(action.cost)}{feasible}"


def action_text(action: Action) -> str:
    """The title, the trades (at most :data:`MAX_ROWS`) and the reason, cut to
    :data:`REASON_CHARS`."""
    reason = action.reason if len(action.reason) <= REASON_CHARS else action.reason[: REASON_CHARS - 1] + "…"
    return "\n".join([_action_title(action), *bounded([trade_text(t) for t in action.trades], "trades"), f"  {reason}"])


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
    return (
        f"Decision for {decision.book.name!r} at {decision.as_of:%Y-%m-%d %H:%M}: "
        f"{count(len(decision.actions), 'action')} ({', '.join(a.type.value for a in decision.actions)})"
    )


def decision_text(decision: Decision) -> str:
    """The title, the rules that fired (in breach, in warning), one line per action with its trades, and
    the next scheduled event."""
    lines = [_decision_title(decision)]
    fired = [r for r in decision.rules if r.fired]
    for status in dict.fromkeys(r.status.value for r in fired):  # breach, warn
        lines.append(f"  {status}: {', '.join(r.id for r in fired if r.status.value == status)}")
    actions = [
        f"{a.type.value}: {'; '.join(trade_text(t) for t in a.trades[:MAX_ROWS]) or 'no trades'}"
        + (f"; … {len(a.trades) - MAX_ROWS} more trades" if len(a.trades) > MAX_ROWS else "")
        for a in decision.actions
    ]
    lines += bounded(actions, "actions")
    if decision.next_event is not None:
        lines.append(f"  next event: {decision.next_event.kind} on {decision.next_event.date}")
    return "\n".join(lines)


def decision_html(decision: Decision) -> str:
    """The rule table (rules that fired flagged), the actions and every proposed trade."""
    rules = pd.DataFrame(
        [(r.id, r.status.value, r.value, r.limit, r.message) for r in decision.rules],
        columns=["rule", "status", "value", "limit", "message"],
    )
    actions = pd.DataFrame(
        [(a.type.value, ", ".join(a.rules), len(a.trades), a.cost, a.feasible, a.reason) for a in decision.actions],
        columns=["action", "rules", "trades", "premium ($)", "feasible", "reason"],
    )
    trades = [(a.type.value, t) for a in decision.actions for t in a.trades]
    parts = [
        table(rules, caption="Rules", flagged=[r.fired for r in decision.rules], digits=3),
        table(actions, caption="Actions"),
    ]
    if trades:
        parts.append(table(_trades_frame([t for _, t in trades], [a for a, _ in trades]), caption="Trades"))
    return html_block(_decision_title(decision), *parts)
