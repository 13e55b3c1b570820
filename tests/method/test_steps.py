"""The decision engine's steps on the core and the layers (docs/method.md, Decisions), end to end:
de-layering after a spike, roll vs external hedge, L3 and theta layers (not stacked), reducing crowded
condors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from alvh.book import LEG_COLUMNS, Book, Instrument, Layer, Leg, Role
from alvh.book.builders import iron_condor, vix_put_spread
from alvh.method.decisions import ActionType, decide
from alvh.method.rules import RuleId, Rules, RuleStatus
from alvh.method.signals import MacdTrend
from alvh.risk.valuation import value_book
from tests.method.decision_cases import (
    AFTER_SPIKE,
    BOOK,
    HEDGE_TYPES,
    LAYER_SIGNALS,
    MARKET,
    RULES,
    SCENARIOS,
    add_l1_spreads,
    book_after,
    check_after,
    decision,
    signals,
    status,
    with_spot,
)
from tests.reference import book_reference

# --- de-layering after a spike ---------------------------------------------------------------------


def test_delayer_takes_off_the_layers_at_a_gain_and_keeps_those_at_a_loss() -> None:
    """VIX back at 18 after a spike: L1 (long VIX calls) shows a gain and is closed; L3 (long VIX
    puts, bought lower) shows a loss and stays on — the method captures a gain, it does not realise
    a loss (the engine before closed both)."""
    d = decision("delayer")
    first = d.actions[0]
    assert first.type is ActionType.DELAYER and first.rules == (RuleId.DELAYER,)
    ref = book_reference.value_book(BOOK, AFTER_SPIKE)
    gains = ref.legs.groupby(BOOK.legs["layer"])["unrealized_pnl"].sum()
    assert gains["L1"] > 0 > gains["L3"]
    l1 = BOOK.legs[BOOK.legs["layer"] == "L1"]
    closing = {(t.layer, t.expiry, t.right, t.strike): t.quantity for t in first.trades}
    held = {("L1", row.expiry.date(), row.right, row.strike): row.quantity for row in l1.itertuples(index=False)}
    assert closing == {k: -int(q) for k, q in held.items()}
    assert first.numbers["hedge_gain"] == pytest.approx(gains["L1"], rel=1e-9)
    assert "L3 kept" in first.reason and "no gain to capture" in first.reason
    check_after("delayer", first)
    assert all(a.type is not ActionType.ADD_L3 for a in d.actions)  # nothing goes back on


def test_delayer_without_gain_only_closes_every_hedge_layer() -> None:
    rules = RULES.with_overrides({RuleId.DELAYER: {"gain_only": False}})
    book, market, kwargs = SCENARIOS["delayer"]
    first = decide(book, market, **kwargs, rules=rules).actions[0]
    hedges = BOOK.legs[BOOK.legs["layer"].isin(["L1", "L3"])]
    assert {(t.layer, t.strike) for t in first.trades} == {(r.layer, r.strike) for r in hedges.itertuples()}


def test_no_delayer_before_the_spike_retraces() -> None:
    half = signals(vix_spike=True, vix_spike_base=14.0, vix_spike_peak=30.0, vix_retracement=0.3)
    d = decide(BOOK, AFTER_SPIKE, signals=half, rules=RULES)
    assert ActionType.DELAYER not in {a.type for a in d.actions}
    assert ActionType.ADD_VEGA_HEDGE in {a.type for a in d.actions}  # the usual vega hedge instead


# --- roll vs external hedge -----------------------------------------------------------------------


def test_roll_core_on_a_true_technical_break() -> None:
    d = decision("roll")
    market = with_spot(MARKET, 5740.0)
    action = d.actions[0]
    assert action.type is ActionType.ROLL_CORE and action.rules == (RuleId.ROLL,)
    old = BOOK.legs[BOOK.legs["group"] == "IC-2026-11-27"]
    closes = [t for t in action.trades if t.group == "IC-2026-11-27"]
    opens = [t for t in action.trades if t.group == "IC-2026-11-27-roll"]
    assert len(closes) == len(opens) == 4 and len(action.trades) == 8
    assert sorted((t.strike, t.quantity) for t in closes) == sorted(
        (row.strike, -int(row.quantity)) for row in old.itertuples(index=False)
    )
    # reopened 7 days further out (R-ROLL's roll_days), same size, 50-point wings, at about 12 delta
    assert {t.expiry for t in opens} == {dt.date(2026, 12, 4)}
    assert sorted(abs(t.quantity) for t in opens) == [10] * 4
    puts = sorted((t.strike or 0.0, t.quantity) for t in opens if t.right == "put")
    calls = sorted((t.strike or 0.0, t.quantity) for t in opens if t.right == "call")
    assert [q for _, q in puts] == [10, -10] and [q for _, q in calls] == [-10, 10]
    assert puts[1][0] - puts[0][0] == calls[1][0] - calls[0][0] == 50.0
    assert puts[1][0] < 5740.0 < calls[0][0]
    condors = value_book(book_after(d, action), market).condors
    new = condors.loc["IC-2026-11-27-roll"]
    assert 0.09 <= abs(new["short_put_delta"]) <= 0.15 and 0.09 <= abs(new["short_call_delta"]) <= 0.15
    assert "IC-2026-11-27" not in condors.index
    assert status(action.rules_after, RuleId.ROLL) is RuleStatus.OK
    check_after("roll", action)


def test_rolls_and_new_layers_use_the_ladders_settings() -> None:
    """A 10-delta, 25-point condor is rolled into a 10-delta, 25-point one (R-ROLL's short_delta,
    the condor's own wings) and the new theta layer is the ladder's (R-MACD-LADDER's short_delta and
    wing_width) — not the 12-delta, 50-point condor that used to be hard-coded."""
    narrow = iron_condor(MARKET, dt.date(2026, 11, 27), short_delta=0.10, wing_width=25.0, quantity=10.0)
    book = Book.from_layers("narrow", [Layer("core", Role.CORE, narrow)])
    assert narrow[1].strike == 5740.0  # the short put: spot below it for two sessions is a true break
    market = with_spot(MARKET, 5730.0)
    history = pd.Series([5735.0, 5735.0], index=pd.to_datetime(["2026-11-18", "2026-11-19"]))
    rules = RULES.with_overrides(
        {RuleId.ROLL: {"short_delta": 0.10}, RuleId.MACD_LADDER: {"short_delta": 0.10, "wing_width": 25.0}}
    )
    d = decide(book, market, rules=rules, spx_history=history, signals=signals(vix_macd_trend=MacdTrend.COMPRESSING))
    roll, layer = (
        next(a for a in d.actions if a.type is kind) for kind in (ActionType.ROLL_CORE, ActionType.ADD_THETA_LAYER)
    )
    assert "at 10 delta, with the same 25-point wings" in roll.reason
    condors = value_book(d.book_after, market).condors
    for group, action in (("IC-2026-11-27-roll", roll), ("IC-2026-12-04-ladder", layer)):
        opened = sorted((t.right, t.strike or 0.0) for t in action.trades if t.group == group)
        (call_short, call_long), (put_long, put_short) = opened[:2], opened[2:]
        assert call_long[1] - call_short[1] == put_short[1] - put_long[1] == 25.0, group
        deltas = abs(condors.loc[group, "short_put_delta"]), abs(condors.loc[group, "short_call_delta"])
        assert all(0.085 <= d <= 0.115 for d in deltas), (group, deltas)


def test_new_condors_are_checked_at_entry() -> None:
    """The engine's own new condors carry R-SHORT-DELTA's check at entry: the reason says when a
    short strike lands outside the band (here a ladder set to 30 delta), and the numbers give the
    short strikes' |delta| range."""
    rules = RULES.with_overrides({RuleId.MACD_LADDER: {"short_delta": 0.30}})
    d = decide(BOOK, MARKET, rules=rules, signals=signals(vix_macd_trend=MacdTrend.COMPRESSING))
    layer = next(a for a in d.actions if a.type is ActionType.ADD_THETA_LAYER)
    assert "2 of them OUTSIDE R-SHORT-DELTA's 0.10-0.15 band" in layer.reason
    assert layer.numbers["short_strikes_outside"] == 2.0
    assert 0.27 <= layer.numbers["short_delta_low"] <= layer.numbers["short_delta_high"] <= 0.33
    roll = decision("roll").actions[0]
    assert "inside R-SHORT-DELTA's 0.10-0.15 band" in roll.reason and roll.numbers["short_strikes_outside"] == 0.0


HEDGED_VIEW = RULES.with_overrides({RuleId.ROLL: {"view": "hedged"}, RuleId.CROWDED_BE: {"view": "hedged"}})
PROTECTED = BOOK.with_legs(
    [("puts", Leg("SPXW", dt.date(2026, 12, 11), 30.0, 5750.0, "put"))], role_of_new_layers=Role.INTERMEDIATE
)
"""The example book with 30 long SPX puts: they more than offset the core's loss on a fall."""
CORE_ONLY = Book.from_frame(
    BOOK.legs.loc[BOOK.legs["role"] == "core", LEG_COLUMNS].reset_index(drop=True),
    roles={"core": Role.CORE},
    name="core only",
)


def _adjusting(book: Book, scenario: str, rules: Rules, kind: ActionType) -> list[str]:
    """The groups the action ``kind`` trades when ``book`` is decided in ``scenario``'s market."""
    _, market, kwargs = SCENARIOS[scenario]
    d = decide(book, market, **{**kwargs, "rules": rules})
    return sorted({str(t.group) for a in d.actions if a.type is kind for t in a.trades})


def test_hedged_view_rolls_only_what_the_hedges_do_not_cover() -> None:
    """R-ROLL with view = "hedged": the condor beyond its short put is rolled in the core view
    whatever hedges the book holds, but not when the hedges offset more than half the core's loss
    in its adverse scenario (spot one expected move below its lower break-even, one day on). A
    book without hedges is rolled in both views."""
    roll = ActionType.ROLL_CORE
    assert _adjusting(PROTECTED, "roll", RULES, roll) == ["IC-2026-11-27", "IC-2026-11-27-roll"]
    assert _adjusting(PROTECTED, "roll", HEDGED_VIEW, roll) == []
    assert _adjusting(CORE_ONLY, "roll", RULES, roll) == _adjusting(CORE_ONLY, "roll", HEDGED_VIEW, roll) != []
    # the rule's details give the scenario and the hedges' offset
    _, market, kwargs = SCENARIOS["roll"]
    d = decide(PROTECTED, market, spx_history=kwargs["spx_history"], rules=HEDGED_VIEW)
    result = next(r for r in d.rules if r.id == RuleId.ROLL)
    assert result.status is RuleStatus.OK and result.details["covered"] == ["IC-2026-11-27"]
    view = result.details["hedged_view"]["IC-2026-11-27"]
    condor = d.risk.condors.loc["IC-2026-11-27"]
    assert view["scenario_spot"] == pytest.approx(condor["breakeven_low"] - condor["expected_move"], rel=1e-12)
    assert view["core_pnl"] < 0 and view["hedge_offset"] == pytest.approx(1 - view["book_pnl"] / view["core_pnl"])
    assert "covered by the hedges" in result.message
    # L1's VIX call spreads offset a share of it: covered once that share is above ``cover``
    with_l1 = add_l1_spreads(BOOK, 200.0)
    low_cover = HEDGED_VIEW.with_overrides({RuleId.ROLL: {"cover": 0.10}})
    assert _adjusting(with_l1, "roll", low_cover, roll) == []
    assert _adjusting(with_l1, "roll", HEDGED_VIEW, roll) != []


def test_hedged_view_reduces_only_what_the_hedges_do_not_cover() -> None:
    """R-CROWDED-BE with view = "hedged": the crowded condors are cut in the core view, not when
    the hedges cover them; without hedges, the same in both views."""
    reduce = ActionType.REDUCE
    assert _adjusting(PROTECTED, "crowded", RULES, reduce) == ["IC-2026-12-04", "IC-2026-12-11"]
    assert _adjusting(PROTECTED, "crowded", HEDGED_VIEW, reduce) == []
    assert _adjusting(CORE_ONLY, "crowded", RULES, reduce) == _adjusting(CORE_ONLY, "crowded", HEDGED_VIEW, reduce)
    assert _adjusting(CORE_ONLY, "crowded", HEDGED_VIEW, reduce) == ["IC-2026-12-04", "IC-2026-12-11"]


def test_fewer_sessions_hedges_externally_and_leaves_the_strikes() -> None:
    d = decision("no_roll")
    roll = next(r for r in d.rules if r.id == RuleId.ROLL)
    assert roll.status is RuleStatus.OK and roll.value == 1.0  # one session beyond 5,755
    assert ActionType.ROLL_CORE not in {a.type for a in d.actions}
    hedges = [a for a in d.actions if a.type in HEDGE_TYPES]
    assert hedges and hedges[-1].type is ActionType.HEDGE_DELTA and RuleId.DELTA in hedges[-1].rules
    assert all(not Instrument(t.instrument).is_spx_option for a in d.actions for t in a.trades)  # hedged externally
    core_before = BOOK.legs[BOOK.legs["role"] == "core"].reset_index(drop=True)
    after = d.book_after.legs
    core_after = after[after["role"] == "core"].reset_index(drop=True)
    pd.testing.assert_frame_equal(core_after[core_before.columns], core_before)
    assert abs(hedges[-1].greeks_after["delta_per_condor"]) <= 0.05
    check_after("no_roll", hedges[-1])


# --- the other actions -------------------------------------------------------------------------------


def test_add_l3_and_a_theta_layer_then_rehedge() -> None:
    d = decision("layers")
    types = [a.type for a in d.actions]
    assert types[:2] == [ActionType.ADD_L3, ActionType.ADD_THETA_LAYER]
    l3, theta = d.actions[0], d.actions[1]
    # L3: VIX put spreads at the second VIX expiry, sized to 10 % of the core's vega
    assert {(t.layer, t.instrument, t.right, t.expiry) for t in l3.trades} == {
        ("L3", Instrument.VIX, "put", dt.date(2027, 1, 20))
    }
    long, short = sorted(l3.trades, key=lambda t: -(t.strike or 0.0))
    assert long.quantity == -short.quantity > 0 and (long.strike or 0.0) - (short.strike or 0.0) == 2.0
    unit = vix_put_spread(MARKET, dt.date(2027, 1, 20), long_strike=long.strike, width=2.0, quantity=1.0)
    unit_vega = abs(value_book(Book.from_layers("u", [Layer("L3", Role.ADAPTIVE, unit)]), MARKET).total["spx_vega"])
    held = abs(d.risk.layers.loc["L3", "spx_vega"])  # topped up to the target, not stacked on what is held
    assert long.quantity == round((0.10 * abs(d.risk.layers.loc["core", "spx_vega"]) - held) / unit_vega)
    # the theta layer: a 10-lot condor at the first Friday 14 days out, and the skew put spread
    assert set(theta.rules) == {RuleId.MACD_LADDER, RuleId.SKEW_ADD}
    assert {t.expiry for t in theta.trades} == {dt.date(2026, 12, 4)}
    assert {t.group for t in theta.trades} == {"IC-2026-12-04-ladder", "PS-2026-12-04"}
    assert {t.layer for t in theta.trades} == {"core"}
    put_spread = sorted((t.strike or 0.0, t.quantity) for t in theta.trades if t.group == "PS-2026-12-04")
    assert put_spread[1][0] - put_spread[0][0] == 50.0 and [q for _, q in put_spread] == [10, -10]
    # the hedge comes last and sizes the book the layers leave
    assert types[-1] in HEDGE_TYPES
    assert 0.40 <= d.actions[-1].greeks_after["hedge_vega_share"] <= 0.60
    for action in d.actions:
        check_after("layers", action)


def test_reduce_crowded_condors_without_closing_them() -> None:
    d = decision("crowded")
    action = d.actions[0]
    assert action.type is ActionType.REDUCE and action.rules == (RuleId.CROWDED_BE,)
    near = next(r for r in d.rules if r.id == RuleId.CROWDED_BE).details["near"]
    assert near == ["IC-2026-12-04", "IC-2026-12-11"]
    assert {t.group for t in action.trades} == set(near)
    held = BOOK.legs.set_index(["group", "strike"])["quantity"]
    for t in action.trades:  # a third of each leg (R-CROWDED-BE reduce_share 0.33 of 10 -> 3), same strikes
        assert t.quantity == -3 * (1 if held[(t.group, t.strike)] > 0 else -1)
    check_after("crowded", action)


def _resized(book: Book, group: str, units: float) -> Book:
    """``book`` with one core group resized to ``units`` condors."""
    legs = book.legs
    quantity = legs["quantity"].to_numpy(copy=True)
    mine = (legs["group"] == group).to_numpy()
    quantity[mine] = np.sign(quantity[mine]) * units
    return book.with_sizes(quantity, legs["entry_price"].to_numpy())


def test_reduce_crowded_never_closes_a_condor() -> None:
    """A cut of a q-lot is min(round(q·share), q − 1): a 1-lot is left alone, and a large share
    leaves one unit (the old cut, max(1, round(q·share)), closed both)."""
    market = with_spot(MARKET, 5650.0)
    book = _resized(BOOK, "IC-2026-12-04", 1.0)
    action = next(a for a in decide(book, market, rules=RULES).actions if a.type is ActionType.REDUCE)
    assert {t.group for t in action.trades} == {"IC-2026-12-11"}
    assert "Left alone" in action.reason and "IC-2026-12-04" in action.reason
    assert action.numbers["units_cut"] == 3.0
    # everything near is a 1-lot: nothing to cut, and the action says it could not be done
    ones = _resized(book, "IC-2026-12-11", 1.0)
    only_ones = next(a for a in decide(ones, market, rules=RULES).actions if a.type is ActionType.REDUCE)
    assert only_ones.trades == () and not only_ones.feasible
    # a share of 90 % of a 3-lot cuts 2 and keeps 1
    rules = RULES.with_overrides({RuleId.CROWDED_BE: {"reduce_share": 0.9}})
    threes = _resized(_resized(BOOK, "IC-2026-12-04", 3.0), "IC-2026-12-11", 3.0)
    cut = next(a for a in decide(threes, market, rules=rules).actions if a.type is ActionType.REDUCE)
    assert sorted({abs(t.quantity) for t in cut.trades}) == [2]
    assert len(cut.trades) == 8


def test_layers_are_not_stacked_while_their_signals_last() -> None:
    """The next day with the same signals: L3 is at its share of the core's vega and the ladder's rung at
    the target expiry exists, so neither is added again (the backtest ran into both without this)."""
    d = decision("layers")
    second = decide(d.book_after, MARKET, signals=LAYER_SIGNALS, rules=RULES)
    # the new rung grew the core's vega, so L3 is topped up to 10 % of the larger core; no new rung
    assert [a.type for a in second.actions].count(ActionType.ADD_L3) == 1
    assert ActionType.ADD_THETA_LAYER not in [a.type for a in second.actions]
    l3_after = abs(value_book(second.book_after, MARKET).layers.loc["L3", "spx_vega"])
    core_after = abs(value_book(second.book_after, MARKET).layers.loc["core", "spx_vega"])
    assert l3_after == pytest.approx(0.10 * core_after, rel=0.02)
    again = decide(second.book_after, MARKET, signals=LAYER_SIGNALS, rules=RULES)
    types = [a.type for a in again.actions]
    assert ActionType.ADD_L3 not in types and ActionType.ADD_THETA_LAYER not in types
    fired = {r.id for r in again.rules if r.fired}
    assert {RuleId.L3, RuleId.MACD_LADDER, RuleId.SKEW_ADD} <= fired  # the rules still fire; the layers are in place
