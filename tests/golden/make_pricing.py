"""Golden values for European option pricing: prices, Greeks and implied volatilities.

Writes, next to this file:

* ``pricing.csv``: ``set,model,underlying,strike,time,vol,rate,div_yield,is_call`` and then, for
  each of price, delta, gamma, vega, theta, rho, div_rho, vanna, volga, charm, the two columns
  ``<g>`` (the exact value for the exact double inputs, 25 significant digits, so parsing gives
  the correctly rounded double) and ``<g>_cond`` (the backward-error scale
  sum_p |p dg/dp| of ``tests.reference.black_scholes.conditioning``, 6 significant digits: it is
  a tolerance scale, and 25 digits would push the file far past 1.5 MB).  A double-precision
  kernel passes a value when |ours - exact| <= 1e-12 |exact| or <= 1e-14 cond.
  Sets: ``realistic`` (SPX-like BSM and VIX-like Black-76), ``extreme`` (one-hour and ten-year
  expiries, vols 1e-4 and 5, strikes S/20 and 20 S, negative rates, q > r) and ``degenerate``
  (T = 0 or vol = 0, in, out of and exactly at the money).
* ``implied_vol.csv``: ``set,model,underlying,strike,time,rate,div_yield,is_call,price,vol,vega``:
  ``price`` is the double nearest to the exact price at some chosen vol, ``vol`` the exact
  implied vol of that double and ``vega`` the exact vega at that vol.  Sets: ``realistic``,
  ``deep_otm`` (prices about 1e-5 down to 1e-200), ``near_intrinsic_itm`` (deep in the money,
  tiny time value) and ``total_vol`` (vol sqrt T log-uniform in [1e-3, 3]).

Inputs are written with repr (exact doubles), is_call as 1/0, outputs with
mp.nstr(v, 25, min_fixed=0, max_fixed=0); values below the double range are written in exponent
form anyway (they parse to 0 or a subnormal).  Reproducible: a seeded RNG draws every input
before any evaluation; the evaluations run in a process pool but are written in draw order.

Run from the repository root: python tests/golden/make_pricing.py
"""

from __future__ import annotations

import csv
import math
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

import mpmath as mp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reference import black_scholes as bs

HERE = Path(__file__).resolve().parent
PRICING = HERE / "pricing.csv"
IMPLIED = HERE / "implied_vol.csv"
DPS = 50
HOUR = 1.0 / 8760.0


def fmt(v) -> str:
    if mp.isinf(v):
        return "inf" if v > 0 else "-inf"
    return mp.nstr(v, 25, min_fixed=0, max_fixed=0)


def fmt_cond(v) -> str:
    return mp.nstr(v, 6, min_fixed=0, max_fixed=0)


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


# --------------------------------------------------------------------------------------------
# draws: (set, model, U, K, T, vol, r, q, is_call)
# --------------------------------------------------------------------------------------------


def draw_spx(rng):
    s = rng.uniform(1000.0, 7000.0)
    return [
        "bsm",
        s,
        s * rng.uniform(0.5, 1.5),
        log_uniform(rng, 1 / 365, 3.0),
        rng.uniform(0.05, 1.5),
        rng.uniform(-0.005, 0.06),
        rng.uniform(0.0, 0.03),
        rng.random() < 0.5,
    ]


def draw_vix(rng):
    f = rng.uniform(10.0, 80.0)
    return [
        "black76",
        f,
        f * rng.uniform(0.5, 2.5),
        log_uniform(rng, 1 / 365, 1.0),
        rng.uniform(0.3, 2.0),
        rng.uniform(0.0, 0.06),
        0.0,
        rng.random() < 0.5,
    ]


def draw_extreme(rng, model):
    m, u, k, t, v, r, q, call = draw_spx(rng) if model == "bsm" else draw_vix(rng)
    mods = ["T_hour", "T_long", "vol_tiny", "vol_huge", "K_low", "K_high", "r_neg"]
    if model == "bsm":
        mods.append("q_gt_r")
    for mod in rng.sample(mods, rng.choice([1, 1, 2, 2, 3])):
        if mod == "T_hour":
            t = HOUR
        elif mod == "T_long":
            t = 10.0 if rng.random() < 0.5 else log_uniform(rng, 3.0, 10.0)
        elif mod == "vol_tiny":
            v = 1e-4
        elif mod == "vol_huge":
            v = 5.0
        elif mod == "K_low":
            k = u / 20
        elif mod == "K_high":
            k = 20 * u
        elif mod == "r_neg":
            r = -0.02 if rng.random() < 0.3 else rng.uniform(-0.02, 0.0)
        elif mod == "q_gt_r":
            q = 0.1 if rng.random() < 0.3 else rng.uniform(max(r, 0.0), 0.1)
            if q <= r:
                q = 0.1
    return [m, u, k, t, v, r, q, call]


def draw_degenerate(rng):
    rows = []
    for model in ("bsm", "black76"):
        for case in ("T0", "vol0"):
            for money in ("itm", "otm", "atm", "atm" if case == "vol0" else "itm"):
                for call in (True, False):
                    for variant in range(3):
                        if model == "bsm":
                            u = rng.uniform(1000.0, 7000.0)
                            r, q = rng.uniform(-0.02, 0.06), rng.uniform(0.0, 0.1)
                        else:
                            u = rng.uniform(10.0, 80.0)
                            r, q = rng.uniform(0.0, 0.06), 0.0
                        if case == "T0":
                            t = 0.0
                            v = 0.0 if variant == 0 else rng.uniform(0.05, 1.5)
                        else:
                            t = log_uniform(rng, HOUR, 10.0)
                            v = 0.0
                        b = (r - q) if model == "bsm" else 0.0
                        fwd = u * math.exp(b * t)
                        if money == "atm":
                            k = u
                            if model == "bsm" and case == "vol0":
                                # F == K exactly needs b == 0: r == q == 0 (or r == q)
                                r = q = 0.0 if variant < 2 else rng.uniform(0.0, 0.05)
                        else:
                            m = rng.uniform(1.03, 1.6)
                            itm = money == "itm"
                            k = fwd / m if itm == call else fwd * m
                            if variant == 2 and model == "bsm" and case == "vol0":
                                # moneyness decided by the forward, not the spot: U and F
                                # on opposite sides of K
                                t = rng.uniform(2.0, 10.0)
                                r, q = (0.06, 0.0) if itm == call else (-0.02, 0.1)
                                fwd = u * math.exp((r - q) * t)
                                k = math.sqrt(u * fwd)  # strictly between U and F
                        rows.append(["degenerate", model, u, k, t, v, r, q, call])
    return rows


def pricing_draws():
    rng = random.Random(20261122)
    rows = [["realistic", *draw_spx(rng)] for _ in range(1250)]
    rows += [["realistic", *draw_vix(rng)] for _ in range(620)]
    rows += [["extreme", *draw_extreme(rng, "bsm")] for _ in range(420)]
    rows += [["extreme", *draw_extreme(rng, "black76")] for _ in range(200)]
    rows += draw_degenerate(rng)
    return rows


def _otm_strike(fwd, s, d, call):
    """Strike with |d| of the out-of-the-money side about d, at total vol s."""
    # call: d2 = (ln(F/K) - s^2/2)/s = -d ;  put: d1 = (ln(F/K) + s^2/2)/s = d
    return fwd * math.exp(d * s - s * s / 2) if call else fwd * math.exp(-d * s + s * s / 2)


def iv_draws():
    """Candidates (more than needed: rows without an implied vol are skipped)."""
    rng = random.Random(20261123)
    cands = {"realistic": [], "deep_otm": [], "near_intrinsic_itm": [], "total_vol": []}
    for i in range(1150):
        cands["realistic"].append(["realistic", *(draw_spx(rng) if i % 3 else draw_vix(rng))])
    for i in range(300):
        base = draw_spx(rng) if i % 2 else draw_vix(rng)
        model, u, _, _, _, r, q, call = base
        t = log_uniform(rng, 1 / 365, 2.0)
        s = log_uniform(rng, 0.01, 0.3)
        target = 10.0 ** rng.uniform(-200, -5)
        d = math.sqrt(2 * math.log(1 / target))
        fwd = u * math.exp(((r - q) if model == "bsm" else 0.0) * t)
        k = _otm_strike(fwd, s, d, call)
        cands["deep_otm"].append(["deep_otm", model, u, k, t, s / math.sqrt(t), r, q, call])
    for i in range(260):
        base = draw_spx(rng) if i % 2 else draw_vix(rng)
        model, u, _, _, _, r, q, call = base
        t = log_uniform(rng, 1 / 365, 3.0)
        s = log_uniform(rng, 0.05, 0.5)
        d = rng.uniform(2.5, 7.0)
        fwd = u * math.exp(((r - q) if model == "bsm" else 0.0) * t)
        k = _otm_strike(fwd, s, d, not call)  # OTM for the other side = ITM for this one
        cands["near_intrinsic_itm"].append(["near_intrinsic_itm", model, u, k, t, s / math.sqrt(t), r, q, call])
    for i in range(300):
        base = draw_spx(rng) if i % 2 else draw_vix(rng)
        model, u, _, _, _, r, q, call = base
        t = log_uniform(rng, 1 / 365, 3.0)
        s = log_uniform(rng, 1e-3, 3.0)
        fwd = u * math.exp(((r - q) if model == "bsm" else 0.0) * t)
        k = fwd * math.exp(s * rng.uniform(-2.5, 2.5))
        cands["total_vol"].append(["total_vol", model, u, k, t, s / math.sqrt(t), r, q, call])
    return cands


IV_TARGETS = {"realistic": 850, "deep_otm": 220, "near_intrinsic_itm": 170, "total_vol": 220}
IV_PRICE_RANGE = {"deep_otm": (1e-210, 1e-4)}


# --------------------------------------------------------------------------------------------
# workers
# --------------------------------------------------------------------------------------------


def pricing_row(row):
    set_, model, u, k, t, v, r, q, call = row
    g = bs.greeks(model, u, k, t, v, r, q, call, dps=DPS)
    c = bs.conditioning(model, u, k, t, v, r, q, call, dps=DPS)
    out = [set_, model, repr(u), repr(k), repr(t), repr(v), repr(r), repr(q), "1" if call else "0"]
    for name in bs.GREEKS:
        out += [fmt(g[name]), fmt_cond(c[name])]
    return out


def iv_row(row):
    set_, model, u, k, t, v, r, q, call = row
    price = float(bs.price(model, u, k, t, v, r, q, call, dps=DPS))
    if not (math.isfinite(price) and price > 0):
        return None
    lo, hi = IV_PRICE_RANGE.get(set_, (0.0, math.inf))
    if not lo <= price <= hi:
        return None
    vol = bs.implied_vol(model, price, u, k, t, r, q, call, dps=DPS)
    if vol is None:
        return None
    vega = bs.greeks(model, u, k, t, vol, r, q, call, dps=DPS)["vega"]
    return [set_, model, repr(u), repr(k), repr(t), repr(r), repr(q), "1" if call else "0",
            repr(price), fmt(vol), fmt(vega)]  # fmt: skip


def main() -> None:
    start = time.time()
    p_rows = pricing_draws()
    cands = iv_draws()
    header = ["set", "model", "underlying", "strike", "time", "vol", "rate", "div_yield", "is_call"]
    for name in bs.GREEKS:
        header += [name, f"{name}_cond"]
    with multiprocessing.Pool(os.cpu_count()) as pool:
        priced = pool.map(pricing_row, p_rows, chunksize=8)
        with PRICING.open("w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(priced)
        iv_out = []
        for set_, rows in cands.items():
            done = [x for x in pool.map(iv_row, rows, chunksize=4) if x is not None]
            if len(done) < IV_TARGETS[set_]:
                raise RuntimeError(f"{set_}: only {len(done)} implied-vol rows")
            iv_out += done[: IV_TARGETS[set_]]
    with IMPLIED.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["set", "model", "underlying", "strike", "time", "rate", "div_yield", "is_call",
                    "price", "vol", "vega"])  # fmt: skip
        w.writerows(iv_out)

    def counts(rows):
        out = {}
        for r in rows:
            out[(r[0], r[1])] = out.get((r[0], r[1]), 0) + 1
        return out

    print(f"wrote {len(priced)} rows to {PRICING} ({PRICING.stat().st_size} bytes): "
          f"{counts(priced)}")  # fmt: skip
    print(f"wrote {len(iv_out)} rows to {IMPLIED} ({IMPLIED.stat().st_size} bytes): "
          f"{counts(iv_out)}")  # fmt: skip
    print(f"{time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
