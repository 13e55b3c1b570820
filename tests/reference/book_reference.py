"""Reference book valuation: one plain Python loop over legs, textbook formulas, no vectorisation.

For every leg this recomputes its market inputs from the :class:`alvh.market.snapshot.Market` on its own
(time to the settlement moment with ``datetime`` arithmetic, the forward and the smile vol at the
strike, the VIX future *of the leg's own expiry*, β(τ) from its formula, the variance swap's
remaining fraction and accrued variance), prices the option with the high-precision oracle
:mod:`tests.reference.black_scholes` (Haug 2007 §1.1.6 and ch. 2; 20 significant digits), and
applies the trader-unit scalings of docs/method.md (Units) / the module table of
``rust/core/src/book/legs.rs`` one by one. Layer and bucket sums use :func:`math.fsum` (exactly
rounded), so they are the true sums of the per-leg values.

Slow (about a millisecond per leg) and obviously right; test-only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from alvh.book import Book
from alvh.market.snapshot import Market
from alvh.risk.kernel_inputs import variance_swap_strike
from tests.reference import black_scholes as bs

METRICS = (
    "market_value",
    "delta",
    "dollar_delta",
    "gamma",
    "dollar_gamma",
    "vega",
    "theta",
    "rho",
    "vanna",
    "volga",
    "charm",
    "spx_delta",
    "spx_dollar_delta",
    "spx_gamma",
    "spx_vega",
    "tw_vega",
    "unrealized_pnl",
)
"""The per-leg metrics (the table of ``rust/core/src/book/legs.rs``)."""

BUCKETS = ((0, 7), (8, 21), (22, 45), (46, 90), (91, None))
"""Maturity buckets by whole days to expiry (docs/method.md, Models: 0–7, 8–21, 22–45, 46–90, 90+)."""

MULTIPLIER = {
    "SPX": 100.0,
    "SPXW": 100.0,
    "VIX": 100.0,
    "VX": 1000.0,
    "VXM": 100.0,
    "VARSWAP": 1.0,
    "ES": 50.0,
    "MES": 5.0,
}
"""Contract multipliers (docs/method.md, Models: SPX/SPXW/VIX options 100, VX 1000, VXM 100, ES 50, MES 5; a
variance swap's quantity is its vega notional)."""

SETTLEMENT = {
    "SPX": dt.time(9, 30),  # AM-settled: the opening print of the expiry date
    "SPXW": dt.time(16, 0),  # PM-settled: the close
    "VIX": dt.time(9, 30),  # the Special Opening Quotation (Wednesday)
    "VX": dt.time(9, 30),
    "VXM": dt.time(9, 30),
    "VARSWAP": dt.time(16, 0),  # the last close of the variance period
    "ES": dt.time(9, 30),  # the Special Opening Quotation of the third Friday
    "MES": dt.time(9, 30),
}

SECONDS_PER_YEAR = 365 * 24 * 3600  # ACT/365 (docs/method.md, Units)


@dataclass(frozen=True)
class LegInputs:
    """A leg's market inputs (decimal vols, years, the leg's own underlying)."""

    instrument: str
    quantity: float
    multiplier: float
    underlying: float  # SPX spot (SPX options, S&P 500 futures), or the VIX future of the leg's expiry
    strike: float  # options: index points; variance swaps: decimal vol
    years: float
    dte: int
    vol: float  # SPX smile vol, VIX option vol, or the variance swap's fair (implied) vol
    rate: float
    div_yield: float
    is_call: bool
    term_beta: float  # β(τ) of the leg's VIX future (VIX legs)
    entry_price: float  # NaN when unknown
    remaining_fraction: float  # variance swaps: f, the share of the variance period still to come
    accrued_variance: float  # variance swaps: (1 − f)·σ_R² (decimal²)


def _years(as_of: dt.datetime, moment: dt.datetime) -> float:
    """ACT/365 years, intraday included, floored at 0 (an expired leg is worth its intrinsic)."""
    return max((moment - as_of).total_seconds() / SECONDS_PER_YEAR, 0.0)


def _date(value: object) -> dt.date:
    return pd.Timestamp(value).date()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def leg_inputs(row: pd.Series, market: Market) -> LegInputs:
    """The market inputs of one leg (a row of ``Book.legs``), looked up the slow way.

    * Time: ACT/365 from ``as_of`` to the settlement moment, 09:30 for AM-settled SPX and all VIX
      products, 16:00 for SPXW (docs/method.md, Models: SPX options); DTE is whole calendar days.
    * SPX options: BSM on spot; the dividend yield is the flat one unless a forward is quoted for
      the expiry, then q = r − ln(F/S)/T; vol from the smile at k = ln(K/F), F = S·e^{(r−q)T}.
    * VIX options and futures: the future *of the same expiry* (never spot VIX), the option vol
      quoted with it, and β(τ) = (1 + τ/τ₀)^(−p) (docs/method.md, Models: VIX term structure).
    * Variance swaps: strike and realised vol in vol points → decimals; f = time left / term,
      term from the start date's close to the expiry's close; implied vol = the fair strike of the
      remaining period from the smile (:func:`alvh.risk.kernel_inputs.variance_swap_strike`).
    """
    instrument = row["instrument"]
    expiry = _date(row["expiry"])
    years = _years(market.as_of, dt.datetime.combine(expiry, SETTLEMENT[instrument]))
    dte = (expiry - market.as_of.date()).days
    quantity = float(row["quantity"])
    entry = float("nan") if _missing(row["entry_price"]) else float(row["entry_price"])
    strike = float(row["strike"]) if not _missing(row["strike"]) else 0.0
    common = {
        "instrument": instrument,
        "quantity": quantity,
        "multiplier": MULTIPLIER[instrument],
        "years": years,
        "dte": dte,
        "rate": market.spx.rate,
        "is_call": row["right"] == "call",
        "entry_price": entry,
    }
    spot = market.spx.spot
    q = market.spx.div_yield
    for quote in market.spx.forwards:
        if quote.expiry == expiry and years > 0:
            q = market.spx.rate - math.log(quote.forward / spot) / years
    if instrument in ("ES", "MES"):
        # the SPX forward to the future's expiry: spot and the dividend yield of that expiry
        zeros = {"term_beta": 0.0, "remaining_fraction": 0.0, "accrued_variance": 0.0}
        return LegInputs(**common, underlying=spot, strike=0.0, vol=0.0, div_yield=q, **zeros)
    if instrument in ("SPX", "SPXW"):
        forward = spot * math.exp((market.spx.rate - q) * years)
        vol = float(market.smile_vol(math.log(strike / forward), years))
        return LegInputs(
            **common,
            underlying=spot,
            strike=strike,
            vol=vol,
            div_yield=q,
            term_beta=0.0,
            remaining_fraction=0.0,
            accrued_variance=0.0,
        )
    if instrument in ("VIX", "VX", "VXM"):
        (future,) = [f for f in market.vix.futures if f.expiry == expiry]
        link = market.link
        return LegInputs(
            **common,
            underlying=future.price,
            strike=strike,
            vol=(future.option_vol or 0.0) if instrument == "VIX" else 0.0,
            div_yield=0.0,
            term_beta=(1.0 + years / link.term_tau0) ** (-link.term_power),
            remaining_fraction=0.0,
            accrued_variance=0.0,
        )
    assert instrument == "VARSWAP", instrument
    start = dt.datetime.combine(_date(row["start"]), dt.time(16, 0))
    term = (dt.datetime.combine(expiry, dt.time(16, 0)) - start).total_seconds() / SECONDS_PER_YEAR
    remaining = min(years / term, 1.0)
    realized = 0.0 if _missing(row["realized_vol"]) else float(row["realized_vol"]) / 100.0
    # a variance swap is entered at zero cost: its unrealized P&L is its mark-to-market
    return LegInputs(
        **{**common, "entry_price": 0.0},
        underlying=spot,
        strike=strike / 100.0,
        vol=variance_swap_strike(market, expiry, years) if years > 0 else 0.0,
        div_yield=0.0,
        term_beta=0.0,
        remaining_fraction=remaining,
        accrued_variance=(1.0 - remaining) * realized**2,
    )


def raw_greeks(leg: LegInputs) -> dict[str, float]:
    """Per-unit price and Greeks in kernel units (Haug 2007 ch. 2; theta = −∂V/∂T per year, vega
    per 1.00 of vol, charm = −∂Δ/∂T per year).

    SPX options: BSM on spot. VIX options: Black-76 on their future, rho = −T·V (the future held
    fixed). VIX futures: V = F, Δ = 1, every other Greek 0. S&P 500 futures: V = F = S·e^{(r−q)T},
    Δ = ∂F/∂S = e^{(r−q)T}, θ = −∂F/∂T = −(r−q)·F, ρ = ∂F/∂r = T·F, every other Greek 0 (docs/method.md,
    Models: S&P 500 futures). Variance swaps: see
    :func:`variance_swap`.
    """
    if leg.instrument in ("SPX", "SPXW", "VIX"):
        model = "black76" if leg.instrument == "VIX" else "bsm"
        args = (model, leg.underlying, leg.strike, leg.years, leg.vol, leg.rate, leg.div_yield, leg.is_call)
        return {k: float(v) for k, v in bs.greeks(*args, dps=20).items()}
    zero = dict.fromkeys(bs.GREEKS, 0.0)
    if leg.instrument in ("VX", "VXM"):
        return {**zero, "price": leg.underlying, "delta": 1.0}
    if leg.instrument in ("ES", "MES"):
        carry = leg.rate - leg.div_yield
        growth = math.exp(carry * leg.years)
        forward = leg.underlying * growth
        return {**zero, "price": forward, "delta": growth, "theta": -carry * forward, "rho": leg.years * forward}
    value, vega = variance_swap(leg)
    return {**zero, "price": value, "vega": vega, "rho": -leg.years * value}


def variance_swap(leg: LegInputs) -> tuple[float, float]:
    """Mark-to-market and vega per vol point of a variance swap per 1 of vega notional N.

    docs/method.md (Models: variance swaps), in vol points (K_pts = 100·K, σ_pts = 100·σ): variance notional
    N/(2·K_pts); at expiry the swap pays N/(2·K_pts)·(σ²_realised,pts − K²_pts); today the
    expected realised variance is the accrued part plus the implied variance of the rest,
    (1 − f)·σ²_R,pts + f·σ²_pts, so V = N/(2·K_pts)·e^{−rT}·((1 − f)·σ²_R,pts + f·σ²_pts − K²_pts)
    (Demeterfi, Derman, Kamal & Zou 1999) and ∂V/∂σ_pts = N·σ_pts/K_pts·f·e^{−rT}.
    """
    k_pts, sigma_pts = 100.0 * leg.strike, 100.0 * leg.vol
    accrued_pts = 1e4 * leg.accrued_variance
    discount = math.exp(-leg.rate * leg.years)
    value = discount / (2.0 * k_pts) * (accrued_pts + leg.remaining_fraction * sigma_pts**2 - k_pts**2)
    vega = sigma_pts / k_pts * leg.remaining_fraction * discount
    return value, vega


def leg_metrics(leg: LegInputs, g: dict[str, float], market: Market) -> dict[str, float]:
    """The trader-unit metrics of one leg from its per-unit Greeks ``g`` (docs/method.md, Units).

    With size = quantity × multiplier and U the leg's own underlying: delta = size·Δ (shares of
    U), $ delta ×U, gamma = size·Γ per point, $ gamma = size·Γ·U²/100 (per 1 % move), vega =
    size·∂V/∂σ/100 per vol point (variance swaps: size·∂V/∂σ_pts), theta = size·θ/365 per day,
    rho = size·ρ/100 per 1 %, vanna/100, volga/100², charm/365.

    SPX terms (docs/method.md, Models: SPX-equivalent Greeks of a VIX instrument): a VIX leg's future moves with
    SPX as F(S) = F + β(τ)·VIX·((S/S₀)^β − 1), so dF/dS = β(τ)·β·VIX/S and d²F/dS² =
    β(τ)·β(β − 1)·VIX/S²; one SPX vol point moves VIX one point and F by β(τ). Hence spx_delta =
    size·∂V/∂F·dF/dS, spx_gamma = size·(∂²V/∂F²·(dF/dS)² + ∂V/∂F·d²F/dS²), spx_vega =
    size·∂V/∂F·β(τ). SPX legs and variance swaps are their own SPX Greeks. Time-weighted vega is
    spx_vega·√(30/DTE), DTE floored at 1 day.
    """
    size = leg.quantity * leg.multiplier
    u = leg.underlying
    s, vix, beta = market.spx.spot, market.vix.spot, market.link.log_beta
    vix_leg = leg.instrument in ("VIX", "VX", "VXM")
    vega = size * g["vega"] if leg.instrument == "VARSWAP" else size * g["vega"] / 100.0
    out = {
        "market_value": 0.0 if leg.instrument in ("VX", "VXM", "ES", "MES") else size * g["price"],
        "delta": size * g["delta"],
        "dollar_delta": size * g["delta"] * u,
        "gamma": size * g["gamma"],
        "dollar_gamma": size * g["gamma"] * u * u / 100.0,
        "vega": vega,
        "theta": size * g["theta"] / 365.0,
        "rho": size * g["rho"] / 100.0,
        "vanna": size * g["vanna"] / 100.0,
        "volga": size * g["volga"] / 1e4,
        "charm": size * g["charm"] / 365.0,
        "unrealized_pnl": size * (g["price"] - leg.entry_price),
    }
    if vix_leg:
        df_ds = leg.term_beta * beta * vix / s
        d2f_ds2 = leg.term_beta * beta * (beta - 1.0) * vix / s**2
        out["spx_delta"] = size * g["delta"] * df_ds
        out["spx_gamma"] = size * (g["gamma"] * df_ds**2 + g["delta"] * d2f_ds2)
        out["spx_vega"] = size * g["delta"] * leg.term_beta
    else:
        out["spx_delta"] = out["delta"]
        out["spx_gamma"] = out["gamma"]
        out["spx_vega"] = out["vega"]
    out["spx_dollar_delta"] = out["spx_delta"] * s
    out["tw_vega"] = out["spx_vega"] * math.sqrt(30.0 / max(leg.dte, 1))
    return {name: out[name] for name in METRICS}


def bucket(dte: int) -> int:
    """Index of the maturity bucket of a DTE."""
    for i, (first, last) in enumerate(BUCKETS):
        if dte >= first and (last is None or dte <= last):
            return i
    raise AssertionError(dte)


@dataclass(frozen=True)
class ReferenceRisk:
    inputs: list[LegInputs]
    greeks: list[dict[str, float]]
    legs: pd.DataFrame  # one row per leg, METRICS columns
    layers: pd.DataFrame  # one row per layer: METRICS sums, then the bucket sums of spx_vega
    total: pd.Series


def value_book(book: Book, market: Market) -> ReferenceRisk:
    """Every leg in a Python loop, then per-layer and per-bucket sums with :func:`math.fsum`."""
    inputs, greeks, rows = [], [], []
    for _, row in book.legs.iterrows():
        leg = leg_inputs(row, market)
        g = raw_greeks(leg)
        inputs.append(leg)
        greeks.append(g)
        rows.append(leg_metrics(leg, g, market))
    legs = pd.DataFrame(rows, columns=list(METRICS), index=book.legs.index, dtype=float)
    bucket_names = [f"{first}-{last}" if last is not None else f"{first}+" for first, last in BUCKETS]
    sums = []
    for layer in book.layers:
        mine = [i for i, name in enumerate(book.legs["layer"]) if name == layer.name]
        layer_sums = {name: math.fsum(rows[i][name] for i in mine) for name in METRICS}
        for b, label in enumerate(bucket_names):
            layer_sums[label] = math.fsum(rows[i]["spx_vega"] for i in mine if bucket(inputs[i].dte) == b)
        sums.append(layer_sums)
    layers = pd.DataFrame(sums, index=[layer.name for layer in book.layers], columns=[*METRICS, *bucket_names])
    total = pd.Series({name: math.fsum(layers[name]) for name in layers.columns})
    return ReferenceRisk(inputs=inputs, greeks=greeks, legs=legs, layers=layers, total=total)
