"""The decision engine end to end (SPEC §1, "Decisions"), on the example book with shifted markets and
modified books: each action's trades (integer contracts, costs), the Greeks and rule results after
them checked against a fresh valuation of the book with the trades applied and, where practical,
against independent numbers (the pure-Python reference valuation, SPEC §2's VIX-futures mapping);
roll vs external hedge; time-shifting L1 after the next event; infeasible sizing reported; JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd
import pytest

from alvh.book.book import LEG_COLUMNS, Book, Instrument, Layer, Leg, Role
from alvh.book.builders import vix_call_spread, vix_future, vix_put_spread
from alvh.data import example_book, example_market
from alvh.market.events import Event, first_vix_expiry_after
from alvh.market.snapshot import Market
from alvh.method.decisions import Action, ActionType, Decision, decide
from alvh.method.rules import RuleInputs, RuleStatus, default_rules, evaluate_rules
from alvh.method.signals import MacdTrend, Signals
from alvh.method.state import greek_summary
from alvh.risk.valuation import value_book
from tests.helpers import quiet_signals
from tests.reference import book_reference

MARKET = example_market()
BOOK = example_book()
RULES = default_rules()
TODAY = MARKET.as_of.date()
FRONT = dt.date(2026, 12, 16)  # the front VIX future
CORE_UNITS = 30.0
HEDGE_TYPES = {ActionType.HEDGE_DELTA, ActionType.ADD_VEGA_HEDGE, ActionType.TRIM_HEDGE}


# --- books, markets, signals ------------------------------------------------------------------------


def with_spot(market: Market, spot: float) -> Market:
    return market.model_copy(update={"spx": market.spx.model_copy(update={"spot": spot})})


def with_vix(market: Market, spot: float, futures_shift: float) -> Market:
    """Spot VIX and every future moved (the futures by ``futures_shift`` points)."""
    futures = [f.model_copy(update={"price": f.price + futures_shift}) for f in market.vix.futures]
    return market.model_copy(update={"vix": market.vix.model_copy(update={"spot": spot, "futures": futures})})


def add_l1_spreads(book: Book, quantity: float, group: str = "L1-added") -> Book:
    legs = vix_call_spread(MARKET, FRONT, long_strike=19.0, width=6.0, quantity=quantity, group=group)
    return book.with_legs([("L1", leg) for leg in legs])


def synthetic_long(book: Book, quantity: float) -> Book:
    """A long SPX synthetic in an ``intermediate`` layer: delta and no vega."""
    expiry = dt.date(2027, 1, 15)
    legs = [Leg("SPXW", expiry, quantity, 5900.0, "call"), Leg("SPXW", expiry, -quantity, 5900.0, "put")]
    return book.with_legs([("tilt", leg) for leg in legs], role_of_new_layers=Role.INTERMEDIATE)


BALANCED = add_l1_spreads(BOOK, 62.0).with_legs([("L2", vix_future(MARKET, FRONT, 10.0))])
"""Hedge vega ≈ 50 % of the core's, each sleeve near its target: nothing to do."""


def _tilted_to(delta_per_condor: float) -> Book:
    """BALANCED with a synthetic long sized (fractionally) so that the book's net delta per condor
    unit is exactly ``delta_per_condor``; its vega is unchanged."""
    base = value_book(BALANCED, MARKET).total["spx_delta"]
    per_unit = value_book(synthetic_long(Book.from_layers("unit", []), 1.0), MARKET).total["spx_delta"]
    return synthetic_long(BALANCED, (delta_per_condor * 100 * CORE_UNITS - base) / per_unit)


TILTED = _tilted_to(0.40)
OVER_HEDGED = add_l1_spreads(BOOK, 223.0)
"""Hedge vega ≈ 90 % of the core's."""


def signals(**values: Any) -> Signals:
    """A signal snapshot that trips nothing, with ``values`` changed."""
    return quiet_signals(TODAY, **values)


AFTER_SPIKE = with_vix(MARKET, 18.0, 1.0)
"""VIX back at 18 after a spike from 14 to 30 (futures 1 point above the example's)."""
RETRACED = signals(vix_spike=True, vix_spike_base=14.0, vix_spike_peak=30.0, vix_retracement=(30 - 18) / (30 - 14))
HISTORY_2 = pd.Series([5745.0, 5750.0], index=pd.to_datetime(["2026-11-18", "2026-11-19"]))
HISTORY_1 = pd.Series([5745.0, 5800.0], index=pd.to_datetime(["2026-11-18", "2026-11-19"]))


NO_ROLL_RULES = RULES.with_overrides({"R-DELTA": {"max_abs": 0.05}})
VEGA_FIRST = RULES.with_overrides({"R-DELTA": {"priority": "vega"}})
NARROW_DELTA = RULES.with_overrides({"R-DELTA": {"max_abs": 0.04}})
LAYER_SIGNALS = signals(spx_rsi=69.0, vix_future_rsi=30.0, vix_macd_trend=MacdTrend.COMPRESSING)

SCENARIOS: dict[str, tuple[Book, Market, dict[str, Any]]] = {
    "delta": (TILTED, MARKET, {}),
    "delta_in_vega_band": (TILTED, MARKET, {"rules": VEGA_FIRST}),
    "under": (BOOK, MARKET, {}),
    "over": (OVER_HEDGED, MARKET, {}),
    "delayer": (BOOK, AFTER_SPIKE, {"signals": RETRACED}),
    "roll": (BOOK, with_spot(MARKET, 5740.0), {"spx_history": HISTORY_2}),
    "no_roll": (BOOK, with_spot(MARKET, 5740.0), {"spx_history": HISTORY_1, "rules": NO_ROLL_RULES}),
    "event": (BOOK, MARKET, {"events": [Event(dt.date(2026, 12, 20), "CPI")]}),
    "rsi_reduce": (BOOK, MARKET, {"signals": signals(spx_rsi=66.0), "theta_ratio": 0.8}),
    "layers": (BALANCED, MARKET, {"signals": LAYER_SIGNALS}),
    "crowded": (BOOK, with_spot(MARKET, 5650.0), {}),
    "hold": (BALANCED, MARKET, {"signals": signals()}),
    "infeasible": (BOOK, MARKET, {"rules": NARROW_DELTA}),
}
"""The end-to-end cases: book, market, and decide()'s other arguments."""

_DECISIONS: dict[str, Decision] = {}


def decision(name: str) -> Decision:
    """The decision of a scenario, computed once."""
    if name not in _DECISIONS:
        book, market, kwargs = SCENARIOS[name]
        _DECISIONS[name] = decide(book, market, **kwargs)
    return _DECISIONS[name]


def only(d: Decision, kind: ActionType) -> Action:
    found = [a for a in d.actions if a.type is kind]
    assert len(found) == 1, [a.type for a in d.actions]
    return found[0]


def status(results: tuple[Any, ...], rule_id: str) -> RuleStatus:
    return next(r.status for r in results if r.id == rule_id)


POSITION = ["layer", "instrument", "expiry", "right", "strike", "group"]
DEFAULT_ROLES = {"L1": Role.THETA_ANCHOR, "L2": Role.DELTA_OVERLAY, "L3": Role.ADAPTIVE}


def _book_after(d: Decision, action: Action) -> Book:
    """The positions after the trades up to and including ``action``'s: legs and trades summed by
    position, closed ones dropped (entry prices: the first seen, which greek_summary does not read)."""
    upto = d.actions[: d.actions.index(action) + 1]
    traded = [(t.layer, t.leg()) for a in upto for t in a.trades]
    both = d.book.with_legs(traded, role_of_new_layers=Role.CUSTOM).legs
    summed = both.groupby(_key(both), sort=False).agg({**{c: "first" for c in LEG_COLUMNS}, "quantity": "sum"})
    summed = summed[summed["quantity"] != 0]
    roles = {layer.name: layer.role for layer in d.book.layers}
    roles |= {name: DEFAULT_ROLES.get(name, Role.CUSTOM) for name in summed["layer"] if name not in roles}
    return Book.from_frame(summed.reset_index(drop=True), name=d.book.name, roles=roles)


def _key(legs: pd.DataFrame) -> pd.Series:
    """Each leg's position, as text (NaN and None alike)."""
    return pd.Series(
        ["|".join("" if pd.isna(v) else str(v) for v in row) for row in legs[POSITION].itertuples(index=False)],
        index=legs.index,
    )


def _positions(book: Book) -> dict[str, float]:
    return book.legs.groupby(_key(book.legs))["quantity"].sum().to_dict()


def _check_after(name: str, action: Action) -> None:
    """greeks_after is a fresh valuation of the book with the trades up to this action applied."""
    d, market = decision(name), SCENARIOS[name][1]
    fresh = greek_summary(value_book(_book_after(d, action), market))
    assert action.greeks_after == pytest.approx(fresh, rel=1e-12, abs=1e-9)


# --- delta hedge ------------------------------------------------------------------------------------


def test_delta_hedge_with_vix_futures() -> None:
    d = decision("delta")
    before = {r.id: r for r in d.rules}
    assert before["R-DELTA"].value == pytest.approx(0.40, abs=1e-9)
    assert before["R-DELTA"].status is RuleStatus.BREACH
    assert before["R-HEDGE-VEGA"].status is RuleStatus.OK  # only delta is off
    action = only(d, ActionType.HEDGE_DELTA)
    assert [a.type for a in d.actions] == [ActionType.HEDGE_DELTA]
    assert action.rules == ("R-DELTA",) and action.feasible
    assert action.trades and {t.instrument for t in action.trades} <= {"VX", "VXM"}
    assert {(t.layer, t.expiry) for t in action.trades} == {("L2", FRONT)}
    # inside the band after, through the same rules
    assert abs(action.greeks_after["delta_per_condor"]) <= 0.15
    assert status(action.rules_after, "R-DELTA") is RuleStatus.OK
    _check_after("delta", action)
    # the delta bought is SPEC §2's: q · multiplier · β(τ) · β · VIX / S per future, β(τ) = (1 + τ/0.02)^-0.5
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
    assert status(action.rules_after, "R-HEDGE-VEGA") is RuleStatus.BREACH
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
    narrow = VEGA_FIRST.with_overrides({"R-DELTA": {"max_abs": 0.01}})
    under = decide(BOOK, MARKET, rules=narrow)
    assert status(under.rules, "R-DELTA") is RuleStatus.BREACH
    add = only(under, ActionType.ADD_VEGA_HEDGE)
    assert add.feasible and add.trades and "vega band comes first" in add.reason
    assert abs(add.greeks_after["hedge_vega_share"] - 0.50) < 0.02
    assert abs(add.greeks_after["delta_per_condor"]) > 0.01


def test_delta_hedge_independent_of_the_engine() -> None:
    """The reference valuation of the book after agrees with greeks_after."""
    d = decision("delta")
    action = only(d, ActionType.HEDGE_DELTA)
    ref = book_reference.value_book(_book_after(d, action), MARKET)
    assert action.greeks_after["spx_delta"] == pytest.approx(ref.total["spx_delta"], rel=1e-9)
    assert action.greeks_after["delta_per_condor"] == pytest.approx(ref.total["spx_delta"] / 3000, rel=1e-9)
    assert action.greeks_after["spx_vega"] == pytest.approx(ref.total["spx_vega"], rel=1e-9)


# --- vega hedge: add and trim -----------------------------------------------------------------------


def _hedge_share(book: Book, market: Market) -> float:
    ref = book_reference.value_book(book, market)
    roles = {layer.name: layer.role for layer in book.layers}
    core = sum(v for k, v in ref.layers["spx_vega"].items() if roles[k] is Role.CORE)
    return float((ref.layers["spx_vega"].sum() - core) / abs(core))


def test_add_vega_hedge_from_20_percent() -> None:
    d = decision("under")
    assert d.risk.hedge_vega_share == pytest.approx(_hedge_share(BOOK, MARKET), rel=1e-9)
    assert 0.19 < d.risk.hedge_vega_share < 0.22
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    assert action.rules == ("R-HEDGE-VEGA", "R-NET-VEGA", "R-VEGA-PER-SPREAD") and action.feasible
    share = action.greeks_after["hedge_vega_share"]
    assert 0.40 <= share <= 0.60
    assert share == pytest.approx(_hedge_share(_book_after(d, action), MARKET), rel=1e-9)
    assert status(action.rules_after, "R-HEDGE-VEGA") is RuleStatus.OK
    assert status(action.rules_after, "R-DELTA") is RuleStatus.OK
    assert action.numbers["hedge_share_after"] == pytest.approx(share, rel=1e-9)
    _check_after("under", action)
    # L1 call spreads bought (long the lower strike) at the first VIX expiry after a week (no events)
    spreads = [t for t in action.trades if t.instrument == "VIX"]
    assert spreads and {t.layer for t in spreads} == {"L1"}
    assert {t.expiry for t in spreads} == {first_vix_expiry_after(MARKET, TODAY + dt.timedelta(days=7))}
    low, high = sorted(spreads, key=lambda t: t.strike or 0.0)
    assert (low.right, high.right) == ("call", "call") and low.quantity == -high.quantity > 0
    assert high.strike - low.strike == 5.0


def test_trim_hedge_from_90_percent_sells_what_is_held() -> None:
    d = decision("over")
    assert d.risk.hedge_vega_share == pytest.approx(0.90, abs=0.01)
    action = only(d, ActionType.TRIM_HEDGE)
    assert action.rules == ("R-HEDGE-VEGA", "R-NET-VEGA", "R-VEGA-PER-SPREAD")
    if not action.feasible:  # allowed, if it says why
        assert action.reason.startswith("infeasible") and not action.trades
        return
    share = action.greeks_after["hedge_vega_share"]
    assert 0.40 <= share <= 0.60
    assert status(action.rules_after, "R-HEDGE-VEGA") is RuleStatus.OK
    _check_after("over", action)
    held = OVER_HEDGED.legs[(OVER_HEDGED.legs["layer"] == "L1")]
    held_by_strike = held.groupby("strike")["quantity"].sum()
    options = [t for t in action.trades if t.instrument == "VIX"]
    assert options, "the L1 spreads are trimmed"
    for t in options:  # each option trade reduces a held position at its strike and expiry
        assert t.layer == "L1" and t.expiry == FRONT and t.strike in held_by_strike.index
        assert t.quantity * held_by_strike[t.strike] < 0
    after = _book_after(d, action).legs
    after_l1 = after[after["layer"] == "L1"].groupby("strike")["quantity"].sum()
    assert set(after_l1.index) == set(held_by_strike.index)  # no new strikes
    assert (after_l1.abs() <= held_by_strike.abs()).all()


def test_rsi_reduce_cuts_net_short_vega_with_hedges() -> None:
    d = decision("rsi_reduce")
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    assert "R-RSI-REDUCE" in action.rules
    core = float(d.risk.layers.loc["core", "spx_vega"])
    net = float(d.risk.total["spx_vega"])
    assert action.numbers["target_share"] == pytest.approx((0.65 * net - core) / abs(core), rel=1e-12)
    cut = 1 - action.greeks_after["spx_vega"] / net
    assert 0.30 <= cut <= 0.40  # SPEC: cut net short vega by 30-40 %
    assert not any(t.instrument in ("SPX", "SPXW") for t in action.trades)  # with hedges, not a roll
    _check_after("rsi_reduce", action)


# --- de-layering after a spike ---------------------------------------------------------------------


def test_delayer_closes_the_hedge_layers() -> None:
    d = decision("delayer")
    first = d.actions[0]
    assert first.type is ActionType.DELAYER and first.rules == ("R-DELAYER",)
    hedges = BOOK.legs[BOOK.legs["layer"].isin(["L1", "L3"])]
    closing = {(t.layer, t.expiry, t.right, t.strike): t.quantity for t in first.trades}
    held = {
        (row.layer, row.expiry.date(), row.right, row.strike): row.quantity for row in hedges.itertuples(index=False)
    }
    assert closing == {k: -int(q) for k, q in held.items()}
    ref = book_reference.value_book(BOOK, AFTER_SPIKE)
    assert first.numbers["hedge_gain"] == pytest.approx(ref.legs.loc[hedges.index, "unrealized_pnl"].sum(), rel=1e-9)
    assert first.numbers["hedge_gain"] > 0  # VIX is above the L1 spread's entry level
    _check_after("delayer", first)
    # what is left hedged is L2, and nothing puts L1 or L3 back on
    l2_share = ref.layers.loc["L2", "spx_vega"] / abs(ref.layers.loc["core", "spx_vega"])
    assert first.greeks_after["hedge_vega_share"] == pytest.approx(l2_share, rel=1e-9)
    assert status(first.rules_after, "R-HEDGE-VEGA") is RuleStatus.BREACH  # under-hedged, knowingly
    after = d.book_after.legs
    assert after[after["layer"].isin(["L1", "L3"])].groupby(["layer", "strike"])["quantity"].sum().eq(0).all()
    assert all(a.type is not ActionType.ADD_L3 for a in d.actions)


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
    assert hedge.rules == ("R-DELTA",) and {t.instrument for t in hedge.trades} <= {"VX", "VXM"}
    assert abs(hedge.greeks_after["delta_per_condor"]) <= 0.15
    assert hedge.greeks_after["hedge_vega_share"] < 0.40  # no vega target while the hedges are off
    after = d.book_after.legs
    assert not after["layer"].isin(["L1", "L3"]).any()
    # control: the de-layered book, with no spike in progress, gets its L1 back
    control = decide(_book_after(d, delayer), AFTER_SPIKE)
    assert any(t.layer == "L1" for a in control.actions for t in a.trades)


def test_no_delayer_before_the_spike_retraces() -> None:
    half = signals(vix_spike=True, vix_spike_base=14.0, vix_spike_peak=30.0, vix_retracement=0.3)
    d = decide(BOOK, AFTER_SPIKE, signals=half)
    assert ActionType.DELAYER not in {a.type for a in d.actions}
    assert ActionType.ADD_VEGA_HEDGE in {a.type for a in d.actions}  # the usual vega hedge instead


# --- roll vs external hedge -----------------------------------------------------------------------


def test_roll_core_on_a_true_technical_break() -> None:
    d = decision("roll")
    market = with_spot(MARKET, 5740.0)
    action = d.actions[0]
    assert action.type is ActionType.ROLL_CORE and action.rules == ("R-ROLL",)
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
    condors = value_book(_book_after(d, action), market).condors
    new = condors.loc["IC-2026-11-27-roll"]
    assert 0.09 <= abs(new["short_put_delta"]) <= 0.15 and 0.09 <= abs(new["short_call_delta"]) <= 0.15
    assert "IC-2026-11-27" not in condors.index
    assert status(action.rules_after, "R-ROLL") is RuleStatus.OK
    _check_after("roll", action)


def test_fewer_sessions_hedges_externally_and_leaves_the_strikes() -> None:
    d = decision("no_roll")
    roll = next(r for r in d.rules if r.id == "R-ROLL")
    assert roll.status is RuleStatus.OK and roll.value == 1.0  # one session beyond 5,755
    assert ActionType.ROLL_CORE not in {a.type for a in d.actions}
    hedges = [a for a in d.actions if a.type in HEDGE_TYPES]
    assert hedges and "R-DELTA" in hedges[0].rules
    assert all(Instrument(t.instrument).is_vix for a in d.actions for t in a.trades)  # hedged with VIX products
    core_before = BOOK.legs[BOOK.legs["role"] == "core"].reset_index(drop=True)
    after = d.book_after.legs
    core_after = after[after["role"] == "core"].reset_index(drop=True)
    pd.testing.assert_frame_equal(core_after[core_before.columns], core_before)
    assert abs(hedges[0].greeks_after["delta_per_condor"]) <= 0.05
    _check_after("no_roll", hedges[0])


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
    _check_after("event", action)


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


# --- the other actions -------------------------------------------------------------------------------


def test_add_l3_and_a_theta_layer_then_rehedge() -> None:
    d = decision("layers")
    types = [a.type for a in d.actions]
    assert types[:2] == [ActionType.ADD_L3, ActionType.ADD_THETA_LAYER]
    l3, theta = d.actions[0], d.actions[1]
    # L3: VIX put spreads at the second VIX expiry, sized to 10 % of the core's vega
    assert {(t.layer, t.instrument, t.right, t.expiry) for t in l3.trades} == {
        ("L3", "VIX", "put", dt.date(2027, 1, 20))
    }
    long, short = sorted(l3.trades, key=lambda t: -(t.strike or 0.0))
    assert long.quantity == -short.quantity > 0 and (long.strike or 0.0) - (short.strike or 0.0) == 2.0
    unit = vix_put_spread(MARKET, dt.date(2027, 1, 20), long_strike=long.strike, width=2.0, quantity=1.0)
    unit_vega = abs(value_book(Book.from_layers("u", [Layer("L3", Role.ADAPTIVE, unit)]), MARKET).total["spx_vega"])
    held = abs(d.risk.layers.loc["L3", "spx_vega"])  # topped up to the target, not stacked on what is held
    assert long.quantity == round((0.10 * abs(d.risk.layers.loc["core", "spx_vega"]) - held) / unit_vega)
    # the theta layer: a 10-lot condor at the first Friday 14 days out, and the skew put spread
    assert set(theta.rules) == {"R-MACD-LADDER", "R-SKEW-ADD"}
    assert {t.expiry for t in theta.trades} == {dt.date(2026, 12, 4)}
    assert {t.group for t in theta.trades} == {"IC-2026-12-04-ladder", "PS-2026-12-04"}
    assert {t.layer for t in theta.trades} == {"core"}
    put_spread = sorted((t.strike or 0.0, t.quantity) for t in theta.trades if t.group == "PS-2026-12-04")
    assert put_spread[1][0] - put_spread[0][0] == 50.0 and [q for _, q in put_spread] == [10, -10]
    # the hedge comes last and sizes the book the layers leave
    assert types[-1] in HEDGE_TYPES
    assert 0.40 <= d.actions[-1].greeks_after["hedge_vega_share"] <= 0.60
    for action in d.actions:
        _check_after("layers", action)


def test_reduce_crowded_condors_without_closing_them() -> None:
    d = decision("crowded")
    action = d.actions[0]
    assert action.type is ActionType.REDUCE and action.rules == ("R-CROWDED-BE",)
    near = next(r for r in d.rules if r.id == "R-CROWDED-BE").details["near"]
    assert near == ["IC-2026-12-04", "IC-2026-12-11"]
    assert {t.group for t in action.trades} == set(near)
    held = BOOK.legs.set_index(["group", "strike"])["quantity"]
    for t in action.trades:  # a third of each leg (R-CROWDED-BE reduce_share 0.33 of 10 -> 3), same strikes
        assert t.quantity == -3 * (1 if held[(t.group, t.strike)] > 0 else -1)
    _check_after("crowded", action)


def test_hold_when_nothing_fires() -> None:
    d = decision("hold")
    assert [a.type for a in d.actions] == [ActionType.HOLD]
    hold = d.actions[0]
    assert hold.trades == () and hold.greeks_after == greek_summary(d.risk)
    assert hold.rules_after == d.rules
    assert not any(r.fired for r in d.rules)


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
    assert status(action.rules_after, "R-HEDGE-VEGA") is RuleStatus.BREACH
    assert action.cost == 0.0


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_book_after_holds_the_net_positions(name: str) -> None:
    d = decision(name)
    after = d.book_after
    assert _positions(after) == _positions(_book_after(d, d.actions[-1]))
    assert not (after.legs["quantity"] == 0).any()
    roles = {layer.name: layer.role for layer in after.layers}
    assert all(roles[name] is role for name, role in DEFAULT_ROLES.items() if name in roles)


def test_rules_after_the_last_action_are_those_of_the_book_after_from_the_inputs_as_given() -> None:
    """The Greeks and rules after the last action are evaluated when first read (the backtest never
    reads them), from decide()'s inputs as they were: changing the caller's series afterwards
    changes nothing."""
    book, market, kwargs = SCENARIOS["no_roll"]  # spot beyond a short put for one session, then a hedge
    history = kwargs["spx_history"].copy()
    d = decide(book, market, spx_history=history, rules=kwargs["rules"])
    history.iloc[:] = 5700.0  # two sessions beyond, had it been read now
    last = d.actions[-1]
    assert last.trades
    risk = value_book(d.book_after, market)
    after = evaluate_rules(RuleInputs(d.book_after, market, risk, spx_history=HISTORY_1), kwargs["rules"])
    assert max(next(r for r in after if r.id == "R-ROLL").details["sessions"].values()) == 1
    assert [(r.id, r.status, r.details.get("sessions")) for r in last.rules_after] == [
        (r.id, r.status, r.details.get("sessions")) for r in after
    ]
    assert last.rules_after is last.rules_after  # evaluated once
    assert last.greeks_after == pytest.approx(greek_summary(value_book(d.book_after, market)), rel=1e-12)


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
            assert t.leg().quantity == float(t.quantity)
        assert action.cost == pytest.approx(sum(t.cost for t in action.trades), abs=1e-9)
        assert action.greeks_after and action.rules_after


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_decision_serialises_to_json(name: str) -> None:
    d = decision(name)
    data = d.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert data["as_of"] == "2026-11-20T16:00:00" and data["book"] == BOOK.name
    for key, value in greek_summary(d.risk).items():
        assert data["greeks"][key] == pytest.approx(value, rel=1e-15)
    assert [r["id"] for r in data["rules"]] == [r.id for r in d.rules]
    for r, rd in zip(d.rules, data["rules"], strict=True):
        assert rd["status"] == r.status.value
        assert rd["value"] == (None if r.value is None else pytest.approx(r.value, rel=1e-15))
    assert len(data["actions"]) == len(d.actions)
    for a, ad in zip(d.actions, data["actions"], strict=True):
        assert ad["type"] == a.type.value and ad["rules"] == list(a.rules) and ad["feasible"] == a.feasible
        assert ad["cost"] == pytest.approx(a.cost, abs=0.005)
        for key, value in a.greeks_after.items():
            assert ad["greeks_after"][key] == (None if not math.isfinite(value) else pytest.approx(value, rel=1e-15))
        for key, value in a.numbers.items():
            assert ad["numbers"][key] == (None if not math.isfinite(value) else pytest.approx(value, rel=1e-15))
        assert [r["id"] for r in ad["rules_after"]] == [r.id for r in a.rules_after]
        for t, td in zip(a.trades, ad["trades"], strict=True):
            assert td["quantity"] == t.quantity and td["instrument"] == t.instrument and td["layer"] == t.layer
            assert td["expiry"] == t.expiry.isoformat() and td["strike"] == t.strike and td["right"] == t.right
            assert td["price"] == pytest.approx(t.price, abs=5e-5) and td["cost"] == pytest.approx(t.cost, abs=0.005)
    if d.next_event is not None:
        assert data["next_event"] == {"date": d.next_event.date.isoformat(), "kind": d.next_event.kind}


def test_closing_futures_and_ungrouped_legs_serialise() -> None:
    """De-layering an outer layer of VX futures and an ungrouped VIX call: no NaN reaches the trades."""
    outer = [
        ("outer", vix_future(MARKET, dt.date(2027, 3, 17), 2.0, mini=False)),
        ("outer", Leg("VIX", dt.date(2027, 3, 17), 10.0, 25.0, "call", entry_price=1.0)),
    ]
    book = BOOK.with_legs(outer, role_of_new_layers=Role.OUTER)
    d = decide(book, AFTER_SPIKE, signals=RETRACED)
    delayer = only(d, ActionType.DELAYER)
    futures = next(t for t in delayer.trades if t.instrument == "VX")
    assert futures.quantity == -2 and futures.right is None and futures.group is None and futures.strike is None
    assert futures.price == AFTER_SPIKE.vix_future(dt.date(2027, 3, 17)).price
    call = next(t for t in delayer.trades if t.layer == "outer" and t.instrument == "VIX")
    assert call.group is None and call.quantity == -10
    text = json.dumps(d.to_dict(), allow_nan=False)
    assert json.loads(text) == d.to_dict()
    after = d.book_after.legs
    assert after[after["layer"] == "outer"]["quantity"].sum() == 0.0


def test_net_vega_off_target_inside_the_hedge_band_is_sized_to_the_target() -> None:
    """Hedge vega at ~44 % of the core's: inside R-HEDGE-VEGA's 40-60 % band but R-NET-VEGA (±8 % of the
    net target, i.e. a 46-54 % share) fires, and the sizing brings the book to the target."""
    book = add_l1_spreads(BOOK, 74.0)
    d = decide(book, MARKET, signals=signals())
    assert 0.40 < d.risk.hedge_vega_share < 0.46
    assert status(d.rules, "R-HEDGE-VEGA") is RuleStatus.OK
    assert status(d.rules, "R-NET-VEGA") is RuleStatus.BREACH
    action = only(d, ActionType.ADD_VEGA_HEDGE)
    assert "R-NET-VEGA" in action.rules and "R-HEDGE-VEGA" not in action.rules
    assert status(action.rules_after, "R-NET-VEGA") is RuleStatus.OK
    assert abs(action.greeks_after["hedge_vega_share"] - 0.50) < 0.02


def test_over_hedged_book_is_trimmed_even_when_rsi_asks_to_cut_net_vega() -> None:
    """R-RSI-REDUCE's cut adds hedges; on a book already over-hedged (R-HEDGE-VEGA 'over') the trim
    comes first and the hedge share goes down, never up."""
    d = decide(OVER_HEDGED, MARKET, signals=signals(spx_rsi=66.0), theta_ratio=0.8)
    assert status(d.rules, "R-RSI-REDUCE") is RuleStatus.BREACH
    action = only(d, ActionType.TRIM_HEDGE)
    assert action.feasible, action.reason
    assert action.greeks_after["hedge_vega_share"] < d.risk.hedge_vega_share
    assert status(action.rules_after, "R-HEDGE-VEGA") is RuleStatus.OK


def test_net_vega_rules_act_without_r_hedge_vega() -> None:
    """With R-HEDGE-VEGA switched off, an over-hedged book still gets a trim from R-NET-VEGA."""
    rules = RULES.with_overrides({"R-HEDGE-VEGA": {"enabled": False}})
    d = decide(OVER_HEDGED, MARKET, rules=rules, signals=signals())
    action = only(d, ActionType.TRIM_HEDGE)
    assert "R-NET-VEGA" in action.rules
    assert status(action.rules_after, "R-NET-VEGA") is RuleStatus.OK


def test_layers_are_not_stacked_while_their_signals_last() -> None:
    """The next day with the same signals: L3 is at its share of the core's vega and the ladder's rung at
    the target expiry exists, so neither is added again (the backtest ran into both without this)."""
    d = decision("layers")
    second = decide(d.book_after, MARKET, signals=LAYER_SIGNALS)
    # the new rung grew the core's vega, so L3 is topped up to 10 % of the larger core; no new rung
    assert [a.type for a in second.actions].count(ActionType.ADD_L3) == 1
    assert ActionType.ADD_THETA_LAYER not in [a.type for a in second.actions]
    l3_after = abs(value_book(second.book_after, MARKET).layers.loc["L3", "spx_vega"])
    core_after = abs(value_book(second.book_after, MARKET).layers.loc["core", "spx_vega"])
    assert l3_after == pytest.approx(0.10 * core_after, rel=0.02)
    again = decide(second.book_after, MARKET, signals=LAYER_SIGNALS)
    types = [a.type for a in again.actions]
    assert ActionType.ADD_L3 not in types and ActionType.ADD_THETA_LAYER not in types
    fired = {r.id for r in again.rules if r.fired}
    assert {"R-L3", "R-MACD-LADDER", "R-SKEW-ADD"} <= fired  # the rules still fire; the layers are in place
