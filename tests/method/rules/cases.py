"""Books, markets, signals and one trip / no-trip case per rule, shared by the rule tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alvh.book import Book, Leg, Role
from alvh.book.builders import iron_condor, vix_call_spread, vix_future
from alvh.data import example_book, example_market
from alvh.market.snapshot import Market
from alvh.method.rules import RuleId, RuleInputs, RuleResult, Rules, default_rules, evaluate_rules
from alvh.method.signals import MacdTrend, Signals
from alvh.risk.valuation import value_book
from tests.helpers import quiet_signals
from tests.reference import book_reference

MARKET = example_market()
BOOK = example_book()
DEFAULTS = default_rules().with_overrides(
    {"R-STRESS": {"enabled": False}, "R-HEDGE-VEGA": {"enabled": True}, "R-SLEEVE-VEGA": {"enabled": True}}
)
"""The shipped rules with the Greek bands on (R-STRESS, on by default, is tested on its own)."""
L1_EXPIRY = dt.date(2026, 12, 16)
CORE_UNITS = 30.0  # three condor groups of 10


# --- books, markets and signals --------------------------------------------------------------------


def with_spot(market: Market, spot: float) -> Market:
    return market.model_copy(update={"spx": market.spx.model_copy(update={"spot": spot})})


def add_l1_spreads(book: Book, quantity: float, group: str = "L1-added") -> Book:
    """More of the example's L1 VIX 19/25 December call spread."""
    legs = vix_call_spread(MARKET, L1_EXPIRY, long_strike=19.0, width=6.0, quantity=quantity, group=group)
    return book.with_legs([("L1", leg) for leg in legs])


def synthetic_long(book: Book, quantity: float) -> Book:
    """A long SPX synthetic (long call, short put at one strike) in an ``intermediate`` layer: delta
    ≈ 100·e^(−qT) shares per unit and no vega, to tilt the book's delta and nothing else."""
    expiry = dt.date(2027, 1, 15)
    legs = [Leg("SPXW", expiry, quantity, 5900.0, "call"), Leg("SPXW", expiry, -quantity, 5900.0, "put")]
    return book.with_legs([("tilt", leg) for leg in legs], role_of_new_layers=Role.INTERMEDIATE)


BALANCED = add_l1_spreads(BOOK, 62.0).with_legs([("L2", vix_future(MARKET, L1_EXPIRY, 8.0))])
"""Each hedge sleeve near its target (L1 60 %, L2 40 % of a 50 % hedge): hedge vega ≈ 50 %."""
OVER_HEDGED = add_l1_spreads(BOOK, 217.0)
"""Hedge vega ≈ 90 % of the core's."""
NET_FLAT = add_l1_spreads(BOOK, 270.0)
"""Net vega ≈ +0.07 vega points per condor unit, hedge vega ≈ 106 % of the core's (over-hedged)."""
NET_TARGET = DEFAULTS.with_overrides({RuleId.NET_VEGA: {"target_per_condor": -120.0}})
"""A portfolio vega target of -120 $/vol pt per condor unit: the example book's net is -121."""
TIGHT_SLEEVE = add_l1_spreads(BALANCED, 18.0, group="L1-tight")
"""L1 ≈ 11 $/vol pt per condor above its target: inside ±12, outside ±12 tightened by 15 %."""
TILTED = synthetic_long(BOOK, 13.4)
"""Net delta ≈ +0.41 per condor unit."""
THETA_DRAIN = BOOK.with_legs(
    [
        ("straddles", Leg("SPXW", dt.date(2026, 12, 4), 6.0, 5900.0, "call")),
        ("straddles", Leg("SPXW", dt.date(2026, 12, 4), 6.0, 5900.0, "put")),
    ]
)
"""Six long 14-DTE straddles: the book's theta turns negative."""
LONG_DTED = BOOK.with_legs([("core", leg) for leg in iron_condor(MARKET, dt.date(2027, 1, 15), quantity=10.0)])
"""A fourth condor at 56 DTE."""

WIDE_OPEN = BOOK.with_legs(
    [("core", leg) for leg in iron_condor(MARKET, dt.date(2026, 12, 18), short_delta=0.30, quantity=10.0)]
)
"""A fourth condor, opened at 30 delta."""

BEFORE_TODAY = pd.to_datetime(["2026-11-18", "2026-11-19"])


def signals(**values: Any) -> Signals:
    """A signal snapshot that trips nothing, with ``values`` changed."""
    return quiet_signals("2026-11-20", **values)


SPIKE = {"vix_spike": True, "vix_spike_peak": 30.0, "vix_spike_base": 14.0}


@dataclass(frozen=True)
class Case:
    """One book / market / signals setting."""

    book: Book = BOOK
    market: Market = MARKET
    inputs: dict[str, Any] = field(default_factory=dict)
    rules: Rules = DEFAULTS

    def evaluate(self) -> dict[str, RuleResult]:
        return _evaluate(self)


_RESULTS: dict[int, tuple[Case, dict[str, RuleResult]]] = {}
"""Results by case; each entry holds its case, so that no id is reused."""


def _evaluate(case: Case) -> dict[str, RuleResult]:
    if id(case) not in _RESULTS:
        risk = value_book(case.book, case.market)
        results = evaluate_rules(RuleInputs(case.book, case.market, risk, **case.inputs), case.rules)
        _RESULTS[id(case)] = (case, {r.id: r for r in results})
    return _RESULTS[id(case)][1]


QUIET = Case(inputs={"signals": signals(), "theta_ratio": 1.2, "inflation_rising": False})
"""The example book with signals that trip nothing."""
HISTORY_2 = pd.Series([5745.0, 5750.0], index=BEFORE_TODAY)
HISTORY_1 = pd.Series([5745.0, 5800.0], index=BEFORE_TODAY)

CASES: dict[str, tuple[Case, Case]] = {
    # rule id: (a case that trips it, one that does not)
    RuleId.DELTA: (Case(TILTED), QUIET),
    RuleId.HEDGE_VEGA: (QUIET, Case(BALANCED)),
    RuleId.SLEEVE_VEGA: (QUIET, Case(BALANCED)),
    # the net-vega checks are independent of R-HEDGE-VEGA: each trips on the balanced book (R-HEDGE-VEGA
    # inside its band) and is quiet on one R-HEDGE-VEGA breaches
    RuleId.NET_VEGA: (Case(BALANCED, rules=NET_TARGET), Case(rules=NET_TARGET)),
    RuleId.VEGA_PER_SPREAD: (Case(BALANCED), Case(NET_FLAT)),
    RuleId.THETA: (Case(THETA_DRAIN), QUIET),
    # judged at entry: a condor opened today outside the band trips it; the example's, opened today
    # at 12 delta, do not
    RuleId.SHORT_DELTA: (
        Case(WIDE_OPEN, inputs={"opened_today": ("IC-2026-12-18",)}),
        Case(inputs={"opened_today": ("IC-2026-11-27", "IC-2026-12-04", "IC-2026-12-11")}),
    ),
    RuleId.DTE: (Case(LONG_DTED), QUIET),
    RuleId.BREAKEVEN: (Case(market=with_spot(MARKET, 5800.0)), QUIET),
    RuleId.CROWDED_BE: (Case(market=with_spot(MARKET, 5650.0)), QUIET),
    RuleId.RSI_REDUCE: (Case(inputs={"signals": signals(spx_rsi=66.0), "theta_ratio": 0.8}), QUIET),
    RuleId.L3: (Case(inputs={"signals": signals(spx_rsi=69.0)}), QUIET),
    RuleId.SKEW_ADD: (Case(inputs={"signals": signals(vix_future_rsi=30.0, spx_rsi=62.0)}), QUIET),
    RuleId.MACD_LADDER: (Case(inputs={"signals": signals(vix_macd_trend=MacdTrend.COMPRESSING)}), QUIET),
    RuleId.MACD_TIGHTEN: (
        Case(inputs={"signals": signals(vix_macd_trend=MacdTrend.EXPANDING), "inflation_rising": True}),
        QUIET,
    ),
    RuleId.DELAYER: (
        Case(inputs={"signals": signals(**SPIKE, vix_retracement=0.6)}),
        Case(inputs={"signals": signals(**SPIKE, vix_retracement=0.3)}),
    ),
    RuleId.ROLL: (
        Case(market=with_spot(MARKET, 5740.0), inputs={"spx_history": HISTORY_2}),
        Case(market=with_spot(MARKET, 5740.0), inputs={"spx_history": HISTORY_1}),
    ),
    # info only: it reports (and never fires) when on, and is skipped when switched off
    RuleId.RECON: (QUIET, Case(rules=DEFAULTS.with_overrides({RuleId.RECON: {"enabled": False}}))),
    # off by default: switched on, the example book's worst stress loses 92 % of its margin
    RuleId.STRESS: (
        Case(rules=DEFAULTS.with_overrides({RuleId.STRESS: {"enabled": True, "loss_limit": 0.8}})),
        Case(rules=DEFAULTS.with_overrides({RuleId.STRESS: {"enabled": True, "loss_limit": 1.0}})),
    ),
}


_REFERENCE: dict[tuple[int, int], tuple[Book, Market, book_reference.ReferenceRisk]] = {}


def reference(book: Book, market: Market) -> book_reference.ReferenceRisk:
    """The pure-Python valuation (a loop over legs, high-precision Black–Scholes)."""
    key = (id(book), id(market))
    if key not in _REFERENCE:
        _REFERENCE[key] = (book, market, book_reference.value_book(book, market))
    return _REFERENCE[key][2]


def core_units(book: Book) -> float:
    core = book.legs[book.legs["role"] == "core"]
    return float(sum(g["quantity"].abs().max() for _, g in core.groupby("group")))


VEGA_HEDGES = {Role.THETA_ANCHOR, Role.DELTA_OVERLAY, Role.INTERMEDIATE, Role.OUTER, Role.CUSTOM}
"""The roles that count as hedge vega: not L3, whose long VIX puts are short vol."""


def layer_sum(book: Book, metric: str, *, core: bool) -> float:
    """The reference sum of ``metric`` over the core's layers, or over the vega-hedging layers."""
    ref = reference(book, MARKET)
    roles = pd.Series({layer.name: layer.role for layer in book.layers})
    mine = roles[(roles == Role.CORE) if core else roles.isin(VEGA_HEDGES)].index
    return float(ref.layers.loc[mine, metric].sum())
