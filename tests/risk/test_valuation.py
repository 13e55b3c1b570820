"""Book valuation: per-leg trader-unit Greeks, VIX instruments in SPX terms, layer and book sums,
maturity buckets, condor metrics — hand-checked cases, the reference implementation on random
books, sums and ordering, thread-count determinism, and market-data errors at valuation.

Tolerances (reference vs kernel, per leg and per layer sum):

=============================  ======================================================================
relative 1e-9                  any units or formula slip (×100, /365 vs /360, a missing β(τ), a wrong
                               expiry time) is ≥ 1e-4 relative, so 1e-9 leaves no room for one, yet
                               sits far above the kernel's double-precision error (~1e-13 relative,
                               see tests/test_golden.py) and the last-ulp differences of the smile
                               vol that the reference recomputes along its own path.
absolute 1e-12 × condition     where a Greek is close to zero against its own terms (theta, charm and
                               vanna change sign; deep-OTM tails), relative error is meaningless: the
                               kernel's contract is 1e-14 × cond_g (Higham's condition scale,
                               :func:`tests.reference.black_scholes.conditioning`), carried through
                               the leg's size and unit scalings; 1e-12 leaves room for the input ulps.
=============================  ======================================================================

Layer sums use the same rule with Σ|x| in place of |x| (the reference sums with ``math.fsum``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

import alvh
from alvh.book import Book, Layer, Leg, Role
from alvh.book.builders import iron_condor
from alvh.data import example_book, example_market
from alvh.exceptions import ConfigError
from alvh.market.expiries import Settlement
from alvh.market.snapshot import Market
from alvh.risk.kernel_inputs import variance_swap_strike
from alvh.risk.valuation import BUCKETS, METRICS, OWN_UNIT_METRICS, TOTAL_METRICS, value_book, value_legs
from tests.reference import black_scholes as bs
from tests.reference import book_reference as ref
from tests.reference import numpy_black_scholes as nbs

MARKET = example_market()
AS_OF = MARKET.as_of
TODAY = AS_OF.date()
RATE = MARKET.spx.rate
SPOT = MARKET.spx.spot
VIX = MARKET.vix.spot
LOG_BETA = MARKET.link.log_beta

RTOL = 1e-9
COND_TOL = 1e-12


def one_leg(leg: Leg, role: Role = Role.CUSTOM) -> pd.Series:
    """The valued legs-table row of a one-leg book."""
    book = Book.from_layers("one", [Layer("x", role, (leg,))])
    return value_book(book, MARKET).legs.iloc[0]


def years(expiry: dt.date, time: dt.time) -> float:
    return (dt.datetime.combine(expiry, time) - AS_OF).total_seconds() / (365 * 86400)


def test_metric_names_match_the_reference_table() -> None:
    assert tuple(METRICS) == ref.METRICS
    assert BUCKETS == ["0-7", "8-21", "22-45", "46-90", "91+"]


# --- hand-checked legs ---------------------------------------------------------------------------


def test_spx_put_in_trader_units_is_the_kernel_greeks_times_multiplier_and_scalings() -> None:
    expiry = dt.date(2026, 12, 18)  # AM-settled monthly: 27 days 17.5 hours away
    leg = one_leg(Leg("SPX", expiry, -3, 5700.0, "put", entry_price=30.0))
    t = (27 + 17.5 / 24) / 365
    assert leg["years"] == pytest.approx(t, rel=1e-15)
    assert leg["dte"] == 28
    vol = float(MARKET.spx_vol(5700.0, expiry, t))
    assert leg["vol"] == pytest.approx(vol, rel=1e-14)
    assert leg["underlying"] == SPOT
    g = alvh.greeks(
        model="bsm",
        underlying=SPOT,
        strike=5700.0,
        time_to_expiry=t,
        vol=vol,
        rate=RATE,
        div_yield=0.013,
        is_call=False,
    )
    size = -3 * 100.0
    expected = {
        "market_value": size * g.price,
        "delta": size * g.delta,  # shares-equivalent
        "dollar_delta": size * g.delta * SPOT,
        "gamma": size * g.gamma,
        "dollar_gamma": size * g.gamma * SPOT**2 / 100,  # $ delta change per 1 % move
        "vega": size * g.vega / 100,  # per vol point
        "theta": size * g.theta / 365,  # per calendar day
        "rho": size * g.rho / 100,  # per 1 % of rate
        "vanna": size * g.vanna / 100,
        "volga": size * g.volga / 100**2,
        "charm": size * g.charm / 365,
        "spx_delta": size * g.delta,
        "spx_dollar_delta": size * g.delta * SPOT,
        "spx_gamma": size * g.gamma,
        "spx_vega": size * g.vega / 100,
        "tw_vega": size * g.vega / 100 * math.sqrt(30 / 28),
        "unrealized_pnl": size * (g.price - 30.0),
    }
    for name, value in expected.items():
        assert leg[name] == pytest.approx(float(value), rel=1e-13), name
    assert leg["price"] == pytest.approx(float(g.price), rel=1e-13)
    # signs a trader expects of a short put
    assert leg["delta"] > 0
    assert leg["theta"] > 0
    assert leg["gamma"] < 0
    assert leg["vega"] < 0


def test_vix_call_is_priced_on_its_own_future_and_mapped_through_term_beta() -> None:
    expiry = dt.date(2027, 1, 20)
    leg = one_leg(Leg("VIX", expiry, 25, 20.0, "call", entry_price=1.0))
    t = years(expiry, dt.time(9, 30))  # the Wednesday opening quotation
    future = 18.20  # the Jan future, not spot VIX (16) and not the curve at another tenor
    assert leg["underlying"] == future
    assert leg["years"] == pytest.approx(t, rel=1e-15)
    assert leg["vol"] == 0.86
    g = alvh.greeks(
        model="black76", underlying=future, strike=20.0, time_to_expiry=t, vol=0.86, rate=RATE, is_call=True
    )
    beta_tau = (1 + t / 0.02) ** -0.5
    size = 25 * 100.0
    assert leg["price"] == pytest.approx(float(g.price), rel=1e-13)
    on_spot = alvh.price(
        model="black76", underlying=VIX, strike=20.0, time_to_expiry=t, vol=0.86, rate=RATE, is_call=True
    )
    assert abs(leg["price"] - on_spot) > 0.3
    expected = {
        "market_value": size * g.price,
        "delta": size * g.delta,  # VIX-future points
        "dollar_delta": size * g.delta * future,
        "vega": size * g.vega / 100,  # per point of the VIX option's own vol
        "theta": size * g.theta / 365,
        "rho": size * (-t * g.price) / 100,  # Black-76: the future held fixed
        # docs/method.md, Models: SPX vega = ∂V/∂F·β(τ) per SPX vol point; SPX delta = ∂V/∂F·β(τ)·β·VIX/S
        "spx_vega": size * g.delta * beta_tau,
        "spx_delta": size * g.delta * beta_tau * LOG_BETA * VIX / SPOT,
        "spx_dollar_delta": size * g.delta * beta_tau * LOG_BETA * VIX,
        "spx_gamma": size
        * (
            g.gamma * (beta_tau * LOG_BETA * VIX / SPOT) ** 2
            + g.delta * beta_tau * LOG_BETA * (LOG_BETA - 1) * VIX / SPOT**2
        ),
        "tw_vega": size * g.delta * beta_tau * math.sqrt(30 / 61),
        "unrealized_pnl": size * (g.price - 1.0),
    }
    for name, value in expected.items():
        assert leg[name] == pytest.approx(float(value), rel=1e-13), name
    # a long VIX call is long SPX vega and short SPX delta
    assert leg["spx_vega"] > 0 > leg["spx_delta"]


@pytest.mark.parametrize(("instrument", "multiplier"), [("VXM", 100.0), ("VX", 1000.0)])
def test_vix_future_is_linear_with_its_multiplier(instrument: str, multiplier: float) -> None:
    expiry = dt.date(2027, 2, 17)
    leg = one_leg(Leg(instrument, expiry, -7, entry_price=19.5))
    future, size = 18.95, -7 * multiplier
    beta_tau = (1 + years(expiry, dt.time(9, 30)) / 0.02) ** -0.5
    df_ds = beta_tau * LOG_BETA * VIX / SPOT
    expected = {
        "market_value": 0.0,  # margined daily
        "delta": size,
        "dollar_delta": size * future,
        "gamma": 0.0,
        "dollar_gamma": 0.0,
        "vega": 0.0,
        "theta": 0.0,
        "rho": 0.0,
        "vanna": 0.0,
        "volga": 0.0,
        "charm": 0.0,
        "spx_delta": size * df_ds,
        "spx_dollar_delta": size * df_ds * SPOT,
        # the curvature of F(S) = F + β(τ)·VIX·((S/S₀)^β − 1)
        "spx_gamma": size * beta_tau * LOG_BETA * (LOG_BETA - 1) * VIX / SPOT**2,
        "spx_vega": size * beta_tau,
        "tw_vega": size * beta_tau * math.sqrt(30 / 89),
        "unrealized_pnl": size * (future - 19.5),
    }
    for name, value in expected.items():
        assert leg[name] == pytest.approx(value, rel=1e-13, abs=0.0), name
    assert leg["price"] == future
    assert leg["unrealized_pnl"] == pytest.approx(385.0 * multiplier / 100.0, rel=1e-12)


@pytest.mark.parametrize(("instrument", "multiplier"), [("ES", 50.0), ("MES", 5.0)])
def test_sp500_future_is_the_spx_forward_to_its_expiry(instrument: str, multiplier: float) -> None:
    expiry = dt.date(2027, 3, 19)  # the third Friday of March: settles at the 09:30 opening quotation
    leg = one_leg(Leg(instrument, expiry, -4, entry_price=5900.0))
    t = years(expiry, dt.time(9, 30))
    q = MARKET.div_yield(expiry, t, Settlement.AM)
    growth = math.exp((RATE - q) * t)
    forward, size = SPOT * growth, -4 * multiplier
    assert leg["years"] == pytest.approx(t, rel=1e-15)
    assert leg["underlying"] == SPOT
    expected = {
        "market_value": 0.0,  # margined daily
        "delta": size * growth,  # ∂F/∂S: SPX shares
        "dollar_delta": size * growth * SPOT,
        "gamma": 0.0,
        "dollar_gamma": 0.0,
        "vega": 0.0,
        "theta": size * -(RATE - q) * forward / 365.0,  # ∂F/∂t per day
        "rho": size * t * forward / 100.0,  # ∂F/∂r per 1 %
        "vanna": 0.0,
        "volga": 0.0,
        "charm": 0.0,
        "spx_delta": size * growth,
        "spx_dollar_delta": size * growth * SPOT,
        "spx_gamma": 0.0,
        "spx_vega": 0.0,
        "tw_vega": 0.0,
        "unrealized_pnl": size * (forward - 5900.0),
    }
    for name, value in expected.items():
        assert leg[name] == pytest.approx(value, rel=1e-13, abs=0.0), name
    assert leg["price"] == pytest.approx(forward, rel=1e-14)


@pytest.mark.parametrize("instrument", ["ES", "MES"])
@pytest.mark.parametrize("expiry", [dt.date(2027, 3, 12), dt.date(2027, 2, 19), dt.date(2027, 3, 18)])
def test_sp500_future_expiry_must_be_a_quarterly_third_friday(instrument: str, expiry: dt.date) -> None:
    with pytest.raises(ConfigError) as info:
        Book.from_layers("one", [Layer("x", Role.CUSTOM, (Leg(instrument, expiry, 1),))])
    assert str(info.value) == (
        f"one: layers[0].legs[0].expiry = '{expiry}' is not allowed: an ES/MES expiry: the third Friday of March, "
        "June, September or December"
    )


def test_variance_swap_at_its_fair_strike_is_worth_zero_with_vega_of_its_notional() -> None:
    expiry = dt.date(2027, 1, 15)
    t = years(expiry, dt.time(16, 0))
    fair = variance_swap_strike(MARKET, expiry, t)
    assert 0.10 < fair < 0.25
    notional = 50_000.0
    leg = one_leg(Leg("VARSWAP", expiry, notional, 100.0 * fair, start=TODAY))
    discount = math.exp(-RATE * t)
    assert leg["vol"] == fair
    assert leg["market_value"] == pytest.approx(0.0, abs=1e-9 * notional)
    assert leg["vega"] == pytest.approx(notional * discount, rel=1e-12)  # N·σ/K·f·e^{−rT}, σ = K, f = 1
    assert leg["spx_vega"] == leg["vega"]
    assert leg["unrealized_pnl"] == leg["market_value"]  # entered at zero cost
    for name in ("delta", "gamma", "theta", "vanna", "volga", "charm", "spx_delta"):
        assert leg[name] == 0.0, name
    # struck 2 vol points above fair: N/(2K)·e^{−rT}·(σ² − K²) in vol points², about −2·N
    rich = one_leg(Leg("VARSWAP", expiry, notional, 100.0 * fair + 2.0, start=TODAY))
    k_pts, s_pts = 100.0 * fair + 2.0, 100.0 * fair
    assert rich["market_value"] == pytest.approx(notional / (2 * k_pts) * discount * (s_pts**2 - k_pts**2), rel=1e-12)
    assert rich["vega"] == pytest.approx(notional * s_pts / k_pts * discount, rel=1e-12)


def test_seasoned_variance_swap_accrues_realised_variance() -> None:
    expiry, start = dt.date(2027, 1, 15), dt.date(2026, 10, 16)
    t = years(expiry, dt.time(16, 0))
    term = (expiry - start).days / 365
    f = t / term
    fair = variance_swap_strike(MARKET, expiry, t)
    leg = one_leg(Leg("VARSWAP", expiry, -20_000.0, 17.0, start=start, realized_vol=12.5))
    expected_value = (
        -20_000.0 / (2 * 17.0) * math.exp(-RATE * t) * ((1 - f) * 12.5**2 + f * (100 * fair) ** 2 - 17.0**2)
    )
    assert leg["market_value"] == pytest.approx(expected_value, rel=1e-12)
    assert leg["vega"] == pytest.approx(-20_000.0 * 100 * fair / 17.0 * f * math.exp(-RATE * t), rel=1e-12)
    with pytest.raises(ConfigError, match=r"one: layers\[0\]\.legs\[0\]\.realized_vol is missing: needed once the var"):
        one_leg(Leg("VARSWAP", expiry, -20_000.0, 17.0, start=start))
    with pytest.raises(ConfigError, match=r"legs\[0\]\.start = 2026-11-23 is after the market's as_of .*forward-start"):
        one_leg(Leg("VARSWAP", expiry, -20_000.0, 17.0, start=dt.date(2026, 11, 23)))


def test_variance_swap_strike_is_the_replication_integral() -> None:
    # The replication is a trapezoid rule on 801 points of ln(K/F) in ±0.6: its error grows like
    # (Δk/σ√T)², about 1e-4 relative at 4 weeks (and 1e-3 at 3 days; reported to the lead).
    # Flat smile: the fair strike is the flat vol (the truncation at |ln K/F| = 0.6 is far in the tails).
    data = MARKET.model_dump()
    data["spx"]["smiles"] = [
        {"model": "quadratic", "expiry": dt.date(2027, 1, 15), "atm_vol": 0.2, "skew": 0.0, "curvature": 0.0}
    ]
    flat = Market.model_validate(data)
    t = flat.years_to(dt.date(2027, 1, 15), Settlement.PM)
    assert variance_swap_strike(flat, dt.date(2027, 1, 15), t) == pytest.approx(0.2, rel=1e-4)
    # the example smile: σ²T = (2/D)·∫ OTM(K)/K² dK (Demeterfi et al. 1999), integrated adaptively
    expiry = dt.date(2026, 12, 18)
    t = MARKET.years_to(expiry, Settlement.PM)
    forward = MARKET.forward(expiry, t)

    def integrand(strike: float) -> float:
        vol = float(MARKET.smile_vol(math.log(strike / forward), t))
        g = nbs.greeks(forward, strike, t, vol, RATE, 0.0, strike >= forward, model="black76")
        return float(g["price"]) / strike**2

    lo, hi = forward * math.exp(-0.6), forward * math.exp(0.6)
    put_side = integrate.quad(integrand, lo, forward, limit=200, epsabs=0, epsrel=1e-10)[0]
    call_side = integrate.quad(integrand, forward, hi, limit=200, epsabs=0, epsrel=1e-10)[0]
    variance = 2 * math.exp(RATE * t) * (put_side + call_side) / t
    assert variance_swap_strike(MARKET, expiry, t) == pytest.approx(math.sqrt(variance), rel=2e-4)
    assert variance_swap_strike(MARKET, expiry, t) > MARKET.atm_vol(t)  # skew: var strike above ATM


def test_spx_and_spxw_of_one_date_differ_by_their_settlement_time() -> None:
    expiry = dt.date(2026, 12, 18)
    book = Book.from_layers(
        "am-pm",
        [Layer("core", "core", (Leg("SPX", expiry, 1, 5600.0, "put"), Leg("SPXW", expiry, 1, 5600.0, "put")))],
    )
    am, pm = value_book(book, MARKET).legs.iloc[0], value_book(book, MARKET).legs.iloc[1]
    assert am["years"] == pytest.approx(years(expiry, dt.time(9, 30)), rel=1e-15)
    assert pm["years"] == pytest.approx(years(expiry, dt.time(16, 0)), rel=1e-15)
    assert pm["years"] - am["years"] == pytest.approx(6.5 / 24 / 365, rel=1e-9)
    assert am["dte"] == pm["dte"] == 28
    assert am["price"] < pm["price"]
    assert am["theta"] != pm["theta"]


def test_legs_expiring_today_are_worth_intrinsic() -> None:
    book = Book.from_layers(
        "today",
        [
            Layer(
                "core",
                "core",
                (Leg("SPXW", TODAY, -2, 5950.0, "put", entry_price=50.0), Leg("SPX", TODAY, 1, 5800.0, "call")),
            )
        ],
    )
    legs = value_book(book, MARKET).legs
    assert legs["years"].tolist() == [0.0, 0.0]
    assert legs["price"].tolist() == pytest.approx([50.0, 100.0], rel=1e-15)
    assert legs["gamma"].tolist() == [0.0, 0.0]
    assert legs["vega"].tolist() == [0.0, 0.0]
    assert legs["delta"].tolist() == [200.0, 100.0]
    assert legs["tw_vega"].tolist() == [0.0, 0.0]
    assert legs["unrealized_pnl"].iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_time_weighted_vega_and_maturity_buckets_at_their_edges() -> None:
    days = [0, 1, 7, 8, 21, 22, 45, 46, 90, 91, 120]
    legs = tuple(Leg("SPXW", TODAY + dt.timedelta(days=d), 1, 5900.0, "call") for d in days)
    book = Book.from_layers("edges", [Layer(f"d{d}", "custom", (leg,)) for d, leg in zip(days, legs, strict=True)])
    risk = value_book(book, MARKET)
    assert risk.legs["dte"].tolist() == days
    expected_bucket = ["0-7", "0-7", "0-7", "8-21", "8-21", "22-45", "22-45", "46-90", "46-90", "91+", "91+"]
    for d, label in zip(days, expected_bucket, strict=True):
        row = risk.layers.loc[f"d{d}"]
        assert row[label] == row["spx_vega"]
        assert (row[BUCKETS].drop(label) == 0).all()
    weights = risk.legs["tw_vega"] / risk.legs["spx_vega"]
    np.testing.assert_allclose(weights[1:], np.sqrt(30 / np.array(days[1:], dtype=float)), rtol=1e-14)


# --- the reference implementation on random books ---------------------------------------------------------

SPX_EXPIRIES = sorted(
    {s.expiry for s in MARKET.spx.smiles} | {TODAY + dt.timedelta(days=d) for d in (0, 1, 3, 10, 40, 150, 400)}
)
VIX_EXPIRIES = [f.expiry for f in MARKET.vix.futures]
ES_EXPIRIES = [dt.date(2026, 12, 18), dt.date(2027, 3, 19), dt.date(2027, 6, 18), dt.date(2027, 12, 17)]
quantities = st.integers(-50, 50).filter(bool).map(float)
entries = st.none() | st.floats(0.01, 400.0)


@st.composite
def random_leg(draw: st.DrawFn) -> Leg:
    kind = draw(st.sampled_from(["SPX", "SPXW", "VIX", "VX", "VXM", "VARSWAP", "ES", "MES"]))
    if kind in ("SPX", "SPXW"):
        return Leg(
            kind,
            draw(st.sampled_from(SPX_EXPIRIES)),
            draw(quantities),
            5.0 * draw(st.integers(300, 1800)),
            draw(st.sampled_from(["call", "put"])),
            entry_price=draw(entries),
            group=draw(st.sampled_from([None, "a", "b"])),
        )
    if kind == "VIX":
        return Leg(
            kind,
            draw(st.sampled_from(VIX_EXPIRIES)),
            draw(quantities),
            0.5 * draw(st.integers(10, 120)),
            draw(st.sampled_from(["call", "put"])),
            entry_price=draw(entries),
        )
    if kind in ("VX", "VXM"):
        return Leg(
            kind, draw(st.sampled_from(VIX_EXPIRIES)), draw(quantities), entry_price=draw(st.none() | st.floats(5, 60))
        )
    if kind in ("ES", "MES"):
        return Leg(
            kind,
            draw(st.sampled_from(ES_EXPIRIES)),
            draw(quantities),
            entry_price=draw(st.none() | st.floats(4000, 8000)),
        )
    expiry = draw(st.sampled_from([e for e in SPX_EXPIRIES if e > TODAY]))
    start = TODAY - dt.timedelta(days=draw(st.integers(0, 90)))
    return Leg(
        kind,
        expiry,
        1000.0 * draw(quantities),
        draw(st.floats(8.0, 45.0)),
        start=start,
        realized_vol=draw(st.floats(3.0, 80.0)) if start < TODAY else draw(st.none() | st.floats(3.0, 80.0)),
    )


@st.composite
def random_book(draw: st.DrawFn) -> Book:
    n_layers = draw(st.integers(1, 4))
    roles = [draw(st.sampled_from(list(Role))) for _ in range(n_layers)]
    legs: list[list[Leg]] = [[] for _ in range(n_layers)]
    for leg in draw(st.lists(random_leg(), min_size=1, max_size=25)):
        legs[draw(st.integers(0, n_layers - 1))].append(leg)
    return Book.from_layers("random", [Layer(f"layer{i}", roles[i], tuple(legs[i])) for i in range(n_layers)])


def condition_floor(leg: ref.LegInputs, name: str) -> float:
    """|size| × the unit scaling × the condition scale of the Greek(s) behind a metric: the error a
    double-precision kernel may make where the value cancels (see the module docstring)."""
    size = abs(leg.quantity * leg.multiplier)
    if leg.instrument in ("SPX", "SPXW", "VIX"):
        model = "black76" if leg.instrument == "VIX" else "bsm"
        args = (model, leg.underlying, leg.strike, leg.years, leg.vol, leg.rate, leg.div_yield, leg.is_call)
        cond = {k: float(v) for k, v in bs.conditioning(*args, dps=20).items()}
        if leg.instrument == "VIX":
            cond["rho"] = leg.years * cond["price"]
    else:
        cond = {k: abs(v) for k, v in ref.raw_greeks(leg).items()}
    u, vix_leg = leg.underlying, leg.instrument in ("VIX", "VX", "VXM")
    df = abs(leg.term_beta * LOG_BETA * VIX / SPOT) if vix_leg else 1.0
    d2f = abs(leg.term_beta * LOG_BETA * (LOG_BETA - 1) * VIX / SPOT**2) if vix_leg else 0.0
    vega = cond["vega"] * (1.0 if leg.instrument == "VARSWAP" else 0.01)
    spx_vega = cond["delta"] * leg.term_beta if vix_leg else vega
    scale = {
        "market_value": cond["price"],
        "delta": cond["delta"],
        "dollar_delta": cond["delta"] * u,
        "gamma": cond["gamma"],
        "dollar_gamma": cond["gamma"] * u * u / 100,
        "vega": vega,
        "theta": cond["theta"] / 365,
        "rho": cond["rho"] / 100,
        "vanna": cond["vanna"] / 100,
        "volga": cond["volga"] / 1e4,
        "charm": cond["charm"] / 365,
        "spx_delta": cond["delta"] * df,
        "spx_dollar_delta": cond["delta"] * df * SPOT,
        "spx_gamma": cond["gamma"] * df * df + cond["delta"] * d2f,
        "spx_vega": spx_vega,
        "tw_vega": spx_vega * math.sqrt(30 / max(leg.dte, 1)),
        "unrealized_pnl": cond["price"] + (0.0 if math.isnan(leg.entry_price) else abs(leg.entry_price)),
    }[name]
    return COND_TOL * size * scale


def assert_matches_reference(book: Book) -> None:
    risk = value_book(book, MARKET)
    expected = ref.value_book(book, MARKET)
    legs = risk.legs
    # the market inputs the reference looked up on its own
    assert legs["years"].tolist() == [leg.years for leg in expected.inputs]
    assert legs["dte"].tolist() == [leg.dte for leg in expected.inputs]
    assert legs["underlying"].tolist() == [leg.underlying for leg in expected.inputs]
    np.testing.assert_allclose(legs["vol"], [leg.vol for leg in expected.inputs], rtol=1e-13, atol=0)
    failures = []
    floors: dict[tuple[int, str], float] = {}

    def floor(i: int, name: str) -> float:
        if (i, name) not in floors:
            floors[i, name] = condition_floor(expected.inputs[i], name)
        return floors[i, name]

    for name in METRICS:
        got, want = legs[name].to_numpy(), expected.legs[name].to_numpy()
        assert (np.isnan(got) == np.isnan(want)).all(), name
        for i in np.flatnonzero(~np.isnan(want)):
            err = abs(got[i] - want[i])
            if err > RTOL * abs(want[i]) and err > floor(int(i), name):
                failures.append((name, int(i), got[i], want[i], err))
    for layer_i, layer in enumerate(book.layers):
        rows = np.flatnonzero(legs["layer"].to_numpy() == layer.name)
        for name in [*METRICS, *BUCKETS]:
            got, want = risk.layers.loc[layer.name, name], expected.layers.loc[layer.name, name]
            if math.isnan(want):
                assert math.isnan(got), (layer.name, name)
                continue
            source = "spx_vega" if name in BUCKETS else name
            magnitude = sum(abs(expected.legs[source].iloc[i]) for i in rows)
            err = abs(got - want)
            if err > RTOL * magnitude and err > sum(floor(int(i), source) for i in rows):
                failures.append((f"{layer.name}.{name}", layer_i, got, want, err))
    failures.sort(key=lambda f: -f[4])
    assert not failures, "worst mismatches (metric, leg/layer, kernel, reference, |error|):\n" + "\n".join(
        f"  {f}" for f in failures[:10]
    )


@given(book=random_book())
def test_random_books_match_the_reference_implementation(book: Book) -> None:
    assert_matches_reference(book)


def test_the_example_book_matches_the_reference_implementation() -> None:
    assert_matches_reference(example_book())


# --- sums ----------------------------------------------------------------------------------------------


def _close_to_sum(got: float, parts: np.ndarray, name: str, *, terms: np.ndarray | None = None) -> None:
    """``got`` is the sum of ``parts`` up to the rounding of a sum in some order: n·ε·Σ|x|, with
    ``terms`` the numbers the parts themselves were summed from, when they are sums (their
    rounding counts too)."""
    want = math.fsum(parts)
    count, size = (len(parts), np.abs(parts).sum()) if terms is None else (len(parts) + len(terms), np.abs(terms).sum())
    bound = count * np.finfo(float).eps * float(size)
    assert abs(got - want) <= bound, (name, got, want, bound)


@given(book=random_book())
def test_layer_sums_are_the_leg_sums_and_the_total_is_the_sum_of_layers(book: Book) -> None:
    risk = value_book(book, MARKET)
    legs, layers = risk.legs, risk.layers
    assert risk.total.index.tolist() == ["legs", *TOTAL_METRICS, *BUCKETS]
    for layer in book.layers:
        mine = legs[legs["layer"] == layer.name]
        assert layers.loc[layer.name, "legs"] == len(mine)
        assert layers.loc[layer.name, "role"] == layer.role.value
        for name in METRICS:
            if mine[name].isna().any():
                assert math.isnan(layers.loc[layer.name, name]), name
            else:
                _close_to_sum(layers.loc[layer.name, name], mine[name].to_numpy(), name)
        # vega by bucket: each leg's SPX vega in its bucket; buckets add up to the layer's SPX vega
        for label in BUCKETS:
            _close_to_sum(
                layers.loc[layer.name, label], mine.loc[_bucket(mine["dte"]) == label, "spx_vega"].to_numpy(), label
            )
        _close_to_sum(
            layers.loc[layer.name, "spx_vega"],
            layers.loc[layer.name, BUCKETS].to_numpy(float),
            "buckets",
            terms=mine["spx_vega"].to_numpy(),  # the layer and each bucket are sums of these, in other orders
        )
    pd.testing.assert_frame_equal(risk.vega_by_bucket, layers[BUCKETS])
    # the book total is the sum of the layers (a NaN layer makes the total NaN, never skipped)
    for name in [*TOTAL_METRICS, *BUCKETS]:
        column = layers[name].to_numpy(float)
        if np.isnan(column).any():
            assert math.isnan(risk.total[name]), name
        else:
            _close_to_sum(risk.total[name], column, name)
    assert risk.total["legs"] == len(legs)


def test_the_book_total_never_adds_spx_and_vix_own_unit_greeks() -> None:
    """An SPX option's vega is $ per SPX vol point, a VIX option's $ per VIX-vol point: the total
    holds only the SPX-equivalent vega (the VIX leg mapped through β(τ)), never their sum."""
    legs = (
        Leg("SPXW", dt.date(2026, 12, 11), 1.0, 5900.0, "put"),
        Leg("VIX", dt.date(2027, 1, 20), 10.0, 20.0, "call"),
    )
    risk = value_book(Book.from_layers("mixed", [Layer("x", Role.CUSTOM, legs)]), MARKET)
    assert not set(OWN_UNIT_METRICS) & set(risk.total.index)
    spx, vix = risk.legs.iloc[0], risk.legs.iloc[1]
    assert spx["spx_vega"] == spx["vega"] and vix["spx_vega"] != vix["vega"]
    assert risk.total["spx_vega"] == pytest.approx(spx["spx_vega"] + vix["spx_vega"], rel=1e-12)


def _bucket(dte: pd.Series) -> pd.Series:
    return pd.cut(dte, [-1, 7, 21, 45, 90, np.inf], labels=BUCKETS).astype(str)


def test_a_leg_without_entry_price_makes_its_layer_and_the_total_pnl_nan() -> None:
    book = example_book().with_legs([("L2", Leg("VXM", dt.date(2027, 1, 20), 3))])
    risk = value_book(book, MARKET)
    assert math.isnan(risk.layers.loc["L2", "unrealized_pnl"])
    assert not math.isnan(risk.layers.loc["core", "unrealized_pnl"])
    assert math.isnan(risk.total["unrealized_pnl"])


@given(book=random_book(), seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_leg_order(book: Book, seed: int) -> None:
    shuffled = book.legs.sample(frac=1.0, random_state=np.random.default_rng(seed).integers(2**31))
    other = Book(book.name, book.layers, shuffled)
    a, b = value_book(book, MARKET), value_book(other, MARKET)
    restored = b.legs.set_axis(shuffled.index)[METRICS].loc[book.legs.index]
    pd.testing.assert_frame_equal(restored.reset_index(drop=True), a.legs[METRICS], check_exact=True)
    for name in [*METRICS, *BUCKETS]:
        for layer in book.layers:
            x, y = a.layers.loc[layer.name, name], b.layers.loc[layer.name, name]
            if math.isnan(x):
                assert math.isnan(y)
                continue
            column = "spx_vega" if name in BUCKETS else name
            magnitude = float(np.abs(a.legs.loc[a.legs["layer"] == layer.name, column]).sum())
            assert abs(x - y) <= len(book.legs) * np.finfo(float).eps * magnitude, (layer.name, name)


THREAD_SCRIPT = """
import json, sys
import numpy as np
import alvh
from alvh.book import Book
from alvh.data import example_market
from alvh.risk.valuation import value_book
from tests.helpers import random_legs

market = example_market()
n = 60_000
frame = random_legs(market, n, seed=5, layers=["a", "b", "c", "d"],
                    kind_weights=[0.3, 0.3, 0.2, 0.05, 0.05, 0.05, 0.03, 0.02], entry_prices=True)
risk = value_book(Book.from_frame(frame, roles=dict.fromkeys("abcd", "custom")), market)
np.save(sys.argv[1], np.vstack([risk.legs[risk.legs.columns[-18:]].to_numpy(float).T,
                                np.resize(risk.layers.drop(columns="role").to_numpy(float).ravel(), n)]))
print(json.dumps({"threads": alvh.thread_count(), "legs": n}))
"""


def _run_threads(tmp_path: Path, threads: str) -> tuple[dict[str, Any], np.ndarray]:
    out = tmp_path / f"threads{threads}.npy"
    proc = subprocess.run(
        [sys.executable, "-c", THREAD_SCRIPT, str(out)],
        env={**os.environ, "ALVH_NUM_THREADS": threads},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],  # the script imports tests.helpers
    )
    return json.loads(proc.stdout), np.load(out)


def test_book_results_are_bit_identical_for_any_thread_count(tmp_path: Path) -> None:
    info1, one = _run_threads(tmp_path, "1")
    info3, three = _run_threads(tmp_path, "3")
    assert (info1["threads"], info3["threads"]) == (1, 3)
    assert info1["legs"] >= 50_000
    assert np.isfinite(one[:-1]).mean() > 0.9
    assert one.tobytes() == three.tobytes()


# --- market-data errors at valuation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leg", "message"),
    [
        (
            Leg("SPXW", dt.date(2026, 11, 19), -1, 5800.0, "put"),
            r"^v: layers\[1\]\.legs\[0\]\.expiry = 2026-11-19 is before the market's as_of \(2026-11-20 16:00:00\)",
        ),
        (
            Leg("VIX", dt.date(2026, 12, 23), 1, 20.0, "call"),
            r"^v: layers\[1\]\.legs\[0\]\.expiry = 2026-12-23: no VIX future expiring 2026-12-23 on the curve "
            r"\(quoted: 2026-12-16, 2027-01-20",
        ),
        (
            Leg("VXM", dt.date(2027, 1, 13), 1),
            r"^v: layers\[1\]\.legs\[0\]\.expiry = 2027-01-13: no VIX future expiring 2027-01-13",
        ),
    ],
)
def test_legs_the_market_cannot_value_are_named(leg: Leg, message: str) -> None:
    book = Book.from_layers(
        "v",
        [Layer("core", "core", (Leg("SPXW", dt.date(2026, 12, 4), 1, 5800.0, "put"),)), Layer("h", "custom", (leg,))],
    )
    with pytest.raises(ConfigError, match=message):
        value_book(book, MARKET)


def test_a_vix_option_needs_the_option_vol_of_its_expiry() -> None:
    futures = [
        f.model_copy(update={"option_vol": None}) if f.expiry == dt.date(2027, 1, 20) else f for f in MARKET.vix.futures
    ]
    market = MARKET.model_copy(update={"vix": MARKET.vix.model_copy(update={"futures": futures})})
    book = Book.from_layers(
        "v",
        [
            Layer(
                "L3",
                "L3_adaptive",
                (Leg("VX", dt.date(2027, 1, 20), 1), Leg("VIX", dt.date(2027, 1, 20), 1, 17.0, "put")),
            )
        ],
    )
    with pytest.raises(
        ConfigError, match=r"^v: layers\[0\]\.legs\[1\]: the market has no VIX option vol for expiry 2027-01-20"
    ):
        value_book(book, market)
    value_book(Book.from_layers("v", [Layer("L2", "L2_delta_overlay", (Leg("VX", dt.date(2027, 1, 20), 1),))]), market)


# --- book-level measures --------------------------------------------------------------------------------


def test_hedge_share_and_per_condor_measures_of_the_example_book() -> None:
    risk = value_book(example_book(), MARKET)
    layers = risk.layers
    core = layers.loc["core", "spx_vega"]
    hedge = layers.loc[["L1", "L2"], "spx_vega"].sum()
    assert core < 0 < hedge and layers.loc["L3", "spx_vega"] < 0  # L3's VIX puts are short vol: not a hedge
    assert risk.hedge_vega_share == pytest.approx(hedge / abs(core), rel=1e-14)
    assert risk.core_units == 30.0  # three condors of 10
    assert risk.delta_per_condor == pytest.approx(risk.total["spx_delta"] / (30 * 100), rel=1e-14)
    assert risk.vega_per_condor == pytest.approx(risk.total["spx_vega"] / (30 * 100), rel=1e-14)
    # VIX legs add no SPX-equivalent vega beyond their futures' β(τ)-scaled delta
    assert layers.loc["L2", "spx_vega"] == pytest.approx(
        10 * 100 * MARKET.link.term_beta(years(dt.date(2026, 12, 16), dt.time(9, 30))), rel=1e-13
    )


def test_l3_put_spreads_are_not_hedge_vega() -> None:
    """L3's long VIX puts are short vol (negative SPX vega): they stay in the layer table and the
    net, but do not count as vega hedge — adding them to a book leaves its hedge vega alone."""
    market = example_market()
    core = [Layer("core", Role.CORE, iron_condor(market, dt.date(2026, 12, 11), quantity=10.0))]
    puts = (
        Leg("VIX", dt.date(2027, 1, 20), 40.0, 17.0, "put", group="L3-put"),
        Leg("VIX", dt.date(2027, 1, 20), -40.0, 15.0, "put", group="L3-put"),
    )
    bare = value_book(Book.from_layers("core", core), market)
    with_l3 = value_book(Book.from_layers("l3", [*core, Layer("L3", Role.ADAPTIVE, puts)]), market)
    l3_vega = with_l3.layers.loc["L3", "spx_vega"]
    assert l3_vega < 0
    assert with_l3.hedge_vega == 0.0 == bare.hedge_vega and with_l3.hedge_vega_share == 0.0
    assert with_l3.total["spx_vega"] == pytest.approx(bare.total["spx_vega"] + l3_vega, rel=1e-12)
    # the same spreads in a vega-hedging role count (an intermediate layer)
    hedged = value_book(Book.from_layers("mid", [*core, Layer("mid", Role.INTERMEDIATE, puts)]), market)
    assert hedged.hedge_vega == pytest.approx(l3_vega, rel=1e-12)


# --- value_legs ----------------------------------------------------------------------------------------


def test_value_legs_gives_each_groups_sums_as_a_book_of_it_would() -> None:
    market = example_market()
    groups = [
        (Leg("VXM", dt.date(2026, 12, 16), 1.0, entry_price=17.0),),
        (
            Leg("VIX", dt.date(2027, 1, 20), 1.0, 20.0, "call", entry_price=2.0),
            Leg("VIX", dt.date(2027, 1, 20), -1.0, 25.0, "call", entry_price=1.0),
        ),
        (Leg("SPXW", dt.date(2026, 12, 11), -2.0, 5650.0, "put", entry_price=6.5),),
    ]
    sums = value_legs(groups, market)
    assert list(sums.columns) == METRICS and len(sums) == len(groups)
    # the engine's own legs, not parsed again, are valued the same
    pd.testing.assert_frame_equal(value_legs(groups, market, trusted=True), sums, check_exact=True)
    for i, legs in enumerate(groups):
        alone = value_book(Book.from_layers("one", [Layer("x", Role.CUSTOM, legs)]), market, per_leg=False)
        np.testing.assert_array_equal(sums.iloc[i].to_numpy(), alone.layers.loc["x", METRICS].to_numpy(float))


def test_value_legs_validates_like_a_book() -> None:
    """A VIX option without a right is not priced as a put: the same error as in a book."""
    bad = (Leg("VIX", dt.date(2027, 1, 20), 1.0, 20.0, None, entry_price=2.0),)
    with pytest.raises(ConfigError, match=r"groups\[0\]\[0\]\.right missing is not allowed: 'call' or 'put'"):
        value_legs([bad], example_market())
