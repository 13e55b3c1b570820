"""Vectorised numpy/scipy Black-Scholes: the speed baseline the Rust kernel is benchmarked
against, written the way a competent quant writes it in numpy (d1, d2, the normal pdf and cdfs
computed once per call, no Python loops over options).

Model and sign conventions as in :mod:`tests.reference.black_scholes`: the generalised
Black-Scholes formula with cost of carry b (Haug, *The Complete Guide to Option Pricing
Formulas*, 2nd ed. 2007, §1.1.6), b = r - q for ``model="bsm"`` (Merton 1973) and b = 0 for
``model="black76"`` (Black 1976; ``underlying`` is the forward, ``div_yield`` ignored); Greeks
from Haug (2007) ch. 2 with theta = -dV/dT per year, vega per 1.00 of vol, rho = dV/dr (Black-76:
forward held fixed, rho = -T V).

Requires time > 0 and vol > 0 (plain double-precision formulas; no special handling of
degenerate inputs, of cancellation deep out of the money, or of under/overflow).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)


def _carry(model, rate, div_yield):
    if model == "bsm":
        return rate - div_yield
    if model == "black76":
        return np.zeros_like(rate)
    raise ValueError(f"unknown model {model!r}")


def _inputs(*xs):
    return np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in xs))


def greeks(underlying, strike, time, vol, rate, div_yield, is_call, model="bsm"):
    """Price, delta, gamma, vega, theta, rho of European options (arrays broadcast together).

    Generalised Black-Scholes (Haug 2007 §1.1.6) and its Greeks (Haug 2007 ch. 2):
    V = th (U A N(th d1) - K D N(th d2)), A = e^{(b-r)T}, D = e^{-rT}.
    Returns a dict of float64 arrays.
    """
    U, K, T, sig, r, q = _inputs(underlying, strike, time, vol, rate, div_yield)
    th = np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0)
    b = _carry(model, r, q)

    sqrt_t = np.sqrt(T)
    sst = sig * sqrt_t
    d1 = (np.log(U / K) + b * T) / sst + 0.5 * sst
    d2 = d1 - sst
    a = np.exp((b - r) * T)
    disc = np.exp(-r * T)
    ua = U * a
    kd = K * disc
    n1 = ndtr(th * d1)
    n2 = ndtr(th * d2)
    pdf1 = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)

    ua_n1 = ua * n1
    price = th * (ua_n1 - kd * n2)
    ua_pdf1 = ua * pdf1
    return {
        "price": price,
        "delta": th * a * n1,
        "gamma": a * pdf1 / (U * sst),
        "vega": ua_pdf1 * sqrt_t,
        "theta": r * price - b * th * ua_n1 - ua_pdf1 * sig / (2.0 * sqrt_t),
        "rho": th * kd * T * n2 if model == "bsm" else -T * price,
    }


def _price_vega(U, K, T, sig, r, b, th):
    sqrt_t = np.sqrt(T)
    sst = sig * sqrt_t
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(U / K) + b * T) / sst + 0.5 * sst
    d2 = d1 - sst
    ua = U * np.exp((b - r) * T)
    price = th * (ua * ndtr(th * d1) - K * np.exp(-r * T) * ndtr(th * d2))
    vega = ua * _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1) * sqrt_t
    return price, vega


def implied_vol(price, underlying, strike, time, rate, div_yield, is_call, model="bsm", tol=1e-10, max_iter=100):
    """Implied volatility by Newton-Raphson with a bisection safeguard, vectorised.

    Starts from the Manaster-Koehler point sigma0 = sqrt(2 |ln(F/K)| / T) (Manaster & Koehler,
    "The calculation of implied variances from the Black-Scholes model: a note", J. Finance 37,
    1982), where V(sigma) has its inflection (floored at 0.1), and keeps a bracket [lo, hi] with
    V(lo) < price < V(hi); a Newton step that leaves the bracket, or does not at least halve the
    previous step, is replaced by bisection ("rtsafe", Press et al., *Numerical Recipes*, 3rd ed.
    2007, §9.4).  Stops when the step is below ``tol`` (absolute, in units of vol).  NaN where no
    solution exists: time <= 0, or price outside the open interval (discounted intrinsic,
    U A for calls / K e^{-rT} for puts), and where ``max_iter`` steps did not converge.
    """
    prc, U, K, T, r, q = _inputs(price, underlying, strike, time, rate, div_yield)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), prc.shape)
    th = np.where(call, 1.0, -1.0)
    b = _carry(model, r, q)

    disc = np.exp(-r * T)
    fwd = U * np.exp(b * T)
    lower = disc * np.maximum(th * (fwd - K), 0.0)
    upper = np.where(call, U * np.exp((b - r) * T), K * disc)
    out = np.full(prc.shape, np.nan)
    ok = (T > 0) & (prc > lower) & (prc < upper) & np.isfinite(prc)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out

    prc, U, K, T, r, b, th = (x.ravel()[idx] for x in (prc, U, K, T, r, b, th))
    sig = np.maximum(np.sqrt(2.0 * np.abs(np.log(fwd.ravel()[idx] / K)) / T), 0.1)
    lo = np.zeros_like(sig)
    hi = np.maximum(2.0 * sig, 1.0)
    for _ in range(64):  # grow hi until V(hi) >= price
        v_hi, _ = _price_vega(U, K, T, hi, r, b, th)
        short = v_hi < prc
        if not short.any():
            break
        hi = np.where(short, 2.0 * hi, hi)
    sig = np.minimum(sig, hi)

    res = np.full(idx.size, np.nan)
    act = np.arange(idx.size)  # positions still iterating
    step_old = hi - lo
    for _ in range(max_iter):
        v, vega = _price_vega(U[act], K[act], T[act], sig, r[act], b[act], th[act])
        diff = v - prc[act]
        below = diff < 0
        lo = np.where(below, sig, lo)
        hi = np.where(below, hi, sig)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = sig - diff / vega
        # bisect when Newton leaves the bracket or does not at least halve the last step
        bad = ~((new > lo) & (new < hi) & (np.abs(new - sig) <= 0.5 * np.abs(step_old)))
        new = np.where(bad, 0.5 * (lo + hi), new)
        step_old = new - sig
        done = (np.abs(step_old) <= tol) | (diff == 0)
        res[act[done]] = np.where(diff[done] == 0, sig[done], new[done])
        keep = ~done
        act, sig, lo, hi, step_old = act[keep], new[keep], lo[keep], hi[keep], step_old[keep]
        if act.size == 0:
            break
    out.ravel()[idx] = res  # unconverged entries stay NaN
    return out
