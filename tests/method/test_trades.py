"""The trades the decision engine proposes (docs/method.md, Decisions): integer contracts with their
costs, the book after them (net positions), closing futures and ungrouped legs."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from alvh.book import Instrument, Leg, Role
from alvh.book.builders import vix_future
from alvh.method.decisions import ActionType, decide
from tests.method.decision_cases import (
    AFTER_SPIKE,
    BOOK,
    DEFAULT_ROLES,
    MARKET,
    RETRACED,
    RULES,
    SCENARIOS,
    book_after,
    decision,
    only,
    positions,
)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_book_after_holds_the_netpositions(name: str) -> None:
    d = decision(name)
    after = d.book_after
    assert positions(after) == positions(book_after(d, d.actions[-1]))
    assert not (after.legs["quantity"] == 0).any()
    roles = {layer.name: layer.role for layer in after.layers}
    assert all(roles[name] is role for name, role in DEFAULT_ROLES.items() if name in roles)


# --- trades: integers, costs; JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_trades_are_integer_contracts_with_their_costs(name: str) -> None:
    d = decision(name)
    for action in d.actions:
        for t in action.trades:
            assert type(t.quantity) is int and t.quantity != 0
            assert t.price > 0 and math.isfinite(t.price)
            multiplier = Instrument(t.instrument).multiplier
            if Instrument(t.instrument).is_option:
                assert t.cost == pytest.approx(t.quantity * multiplier * t.price, rel=1e-15)
                assert t.strike is not None and t.right in ("call", "put")
            else:  # futures: no premium changes hands; the price is the futures level
                assert t.cost == 0.0 and t.strike is None and t.right is None
            assert t.to_leg().quantity == float(t.quantity)
        assert action.cost == pytest.approx(sum(t.cost for t in action.trades), abs=1e-9)
        assert action.greeks_after and action.rules_after


def test_closing_futures_and_ungrouped_legs_serialise() -> None:
    """De-layering an outer layer of VX futures and an ungrouped VIX call: no NaN reaches the trades."""
    outer = [
        ("outer", vix_future(MARKET, dt.date(2027, 3, 17), 2.0, mini=False)),
        ("outer", Leg("VIX", dt.date(2027, 3, 17), 10.0, 25.0, "call", entry_price=1.0)),
    ]
    book = BOOK.with_legs(outer, role_of_new_layers=Role.OUTER)
    d = decide(book, AFTER_SPIKE, signals=RETRACED, rules=RULES)
    delayer = only(d, ActionType.DELAYER)
    futures = next(t for t in delayer.trades if t.instrument == Instrument.VX)
    assert futures.quantity == -2 and futures.right is None and futures.group is None and futures.strike is None
    assert futures.price == AFTER_SPIKE.vix_future(dt.date(2027, 3, 17)).price
    call = next(t for t in delayer.trades if t.layer == "outer" and t.instrument == Instrument.VIX)
    assert call.group is None and call.quantity == -10
    text = json.dumps(d.to_dict(), allow_nan=False)
    assert json.loads(text) == d.to_dict()
    after = d.book_after.legs
    assert after[after["layer"] == "outer"]["quantity"].sum() == 0.0
