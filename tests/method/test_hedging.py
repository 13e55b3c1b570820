"""The hedge step of the decision engine (docs/method.md, Decisions), end to end: delta hedges with VIX
futures (checked against the VIX-futures mapping of docs/method.md, Models, and the pure-Python reference
valuation), vega hedges added and trimmed, R-RSI-REDUCE's cut, the net-vega rules, hedging while
de-layering, time-shifting L1 after the next event, and infeasible sizing reported."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from alvh.book import Book, Instrument, Role
from alvh.market.events import Event, first_vix_expiry_after
from alvh.market.snapshot import Market
from alvh.method.decisions import ActionType, decide
from alvh.method.hedging import _sleeve_bounds
from alvh.method.rules import RuleId, RuleStatus
from alvh.method.signals import MacdTrend
from alvh.method.state import BookState, DecisionInputs, greek_summary
from alvh.method.trades import role_of_layer
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import value_book
from tests.method.decision_cases import (
    AFTER_SPIKE,
    BOOK,
    CORE_UNITS,
    FRONT,
    MARKET,
    OVER_HEDGED,
    RETRACED,
    RULES,
    TODAY,
    VEGA_FIRST,
    add_l1_spreads,
    book_after,
    check_after,
    decision,
    only,
    signals,
    status,
    synthetic_long,
)
from tests.reference import book_reference

# --- delta hedge ------------------------------------------------------------------------------------


def test_delta_hedge_with_vix_futures() -> None:
    d = decision("delta")
    before = {r.id: r for r in d.rules}
    assert before[RuleId.DELTA].value == pytest.approx(0.40, abs=1e-9)
    assert before[RuleId.DELTA].status is RuleStatus.BREACH
    assert before[RuleId.HEDGE_VEGA].status is RuleStatus.OK  # only delta is off
    action = only(d, ActionType.HEDGE_DELTA)
    assert [a.type for a in d.actions] == [ActionType.HEDGE_DELTA]
    assert action.rules == (RuleId.DELTA,) and action.feasible
    assert action.trades and all(Instrument(t.instrument).is_future for t in action.trades)
    assert {(t.layer, t.expiry) for t in action.trades} == {("L2", FRONT)}
    # inside the band after, through the same rules
    assert abs(action.greeks_after["delta_per_condor"]) <= 0.15
    assert status(action.rules_after, RuleId.DELTA) is RuleStatus.OK
    check_after("delta", action)
    # the delta bought is the VIX-futures mapping's (docs/method.md, Models):
    # q · multiplier · β(τ) · β · VIX / S per future, β(τ) = (1 + τ/0.02)^-0.5
    tau = (dt.datetime.combine(FRONT, dt.time(9, 30)) - MARKET.as_of).total_seconds() / (365 * 86400)
    per_point = (1 + tau / 0.02) ** -0.5 * -5.0 * MARKET.vix.spot / MARKET.spx.spot
    bought = sum(t.quantity * Instrument(t.instrument).multiplier * per_point for t in action.trades)
    assert action.greeks_after["spx_delta"] - d.risk.total["spx_delta"] == pytest.approx(bought, rel=1e-9)
    # and only as much as needed: one VXM fewer would leave the band
    step = 100 * per_point
    assert abs(action.greeks_after["spx_delta"] - step) > 0.15 * 100 * CORE_UNITS
    # VIX futures carry vega with their delta: a 0.25 delta move takes hedge vega far above 60 %, and
    # the engine says that the delta band came first
    assert action.greeks_after["hedge_vega_share"] > 0.60
    assert status(action.rules_after, RuleId.HEDGE_VEGA) is RuleStatus.BREACH
    assert "delta band comes first" in action.reason


def test_vega_priority_leaves_a_delta_breach_to_the_core() -> None:
    """With R-DELTA's priority "vega" the same +0.40 breach is not bought back with VIX futures:
    inside the vega band they would move delta by thousandths. The action says so and trades
    nothing; a vega breach is still hedged to its target, whatever delta then is."""
    d = decision("delta_in_vega_band")
    action = only(d, ActionType.HEDGE_DELTA)
    assert not action.feasible and not action.trades
    assert (
        action.reason.startswith("no hedge trade: delta left outside ±0.15")
        and "vega band comes first" in action.reason
    )
    narrow = VEGA_FIRST.with_overrides({RuleId.DELTA: {"max_abs": 0.01}})
    under = decide(BOOK, MARKET, rules=narrow)
    assert status(under.rules, RuleId.DELTA) is RuleStatus.BREACH
    add = only(under, ActionType.ADD_VEGA_HEDGE)
    assert add.feasible and add.trades and "vega band comes first" in add.reason
    assert abs(add.greeks_after["hedge_vega_share"] - 0.50) < 0.02
    assert abs(add.greeks_after["delta_per_condor"]) > 0.01


def test_delta_hedge_independent_of_the_engine() -> None:
    """The reference valuation of the book after agrees with greeks_after."""
    d = decision("delta")
    action = only(d, ActionType.HEDGE_DELTA)
    ref = book_reference.value_book(book_after(d, action), MARKET)
    assert action.greeks_after["spx_delta"] == pytest.approx(ref.total["spx_delta"], rel=1e-9)
    assert action.greeks_after["delta_per_condor"] == pytest.approx(ref.total["spx_delta"] / 3000, rel=1e-9)
    assert action.greeks_after["spx_vega"] == pytest.approx(ref.total["spx_vega"], rel=1e-9)


# --- vega hedge: add and trim -----------------------------------------------------------------------


def _hedge_share(book: Book, market: Market) -> float:
    ref = book_reference.value_book(book, market)
    roles = {layer.name: layer.role for layer in book.layers}
    core = sum(v for k, v in ref.layers["spx_vega"].items() if roles[k] is Role.CORE)
    adaptive = sum(v for k, v in ref.layers["spx_vega"].items() if roles[k] is Role.ADAPTIVE)  # L3: not a vega hedge
    return float((ref.layers["spx_vega"].sum() - core - adaptive) / abs(core))


def test_add_vega_hedge_from_20_percent() -> None:
    d = decision("under")
    assert d.risk.hedge_vega_share == pytest.approx(_hedge_share(BOOK, MARKET), rel=1e-9)
    assert 0.21 < d.risk.hedge_vega_share < 0.24
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    assert action.rules == (RuleId.HEDGE_VEGA,) and action.feasible
    share = action.greeks_after["hedge_vega_share"]
    assert 0.40 <= share <= 0.60
    assert share == pytest.approx(_hedge_share(book_after(d, action), MARKET), rel=1e-9)
    assert status(action.rules_after, RuleId.HEDGE_VEGA) is RuleStatus.OK
    assert status(action.rules_after, RuleId.DELTA) is RuleStatus.OK
    assert action.numbers["hedge_share_after"] == pytest.approx(share, rel=1e-9)
    check_after("under", action)
    # L1 call spreads bought (long the lower strike) at the first VIX expiry after a week (no events)
    spreads = [t for t in action.trades if t.instrument == Instrument.VIX]
    assert spreads and {t.layer for t in spreads} == {"L1"}
    assert {t.expiry for t in spreads} == {first_vix_expiry_after(MARKET, TODAY + dt.timedelta(days=7))}
    low, high = sorted(spreads, key=lambda t: t.strike or 0.0)
    assert (low.right, high.right) == ("call", "call") and low.quantity == -high.quantity > 0
    assert high.strike - low.strike == 5.0


def test_trim_hedge_from_90_percent_sells_what_is_held() -> None:
    d = decision("over")
    assert d.risk.hedge_vega_share == pytest.approx(0.90, abs=0.01)
    action = only(d, ActionType.TRIM_HEDGE)
    assert action.rules == (RuleId.HEDGE_VEGA,)
    if not action.feasible:  # allowed, if it says why
        assert action.reason.startswith("infeasible") and not action.trades
        return
    share = action.greeks_after["hedge_vega_share"]
    assert 0.40 <= share <= 0.60
    assert status(action.rules_after, RuleId.HEDGE_VEGA) is RuleStatus.OK
    check_after("over", action)
    held = OVER_HEDGED.legs[(OVER_HEDGED.legs["layer"] == "L1")]
    held_by_strike = held.groupby("strike")["quantity"].sum()
    options = [t for t in action.trades if t.instrument == Instrument.VIX]
    assert options, "the L1 spreads are trimmed"
    for t in options:  # each option trade reduces a held position at its strike and expiry
        assert t.layer == "L1" and t.expiry == FRONT and t.strike in held_by_strike.index
        assert t.quantity * held_by_strike[t.strike] < 0
    after = book_after(d, action).legs
    after_l1 = after[after["layer"] == "L1"].groupby("strike")["quantity"].sum()
    assert set(after_l1.index) == set(held_by_strike.index)  # no new strikes
    assert (after_l1.abs() <= held_by_strike.abs()).all()


def test_rsi_reduce_cuts_net_short_vega_with_hedges() -> None:
    d = decision("rsi_reduce")
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    assert RuleId.RSI_REDUCE in action.rules
    core = float(d.risk.layers.loc["core", "spx_vega"])
    l3 = float(d.risk.layers.loc["L3", "spx_vega"])  # in the net, not in the hedge share
    net = float(d.risk.total["spx_vega"])
    assert action.numbers["target_share"] == pytest.approx((0.65 * net - core - l3) / abs(core), rel=1e-12)
    cut = 1 - action.greeks_after["spx_vega"] / net
    assert 0.30 <= cut <= 0.40  # docs/method.md, Rules: R-RSI-REDUCE: cut net short vega by 30-40 %
    assert not any(Instrument(t.instrument).is_spx_option for t in action.trades)  # with hedges, not a roll
    check_after("rsi_reduce", action)


def test_delta_hedged_with_futures_only_while_de_layering() -> None:
    """Delta just outside the band once L1 and L3 are off: the hedge stays in futures (L2) and puts
    no L1 back on; without the spike signal the same book would be re-hedged with L1 spreads."""
    risk = value_book(BOOK, AFTER_SPIKE)
    without_hedges = risk.total["spx_delta"] - risk.layers.loc[["L1", "L3"], "spx_delta"].sum()
    unit = value_book(synthetic_long(Book.from_layers("unit", []), 1.0), AFTER_SPIKE).total["spx_delta"]
    book = synthetic_long(BOOK, (0.152 * 100 * CORE_UNITS - without_hedges) / unit)
    d = decide(book, AFTER_SPIKE, signals=RETRACED)
    assert [a.type for a in d.actions] == [ActionType.DELAYER, ActionType.HEDGE_DELTA]
    delayer, hedge = d.actions
    assert delayer.greeks_after["delta_per_condor"] == pytest.approx(0.152, abs=1e-9)
    assert hedge.rules == (RuleId.DELTA,) and all(Instrument(t.instrument).is_future for t in hedge.trades)
    assert abs(hedge.greeks_after["delta_per_condor"]) <= 0.15
    assert hedge.greeks_after["hedge_vega_share"] < 0.40  # no vega target while the hedges are off
    after = d.book_after.legs
    assert not after["layer"].isin(["L1", "L3"]).any()
    # control: the de-layered book, with no spike in progress, gets its L1 back
    control = decide(book_after(d, delayer), AFTER_SPIKE)
    assert any(t.layer == "L1" for a in control.actions for t in a.trades)


# --- time-shifting ---------------------------------------------------------------------------------


def test_l1_expires_after_the_next_event() -> None:
    """A CPI on 2026-12-20 falls between the December (16th) and January (20th) VIX expiries: the new
    L1 spreads expire on the 20th of January, not inside the event."""
    d = decision("event")
    assert d.next_event == Event(dt.date(2026, 12, 20), "CPI")
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    l1 = [t for t in action.trades if t.layer == "L1"]
    assert l1 and {t.expiry for t in l1} == {dt.date(2027, 1, 20)}
    assert dt.date(2027, 1, 20) == first_vix_expiry_after(MARKET, dt.date(2026, 12, 20))
    assert all(t.expiry > d.next_event.date for t in l1)
    assert "after the CPI on 2026-12-20" in action.reason
    assert 0.40 <= action.greeks_after["hedge_vega_share"] <= 0.60
    check_after("event", action)


@pytest.mark.parametrize(
    ("events", "expiry"),
    [
        ([Event(dt.date(2026, 12, 9), "FOMC"), Event(dt.date(2027, 1, 27), "FOMC")], dt.date(2026, 12, 16)),
        ([Event(dt.date(2027, 1, 27), "FOMC"), Event(dt.date(2027, 1, 13), "CPI")], dt.date(2027, 1, 20)),
        ([Event(dt.date(2026, 11, 18), "CPI"), Event(dt.date(2027, 1, 21), "PPI")], dt.date(2027, 2, 17)),
        ([Event(dt.date(2026, 11, 20), "FOMC")], dt.date(2026, 12, 16)),  # today's event has happened
    ],
)
def test_l1_expiry_follows_the_next_event(events: list[Event], expiry: dt.date) -> None:
    d = decide(BOOK, MARKET, events=events)
    l1 = [t for a in d.actions for t in a.trades if t.layer == "L1"]
    assert l1 and {t.expiry for t in l1} == {expiry}


# --- infeasible sizing -------------------------------------------------------------------------------


def test_infeasible_sizing_is_reported_not_forced() -> None:
    """With the delta band at ±0.04 and delta at -0.039, every VIX hedge that adds vega also adds
    short delta (-0.006 per condor for the 30 % of core vega missing): the vega band cannot be met
    without breaking the delta band, and delta did not fire, so nothing is traded."""
    d = decision("infeasible")
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    assert not action.feasible and action.trades == ()
    assert action.reason.startswith("infeasible") and "±0.04" in action.reason and "40%-60%" in action.reason
    assert action.greeks_after == greek_summary(d.risk)  # the book is left as it was
    assert status(action.rules_after, RuleId.HEDGE_VEGA) is RuleStatus.BREACH
    assert action.cost == 0.0


def test_net_vega_checks_trade_nothing() -> None:
    """R-NET-VEGA and R-VEGA-PER-SPREAD are checks of the net book: firing inside R-HEDGE-VEGA's band,
    or with R-HEDGE-VEGA switched off, they are reported and no hedge is traded for them."""
    rules = RULES.with_overrides({RuleId.NET_VEGA: {"target_per_condor": -20.0}})
    d = decide(add_l1_spreads(BOOK, 74.0), MARKET, rules=rules, signals=signals())
    assert status(d.rules, RuleId.HEDGE_VEGA) is RuleStatus.OK
    assert status(d.rules, RuleId.NET_VEGA) is RuleStatus.WARN
    assert status(d.rules, RuleId.VEGA_PER_SPREAD) is RuleStatus.WARN
    assert [a.type for a in d.actions] == [ActionType.HOLD]
    off = rules.with_overrides({RuleId.HEDGE_VEGA: {"enabled": False}})
    over = decide(OVER_HEDGED, MARKET, rules=off, signals=signals())
    assert status(over.rules, RuleId.NET_VEGA) is RuleStatus.WARN
    assert [a.type for a in over.actions] == [ActionType.HOLD]


def test_over_hedged_book_is_trimmed_even_when_rsi_asks_to_cut_net_vega() -> None:
    """R-RSI-REDUCE's cut adds hedges; on a book already over-hedged (R-HEDGE-VEGA 'over') the trim
    comes first and the hedge share goes down, never up."""
    d = decide(OVER_HEDGED, MARKET, signals=signals(spx_rsi=66.0), theta_ratio=0.8)
    assert status(d.rules, RuleId.RSI_REDUCE) is RuleStatus.BREACH
    action = only(d, ActionType.TRIM_HEDGE)
    assert action.feasible, action.reason
    assert action.greeks_after["hedge_vega_share"] < d.risk.hedge_vega_share
    assert status(action.rules_after, RuleId.HEDGE_VEGA) is RuleStatus.OK


def test_sleeve_bounds_are_the_sleeve_rule_in_force_tightened_while_macd_tighten_fires() -> None:
    """The sizing's R-SLEEVE-VEGA room is max_drift per condor unit, scaled by (1 − tighten) exactly
    when R-MACD-TIGHTEN fires on the book — the same tightening the rule itself is evaluated with."""
    rising = DecisionInputs(MARKET, RULES, ValuationCache(), signals=signals(vix_macd_trend=MacdTrend.EXPANDING))
    calm = BookState(BOOK, rising)
    tight = BookState(BOOK, dataclasses.replace(rising, inflation_rising=True))
    assert RuleId.MACD_TIGHTEN not in calm.fired and RuleId.MACD_TIGHTEN in tight.fired
    sleeve, share = RULES.sleeve_vega, RULES.macd_tighten.tighten
    for state, room in ((calm, sleeve.max_drift), (tight, sleeve.max_drift * (1 - share))):
        bounds = _sleeve_bounds(state, [], 1000.0)
        assert set(bounds) == {"L1", "L2"}
        for layer, (_, low, high) in bounds.items():
            aim = 1000.0 * sleeve.targets[role_of_layer(BOOK, layer).value]
            assert high - aim == pytest.approx(room * CORE_UNITS, rel=1e-12)
            assert aim - low == pytest.approx(room * CORE_UNITS, rel=1e-12)
