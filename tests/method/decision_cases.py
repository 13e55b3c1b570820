"""The decision engine's test cases, shared by the tests of its modules: the example book with shifted
markets and modified books, the decisions on them (each computed once), and the book after an action
rebuilt independently of the engine (legs and trades summed by position) to check each action's
Greeks after against a fresh valuation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from alvh.book import LEG_COLUMNS, Book, Leg, Role
from alvh.book.builders import vix_call_spread, vix_future
from alvh.data import example_book, example_market
from alvh.market.events import Event
from alvh.market.snapshot import Market
from alvh.method.decisions import Action, ActionType, Decision, decide
from alvh.method.rules import RuleId, RuleStatus, default_rules
from alvh.method.signals import MacdTrend, Signals
from alvh.method.state import greek_summary
from alvh.risk.valuation import value_book
from tests.helpers import quiet_signals

MARKET = example_market()
BOOK = example_book()
BANDS = {"R-STRESS": {"enabled": False}, "R-HEDGE-VEGA": {"enabled": True}, "R-SLEEVE-VEGA": {"enabled": True}}
"""The Greek bands instead of the shipped stress-budgeted sizing (docs/method.md, Bands and sizing)."""
RULES = default_rules().with_overrides(BANDS)
"""The rules of these cases: the shipped ones with the Greek bands sizing the hedges."""
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


BALANCED = add_l1_spreads(BOOK, 62.0).with_legs([("L2", vix_future(MARKET, FRONT, 8.0))])
"""Hedge vega ≈ 50 % of the core's, each sleeve near its target: nothing to do."""


def _tilted_to(delta_per_condor: float) -> Book:
    """BALANCED with a synthetic long sized (fractionally) so that the book's net delta per condor
    unit is exactly ``delta_per_condor``; its vega is unchanged."""
    base = value_book(BALANCED, MARKET).total["spx_delta"]
    per_unit = value_book(synthetic_long(Book.from_layers("unit", []), 1.0), MARKET).total["spx_delta"]
    return synthetic_long(BALANCED, (delta_per_condor * 100 * CORE_UNITS - base) / per_unit)


TILTED = _tilted_to(0.40)
OVER_HEDGED = add_l1_spreads(BOOK, 217.0)
"""Hedge vega ≈ 90 % of the core's."""


def signals(**values: Any) -> Signals:
    """A signal snapshot that trips nothing, with ``values`` changed."""
    return quiet_signals(TODAY, **values)


AFTER_SPIKE = with_vix(MARKET, 18.0, 1.0)
"""VIX back at 18 after a spike from 14 to 30 (futures 1 point above the example's)."""
RETRACED = signals(vix_spike=True, vix_spike_base=14.0, vix_spike_peak=30.0, vix_retracement=(30 - 18) / (30 - 14))
HISTORY_2 = pd.Series([5745.0, 5750.0], index=pd.to_datetime(["2026-11-18", "2026-11-19"]))
HISTORY_1 = pd.Series([5745.0, 5800.0], index=pd.to_datetime(["2026-11-18", "2026-11-19"]))


NO_ROLL_RULES = RULES.with_overrides({RuleId.DELTA: {"max_abs": 0.05, "target_abs": 0.05}})
VIX_DELTA = RULES.with_overrides({RuleId.DELTA: {"instrument": "vix"}})
"""Delta held by VIX futures (the articles' L2 overlay) instead of S&P 500 futures."""
VEGA_FIRST = RULES.with_overrides({RuleId.DELTA: {"priority": "vega", "instrument": "vix"}})
NARROW_DELTA = RULES.with_overrides({RuleId.DELTA: {"max_abs": 0.04, "target_abs": 0.04, "instrument": "vix"}})
LAYER_SIGNALS = signals(spx_rsi=69.0, vix_future_rsi=30.0, vix_macd_trend=MacdTrend.COMPRESSING)

SCENARIOS: dict[str, tuple[Book, Market, dict[str, Any]]] = {
    "delta": (TILTED, MARKET, {}),
    "delta_by_vix": (TILTED, MARKET, {"rules": VIX_DELTA}),
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
        _DECISIONS[name] = decide(book, market, **{"rules": RULES, **kwargs})
    return _DECISIONS[name]


def only(d: Decision, kind: ActionType) -> Action:
    found = [a for a in d.actions if a.type is kind]
    assert len(found) == 1, [a.type for a in d.actions]
    return found[0]


def status(results: tuple[Any, ...], rule_id: str) -> RuleStatus:
    return next(r.status for r in results if r.id == rule_id)


POSITION = ["layer", "instrument", "expiry", "right", "strike", "group"]
DEFAULT_ROLES = {"L1": Role.THETA_ANCHOR, "L2": Role.DELTA_OVERLAY, "L3": Role.ADAPTIVE}


def book_after(d: Decision, action: Action) -> Book:
    """The positions after the trades up to and including ``action``'s: legs and trades summed by
    position, closed ones dropped (entry prices: the first seen, which greek_summary does not read)."""
    upto = d.actions[: d.actions.index(action) + 1]
    traded = [(t.layer, t.to_leg()) for a in upto for t in a.trades]
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


def positions(book: Book) -> dict[str, float]:
    return book.legs.groupby(_key(book.legs))["quantity"].sum().to_dict()


def check_after(name: str, action: Action) -> None:
    """greeks_after is a fresh valuation of the book with the trades up to this action applied."""
    d, market = decision(name), SCENARIOS[name][1]
    fresh = greek_summary(value_book(book_after(d, action), market))
    assert action.greeks_after == pytest.approx(fresh, rel=1e-12, abs=1e-9)
