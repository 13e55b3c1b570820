"""Per-condor metrics: the example book's condors against their definitions, and one condor
hand-checked on a flat smile (credit, max loss, break-evens, short deltas, expected move,
probability of profit under the lognormal)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from alvh.book import Book, Layer, Leg
from alvh.data import example_book, example_market
from alvh.market.snapshot import Market
from alvh.risk.condors import _exceedance
from alvh.risk.valuation import value_book
from tests.reference import numpy_black_scholes as nbs

MARKET = example_market()
AS_OF = MARKET.as_of
SPOT = MARKET.spx.spot
RATE = MARKET.spx.rate


def years(expiry: dt.date, time: dt.time) -> float:
    return (dt.datetime.combine(expiry, time) - AS_OF).total_seconds() / (365 * 86400)


def test_example_book_condors_are_sane() -> None:
    risk = value_book(example_book(), MARKET)
    condors = risk.condors
    assert condors["dte"].tolist() == [7, 14, 21]
    assert condors["units"].tolist() == [10.0, 10.0, 10.0]
    legs = risk.legs.set_index("group")
    for group, c in condors.iterrows():
        mine = legs.loc[group]
        credit = -(mine["quantity"] * 100 * mine["entry_price"]).sum()
        assert c["credit"] == pytest.approx(credit, rel=1e-12)
        assert c["credit"] > 0
        assert c["max_loss"] == pytest.approx(50.0 * 100 * 10 - c["credit"], rel=1e-12)
        assert c["max_profit"] == pytest.approx(c["credit"], rel=1e-12)
        per_unit = c["credit"] / (10 * 100)
        assert c["breakeven_low"] == pytest.approx(c["short_put_strike"] - per_unit, rel=1e-12)
        assert c["breakeven_high"] == pytest.approx(c["short_call_strike"] + per_unit, rel=1e-12)
        assert -0.15 <= c["short_put_delta"] <= -0.10  # R-SHORT-DELTA: 10–15 delta
        assert 0.10 <= c["short_call_delta"] <= 0.15
        assert 0.5 < c["probability_of_profit"] < 1.0
        t = c["dte"] / 365
        assert c["expected_move"] == pytest.approx(
            SPOT * MARKET.atm_vol(mine["years"].iloc[0]) * math.sqrt(t), rel=1e-12
        )
        # R-BREAKEVEN: the method wants break-evens outside the 1-SD move
        assert c["breakeven_low"] < SPOT - c["expected_move"] or c["breakeven_high"] > SPOT + c["expected_move"]


def test_condor_metrics_hand_checked_on_a_flat_smile() -> None:
    data = MARKET.model_dump()
    data["spx"]["smiles"] = [
        {"model": "quadratic", "expiry": dt.date(2026, 12, 18), "atm_vol": 0.16, "skew": 0.0, "curvature": 0.0}
    ]
    data["spx"]["div_yield"] = 0.0
    flat = Market.model_validate(data)
    expiry = dt.date(2026, 12, 11)
    legs = (
        Leg("SPXW", expiry, 2, 5600.0, "put", entry_price=4.0, group="ic"),
        Leg("SPXW", expiry, -2, 5650.0, "put", entry_price=6.5, group="ic"),
        Leg("SPXW", expiry, -2, 6100.0, "call", entry_price=5.0, group="ic"),
        Leg("SPXW", expiry, 2, 6175.0, "call", entry_price=1.5, group="ic"),
    )
    risk = value_book(Book.from_layers("one", [Layer("core", "core", legs)]), flat)
    c = risk.condors.loc["ic"]
    credit = 2 * 100 * (6.5 - 4.0 + 5.0 - 1.5)  # $1,200: 6 points per condor
    assert c["credit"] == pytest.approx(credit, rel=1e-14)
    assert c["max_loss"] == pytest.approx(2 * 100 * 75 - credit, rel=1e-14)  # the wider (call) wing
    assert c["breakeven_low"] == pytest.approx(5644.0, rel=1e-14)
    assert c["breakeven_high"] == pytest.approx(6106.0, rel=1e-14)
    assert (c["short_put_strike"], c["short_call_strike"]) == (5650.0, 6100.0)
    assert c["dte"] == 21
    t = years(expiry, dt.time(16, 0))
    assert c["expected_move"] == pytest.approx(SPOT * 0.16 * math.sqrt(21 / 365), rel=1e-13)
    put_delta = float(nbs.greeks(SPOT, 5650.0, t, 0.16, RATE, 0.0, False)["delta"])
    assert c["short_put_delta"] == pytest.approx(put_delta, rel=1e-12)
    # P(5644 < S_T < 6106) under the risk-neutral lognormal with the flat vol: N(d2(5644)) − N(d2(6106))
    forward = SPOT * math.exp(RATE * t)

    def above(k: float) -> float:
        d2 = (math.log(forward / k) - 0.5 * 0.16**2 * t) / (0.16 * math.sqrt(t))
        return 0.5 * math.erfc(-d2 / math.sqrt(2))

    assert c["probability_of_profit"] == pytest.approx(above(5644.0) - above(6106.0), abs=1e-6)
    assert c["theta"] == pytest.approx(risk.legs["theta"].sum(), rel=1e-14)
    assert c["spx_vega"] == pytest.approx(risk.legs["spx_vega"].sum(), rel=1e-14)


def test_probability_probes_stay_positive_for_strikes_far_below_the_forward() -> None:
    # the digital's central difference once stepped 1e-4 of the forward around every strike: a
    # strike under that step (far below the forward) was probed at a negative strike
    market = example_market()
    expiry = market.spx.smiles[0].expiry
    years = (expiry - market.as_of.date()).days / 365.0
    strikes = np.array([0.25, market.forward(expiry, years), 10 * market.spx.spot])
    above = _exceedance(market, expiry, years, strikes)
    assert above[0] == pytest.approx(1.0) and 0.2 < above[1] < 0.8 and above[2] == pytest.approx(0.0, abs=1e-9)
