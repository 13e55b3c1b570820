"""High-precision reference for European option prices, Greeks and implied volatility.

Model: the generalised Black-Scholes formula with cost of carry ``b`` (Haug, *The Complete
Guide to Option Pricing Formulas*, 2nd ed., McGraw-Hill 2007, §1.1.6; Merton 1973, Black 1976,
Garman & Kohlhagen 1983 are the special cases).

* ``model="bsm"``: b = r - q, ``underlying`` is the spot S (Merton 1973 with dividend yield q).
* ``model="black76"``: b = 0, ``underlying`` is the forward/futures price F (Black 1976);
  ``div_yield`` is ignored and r only discounts.

With theta_s = +1 for a call and -1 for a put (called ``th`` below, to keep "theta" for the Greek),
A = e^{(b-r)T}, D = e^{-rT}, F = U e^{bT}:

    d1 = (ln(U/K) + bT) / (sigma sqrt T) + sigma sqrt T / 2,   d2 = d1 - sigma sqrt T
    V  = th [U A N(th d1) - K D N(th d2)]

Every Greek is reported with the sign convention of the project (checked against numerical
differentiation of V by :func:`_self_check`):

    delta   = dV/dU                 = th A N(th d1)
    gamma   = d2V/dU2               = A n(d1) / (U sigma sqrt T)
    vega    = dV/dsigma             = U A n(d1) sqrt T              (per 1.00 of vol)
    theta   = -dV/dT                = r V - b th U A N(th d1) - U A n(d1) sigma / (2 sqrt T)
    rho     = dV/dr                 BSM (b = r - q moves with r): th K T D N(th d2)
                                    Black-76 (forward U held fixed): -T V
    div_rho = dV/dq                 BSM: -th T U A N(th d1);  Black-76: 0
    vanna   = d2V/dU dsigma         = -A n(d1) d2 / sigma
    volga   = d2V/dsigma2           = vega d1 d2 / sigma
    charm   = -d(delta)/dT          = (r - b) delta - A n(d1) (b / (sigma sqrt T) - d2 / (2T))

Degenerate inputs (T = 0 or sigma = 0, i.e. sigma sqrt T = 0) are reported by their one-sided
limits, see :func:`_degenerate`.

All inputs are Python floats and are taken as EXACT binary numbers (``mp.mpf(x)``, never via a
decimal string).  Every evaluation is done at two working precisions and repeated with more
digits until the two agree to ``dps + 5`` significant digits, so cancellation (deep out of the
money prices, theta, charm) and the amplification of rounding errors through e^{-d^2/2} for huge
|d| are both accounted for: the returned values are correct to at least ``dps`` significant
digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mpmath as mp

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho", "div_rho", "vanna", "volga", "charm")
MODELS = ("bsm", "black76")

_GUARD = 20  # extra decimal digits of the first working precision
_STEP_BITS = 100  # conditioning: central-difference step h = 2^-100 |p| (about 8e-31 |p|)
_MAX_ROUNDS = 16


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _th(is_call: bool) -> int:
    return 1 if is_call else -1


def _as_mpf(x):
    """An mpf input is used as it is; anything else (a float) is converted exactly."""
    return x if isinstance(x, mp.mpf) else mp.mpf(x)


def _carry(model: str, r, q):
    if model == "bsm":
        return r - q
    if model == "black76":
        return mp.mpf(0)
    raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")


def _validate(model, underlying, strike, time, vol, rate, div_yield) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")
    vals = (underlying, strike, time, vol, rate, div_yield)
    if not all(math.isfinite(float(v)) for v in vals):
        raise ValueError(f"non-finite input {vals}")
    if not (underlying > 0 and strike > 0 and time >= 0 and vol >= 0):
        raise ValueError(f"need underlying > 0, strike > 0, time >= 0, vol >= 0: {vals}")


def _agree(a, b, tol) -> bool:
    return a == b or abs(a - b) <= tol * abs(b)


def _converge(fn: Callable[[int], tuple[dict, frozenset]], dps: int) -> dict:
    """Evaluate ``fn(wp)`` at increasing working precisions ``wp`` (decimal digits) until two
    successive results agree to ``dps + 5`` significant digits in every entry; return the more
    precise one.

    ``fn`` returns (values, zeros_ok): an entry that is exactly 0 at both precisions counts as
    converged only if it is in zeros_ok (a true zero); otherwise a 0 means that every
    significant digit cancelled (e.g. U N(d1) - K N(d2) for d1, d2 ~ 1e-300) and the precision
    is raised further.
    """
    wp = dps + _GUARD
    prev, _ = fn(wp)
    for _ in range(_MAX_ROUNDS):
        wp += max(_GUARD, wp // 2)
        cur, zeros_ok = fn(wp)
        with mp.workdps(wp):
            tol = mp.mpf(10) ** (-(dps + 5))
            if all((cur[k] != 0 or k in zeros_ok) and _agree(prev[k], cur[k], tol) for k in cur):
                return cur
        prev = cur
    raise ArithmeticError(f"no convergence up to {wp} digits")


def _sign_log_forward_moneyness(U, K, T, b) -> int:
    """Exact sign of ln(F/K) = ln(U/K) + bT (U, K, T, b exact mpf)."""
    if T == 0 or b == 0:
        return (U > K) - (U < K)
    if U == K:
        return (b > 0) - (b < 0)
    # ln(U/K) is transcendental for rational U/K != 1, so the sum is not zero; raise the
    # precision until its sign is certain.
    wp = mp.mp.prec + 64
    while True:
        with mp.workprec(wp):
            lnuk = mp.log(U / K)
            bt = b * T
            x = lnuk + bt
            if abs(x) > mp.ldexp(abs(lnuk) + abs(bt), 16 - wp):
                return 1 if x > 0 else -1
        wp *= 2
        if wp > 1 << 20:  # pragma: no cover - would need a transcendental coincidence
            raise ArithmeticError("cannot determine sign of ln(F/K)")


# --------------------------------------------------------------------------------------------
# closed forms (at the current mpmath precision)
# --------------------------------------------------------------------------------------------


def closed_form(model, underlying, strike, time, vol, rate, div_yield, is_call) -> dict:
    """Closed-form price and Greeks, evaluated at the *current* mpmath working precision, with
    no precision management; requires vol * sqrt(time) > 0.  Inputs may be mpf (this is the
    function that :func:`_self_check` differentiates numerically).

    Sources: price, Haug (2007) §1.1.6 (generalised Black-Scholes-Merton with cost of carry b,
    eq. 1.1.6 ff.); delta, gamma, vega, theta, rho (BSM: "rho" for b = r - q; Black-76: "rho for
    futures options" = -T V) and phi = div_rho, vanna, vomma = volga and charm: Haug (2007)
    ch. 2 ("Black-Scholes-Merton Greeks": delta, gamma, vega, time-decay and rho Greeks), written
    here with the sign conventions theta = -dV/dT and charm = -d(delta)/dT.
    """
    th = _th(is_call)
    U, K, T, sig, r, q = map(_as_mpf, (underlying, strike, time, vol, rate, div_yield))
    b = _carry(model, r, q)
    sqrt_t = mp.sqrt(T)
    sst = sig * sqrt_t
    d1 = (mp.log(U / K) + b * T) / sst + sst / 2
    d2 = d1 - sst
    a = mp.exp((b - r) * T)
    disc = mp.exp(-r * T)
    n_1 = mp.ncdf(th * d1)
    n_2 = mp.ncdf(th * d2)
    pdf1 = mp.npdf(d1)
    ua = U * a
    kd = K * disc

    price = th * (ua * n_1 - kd * n_2)
    delta = th * a * n_1
    gamma = a * pdf1 / (U * sst)
    vega = ua * pdf1 * sqrt_t
    theta = r * price - b * th * ua * n_1 - ua * pdf1 * sig / (2 * sqrt_t)
    if model == "bsm":
        rho = th * kd * T * n_2
        div_rho = -th * T * ua * n_1
    else:
        rho = -T * price
        div_rho = mp.mpf(0)
    vanna = -a * pdf1 * d2 / sig
    volga = vega * d1 * d2 / sig
    charm = (r - b) * delta - a * pdf1 * (b / sst - d2 / (2 * T))
    return {
        "price": price,
        "delta": delta,
        "gamma": gamma,
        "vega": vega,
        "theta": theta,
        "rho": rho,
        "div_rho": div_rho,
        "vanna": vanna,
        "volga": volga,
        "charm": charm,
    }


def _degenerate(model, underlying, strike, time, vol, rate, div_yield, is_call) -> dict:
    """Price and Greeks when sigma sqrt T = 0 (T = 0, or sigma = 0 with T > 0): the one-sided
    limits sigma sqrt T -> 0+ of the closed forms of :func:`closed_form` (Haug 2007 §1.1.6 and
    ch. 2).  With step = 1 if th ln(F/K) > 0, 0 if < 0, 1/2 if = 0:

        V = e^{-rT} max(th (F - K), 0),  delta = th A step,  theta = r V - b th U A step,
        rho = th K T e^{-rT} step (BSM) or -T V (Black-76),  div_rho = -th T U A step (BSM) or 0,
        charm = (r - b) delta,  gamma = vega = vanna = volga = 0.

    At expiry (T = 0) the option has settled (docs/method.md, Models: "a leg is worth its intrinsic value;
    Greeks take their limits (delta a step, the others 0)"): theta, rho, div_rho and charm are 0
    there too; the carry terms above apply to sigma = 0 with T > 0.

    Away from F = K these are the exact limits (the time value and all its derivatives vanish
    like e^{-d^2/2}).  At exactly F = K some limits are singular or non-zero and are *reported
    by convention*: gamma (+inf), charm (singular when b != 0 or T = 0) and, for T = 0 with
    sigma > 0, theta (-inf, time value ~ sqrt T) are reported as the formulas above; for sigma = 0
    with T > 0 the true one-sided limits vega -> U A sqrt(T) n(0) and vanna -> A n(0) sqrt(T) / 2
    are non-zero but are reported as 0, as the project's specification requires.
    """
    th = _th(is_call)
    U, K, T, _, r, q = map(_as_mpf, (underlying, strike, time, vol, rate, div_yield))
    # b exact, for the sign test
    b = mp.fsub(r, q, exact=True) if model == "bsm" else _carry(model, r, q)
    sgn = th * _sign_log_forward_moneyness(U, K, T, b)
    step = mp.mpf(1) if sgn > 0 else (mp.mpf(0) if sgn < 0 else mp.mpf(0.5))
    b = +b  # round to working precision
    a = mp.exp((b - r) * T)
    disc = mp.exp(-r * T)
    ua = U * a
    price = th * (ua - K * disc) if sgn > 0 else mp.mpf(0)
    delta = th * a * step
    zero = mp.mpf(0)
    settled = T == 0
    out = {
        "price": price,
        "delta": delta,
        "gamma": zero,
        "vega": zero,
        "theta": zero if settled else r * price - b * th * ua * step,
        "rho": zero if settled else (th * K * T * disc * step if model == "bsm" else -T * price),
        "div_rho": zero if settled or model != "bsm" else -th * T * ua * step,
        "vanna": zero,
        "volga": zero,
        "charm": zero if settled else (r - b) * delta,
    }
    return out


def _eval_at(wp, model, args, is_call) -> tuple[dict, frozenset]:
    """Values at `wp` digits and the set of entries that may legitimately be exactly 0."""
    with mp.workdps(wp):
        _, _, T, sig, _, _ = args
        if T == 0 or sig == 0:
            return _degenerate(model, *args, is_call), frozenset(GREEKS)
        res = closed_form(model, *args, is_call)
        zeros = set() if model == "bsm" else {"div_rho"}
        # vanna = -A n(d1) d2 / sigma and volga = vega d1 d2 / sigma vanish exactly where d1 or
        # d2 is exactly 0 (only possible for U == K, and then computed exactly)
        if res["vanna"] == 0 or res["volga"] == 0:
            zeros |= {"vanna", "volga"}
        return res, frozenset(zeros)


def _greeks_mpf(model, args, is_call, dps) -> dict:
    return _converge(lambda wp: _eval_at(wp, model, args, is_call), dps)


def _convert(args, dps):
    with mp.workdps(dps + _GUARD):
        return tuple(mp.mpf(x) for x in args)  # exact for floats


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def greeks(model, underlying, strike, time, vol, rate, div_yield, is_call, dps=50) -> dict:
    """Price and the Greeks price, delta, gamma, vega, theta, rho, div_rho, vanna, volga, charm
    of a European option under the generalised Black-Scholes model (Haug 2007 §1.1.6; Greeks:
    Haug 2007 ch. 2; conventions in the module docstring), correct to at least ``dps``
    significant digits for the exact binary values of the float inputs.

    ``sigma sqrt T = 0`` gives the limits of :func:`_degenerate`.
    """
    _validate(model, underlying, strike, time, vol, rate, div_yield)
    args = _convert((underlying, strike, time, vol, rate, div_yield), dps)
    return _greeks_mpf(model, args, bool(is_call), dps)


def price(model, underlying, strike, time, vol, rate, div_yield, is_call, dps=50):
    """The price alone; see :func:`greeks`."""
    return greeks(model, underlying, strike, time, vol, rate, div_yield, is_call, dps)["price"]


def conditioning(model, underlying, strike, time, vol, rate, div_yield, is_call, dps=50) -> dict:
    """Backward-error scale of each Greek g: cond_g = sum over p in (U, K, T, sigma, r, q) of
    |p * dg/dp| (q only for BSM; terms with p == 0 skipped), i.e. the change of g under relative
    perturbations of all inputs (the first-order condition-number numerator, Higham, *Accuracy and
    Stability of Numerical Algorithms*, 2nd ed. 2002, §1.6).  A double-precision kernel is
    correct when |ours - exact| <= 1e-12 |exact| or <= 1e-14 cond_g.

    The partial derivatives are central differences with step h = 2^-100 |p| of values that are
    each correct to dps + 5 digits (the same scheme as ``mp.diff(..., method="step")``, but one
    difference yields all ten Greeks): truncation error ~ (h g''' / g')^2 ~ 1e-30 relative even
    for |d| ~ 1e6, rounding error ~ 1e-25 |g|.  For degenerate inputs (sigma sqrt T = 0) cond_g is
    |g| (no derivatives).
    """
    _validate(model, underlying, strike, time, vol, rate, div_yield)
    is_call = bool(is_call)
    base = _convert((underlying, strike, time, vol, rate, div_yield), dps)
    if base[2] == 0 or base[3] == 0:
        return {k: abs(v) for k, v in _greeks_mpf(model, base, is_call, dps).items()}
    cond = {k: mp.mpf(0) for k in GREEKS}
    n_params = 6 if model == "bsm" else 5
    for i in range(n_params):
        p = base[i]
        if p == 0:
            continue
        h = mp.ldexp(1, mp.frexp(p)[1] - _STEP_BITS)
        plus = list(base)
        minus = list(base)
        plus[i] = mp.fadd(p, h, exact=True)
        minus[i] = mp.fsub(p, h, exact=True)
        gp = _greeks_mpf(model, tuple(plus), is_call, dps)
        gm = _greeks_mpf(model, tuple(minus), is_call, dps)
        with mp.workdps(dps + _GUARD):
            for k in GREEKS:
                cond[k] += abs(p * (gp[k] - gm[k]) / (2 * h))
    return cond


def implied_vol(model, price, underlying, strike, time, rate, div_yield, is_call, dps=60):
    """The exact sigma >= 0 with V(sigma) = ``price`` (the float taken as exact), to at least
    ``dps - 5`` significant digits, or ``None`` when there is none: time == 0, or the price is
    not strictly between the discounted intrinsic value e^{-rT} max(th (F - K), 0) and the upper
    bound (U A for calls, K e^{-rT} for puts), the no-arbitrage bounds of Merton (1973) within
    which V is strictly increasing in sigma (vega > 0).

    Root finder: bracket by a geometric search in sigma, then the safeguarded Newton method
    ("rtsafe", Press et al., *Numerical Recipes*, 3rd ed. 2007, §9.4) on ln V(sigma) - ln(price)
    (the log form keeps deep out-of-the-money prices, down to 1e-300, well scaled, cf. Jaeckel,
    "Let's be rational", Wilmott 2015); every V is exact to dps + 15 digits.  The root is then
    re-solved with 20 more digits from a tight bracket and the two must agree.
    """
    _validate(model, underlying, strike, time, 0.0, rate, div_yield)
    is_call = bool(is_call)
    if not math.isfinite(price) or price <= 0 or time == 0:
        return None
    U, K, T, _, r, q = _convert((underlying, strike, time, 0.0, rate, div_yield), dps + 40)
    with mp.workdps(dps + 40):
        target = mp.mpf(price)
        lower = _degenerate(model, U, K, T, 0, r, q, is_call)["price"]
        b = _carry(model, r, q)
        upper = U * mp.exp((b - r) * T) if is_call else K * mp.exp(-r * T)
        if not lower < target < upper:
            return None
        ln_p = mp.log(target)

    def g_and_slope(sig, digits):
        """(ln V(sig) - ln P, d/dsig of it), V exact to `digits` digits."""
        res = _converge(lambda wp: _price_vega_at(wp, model, (U, K, T, sig, r, q), is_call), digits)
        with mp.workdps(digits + _GUARD):
            return mp.log(res["price"]) - ln_p, res["vega"] / res["price"]

    digits = dps + 15
    # bracket [lo, hi] with g(lo) < 0 < g(hi); V -> lower as sig -> 0 and -> upper as
    # sig -> inf; the search factor squares each time (2, 4, 16, 256, ...)
    with mp.workdps(digits + _GUARD):
        sig = mp.mpf(0.5)
        g, _ = g_and_slope(sig, digits)
        if g == 0:
            return sig
        factor = mp.mpf(2)
        for _ in range(64):
            if g < 0:
                lo, hi = sig, sig * factor
                g, _ = g_and_slope(hi, digits)
                if g >= 0:
                    break
            else:
                lo, hi = sig / factor, sig
                g, _ = g_and_slope(lo, digits)
                if g < 0:
                    break
            sig = hi if g < 0 else lo
            factor = factor**2
        else:  # pragma: no cover
            raise ArithmeticError("no bracket")
    root = _rtsafe(g_and_slope, lo, hi, digits, dps + 5)

    # verification: re-solve with 20 more digits from a tight bracket
    digits2 = digits + 20
    with mp.workdps(digits2 + _GUARD):
        delta = mp.mpf(10) ** (-(dps // 2))
        while True:
            lo2, hi2 = root * (1 - delta), root * (1 + delta)
            if g_and_slope(lo2, digits2)[0] < 0 and g_and_slope(hi2, digits2)[0] > 0:
                break
            delta *= 10**5
            if delta >= mp.mpf(0.5):
                lo2, hi2 = lo, hi
                break
    root2 = _rtsafe(g_and_slope, lo2, hi2, digits2, dps + 25)
    with mp.workdps(digits2):
        if abs(root2 - root) > mp.mpf(10) ** (-(dps - 5)) * root2:
            raise ArithmeticError(f"implied vol not reproducible: {root} vs {root2}")
    return root2


def _price_vega_at(wp, model, args, is_call) -> tuple[dict, frozenset]:
    res, zeros = _eval_at(wp, model, args, is_call)
    return {"price": res["price"], "vega": res["vega"]}, zeros


def _rtsafe(g_and_slope, lo, hi, digits, tol_digits):
    """Newton's method safeguarded by bisection (Numerical Recipes §9.4) for the increasing
    function g on [lo, hi], g(lo) < 0 < g(hi); stops when a step or the bracket is below
    10^-tol_digits relative."""
    with mp.workdps(digits + _GUARD):
        tol = mp.mpf(10) ** (-tol_digits)

        def bisect(a, c):
            return mp.sqrt(a * c) if a > 0 and c > 4 * a else (a + c) / 2

        x = bisect(lo, hi)
        dx_old = hi - lo
        for _ in range(5000):
            g, slope = g_and_slope(x, digits)
            if g == 0:
                return x
            if g < 0:
                lo = x
            else:
                hi = x
            newton = x - g / slope
            # bisect when Newton leaves the bracket or does not at least halve the last step
            newton_ok = lo < newton < hi and abs(newton - x) <= abs(dx_old) / 2
            x_new = newton if newton_ok else bisect(lo, hi)
            dx = dx_old = x_new - x
            x = x_new
            if abs(dx) <= tol * x or hi - lo <= tol * hi:
                return x
    raise ArithmeticError("implied vol iteration did not converge")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# self-check: every Greek is the derivative of V it claims to be
# --------------------------------------------------------------------------------------------

_CHECK_POINTS = (
    # model, U, K, T, sigma, r, q, is_call
    ("bsm", 100.0, 95.0, 0.75, 0.3, 0.04, 0.015, True),
    ("bsm", 100.0, 95.0, 0.75, 0.3, 0.04, 0.015, False),
    ("bsm", 3500.0, 4200.0, 0.1, 0.6, -0.005, 0.03, True),
    ("bsm", 3500.0, 4200.0, 0.1, 0.6, -0.005, 0.03, False),
    ("bsm", 50.0, 50.0, 2.0, 0.15, 0.01, 0.08, True),
    ("black76", 20.0, 25.0, 0.2, 1.1, 0.03, 0.0, True),
    ("black76", 20.0, 25.0, 0.2, 1.1, 0.03, 0.0, False),
    ("black76", 60.0, 40.0, 0.9, 0.5, 0.0, 0.0, False),
)


def _self_check(points=_CHECK_POINTS, dps=50, digits=30) -> None:
    """Check, with ``mp.diff`` (numerical differentiation at ``dps`` digits) of the price alone,
    that each Greek of :func:`closed_form` is the derivative it claims to be, with the sign
    conventions theta = -dV/dT, charm = -d2V/dU dT, rho = dV/dr (BSM: q fixed, so b = r - q
    moves; Black-76: forward U fixed), div_rho = dV/dq; also put-call parity, and that the
    degenerate limits agree with the closed form at tiny sigma sqrt T away from F = K.
    Raises AssertionError on a mismatch."""
    with mp.workdps(dps):
        tol = mp.mpf(10) ** (-digits)
        for point in points:
            model, call = point[0], point[-1]
            U0, K0, T0, s0, r0, q0 = map(mp.mpf, point[1:-1])
            g = closed_form(model, U0, K0, T0, s0, r0, q0, call)

            def value(U=U0, K=K0, T=T0, s=s0, r=r0, q=q0, model=model, call=call):
                return closed_form(model, U, K, T, s, r, q, call)["price"]

            num = {
                "delta": mp.diff(lambda x: value(U=x), U0),
                "gamma": mp.diff(lambda x: value(U=x), U0, 2),
                "vega": mp.diff(lambda x: value(s=x), s0),
                "theta": -mp.diff(lambda x: value(T=x), T0),
                "rho": mp.diff(lambda x: value(r=x), r0),
                "div_rho": mp.diff(lambda x: value(q=x), q0) if model == "bsm" else mp.mpf(0),
                "vanna": mp.diff(lambda x, y: value(U=x, s=y), (U0, s0), (1, 1)),
                "volga": mp.diff(lambda x: value(s=x), s0, 2),
                "charm": -mp.diff(lambda x, y: value(U=x, T=y), (U0, T0), (1, 1)),
            }
            for k, v in num.items():
                assert _agree(g[k], v, tol) or abs(g[k] - v) < tol, (model, call, k, g[k], v)
            other = closed_form(model, U0, K0, T0, s0, r0, q0, not call)["price"]
            b = _carry(model, r0, q0)
            parity = U0 * mp.exp((b - r0) * T0) - K0 * mp.exp(-r0 * T0)
            c_minus_p = g["price"] - other if call else other - g["price"]
            assert _agree(c_minus_p, parity, tol), (model, "parity")
            # degenerate limits: sigma -> 0 away from F = K
            tiny = mp.mpf(10) ** -12
            lim = _degenerate(model, U0, K0, T0, 0, r0, q0, call)
            near = closed_form(model, U0, K0, T0, tiny, r0, q0, call)
            for k in GREEKS:
                assert abs(lim[k] - near[k]) <= tol * (1 + abs(lim[k])), (model, call, k, "limit")


if __name__ == "__main__":
    _self_check()
    print("black_scholes self-check passed")
