"""Builders: iron condors from a target short delta, broken-wing butterflies, verticals, VIX call and
put spreads by strike or by delta, VIX futures; strikes on the listed grid; bad arguments refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alvh
from alvh.book import Book, Instrument, Layer, Leg
from alvh.book.builders import (
    SPX_STRIKE_STEP,
    broken_wing_butterfly,
    iron_condor,
    strike_for_delta,
    vertical,
    vix_call_spread,
    vix_future,
    vix_put_spread,
)
from alvh.data import example_market
from alvh.exceptions import InputError
from alvh.market.expiries import Settlement
from alvh.risk.valuation import value_book

MARKET = example_market()
SPX_EXPIRIES = [s.expiry for s in MARKET.spx.smiles] + [dt.date(2026, 11, 23), dt.date(2026, 12, 31)]
VIX_EXPIRIES = [f.expiry for f in MARKET.vix.futures]


def option_delta(instrument: Instrument, expiry: dt.date, strike: float, right: str) -> float:
    """|delta| of one listed option at the market's smile, through the book valuation (an
    independent path from the builders' own): the leg's delta over its multiplier."""
    leg = Leg(instrument.value, expiry, 1.0, strike, right)  # type: ignore[arg-type]
    book = Book.from_layers("one", [Layer("x", "custom", (leg,))])
    return abs(float(value_book(book, MARKET).legs["delta"].iloc[0])) / instrument.multiplier


def model_price(leg: Leg) -> float:
    book = Book.from_layers("one", [Layer("x", "custom", (leg,))])
    return float(value_book(book, MARKET).legs["price"].iloc[0])


def assert_closest_listed(instrument: Instrument, expiry: dt.date, strike: float, right: str, target: float) -> None:
    """``strike`` is on the grid and no neighbour's |delta| is closer to ``target``."""
    step = 1.0 if instrument is Instrument.VIX else SPX_STRIKE_STEP
    assert strike % step == 0
    miss = abs(option_delta(instrument, expiry, strike, right) - target)
    for neighbour in (strike - step, strike + step):
        assert abs(option_delta(instrument, expiry, neighbour, right) - target) >= miss


@settings(max_examples=20)
@given(
    expiry=st.sampled_from(SPX_EXPIRIES),
    short_delta=st.floats(0.05, 0.30),
    wings=st.integers(1, 30),
    quantity=st.integers(1, 20),
    instrument=st.sampled_from([Instrument.SPXW, Instrument.SPX]),
)
def test_iron_condor_strikes_deltas_and_wings(
    expiry: dt.date, short_delta: float, wings: int, quantity: int, instrument: Instrument
) -> None:
    wing_width = SPX_STRIKE_STEP * wings
    legs = iron_condor(
        MARKET, expiry, short_delta=short_delta, wing_width=wing_width, quantity=quantity, instrument=instrument
    )
    long_put, short_put, short_call, long_call = legs
    assert [leg.right for leg in legs] == ["put", "put", "call", "call"]
    assert [leg.quantity for leg in legs] == [quantity, -quantity, -quantity, quantity]
    assert {leg.instrument for leg in legs} == {instrument}
    assert {leg.expiry for leg in legs} == {expiry}
    assert {leg.group for leg in legs} == {f"IC-{expiry}"}
    assert short_put.strike < MARKET.spx.spot < short_call.strike
    assert short_put.strike - long_put.strike == wing_width
    assert long_call.strike - short_call.strike == wing_width
    assert_closest_listed(instrument, expiry, short_put.strike, "put", short_delta)
    assert_closest_listed(instrument, expiry, short_call.strike, "call", short_delta)
    for leg in legs:
        assert leg.strike % SPX_STRIKE_STEP == 0
        assert leg.entry_price == pytest.approx(model_price(leg), rel=1e-12)


def test_a_12_delta_condor_has_short_deltas_near_12() -> None:
    legs = iron_condor(MARKET, dt.date(2026, 12, 4), short_delta=0.12, wing_width=50.0, quantity=3, group="mine")
    deltas = [option_delta(Instrument.SPXW, leg.expiry, leg.strike, leg.right) for leg in legs[1:3]]
    assert all(0.10 <= d <= 0.15 for d in deltas)
    assert {leg.group for leg in legs} == {"mine"}
    # the example book's 14-DTE condor is exactly this one
    assert [leg.strike for leg in legs] == [5635.0, 5685.0, 6060.0, 6110.0]


def test_am_and_pm_condors_use_their_own_time_to_expiry() -> None:
    expiry = dt.date(2026, 12, 18)  # a third Friday: SPX (AM) and SPXW (PM) both list it
    am = iron_condor(MARKET, expiry, instrument="SPX")
    pm = iron_condor(MARKET, expiry, instrument="SPXW")
    # same strike, less time: the AM option is cheaper
    common = [(a, p) for a, p in zip(am, pm, strict=True) if a.strike == p.strike]
    assert common
    for a, p in common:
        assert a.entry_price < p.entry_price
    assert MARKET.years_to(expiry, Settlement.AM) < MARKET.years_to(expiry, Settlement.PM)


@pytest.mark.parametrize("right", ["put", "call"])
def test_broken_wing_butterfly_structure(right: str) -> None:
    expiry = dt.date(2026, 12, 11)
    near, short, far = broken_wing_butterfly(
        MARKET, expiry, right, short_delta=0.2, near_width=30.0, far_width=60.0, quantity=2
    )
    assert [leg.quantity for leg in (near, short, far)] == [2, -4, 2]
    assert {leg.right for leg in (near, short, far)} == {right}
    inward = 1.0 if right == "put" else -1.0  # towards the money
    assert near.strike == short.strike + inward * 30.0
    assert far.strike == short.strike - inward * 60.0
    assert_closest_listed(Instrument.SPXW, expiry, short.strike, right, 0.2)
    assert near.group == short.group == far.group == f"BWB-{right}-{expiry}"


def test_vertical_spread_structure() -> None:
    expiry = dt.date(2027, 1, 15)
    long_leg, short_leg = vertical(MARKET, expiry, "put", long_strike=5500.0, short_strike=5600.0, quantity=5)
    assert (long_leg.strike, long_leg.quantity, long_leg.right) == (5500.0, 5, "put")
    assert (short_leg.strike, short_leg.quantity, short_leg.right) == (5600.0, -5, "put")
    assert long_leg.entry_price < short_leg.entry_price  # a credit put spread
    assert long_leg.group == "put-spread-5500-5600-2027-01-15"


@pytest.mark.parametrize("expiry", VIX_EXPIRIES)
def test_vix_spreads_by_strike_are_priced_on_their_future(expiry: dt.date) -> None:
    quote = MARKET.vix_future(expiry)
    long_call, short_call = vix_call_spread(MARKET, expiry, long_strike=20.0, width=5.0, quantity=10)
    assert (long_call.instrument, long_call.right, long_call.strike, long_call.quantity) == (
        Instrument.VIX,
        "call",
        20.0,
        10,
    )
    assert (short_call.strike, short_call.quantity) == (25.0, -10)
    years = MARKET.years_to(expiry, Settlement.AM)

    def black76(strike: float, underlying: float, right: str) -> float:
        return float(
            alvh.price(
                model="black76",
                underlying=underlying,
                strike=strike,
                time_to_expiry=years,
                vol=quote.option_vol,
                rate=MARKET.spx.rate,
                is_call=right == "call",
            )
        )

    assert long_call.entry_price == pytest.approx(black76(20.0, quote.price, "call"), rel=1e-12)
    assert long_call.entry_price != pytest.approx(black76(20.0, MARKET.vix.spot, "call"), rel=1e-3)
    long_put, short_put = vix_put_spread(MARKET, expiry, long_strike=17.0, width=2.0)
    assert (long_put.right, long_put.strike, long_put.quantity) == ("put", 17.0, 1)
    assert (short_put.strike, short_put.quantity) == (15.0, -1)
    assert long_put.entry_price == pytest.approx(black76(17.0, quote.price, "put"), rel=1e-12)


@given(expiry=st.sampled_from(VIX_EXPIRIES), target=st.floats(0.1, 0.6), right=st.sampled_from(["call", "put"]))
@settings(max_examples=20)
def test_vix_spreads_by_delta_pick_the_closest_listed_strike(expiry: dt.date, target: float, right: str) -> None:
    build = vix_call_spread if right == "call" else vix_put_spread
    long_leg, short_leg = build(MARKET, expiry, long_delta=target, width=2.0)
    assert_closest_listed(Instrument.VIX, expiry, long_leg.strike, right, target)
    assert short_leg.strike == long_leg.strike + (2.0 if right == "call" else -2.0)
    assert strike_for_delta(MARKET, expiry, right, target, instrument="VIX") == long_leg.strike


def test_vix_future_builder() -> None:
    mini = vix_future(MARKET, dt.date(2027, 2, 17), -3)
    assert (mini.instrument, mini.quantity, mini.entry_price, mini.strike, mini.right) == (
        Instrument.VXM,
        -3,
        18.95,
        None,
        None,
    )
    assert vix_future(MARKET, dt.date(2027, 2, 17), 2, mini=False).instrument is Instrument.VX


EXPIRY = dt.date(2026, 12, 11)
BAD_CALLS: list[tuple[Any, dict[str, Any], str]] = [
    (iron_condor, {"short_delta": 0.0}, r"delta = 0\.0 is not allowed: use the absolute delta, between 0 and 1"),
    (iron_condor, {"short_delta": 1.2}, r"delta = 1\.2 is not allowed"),
    (iron_condor, {"short_delta": -0.12}, r"delta = -0\.12 is not allowed"),
    (iron_condor, {"wing_width": 0.0}, r"wing_width = 0\.0 is not allowed: must be > 0 and a multiple of 5"),
    (iron_condor, {"wing_width": -50.0}, r"wing_width = -50\.0 is not allowed"),
    (iron_condor, {"wing_width": 52.0}, r"wing_width = 52\.0 is not allowed: must be > 0 and a multiple of 5"),
    (iron_condor, {"quantity": 0.0}, r"quantity = 0\.0 is not allowed: must be > 0"),
    (iron_condor, {"instrument": "SPY"}, r"instrument = 'SPY' is not allowed: use an option, SPX, SPXW or VIX"),
    (iron_condor, {"instrument": "VX"}, r"instrument = 'VX' is not allowed"),
    (broken_wing_butterfly, {"right": "Put"}, r"right = 'Put' is not allowed: use 'call' or 'put'"),
    (broken_wing_butterfly, {"right": "put", "far_width": 0.0}, r"far_width = 0\.0 is not allowed"),
    (broken_wing_butterfly, {"right": "call", "near_width": 12.5}, r"near_width = 12\.5 is not allowed"),
    (broken_wing_butterfly, {"right": "call", "quantity": -1.0}, r"quantity = -1\.0 is not allowed"),
    (vertical, {"right": "c", "long_strike": 5500.0, "short_strike": 5600.0}, r"right = 'c' is not allowed"),
    (vertical, {"right": "put", "long_strike": 5502.0, "short_strike": 5600.0}, r"long_strike = 5502\.0 is not"),
    (vertical, {"right": "put", "long_strike": 5500.0, "short_strike": -5.0}, r"short_strike = -5\.0 is not"),
    (vertical, {"right": "put", "long_strike": 5500.0, "short_strike": 5500.0}, r"needs two strikes"),
    (vertical, {"right": "put", "long_strike": 5500.0, "short_strike": 5600.0, "quantity": 0}, r"quantity = 0"),
]


@pytest.mark.parametrize(("build", "kwargs", "message"), BAD_CALLS)
def test_bad_builder_arguments_raise_input_error(build: Any, kwargs: dict[str, Any], message: str) -> None:
    right = kwargs.pop("right", None)
    args = (MARKET, EXPIRY) if right is None else (MARKET, EXPIRY, right)
    with pytest.raises(InputError, match=message):
        build(*args, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give exactly one of long_strike and long_delta"),
        ({"long_strike": 20.0, "long_delta": 0.3}, "give exactly one of long_strike and long_delta"),
        ({"long_strike": 20.5}, r"long_strike = 20\.5 is not allowed: must be a positive multiple of 1"),
        ({"long_strike": 20.0, "width": 0.0}, r"width = 0\.0 is not allowed: must be > 0"),
        ({"long_strike": 20.0, "width": -2.0}, r"width = -2\.0 is not allowed"),
        ({"long_strike": 20.0, "quantity": -3.0}, r"quantity = -3\.0 is not allowed"),
    ],
)
def test_bad_vix_spread_arguments_raise_input_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        vix_call_spread(MARKET, dt.date(2027, 1, 20), **kwargs)


def test_builders_refuse_expiries_the_market_cannot_price() -> None:
    with pytest.raises(
        InputError, match=r"expiry = 2026-11-20 is not allowed: a SPXW option expiring then has settled"
    ):
        iron_condor(MARKET, dt.date(2026, 11, 20))
    with pytest.raises(InputError, match=r"expiry = 2026-11-13 is not allowed"):
        vertical(MARKET, dt.date(2026, 11, 13), "put", long_strike=5500.0, short_strike=5600.0)
    with pytest.raises(InputError, match=r"no VIX future expiring 2027-01-13 on the curve"):
        vix_call_spread(MARKET, dt.date(2027, 1, 13), long_strike=20.0)
    with pytest.raises(InputError, match=r"no VIX future expiring 2027-01-13 on the curve"):
        vix_future(MARKET, dt.date(2027, 1, 13), 1)
    no_vol = MARKET.model_copy(
        update={
            "vix": MARKET.vix.model_copy(
                update={"futures": [MARKET.vix.futures[0].model_copy(update={"option_vol": None})]}
            )
        }
    )
    with pytest.raises(InputError, match="the market has no VIX option vol for expiry 2026-12-16"):
        vix_put_spread(no_vol, dt.date(2026, 12, 16), long_delta=0.3)


def test_built_positions_start_at_zero_pnl() -> None:
    legs = (
        *iron_condor(MARKET, dt.date(2026, 12, 11), quantity=4),
        *broken_wing_butterfly(MARKET, dt.date(2026, 12, 18), "put"),
        *vix_call_spread(MARKET, dt.date(2026, 12, 16), long_delta=0.3, quantity=20),
        vix_future(MARKET, dt.date(2027, 1, 20), 5),
    )
    risk = value_book(Book.from_layers("new", [Layer("all", "custom", legs)]), MARKET)
    assert np.abs(risk.legs["unrealized_pnl"]).max() <= 1e-9
