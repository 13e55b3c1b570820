"""Notebook and console views of a Decision and an Action: the rules that fired, the actions with
their trades, in a few lines; in HTML the rule table with the fired rules flagged, the actions and
every trade."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from alvh._html import cell
from alvh._repr import MAX_ROWS
from alvh.data import example_book, example_market
from alvh.method.decisions import ActionType, decide
from alvh.method.display import REASON_CHARS
from alvh.method.trades import Trade
from tests.html_tables import read_tables

DECISION = decide(example_book(), example_market())
(ACTION,) = DECISION.actions  # R-STRESS's hedge: +9 VXM
SPREAD = (
    Trade("L3", "VIX", dt.date(2027, 1, 20), -4, "put", 18.0, 1.25),
    Trade("L3", "VIX", dt.date(2027, 1, 20), 4, "put", 16.0, 0.6),
)


def test_decision_repr_names_the_fired_rules_and_each_actions_trades() -> None:
    text = repr(DECISION)
    assert text.splitlines() == [
        "Decision for 'Example ALVH book' at 2026-11-20 16:00: 1 action (ADD_VEGA_HEDGE)",
        "  breach: R-STRESS",
        "  warn: R-VEGA-PER-SPREAD",
        "  ADD_VEGA_HEDGE: +9 VXM 2026-12-16 @ 17.15 → L2",
    ]
    assert {r.id for r in DECISION.rules if r.fired} == {"R-VEGA-PER-SPREAD", "R-STRESS"}
    (trade,) = ACTION.trades
    assert (trade.quantity, trade.instrument, trade.price) == (9, "VXM", 17.15)


def test_a_hold_has_no_trades() -> None:
    hold = replace(ACTION, type=ActionType.HOLD, rules=(), reason="No rule calls for action: hold.", trades=())
    assert repr(replace(DECISION, actions=(hold,))).splitlines()[-1] == "  HOLD: no trades"
    assert repr(hold).splitlines() == ["Action HOLD: 0 trades, premium 0 $", "  No rule calls for action: hold."]
    assert repr(replace(hold, reason="")).splitlines() == ["Action HOLD: 0 trades, premium 0 $"]  # no blank line


def test_decision_repr_stays_short_with_many_actions_and_trades() -> None:
    many = replace(ACTION, trades=SPREAD * 10)
    lines = repr(replace(DECISION, actions=(many,) * 9)).splitlines()
    assert len(lines) == 3 + MAX_ROWS + 1 and lines[-1] == "  … 3 more actions"
    assert lines[3].count("VIX 2027-01-20") == MAX_ROWS and lines[3].endswith("; … 14 more trades")
    assert "BookState" not in "\n".join(lines)


def test_action_repr_has_the_trades_premium_and_a_cut_reason() -> None:
    lines = repr(ACTION).splitlines()
    assert lines[0] == "Action ADD_VEGA_HEDGE (R-STRESS): 1 trade, premium 0 $"  # a future: no premium
    assert lines[1] == "  +9 VXM 2026-12-16 @ 17.15 → L2"
    assert len(ACTION.reason) > REASON_CHARS
    assert lines[2] == f"  {ACTION.reason[: REASON_CHARS - 1]}…" and len(lines) == 3
    spread = replace(ACTION, trades=SPREAD * 4, feasible=False)
    lines = repr(spread).splitlines()
    assert lines[0].endswith("8 trades, premium -1,040 $, not feasible")  # 4 × (-4 × 1.25 + 4 × 0.60) × 100
    assert lines[1] == "  -4 VIX 2027-01-20 18 put @ 1.25 → L3" and lines[2] == "  +4 VIX 2027-01-20 16 put @ 0.60 → L3"
    assert lines[1 + MAX_ROWS] == "  … 2 more trades"


def test_decision_html_flags_the_fired_rules_and_lists_the_trades() -> None:
    title, (rules, actions, trades) = read_tables(DECISION._repr_html_())
    assert title == repr(DECISION).splitlines()[0]
    assert rules.column("rule") == [r.id for r in DECISION.rules]
    assert [r for r, flag in zip(rules.column("rule"), rules.flagged, strict=True) if flag] == [
        "R-VEGA-PER-SPREAD",
        "R-STRESS",
    ]
    assert rules.caption.startswith(f"1 of {len(DECISION.rules)} rules in breach, 1 in warning (tinted)")
    assert rules.row("R-STRESS")["status"] == "breach" and rules.row("R-STRESS")["limit"] == DECISION.rules[-1].limit
    assert actions.header == ["#", "action", "rules", "trades", "premium ($)", "reason"]
    assert actions.rows == [["1", "ADD_VEGA_HEDGE", "R-STRESS", "1", "0", ACTION.reason]]
    assert trades.header[:4] == ["action #", "layer", "instrument", "expiry"]
    assert trades.rows == [["1", "L2", "VXM", "2026-12-16", "", "", "+9", "17.15", "0"]]


def test_a_decision_without_actions_says_so_briefly() -> None:
    idle = replace(DECISION, actions=())
    assert repr(idle).splitlines()[0] == "Decision for 'Example ALVH book' at 2026-11-20 16:00: 0 actions"
    assert len(read_tables(idle._repr_html_())[1]) == 2  # rules and an empty action table, no trade table


def test_action_html_has_the_trades_and_the_numbers_that_fired_it() -> None:
    title, (trades, numbers) = read_tables(replace(ACTION, trades=SPREAD)._repr_html_())
    assert title.startswith("Action ADD_VEGA_HEDGE (R-STRESS): 2 trades")
    assert trades.caption == ACTION.reason
    assert trades.column("strike") == ["18", "16"] and trades.column("quantity") == ["-4", "+4"]
    assert trades.column("cost ($)") == ["-500", "+240"]
    assert numbers.column("number") == list(ACTION.numbers)
    assert numbers.row("worst_before")["value"] == cell(ACTION.numbers["worst_before"], digits=4)
    _, (reason, _) = read_tables(replace(ACTION, trades=())._repr_html_())
    assert reason.header == ["reason"] and reason.rows == [[ACTION.reason]]
