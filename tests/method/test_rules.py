"""The rule table of SPEC §1 as data: every rule trips on a book / market / signal case built for it and
stays quiet on one that is not (a test checks that every id has both), each measured value against
an independent calculation (the pure-Python reference valuation of :mod:`tests.reference`, condor
payoffs from strikes and entry prices), and the rules file: overrides, switches, validation errors
that name the file, the rule and the field."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.book import Book, Leg, Role
from alvh.book.builders import iron_condor, vix_call_spread, vix_future
from alvh.data import example_book, example_market
from alvh.exceptions import ConfigError
from alvh.market.snapshot import Market
from alvh.method.rules import RuleInputs, RuleResult, Rules, RuleStatus, default_rules, evaluate_rules, load_rules
from alvh.method.signals import MacdTrend, Signals
from alvh.risk.scenarios import vega_reconciliation
from alvh.risk.valuation import value_book
from tests.helpers import quiet_signals
from tests.reference import book_reference

MARKET = example_market()
BOOK = example_book()
DEFAULTS = default_rules()
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


BALANCED = add_l1_spreads(BOOK, 62.0).with_legs([("L2", vix_future(MARKET, L1_EXPIRY, 10.0))])
"""Each hedge sleeve near its target (L1 60 %, L2 40 % of a 50 % hedge): hedge vega ≈ 50 %."""
OVER_HEDGED = add_l1_spreads(BOOK, 223.0)
"""Hedge vega ≈ 90 % of the core's."""
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
    "R-DELTA": (Case(TILTED), QUIET),
    "R-HEDGE-VEGA": (QUIET, Case(BALANCED)),
    "R-SLEEVE-VEGA": (QUIET, Case(BALANCED)),
    "R-NET-VEGA": (QUIET, Case(BALANCED)),
    "R-VEGA-PER-SPREAD": (QUIET, Case(BALANCED)),
    "R-THETA": (Case(THETA_DRAIN), QUIET),
    "R-SHORT-DELTA": (Case(market=with_spot(MARKET, 5800.0)), QUIET),
    "R-DTE": (Case(LONG_DTED), QUIET),
    "R-BREAKEVEN": (Case(market=with_spot(MARKET, 5800.0)), QUIET),
    "R-CROWDED-BE": (Case(market=with_spot(MARKET, 5650.0)), QUIET),
    "R-RSI-REDUCE": (Case(inputs={"signals": signals(spx_rsi=66.0), "theta_ratio": 0.8}), QUIET),
    "R-L3": (Case(inputs={"signals": signals(spx_rsi=69.0)}), QUIET),
    "R-SKEW-ADD": (Case(inputs={"signals": signals(vix_future_rsi=30.0, spx_rsi=62.0)}), QUIET),
    "R-MACD-LADDER": (Case(inputs={"signals": signals(vix_macd_trend=MacdTrend.COMPRESSING)}), QUIET),
    "R-MACD-TIGHTEN": (
        Case(inputs={"signals": signals(vix_macd_trend=MacdTrend.EXPANDING), "inflation_rising": True}),
        QUIET,
    ),
    "R-DELAYER": (
        Case(inputs={"signals": signals(**SPIKE, vix_retracement=0.6)}),
        Case(inputs={"signals": signals(**SPIKE, vix_retracement=0.3)}),
    ),
    "R-ROLL": (
        Case(market=with_spot(MARKET, 5740.0), inputs={"spx_history": HISTORY_2}),
        Case(market=with_spot(MARKET, 5740.0), inputs={"spx_history": HISTORY_1}),
    ),
    # info only: it reports (and never fires) when on, and is skipped when switched off
    "R-RECON": (QUIET, Case(rules=DEFAULTS.with_overrides({"R-RECON": {"enabled": False}}))),
}


def test_every_rule_has_a_trip_and_a_no_trip_case() -> None:
    assert len(Rules.ids()) == 18
    assert list(CASES) == Rules.ids()


@pytest.mark.parametrize("rule_id", Rules.ids())
def test_rule_trips_and_does_not(rule_id: str) -> None:
    trip, quiet = (case.evaluate()[rule_id] for case in CASES[rule_id])
    if rule_id == "R-RECON":
        assert (trip.status, quiet.status) == (RuleStatus.INFO, RuleStatus.SKIPPED)
        assert not trip.fired
        return
    severity = DEFAULTS.by_id(rule_id).severity
    assert trip.status is (RuleStatus.BREACH if severity == "breach" else RuleStatus.WARN), trip.message
    assert trip.fired
    assert quiet.status is RuleStatus.OK, quiet.message
    assert not quiet.fired
    for result in (trip, quiet):
        assert result.id == rule_id
        assert result.limit and result.message
        assert result.value is not None and math.isfinite(result.value)
    assert trip.message != quiet.message


@pytest.mark.parametrize("rule_id", Rules.ids())
def test_switched_off_rule_is_skipped(rule_id: str) -> None:
    trip = CASES[rule_id][0]
    off = Case(trip.book, trip.market, trip.inputs, DEFAULTS.with_overrides({rule_id: {"enabled": False}}))
    result = off.evaluate()[rule_id]
    assert result.status is RuleStatus.SKIPPED
    assert result.message == "switched off in the rules file"
    # the others are unchanged
    others = {k: v.status for k, v in off.evaluate().items() if k not in (rule_id, "R-MACD-TIGHTEN")}
    assert others == {k: v.status for k, v in trip.evaluate().items() if k not in (rule_id, "R-MACD-TIGHTEN")}


SIGNAL_RULES = ["R-RSI-REDUCE", "R-L3", "R-SKEW-ADD", "R-MACD-LADDER", "R-MACD-TIGHTEN", "R-DELAYER"]


def test_signal_rules_are_skipped_without_signals() -> None:
    results = Case().evaluate()
    for rule_id in SIGNAL_RULES:
        assert results[rule_id].status is RuleStatus.SKIPPED
        assert "needs market signals" in results[rule_id].message
    assert {r.status for k, r in results.items() if k not in SIGNAL_RULES} <= {
        RuleStatus.OK,
        RuleStatus.BREACH,
        RuleStatus.WARN,
        RuleStatus.INFO,
    }


def test_results_come_in_table_order_and_serialise() -> None:
    risk = value_book(BOOK, MARKET)
    results = evaluate_rules(RuleInputs(BOOK, MARKET, risk, signals=signals(**SPIKE, vix_retracement=0.6)))
    assert [r.id for r in results] == Rules.ids()
    as_json = json.loads(json.dumps([r.to_dict() for r in results], allow_nan=False))
    for r, d in zip(results, as_json, strict=True):
        assert d["id"] == r.id and d["status"] == r.status.value and d["message"] == r.message
        assert d["value"] == (None if r.value is None else pytest.approx(r.value, rel=1e-15))


# --- the measured values, against independent calculations ----------------------------------------


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


def layer_sum(book: Book, metric: str, *, core: bool) -> float:
    ref = reference(book, MARKET)
    roles = pd.Series({layer.name: layer.role for layer in book.layers})
    mine = roles[(roles == Role.CORE) if core else (roles != Role.CORE)].index
    return float(ref.layers.loc[mine, metric].sum())


def test_delta_per_condor() -> None:
    for case in CASES["R-DELTA"]:
        expected = reference(case.book, MARKET).total["spx_delta"] / (100 * core_units(case.book))
        assert case.evaluate()["R-DELTA"].value == pytest.approx(expected, rel=1e-9)
    assert core_units(TILTED) == CORE_UNITS
    assert CASES["R-DELTA"][0].evaluate()["R-DELTA"].value == pytest.approx(0.40, abs=0.01)


def test_delta_band_is_configurable_and_severity_too() -> None:
    value = -0.0392  # the example's delta per condor unit
    assert Case().evaluate()["R-DELTA"].value == pytest.approx(value, abs=1e-4)
    narrow = Case(rules=DEFAULTS.with_overrides({"R-DELTA": {"max_abs": 0.03}})).evaluate()["R-DELTA"]
    assert narrow.status is RuleStatus.BREACH and "0.03" in narrow.limit
    warn = Case(rules=DEFAULTS.with_overrides({"R-DELTA": {"max_abs": 0.03, "severity": "warn"}}))
    assert warn.evaluate()["R-DELTA"].status is RuleStatus.WARN
    assert Case(rules=DEFAULTS.with_overrides({"R-DELTA": {"max_abs": 0.04}})).evaluate()["R-DELTA"].status is (
        RuleStatus.OK
    )


@pytest.mark.parametrize("book", [BOOK, BALANCED, OVER_HEDGED], ids=["under", "balanced", "over"])
def test_vega_rules_values(book: Book) -> None:
    results = Case(book).evaluate()
    core = layer_sum(book, "spx_vega", core=True)
    hedge = layer_sum(book, "spx_vega", core=False)
    net = core + hedge
    assert results["R-HEDGE-VEGA"].value == pytest.approx(hedge / abs(core), rel=1e-9)
    target = 0.5 * core  # the core's vega net of the 50 % target hedge
    assert results["R-NET-VEGA"].value == pytest.approx((net - target) / abs(target), rel=1e-9)
    assert results["R-VEGA-PER-SPREAD"].value == pytest.approx((net - target) / abs(core), rel=1e-9)
    ref = reference(book, MARKET).layers["spx_vega"]
    drifts = {
        "L1": (ref["L1"] - 0.6 * 0.5 * abs(core)) / CORE_UNITS,
        "L2": (ref["L2"] - 0.4 * 0.5 * abs(core)) / CORE_UNITS,
    }
    worst = max(drifts, key=lambda k: abs(drifts[k]))
    assert results["R-SLEEVE-VEGA"].value == pytest.approx(drifts[worst], rel=1e-9)
    assert results["R-SLEEVE-VEGA"].details["drifts"] == pytest.approx(drifts, rel=1e-9)


def test_hedge_vega_direction_and_alert() -> None:
    under, over = Case().evaluate(), Case(OVER_HEDGED).evaluate()
    assert under["R-HEDGE-VEGA"].details["direction"] == "under" and "under-hedged" in under["R-HEDGE-VEGA"].message
    assert over["R-HEDGE-VEGA"].status is RuleStatus.BREACH
    assert over["R-HEDGE-VEGA"].details["direction"] == "over"
    assert "inverts the theta profile" in over["R-HEDGE-VEGA"].message
    assert over["R-HEDGE-VEGA"].value == pytest.approx(0.90, abs=0.01)
    # (net - target)/|core| = share - 0.5 = +0.40: at the alert
    assert over["R-VEGA-PER-SPREAD"].value > 0.40 and over["R-VEGA-PER-SPREAD"].details["alert"] is True
    assert "ALERT" in over["R-VEGA-PER-SPREAD"].message
    assert under["R-VEGA-PER-SPREAD"].details["alert"] is False


def _condor_payoffs(book: Book) -> pd.DataFrame:
    """Per core condor, from its strikes and entry prices alone: credit, max loss, break-evens."""
    rows = {}
    for group, g in book.legs[book.legs["role"] == "core"].groupby("group"):
        units = g["quantity"].abs().max()
        credit = -float((g["quantity"] * 100 * g["entry_price"]).sum())
        puts, calls = g[g["right"] == "put"].sort_values("strike"), g[g["right"] == "call"].sort_values("strike")
        wing = max(np.diff(puts["strike"])[0], np.diff(calls["strike"])[0])
        per_unit = credit / (100 * units)
        rows[group] = {
            "credit": credit,
            "max_loss": wing * 100 * units - credit,
            "breakeven_low": puts["strike"].iloc[1] - per_unit,
            "breakeven_high": calls["strike"].iloc[0] + per_unit,
            "expiry": g["expiry"].iloc[0].date(),
        }
    return pd.DataFrame(rows).T


def test_theta_share_of_margin() -> None:
    payoffs = _condor_payoffs(BOOK)
    assert payoffs["max_loss"].tolist() == pytest.approx([42570.0, 41680.0, 41790.0])
    margin = float(payoffs["max_loss"].sum())
    for case in CASES["R-THETA"]:
        theta = reference(case.book, MARKET).total["theta"]
        assert case.evaluate()["R-THETA"].value == pytest.approx(theta / margin, rel=1e-9)
    assert CASES["R-THETA"][0].evaluate()["R-THETA"].value < 0.0008 < CASES["R-THETA"][1].evaluate()["R-THETA"].value


def _expected_move(market: Market, expiry: dt.date) -> float:
    dte = (expiry - market.as_of.date()).days
    years = (dt.datetime.combine(expiry, dt.time(16)) - market.as_of).total_seconds() / (365 * 86400)
    return market.spx.spot * market.atm_vol(years) * math.sqrt(dte / 365)


@pytest.mark.parametrize("spot", [5900.0, 5800.0, 5650.0])
def test_breakeven_room_and_crowding(spot: float) -> None:
    market = with_spot(MARKET, spot)
    results = Case(market=market).evaluate()
    payoffs = _condor_payoffs(BOOK)
    moves = pd.Series({g: _expected_move(market, row["expiry"]) for g, row in payoffs.iterrows()})
    room = np.minimum((spot - payoffs["breakeven_low"]) / moves, (payoffs["breakeven_high"] - spot) / moves)
    assert results["R-BREAKEVEN"].value == pytest.approx(float(room.min()), rel=1e-9)
    assert results["R-BREAKEVEN"].details["inside"] == sorted(room.index[room.astype(float) < 1.0])
    distance = np.minimum(abs(spot - payoffs["breakeven_low"]), abs(payoffs["breakeven_high"] - spot))
    near = sorted(distance.index[(distance / moves).astype(float) <= 0.25])
    assert results["R-CROWDED-BE"].details["near"] == near
    assert results["R-CROWDED-BE"].value == len(near)
    assert (results["R-CROWDED-BE"].status is RuleStatus.BREACH) == (len(near) >= 2)
    if near:
        assert "reduce size, do not close" in results["R-CROWDED-BE"].message


def test_short_delta_band() -> None:
    market = with_spot(MARKET, 5800.0)
    result = Case(market=market).evaluate()["R-SHORT-DELTA"]
    assert result.status is RuleStatus.WARN  # the shipped severity
    legs, ref = BOOK.legs, reference(BOOK, market)
    shorts = legs.index[(legs["role"] == "core") & (legs["quantity"] < 0)]
    deltas = {
        (legs.loc[i, "group"], legs.loc[i, "right"]): abs(ref.legs.loc[i, "delta"] / (legs.loc[i, "quantity"] * 100))
        for i in shorts
    }
    outside = {k: v for k, v in deltas.items() if not 0.10 <= v <= 0.15}
    assert result.details["outside"] == sorted({group for group, _ in outside})
    assert result.value == pytest.approx(max(outside.values(), key=lambda d: abs(d - 0.125)), rel=1e-9)
    # at entry (spot 5,900) every short strike is a 12-delta one
    assert Case().evaluate()["R-SHORT-DELTA"].status is RuleStatus.OK


def test_dte_band_reports_the_condor_outside() -> None:
    result = Case(LONG_DTED).evaluate()["R-DTE"]
    assert result.details["outside"] == ["IC-2027-01-15"]
    assert result.value == 56.0
    assert "1 condor(s) outside 7-21 DTE" in result.message
    assert Case().evaluate()["R-DTE"].value == 7.0
    narrow = Case(rules=DEFAULTS.with_overrides({"R-DTE": {"min": 8}})).evaluate()["R-DTE"]
    assert narrow.status is RuleStatus.WARN and narrow.details["outside"] == ["IC-2026-11-27"]


def test_roll_counts_consecutive_sessions_beyond_a_short_strike() -> None:
    trip, quiet = (case.evaluate()["R-ROLL"] for case in CASES["R-ROLL"])
    assert trip.details["rolled"] == ["IC-2026-11-27"]  # short put 5,755; closes 5,750 then 5,740
    assert trip.details["sessions"]["IC-2026-11-27"] == 2 and trip.value == 2.0
    assert "True technical break" in trip.message
    assert quiet.details["rolled"] == [] and quiet.value == 1.0  # 5,800 yesterday: inside
    assert "hedge externally, leave strikes alone" in quiet.message
    # history after today is ignored; without history only today is known
    future = pd.Series([5740.0, 5745.0], index=pd.to_datetime(["2026-11-19", "2026-11-23"]))
    later = Case(market=with_spot(MARKET, 5740.0), inputs={"spx_history": future}).evaluate()["R-ROLL"]
    assert later.value == 2.0 and later.status is RuleStatus.BREACH  # 19th and today, not the 23rd
    blind = Case(market=with_spot(MARKET, 5740.0)).evaluate()["R-ROLL"]
    assert blind.status is RuleStatus.OK and "No SPX history given" in blind.message
    one = DEFAULTS.with_overrides({"R-ROLL": {"sessions": 1}})
    assert Case(market=with_spot(MARKET, 5740.0), rules=one).evaluate()["R-ROLL"].status is RuleStatus.BREACH


def test_recon_reports_the_vega_reconciliation() -> None:
    result = QUIET.evaluate()["R-RECON"]
    table = vega_reconciliation(BOOK, MARKET, shifts=[-10.0, -5.0, -2.0, 2.0, 5.0, 10.0])
    assert sorted(float(k) for k in result.details["table"]) == [-10.0, -5.0, -2.0, 2.0, 5.0, 10.0]
    for shift, row in table.iterrows():
        assert result.details["table"][str(shift)] == pytest.approx(row.to_dict(), rel=1e-12)
        assert f"{shift:+g}: {row['book']:+,.0f}" in result.message
    assert result.value is None and result.status is RuleStatus.INFO
    # short vega: the book loses when IV rises
    assert table.loc[10.0, "book"] < 0 < table.loc[-10.0, "book"]
    custom = Case(rules=DEFAULTS.with_overrides({"R-RECON": {"shifts": [1.0]}})).evaluate()["R-RECON"]
    assert list(custom.details["table"]) == ["1.0"]


# --- signal rules ----------------------------------------------------------------------------------


def _signal(rule_id: str, **inputs: Any) -> RuleResult:
    return evaluate_rules(RuleInputs(BOOK, MARKET, _RISK, **inputs), DEFAULTS)[Rules.ids().index(rule_id)]


_RISK = value_book(BOOK, MARKET)


@pytest.mark.parametrize(
    ("rule_id", "inputs", "fired"),
    [
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=66.0), "theta_ratio": 0.8}, True),
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=66.0), "theta_ratio": 1.0}, False),  # theta on projection
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=65.0), "theta_ratio": 0.5}, False),  # RSI not above 65
        ("R-L3", {"signals": signals(spx_rsi=68.5)}, True),
        ("R-L3", {"signals": signals(spx_rsi=68.0)}, False),
        ("R-L3", {"signals": signals(spx_rsi=50.0, ad_divergence=1)}, True),  # bearish breadth divergence
        ("R-L3", {"signals": signals(spx_rsi=50.0, ad_divergence=None)}, False),  # no A/D line
        ("R-SKEW-ADD", {"signals": signals(vix_future_rsi=34.0, spx_rsi=61.0)}, True),
        ("R-SKEW-ADD", {"signals": signals(vix_future_rsi=35.0, spx_rsi=61.0)}, False),
        ("R-SKEW-ADD", {"signals": signals(vix_future_rsi=20.0, spx_rsi=60.0)}, False),
        ("R-MACD-LADDER", {"signals": signals(vix_macd_trend=MacdTrend.COMPRESSING)}, True),
        ("R-MACD-LADDER", {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING)}, False),
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING), "inflation_rising": True}, True),
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.NEUTRAL), "inflation_rising": True}, False),
        ("R-DELAYER", {"signals": signals(**SPIKE, vix_retracement=0.5)}, True),
        ("R-DELAYER", {"signals": signals(**SPIKE, vix_retracement=0.49)}, False),
        ("R-DELAYER", {"signals": signals()}, False),  # no spike: retracement NaN
    ],
)
def test_signal_rule_thresholds(rule_id: str, inputs: dict[str, Any], fired: bool) -> None:
    result = _signal(rule_id, **inputs)
    assert result.fired is fired, result.message
    assert result.status is (RuleStatus.BREACH if fired else RuleStatus.OK)


@pytest.mark.parametrize(
    ("rule_id", "inputs", "status"),
    [
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=66.0)}, RuleStatus.SKIPPED),  # RSI high, theta unknown
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=60.0)}, RuleStatus.OK),  # RSI alone rules it out
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING)}, RuleStatus.SKIPPED),
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.NEUTRAL)}, RuleStatus.OK),
    ],
)
def test_signal_rules_with_an_unknown_second_input(rule_id: str, inputs: dict[str, Any], status: RuleStatus) -> None:
    """Two-part rules: when the part that is known already rules the rule out it is ok; when it holds
    and the other part is not given, the rule is skipped (never a silent ok)."""
    result = _signal(rule_id, **inputs)
    assert result.status is status, result.message


def test_signal_rule_values_and_messages() -> None:
    rsi = _signal("R-RSI-REDUCE", signals=signals(spx_rsi=66.0), theta_ratio=0.8)
    assert rsi.value == 66.0 and "cut net short vega by 35%" in rsi.message
    assert _signal("R-SKEW-ADD", signals=signals(vix_future_rsi=30.0, spx_rsi=62.0)).value == 30.0
    ladder = _signal("R-MACD-LADDER", signals=signals(vix_macd_trend=MacdTrend.COMPRESSING, vix_macd_histogram=-0.2))
    assert ladder.value == -0.2 and "open a new high-theta layer" in ladder.message
    delayer = _signal("R-DELAYER", signals=signals(**SPIKE, vix_retracement=0.875))
    assert delayer.value == 0.875 and "88%" in delayer.message
    assert _signal("R-DELAYER", signals=signals()).value is None


def test_macd_tighten_tightens_the_vega_limits_by_15_percent() -> None:
    tight = Case(TIGHT_SLEEVE, inputs={"signals": signals()}).evaluate()
    drift = tight["R-SLEEVE-VEGA"].value
    assert drift is not None and 12 * 0.85 < drift < 12  # the case is the one intended
    assert tight["R-SLEEVE-VEGA"].status is RuleStatus.OK and "12.0" in tight["R-SLEEVE-VEGA"].limit
    expanding = signals(vix_macd_trend=MacdTrend.EXPANDING)
    tightened = Case(TIGHT_SLEEVE, inputs={"signals": expanding, "inflation_rising": True}).evaluate()
    assert tightened["R-MACD-TIGHTEN"].fired
    assert tightened["R-SLEEVE-VEGA"].status is RuleStatus.BREACH and "10.2" in tightened["R-SLEEVE-VEGA"].limit
    assert "±6.8%" in tightened["R-NET-VEGA"].limit
    assert tightened["R-SLEEVE-VEGA"].value == drift
    # switched off, it tightens nothing
    off = DEFAULTS.with_overrides({"R-MACD-TIGHTEN": {"enabled": False}})
    untouched = Case(TIGHT_SLEEVE, inputs={"signals": expanding, "inflation_rising": True}, rules=off).evaluate()
    assert untouched["R-SLEEVE-VEGA"].status is RuleStatus.OK


# --- the rules file --------------------------------------------------------------------------------


def test_every_rule_carries_its_description_and_source() -> None:
    for rule_id in Rules.ids():
        rule = DEFAULTS.by_id(rule_id)
        assert rule.description and rule.source and rule.enabled
        assert "SPEC" in rule.source or "ALVH" in rule.source


def test_shipped_defaults_are_the_spec_numbers() -> None:
    r = DEFAULTS
    assert r.delta.max_abs == 0.15
    assert (r.hedge_vega.min_share, r.hedge_vega.target_share, r.hedge_vega.max_share) == (0.40, 0.50, 0.60)
    assert r.sleeve_vega.max_drift == 12.0 and r.net_vega.tolerance == 0.08
    assert (r.vega_per_spread.min, r.vega_per_spread.max, r.vega_per_spread.alert) == (-0.15, 0.25, 0.40)
    assert r.theta.min_share_per_day == 0.0008
    assert (r.short_delta.min, r.short_delta.max) == (0.10, 0.15) and (r.dte.min, r.dte.max) == (7, 21)
    assert r.rsi_reduce.rsi_above == 65.0 and 0.30 <= r.rsi_reduce.cut_share <= 0.40
    assert r.l3.rsi_above == 68.0 and (r.skew_add.vix_rsi_below, r.skew_add.spx_rsi_above) == (35.0, 60.0)
    assert r.macd_tighten.tighten == 0.15
    assert sorted(abs(s) for s in r.recon.shifts) == [2.0, 2.0, 5.0, 5.0, 10.0, 10.0]


def _write(tmp_path: Path, text: str, name: str = "my_rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_user_file_overrides_one_number_and_keeps_the_rest(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "[R-HEDGE-VEGA]\ntarget_share = 0.45\n"))
    assert rules.hedge_vega.target_share == 0.45
    assert (rules.hedge_vega.min_share, rules.hedge_vega.max_share) == (0.40, 0.60)
    assert rules.hedge_vega.description == DEFAULTS.hedge_vega.description
    assert rules.model_dump(exclude={"hedge_vega"}) == DEFAULTS.model_dump(exclude={"hedge_vega"})
    # and the number is used: net vega is measured against the core's vega net of 45 %
    risk = value_book(BOOK, MARKET)
    net = evaluate_rules(RuleInputs(BOOK, MARKET, risk), rules)[Rules.ids().index("R-NET-VEGA")]
    core = layer_sum(BOOK, "spx_vega", core=True)
    assert net.details["target"] == pytest.approx(0.55 * core, rel=1e-12)


def test_user_file_switches_a_rule_off(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "[R-HEDGE-VEGA]\nenabled = false\n\n[R-THETA]\nmin_share_per_day = 0.5\n"))
    results = {r.id: r for r in evaluate_rules(RuleInputs(BOOK, MARKET, value_book(BOOK, MARKET)), rules)}
    assert results["R-HEDGE-VEGA"].status is RuleStatus.SKIPPED
    assert results["R-THETA"].status is RuleStatus.BREACH  # 1.9 %/day < 50 %/day
    assert results["R-NET-VEGA"].status is RuleStatus.BREACH  # still on


def test_empty_user_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_rules(_write(tmp_path, "# nothing to change\n")) == DEFAULTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[R-GAMMA]\nmax_abs = 1.0\n", ["'R-GAMMA'", "unknown rule", "R-DELTA"], id="unknown-rule"),
        pytest.param(
            "[R-DELTA]\nmax_delta = 0.1\n", ["R-DELTA.max_delta", "unknown field", "max_abs"], id="unknown-field"
        ),
        pytest.param('[R-DELTA]\nmax_abs = "0.1"\n', ["R-DELTA.max_abs", "'0.1'", "number"], id="string-for-number"),
        pytest.param("[R-DTE]\nmin = 7.5\n", ["R-DTE.min", "7.5", "integer"], id="float-for-integer"),
        pytest.param('[R-L3]\nenabled = "yes"\n', ["R-L3.enabled", "boolean"], id="string-for-bool"),
        pytest.param('[R-DELTA]\nseverity = "fatal"\n', ["R-DELTA.severity", "'fatal'", "'warn'"], id="severity"),
        pytest.param(
            "[R-DTE]\nmin = 30\nmax = 10\n", ["R-DTE", "min = 30", "max = 10", "min <= max"], id="dte-min>max"
        ),
        pytest.param(
            "[R-SHORT-DELTA]\nmin = 0.2\n", ["R-SHORT-DELTA", "min = 0.2", "max = 0.15"], id="short-delta-min>max"
        ),
        pytest.param(
            "[R-VEGA-PER-SPREAD]\nmax = 0.5\n", ["R-VEGA-PER-SPREAD", "max = 0.5", "alert = 0.4"], id="alert<max"
        ),
        pytest.param(
            "[R-HEDGE-VEGA]\nmin_share = 0.55\n",
            ["R-HEDGE-VEGA", "min_share = 0.55", "target_share = 0.5", "min_share <= target_share"],
            id="hedge-min>target",
        ),
        pytest.param(
            "[R-HEDGE-VEGA]\nmax_share = 1.5\n",
            ["R-HEDGE-VEGA.max_share", "1.5", "less than or equal to 1"],
            id="share",
        ),
        pytest.param(
            "[R-DELAYER]\nretracement = 1.2\n", ["R-DELAYER.retracement", "1.2", "less than or equal to 1"], id="share2"
        ),
        pytest.param(
            "[R-THETA]\nmin_share_per_day = -0.01\n", ["R-THETA.min_share_per_day", "-0.01", "greater"], id="negative"
        ),
        pytest.param("[R-DELTA]\nmax_abs = nan\n", ["R-DELTA.max_abs", "nan", "finite"], id="nan"),
        pytest.param(
            "[R-SLEEVE-VEGA.targets]\ncore = 0.5\n", ["R-SLEEVE-VEGA", "targets.core", "unknown role"], id="sleeve-role"
        ),
        pytest.param("[R-RECON]\nshifts = []\n", ["R-RECON.shifts", "at least 1"], id="no-shifts"),
        pytest.param("R-DELTA = 0.1\n", ["R-DELTA = 0.1", "a rule is a table"], id="not-a-table"),
        pytest.param("[R-DELTA\nmax_abs = 0.1\n", ["not valid TOML", "line 1"], id="bad-toml"),
    ],
)
def test_bad_rules_files_name_the_file_rule_and_field(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message, message


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: no such file"):
        load_rules(tmp_path / "nowhere.toml")


def test_overrides_in_memory_are_validated_too() -> None:
    with pytest.raises(ConfigError, match=r"^rules: R-DTE: min = 25, max = 21: need min <= max$"):
        DEFAULTS.with_overrides({"R-DTE": {"min": 25}})
    with pytest.raises(ConfigError, match="unknown rule 'R-NOPE'"):
        DEFAULTS.with_overrides({"R-NOPE": {}})
    with pytest.raises(ConfigError, match="unknown rule 'R-NOPE'"):
        DEFAULTS.by_id("R-NOPE")
    assert DEFAULTS.with_overrides({"R-DTE": {"max": 28}}).dte.max == 28
    assert DEFAULTS.dte.max == 21  # rules are immutable
