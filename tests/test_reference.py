"""Cheap self-consistency checks of the test oracles in tests/reference (and spot checks of the
golden files they generate)."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from tests.reference import black_scholes as bs
from tests.reference import numpy_black_scholes as nbs

GOLDEN = Path(__file__).resolve().parent / "golden"

# model, U, K, T, vol, r, q, is_call
POINTS = [
    ("bsm", 4200.0, 3900.0, 0.5, 0.22, 0.045, 0.013, True),
    ("bsm", 4200.0, 3900.0, 0.5, 0.22, 0.045, 0.013, False),
    ("bsm", 1500.0, 2100.0, 0.02, 0.9, -0.004, 0.02, True),
    ("bsm", 1500.0, 2100.0, 0.02, 0.9, -0.004, 0.02, False),
    ("bsm", 100.0, 100.0, 7.0, 0.35, -0.015, 0.09, True),  # q > r, negative rate
    ("black76", 18.5, 25.0, 0.25, 1.2, 0.05, 0.0, True),
    ("black76", 18.5, 25.0, 0.25, 1.2, 0.05, 0.0, False),
    ("black76", 40.0, 22.0, 0.9, 0.6, 0.0, 0.0, False),
]


def textbook_price(model, U, K, T, s, r, q, is_call):
    """Independent price, written from the forward: e^{-rT} th [F N(th d1) - K N(th d2)],
    F = U e^{bT}, d1 = ln(F/K)/(s sqrt T) + s sqrt T/2 (Black 1976; Haug 2007 §1.1.6)."""
    b = r - q if model == "bsm" else 0
    fwd = U * mp.exp(b * T)
    st = s * mp.sqrt(T)
    d1 = mp.log(fwd / K) / st + st / 2
    d2 = d1 - st
    th = 1 if is_call else -1
    return mp.exp(-r * T) * th * (fwd * mp.ncdf(th * d1) - K * mp.ncdf(th * d2))


def close(a, b, rel, abs_=0):
    return abs(a - b) <= rel * abs(b) + abs_


@pytest.mark.parametrize("point", POINTS)
def test_price_matches_textbook_and_parity(point):
    model, U, K, T, s, r, q, call = point
    with mp.workdps(60):
        v = bs.price(*point)
        assert close(v, textbook_price(model, *map(mp.mpf, (U, K, T, s, r, q)), call), 1e-45)
        other = bs.price(model, U, K, T, s, r, q, not call)
        b = (mp.mpf(r) - q) if model == "bsm" else 0
        parity = U * mp.exp((b - r) * mp.mpf(T)) - K * mp.exp(-r * mp.mpf(T))
        c_minus_p = v - other if call else other - v
        assert close(c_minus_p, parity, 0, 1e-40 * U)


@pytest.mark.parametrize("point", POINTS)
def test_greeks_are_derivatives_of_price(point):
    model, *x, call = point
    g = bs.greeks(*point)
    with mp.workdps(40):
        U0, K0, T0, s0, r0, q0 = map(mp.mpf, x)

        def value(U=U0, K=K0, T=T0, s=s0, r=r0, q=q0):
            return textbook_price(model, U, K, T, s, r, q, call)

        num = {
            "price": value(),
            "delta": mp.diff(lambda u: value(U=u), U0),
            "gamma": mp.diff(lambda u: value(U=u), U0, 2),
            "vega": mp.diff(lambda s: value(s=s), s0),
            "theta": -mp.diff(lambda t: value(T=t), T0),  # theta = -dV/dT
            "rho": mp.diff(lambda r: value(r=r), r0),  # Black-76: forward U held fixed
            "div_rho": mp.diff(lambda q: value(q=q), q0) if model == "bsm" else mp.mpf(0),
            "vanna": mp.diff(lambda u, s: value(U=u, s=s), (U0, s0), (1, 1)),
            "volga": mp.diff(lambda s: value(s=s), s0, 2),
            "charm": -mp.diff(lambda u, t: value(U=u, T=t), (U0, T0), (1, 1)),  # -d(delta)/dT
        }
        for k in bs.GREEKS:
            assert close(g[k], num[k], 1e-25, 1e-30), (k, g[k], num[k])


def test_internal_self_check():
    bs._self_check()


@pytest.mark.parametrize("point", POINTS[:6])
def test_conditioning_of_price(point):
    """cond_price = |U delta| + |K dV/dK| + |T theta| + |s vega| + |r rho| + |q div_rho| with
    dV/dK = -th e^{-rT} N(th d2) (the 'strike delta', Haug 2007 ch. 2)."""
    model, U, K, T, s, r, q, call = point
    g = bs.greeks(*point)
    c = bs.conditioning(*point)
    with mp.workdps(50):
        th = 1 if call else -1
        b = mp.mpf(r) - q if model == "bsm" else 0
        st = s * mp.sqrt(T)
        d2 = (mp.log(mp.mpf(U) / K) + b * T) / st - st / 2
        dv_dk = -th * mp.exp(-r * mp.mpf(T)) * mp.ncdf(th * d2)
        expect = (abs(U * g["delta"]) + abs(K * dv_dk) + abs(T * g["theta"])
                  + abs(s * g["vega"]) + abs(r * g["rho"]))  # fmt: skip
        if model == "bsm":
            expect += abs(q * g["div_rho"])
        assert close(c["price"], expect, 1e-20)
        # cond of delta includes |s * vanna| and |U * gamma|: a lower bound check
        assert c["delta"] >= abs(s * g["vanna"]) and c["delta"] >= abs(U * g["gamma"])
        assert c["div_rho"] == 0 if model == "black76" else c["div_rho"] > 0


@pytest.mark.parametrize("point", POINTS)
def test_degenerate_are_limits(point):
    """Away from F = K the sigma sqrt T = 0 values are the limits of the closed forms."""
    model, U, K, T, s, r, q, call = point
    if U == K:
        return
    zero_vol = bs.greeks(model, U, K, T, 0.0, r, q, call)
    tiny_vol = bs.greeks(model, U, K, T, 1e-30, r, q, call)
    for k in bs.GREEKS:
        assert close(zero_vol[k], tiny_vol[k], 1e-20, 1e-20), k
    # At expiry the option has settled: value and delta are the limits; every other Greek is 0
    # (docs/method.md, Units), even those whose T -> 0 limit is a carry term.
    zero_t = bs.greeks(model, U, K, 0.0, s, r, q, call)
    tiny_t = bs.greeks(model, U, K, 1e-40, s, r, q, call)
    for k in bs.GREEKS:
        expected = tiny_t[k] if k in ("price", "delta") else 0
        assert close(zero_t[k], expected, 1e-20, 1e-20), k


def test_degenerate_at_the_money_conventions():
    g = bs.greeks("bsm", 3000.0, 3000.0, 1.0, 0.0, 0.0, 0.0, True)
    assert g["price"] == 0 and g["delta"] == 0.5 and g["rho"] == 1500 and g["div_rho"] == -1500
    assert all(g[k] == 0 for k in ("gamma", "vega", "theta", "vanna", "volga", "charm"))
    g = bs.greeks("black76", 20.0, 20.0, 0.0, 0.7, 0.03, 0.0, False)
    assert g["price"] == 0 and g["delta"] == -0.5 and g["rho"] == 0
    # F, not U, decides the moneyness: U < K < F
    g = bs.greeks("bsm", 100.0, 105.0, 2.0, 0.0, 0.06, 0.0, True)
    assert g["delta"] == 1
    with mp.workdps(50):
        assert close(g["price"], 100 - 105 * mp.exp(-mp.mpf(0.06) * 2), 1e-45)


def _realistic_points(n, seed):
    rng = random.Random(seed)
    pts = []
    for i in range(n):
        if i % 3:
            u = rng.uniform(1000, 7000)
            pts.append(("bsm", u, u * rng.uniform(0.8, 1.2), rng.uniform(0.05, 2.0),
                        rng.uniform(0.08, 0.8), rng.uniform(-0.005, 0.06), rng.uniform(0, 0.03),
                        rng.random() < 0.5))  # fmt: skip
        else:
            f = rng.uniform(10, 80)
            pts.append(("black76", f, f * rng.uniform(0.7, 1.6), rng.uniform(0.02, 1.0),
                        rng.uniform(0.3, 2.0), rng.uniform(0, 0.06), 0.0, rng.random() < 0.5))  # fmt: skip
    return pts


def test_numpy_matches_mpmath():
    pts = _realistic_points(60, 7)
    for model in ("bsm", "black76"):
        sub = [p for p in pts if p[0] == model]
        cols = list(zip(*sub, strict=True))
        got = nbs.greeks(*(np.array(c) for c in cols[1:7]), np.array(cols[7]), model=model)
        for i, p in enumerate(sub):
            ex = bs.greeks(*p)
            cond = bs.conditioning(*p)
            for k in got:
                # 1e-9 relative; the cond term only matters at a zero crossing (theta of puts)
                assert close(got[k][i], float(ex[k]), 1e-9, 1e-12 * float(cond[k])), (p, k)


def test_implied_vol_round_trip():
    pts = _realistic_points(24, 11)
    pts += [
        ("bsm", 3000.0, 4500.0, 0.02, 0.3, 0.03, 0.01, True),  # price ~ 1e-20
        ("bsm", 3000.0, 2000.0, 0.5, 0.1, 0.03, 0.01, True),  # deep ITM
        ("black76", 20.0, 60.0, 0.01, 0.8, 0.03, 0.0, True),  # price ~ 1e-43
        ("bsm", 3000.0, 3000.0, 1.0, 1e-250, 0.0, 0.0, True),  # tiny vol, price ~ 1e-247
    ]
    for model, U, K, T, s, r, q, call in pts:
        price = float(bs.price(model, U, K, T, s, r, q, call))
        iv = bs.implied_vol(model, price, U, K, T, r, q, call)
        assert iv is not None
        with mp.workdps(60):
            back = bs.greeks(model, U, K, T, iv, r, q, call, dps=60)
            assert close(back["price"], mp.mpf(price), 1e-50)  # V(iv) is exactly the double
            # and iv is the chosen vol up to the rounding of the price to a double
            assert abs(iv - s) <= 4e-16 * price / back["vega"] + 1e-40 * s


def test_implied_vol_no_solution():
    assert bs.implied_vol("bsm", 50.0, 100.0, 100.0, 0.0, 0.01, 0.0, True) is None  # T = 0
    assert bs.implied_vol("bsm", 0.0, 100.0, 100.0, 1.0, 0.01, 0.0, True) is None
    assert bs.implied_vol("bsm", 100.0, 100.0, 100.0, 1.0, 0.01, 0.0, True) is None  # = U A
    assert bs.implied_vol("bsm", 120.0, 100.0, 100.0, 1.0, 0.01, 0.0, False) is None  # > K D
    # below / equal to the discounted intrinsic value (Black-76 call: e^{-rT} (F - K) = 20)
    assert bs.implied_vol("black76", 19.0, 120.0, 100.0, 1.0, 0.0, 0.0, True) is None
    assert bs.implied_vol("black76", 20.0, 120.0, 100.0, 1.0, 0.0, 0.0, True) is None
    assert bs.implied_vol("black76", 20.000001, 120.0, 100.0, 1.0, 0.0, 0.0, True) is not None


def test_numpy_implied_vol():
    pts = _realistic_points(60, 13)
    for model in ("bsm", "black76"):
        sub = [p for p in pts if p[0] == model]
        prices = np.array([float(bs.price(*p)) for p in sub])
        cols = [np.array(c) for c in zip(*sub, strict=True)]
        got = nbs.implied_vol(prices, cols[1], cols[2], cols[3], cols[5], cols[6], cols[7],
                              model=model)  # fmt: skip
        for i, p in enumerate(sub):
            ex = bs.implied_vol(model, prices[i], *p[1:4], *p[5:])
            assert abs(got[i] - float(ex)) <= 1e-9, (p, got[i], ex)
    bad = nbs.implied_vol(np.array([0.0, 101.0, 5.0]), 100.0, 100.0, np.array([1.0, 1.0, 0.0]),
                          0.0, 0.0, True)  # fmt: skip
    assert np.isnan(bad).all()


def _golden_rows(name, n, seed=3):
    path = GOLDEN / name
    if not path.exists():
        pytest.skip(f"{path} not generated")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return random.Random(seed).sample(rows, n)


def test_golden_pricing_spot_check():
    for row in _golden_rows("pricing.csv", 12):
        args = [float(row[k]) for k in ("underlying", "strike", "time", "vol", "rate", "div_yield")]
        g = bs.greeks(row["model"], *args, row["is_call"] == "1")
        for k in bs.GREEKS:
            assert float(row[k]) == float(g[k]), (row, k)


def test_golden_implied_vol_spot_check():
    for row in _golden_rows("implied_vol.csv", 12):
        args = [float(row[k]) for k in ("underlying", "strike", "time")]
        rq = [float(row["rate"]), float(row["div_yield"])]
        with mp.workdps(30):
            vol = mp.mpf(row["vol"])
            g = bs.greeks(row["model"], *args, vol, *rq, row["is_call"] == "1", dps=30)
            # the 25-digit vol reprices the double to ~25 digits of its time value
            assert abs(g["price"] - mp.mpf(float(row["price"]))) <= 1e-23 * vol * g["vega"]
            assert math.isclose(float(g["vega"]), float(row["vega"]), rel_tol=1e-14)
