"""The book rules' measured values against independent calculations: the pure-Python reference
valuation of :mod:`tests.reference`, condor payoffs from strikes and entry prices."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from alvh.book import Book
from alvh.market.snapshot import Market
from alvh.method.rules import RuleId, RuleStatus
from alvh.risk.stresses import vega_reconciliation
from tests.method.rules.cases import (
    BALANCED,
    BOOK,
    CASES,
    CORE_UNITS,
    DEFAULTS,
    LONG_DTED,
    MARKET,
    NET_FLAT,
    NET_TARGET,
    OVER_HEDGED,
    QUIET,
    TILTED,
    WIDE_OPEN,
    Case,
    add_l1_spreads,
    core_units,
    layer_sum,
    reference,
    with_spot,
)


def test_delta_per_condor() -> None:
    for case in CASES[RuleId.DELTA]:
        expected = reference(case.book, MARKET).total["spx_delta"] / (100 * core_units(case.book))
        assert case.evaluate()[RuleId.DELTA].value == pytest.approx(expected, rel=1e-9)
    assert core_units(TILTED) == CORE_UNITS
    assert CASES[RuleId.DELTA][0].evaluate()[RuleId.DELTA].value == pytest.approx(0.40, abs=0.01)


def test_delta_band_is_configurable_and_severity_too() -> None:
    value = -0.0392  # the example's delta per condor unit
    assert Case().evaluate()[RuleId.DELTA].value == pytest.approx(value, abs=1e-4)
    band = {"max_abs": 0.03, "target_abs": 0.03}
    narrow = Case(rules=DEFAULTS.with_overrides({RuleId.DELTA: band})).evaluate()[RuleId.DELTA]
    assert narrow.status is RuleStatus.BREACH and "0.03" in narrow.limit
    warn = Case(rules=DEFAULTS.with_overrides({RuleId.DELTA: {**band, "severity": "warn"}}))
    assert warn.evaluate()[RuleId.DELTA].status is RuleStatus.WARN
    assert Case(rules=DEFAULTS.with_overrides({RuleId.DELTA: {"max_abs": 0.04, "target_abs": 0.04}})).evaluate()[
        RuleId.DELTA
    ].status is (RuleStatus.OK)


@pytest.mark.parametrize("book", [BOOK, BALANCED, OVER_HEDGED], ids=["under", "balanced", "over"])
def test_vega_rules_values(book: Book) -> None:
    results = Case(book).evaluate()
    core = layer_sum(book, "spx_vega", core=True)
    hedge = layer_sum(book, "spx_vega", core=False)
    net = reference(book, MARKET).total["spx_vega"]  # L3 included: it is not a vega hedge, but in the net
    assert results[RuleId.HEDGE_VEGA].value == pytest.approx(hedge / abs(core), rel=1e-9)
    target = -120.0 * CORE_UNITS  # the user's portfolio target, per condor unit
    assert Case(book, rules=NET_TARGET).evaluate()[RuleId.NET_VEGA].value == pytest.approx(
        (net - target) / abs(target), rel=1e-9
    )
    assert results[RuleId.VEGA_PER_SPREAD].value == pytest.approx(net / (CORE_UNITS * 100), rel=1e-9)
    ref = reference(book, MARKET).layers["spx_vega"]
    drifts = {
        "L1": (ref["L1"] - 0.6 * 0.5 * abs(core)) / CORE_UNITS,
        "L2": (ref["L2"] - 0.4 * 0.5 * abs(core)) / CORE_UNITS,
    }
    worst = max(drifts, key=lambda k: abs(drifts[k]))
    assert results[RuleId.SLEEVE_VEGA].value == pytest.approx(drifts[worst], rel=1e-9)
    assert results[RuleId.SLEEVE_VEGA].details["drifts"] == pytest.approx(drifts, rel=1e-9)


def test_hedge_vega_direction_and_alert() -> None:
    under, over = Case().evaluate(), Case(OVER_HEDGED).evaluate()
    assert (
        under[RuleId.HEDGE_VEGA].details["direction"] == "under" and "under-hedged" in under[RuleId.HEDGE_VEGA].message
    )
    assert over[RuleId.HEDGE_VEGA].status is RuleStatus.BREACH
    assert over[RuleId.HEDGE_VEGA].details["direction"] == "over"
    assert "inverts the theta profile" in over[RuleId.HEDGE_VEGA].message
    assert over[RuleId.HEDGE_VEGA].value == pytest.approx(0.90, abs=0.01)
    assert under[RuleId.VEGA_PER_SPREAD].details["alert"] is False


def test_net_vega_checks_are_independent_of_the_hedge_share() -> None:
    """R-NET-VEGA (against the user's portfolio target) and R-VEGA-PER-SPREAD (net vega per condor
    unit) fire on the balanced book, where R-HEDGE-VEGA is inside its band, and are quiet on books
    where R-HEDGE-VEGA breaches — before, both were R-HEDGE-VEGA's band seen from the net side."""
    balanced = Case(BALANCED, rules=NET_TARGET).evaluate()
    assert balanced[RuleId.HEDGE_VEGA].status is RuleStatus.OK
    assert balanced[RuleId.NET_VEGA].status is RuleStatus.WARN and balanced[RuleId.NET_VEGA].details["target"] == -3600
    assert balanced[RuleId.VEGA_PER_SPREAD].status is RuleStatus.WARN
    under = Case(rules=NET_TARGET).evaluate()  # 23 % hedged, net -121 $/vol pt per condor against -120
    assert under[RuleId.HEDGE_VEGA].status is RuleStatus.BREACH and under[RuleId.NET_VEGA].status is RuleStatus.OK
    flat = Case(NET_FLAT).evaluate()  # over-hedged, net vega about nil per condor
    assert flat[RuleId.HEDGE_VEGA].status is RuleStatus.BREACH
    assert flat[RuleId.VEGA_PER_SPREAD].status is RuleStatus.OK
    assert -0.15 <= (flat[RuleId.VEGA_PER_SPREAD].value or 0.0) <= 0.25
    # without a target R-NET-VEGA says so; above R-VEGA-PER-SPREAD's alert level it is a breach
    assert Case().evaluate()[RuleId.NET_VEGA].status is RuleStatus.SKIPPED
    long_vol = Case(add_l1_spreads(BOOK, 400.0)).evaluate()[RuleId.VEGA_PER_SPREAD]
    assert (long_vol.value or 0.0) > 0.40 and long_vol.details["alert"] is True
    assert long_vol.status is RuleStatus.BREACH and "ALERT" in long_vol.message


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
    for case in CASES[RuleId.THETA]:
        theta = reference(case.book, MARKET).total["theta"]
        assert case.evaluate()[RuleId.THETA].value == pytest.approx(theta / margin, rel=1e-9)
    assert (
        CASES[RuleId.THETA][0].evaluate()[RuleId.THETA].value
        < 0.0008
        < CASES[RuleId.THETA][1].evaluate()[RuleId.THETA].value
    )


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
    assert results[RuleId.BREAKEVEN].value == pytest.approx(float(room.min()), rel=1e-9)
    assert results[RuleId.BREAKEVEN].details["inside"] == sorted(room.index[room.astype(float) < 1.0])
    distance = np.minimum(abs(spot - payoffs["breakeven_low"]), abs(payoffs["breakeven_high"] - spot))
    near = sorted(distance.index[(distance / moves).astype(float) <= 0.25])
    assert results[RuleId.CROWDED_BE].details["near"] == near
    assert results[RuleId.CROWDED_BE].value == len(near)
    assert (results[RuleId.CROWDED_BE].status is RuleStatus.BREACH) == (len(near) >= 2)
    if near:
        assert "reduce size, do not close" in results[RuleId.CROWDED_BE].message


def test_short_delta_is_judged_at_entry() -> None:
    """R-SHORT-DELTA judges the condors opened today, not every condor's current delta: the
    example's condors drifted out of the band (spot 5,800) do not warn; a condor opened today
    outside the band does; without opening dates the rule reports the current deltas."""
    market = with_spot(MARKET, 5800.0)
    legs, ref = BOOK.legs, reference(BOOK, market)
    shorts = legs.index[(legs["role"] == "core") & (legs["quantity"] < 0)]
    deltas = {
        (legs.loc[i, "group"], legs.loc[i, "right"]): abs(ref.legs.loc[i, "delta"] / (legs.loc[i, "quantity"] * 100))
        for i in shorts
    }
    assert any(not 0.10 <= v <= 0.15 for v in deltas.values())  # they drifted
    drifted = Case(market=market, inputs={"opened_today": ()}).evaluate()[RuleId.SHORT_DELTA]
    assert drifted.status is RuleStatus.OK and "No condor opened today" in drifted.message
    unknown = Case(market=market).evaluate()[RuleId.SHORT_DELTA]
    assert (
        unknown.status is RuleStatus.INFO and not unknown.fired and "Checked when a condor is opened" in unknown.message
    )
    current = {(g, side): v for g, sides in unknown.details["current"].items() for side, v in sides.items()}
    assert current == pytest.approx(deltas, rel=1e-9)
    # a condor opened today at 30 delta warns (the shipped severity), and only it is judged
    opened = Case(WIDE_OPEN, market, inputs={"opened_today": ("IC-2026-12-18",)}).evaluate()[RuleId.SHORT_DELTA]
    assert opened.status is RuleStatus.WARN and opened.details["outside"] == ["IC-2026-12-18"]
    assert opened.details["opened_today"] == ["IC-2026-12-18"]
    assert opened.value == pytest.approx(max(opened.details["current"]["IC-2026-12-18"].values()), rel=1e-12)
    # at entry (spot 5,900) every short strike of the example is a 12-delta one
    at_entry = Case(inputs={"opened_today": tuple({group for group, _ in deltas})}).evaluate()
    assert at_entry[RuleId.SHORT_DELTA].status is RuleStatus.OK


def test_dte_band_reports_the_condor_outside() -> None:
    result = Case(LONG_DTED).evaluate()[RuleId.DTE]
    assert result.details["outside"] == ["IC-2027-01-15"]
    assert result.value == 56.0
    assert "1 condor(s) outside 7-21 DTE" in result.message
    assert Case().evaluate()[RuleId.DTE].value == 7.0
    narrow = Case(rules=DEFAULTS.with_overrides({RuleId.DTE: {"min": 8}})).evaluate()[RuleId.DTE]
    assert narrow.status is RuleStatus.WARN and narrow.details["outside"] == ["IC-2026-11-27"]


def test_roll_counts_consecutive_sessions_beyond_a_short_strike() -> None:
    trip, quiet = (case.evaluate()[RuleId.ROLL] for case in CASES[RuleId.ROLL])
    assert trip.details["rolled"] == ["IC-2026-11-27"]  # short put 5,755; closes 5,750 then 5,740
    assert trip.details["sessions"]["IC-2026-11-27"] == 2 and trip.value == 2.0
    assert "True technical break" in trip.message
    assert quiet.details["rolled"] == [] and quiet.value == 1.0  # 5,800 yesterday: inside
    assert "hedge externally, leave strikes alone" in quiet.message
    # history after today is ignored; without history only today is known
    future = pd.Series([5740.0, 5745.0], index=pd.to_datetime(["2026-11-19", "2026-11-23"]))
    later = Case(market=with_spot(MARKET, 5740.0), inputs={"spx_history": future}).evaluate()[RuleId.ROLL]
    assert later.value == 2.0 and later.status is RuleStatus.BREACH  # 19th and today, not the 23rd
    blind = Case(market=with_spot(MARKET, 5740.0)).evaluate()[RuleId.ROLL]
    assert blind.status is RuleStatus.OK and "No SPX history given" in blind.message
    one = DEFAULTS.with_overrides({RuleId.ROLL: {"sessions": 1}})
    assert Case(market=with_spot(MARKET, 5740.0), rules=one).evaluate()[RuleId.ROLL].status is RuleStatus.BREACH


def test_recon_reports_the_vega_reconciliation() -> None:
    result = QUIET.evaluate()[RuleId.RECON]
    table = vega_reconciliation(BOOK, MARKET, shifts=[-10.0, -5.0, -2.0, 2.0, 5.0, 10.0])
    assert sorted(float(k) for k in result.details["table"]) == [-10.0, -5.0, -2.0, 2.0, 5.0, 10.0]
    for shift, row in table.iterrows():
        assert result.details["table"][str(shift)] == pytest.approx(row.to_dict(), rel=1e-12)
        assert f"{shift:+g}: {row['book']:+,.0f}" in result.message
    assert result.value is None and result.status is RuleStatus.INFO
    # short vega: the book loses when IV rises
    assert table.loc[10.0, "book"] < 0 < table.loc[-10.0, "book"]
    custom = Case(rules=DEFAULTS.with_overrides({RuleId.RECON: {"shifts": [1.0]}})).evaluate()[RuleId.RECON]
    assert list(custom.details["table"]) == ["1.0"]
