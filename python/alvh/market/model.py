"""A model market snapshot from one day's SPX and VIX closes, for when no option prices exist (the
backtest on real history prices every leg this way; results are labelled *model-priced*).

The model, with every parameter in :class:`ModelParams` (defaults documented there):

* **SPX variance term structure from VIX.** VIX² is the 30-day variance-swap variance (that is
  how Cboe computes VIX, by replication). Expected instantaneous variance reverts exponentially
  to a long-run level θ, v(t) = θ + (v₀ − θ)·e^(−κt), so the fair variance to T is
  σ²_VS(T) = θ + (v₀ − θ)·(1 − e^(−κT))/(κT); v₀ is set so that σ_VS(30 d) = VIX/100 exactly.
  θ = (anchor/100)², the *anchor* being the VIX level the curve reverts to (:func:`vix_anchor`).
* **Smile per listed expiry: SSVI** (Gatheral & Jacquier, "Arbitrage-free SVI volatility
  surfaces", 2014), w(k) = θ_T/2·(1 + ρφk + √((φk + ρ)² + 1 − ρ²)) with the power-law
  φ(θ) = η/(θ^γ·(1 + θ)^(1−γ)), written as the library's raw-SVI :class:`~alvh.market.snapshot.SviSmile`
  (a = θ/2·(1 − ρ²), b = θφ/2, m = −ρ/φ, σ = √(1 − ρ²)/φ). With γ = ½ the skew in normalised
  moneyness k/√θ is fixed, so the put premium over ATM scales with the vol level. The ATM total
  variance θ_T of each expiry is solved so that the smile's variance swap (Gatheral's
  σ²_VS·T = ∫ N′(z)·w(k(z)) dz, z = −d₂) equals σ²_VS(T)·T: VIX and the whole SPX surface agree.
* **VIX futures from the term-structure beta.** F(τ) = L + β(τ)·(VIX − L), with β(τ) the
  :meth:`~alvh.market.snapshot.VixLink.term_beta` of the market's link and L the anchor: a future moves by
  β(τ) per point of VIX, exactly as the scenario engine and the SPX-equivalent Greeks assume.
  Quoted futures (a history's ``vx1``, ``vx2``, … columns) replace the model for their expiries.
* **VIX option vol (vol of vol) as a function of VIX**:
  vol = vvol_30d·(VIX/vvol_reference_vix)^vvol_beta·(τ/30 d)^(−vvol_term_power), clipped to
  [vvol_min, vvol_max]; vvol_beta is the link's, so scenarios move it the same way.
* **Listed expiries**: SPXW every Friday up to ``spx_expiry_days`` ahead; VIX the monthly
  Wednesdays of :func:`alvh.market.expiries.vix_expiry`. Rate and dividend yield are constants.

The anchor L is a slow exponential average of past VIX closes plus a premium (the curve's
average contango): using it rather than a constant long-run level keeps the futures curve of
calm years (VIX 10–12 in 2017) from sitting several points above where it traded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.expiries import MARKET_CLOSE, Settlement, eastern, settlement_time, vix_expiry, year_fraction
from alvh.market.smiles import Smile, SviSmile
from alvh.market.snapshot import Market, SpxMarket, VixFuture, VixLink, VixMarket

__all__ = [
    "ModelParams",
    "market_from_closes",
    "spx_expiries",
    "variance_swap_vol",
    "vix_anchor",
    "vix_expiries",
    "vix_option_vol",
]

ArrayLikeFloat = float | Sequence[float] | FloatArray
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_THIRTY_DAYS = 30.0 / 365.0
_CALIBRATION_STEPS = 6
_Z_GRID = np.linspace(-12.0, 12.0, 1201)
"""Log-moneyness grid of the variance-swap integral, in units of √θ (ATM total-variance sd)."""


class ModelParams(BaseModel):
    """Every parameter of the model market (see the module docstring for the formulas)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    rate: float = Field(default=0.01, ge=-0.05, le=0.25, allow_inf_nan=False)
    """Continuously compounded rate (decimal). 1 %: inside the 0–2.4 % range of 3-month T-bill
    yields in 2014–2018."""
    div_yield: float = Field(default=0.02, ge=0, le=0.2, allow_inf_nan=False)
    """S&P 500 dividend yield (decimal). 2 %: its 2014–2018 level (1.8–2.2 %)."""
    long_run_vix: PositiveFloat = 18.0
    """The anchor (VIX points) when no history is given: about VIX's long-run median."""
    anchor_halflife: PositiveFloat = 250.0
    """Half-life in trading days of the exponential average of VIX in :func:`vix_anchor` (a year)."""
    anchor_premium: float = Field(default=3.0, ge=0, allow_inf_nan=False)
    """VIX points added to that average: the long end of the futures curve sits about 3 points
    above average spot VIX (the average contango)."""
    variance_reversion: PositiveFloat = 8.0
    """κ (per year) of the expected-variance reversion: half-life ln 2/κ ≈ 1 month, which gives
    3-month variance-swap vols near VXV's (e.g. ≈ 31 on 2015-08-24 with VIX 40.7)."""
    skew_rho: float = Field(default=-0.7, gt=-1, lt=1, allow_inf_nan=False)
    """SSVI ρ: the smile's asymmetry."""
    skew_eta: PositiveFloat = 1.0
    """SSVI η: the skew's size. With ρ = −0.7 a 30-day smile at 12 % ATM has the 25-delta put
    3.4 and the 10-delta put 7.4 vol points over ATM, the 25-delta call 2.2 under."""
    skew_gamma: float = Field(default=0.5, gt=0, le=0.5, allow_inf_nan=False)
    """SSVI γ of the power-law φ; ½ makes the skew's decay in T go as 1/√T."""
    vvol_30d: PositiveFloat = 0.85
    """VIX option vol (decimal) at 30 days to expiry when VIX = ``vvol_reference_vix``: about
    the implied vol of the 30–40-delta VIX options the hedges trade (VVIX ≈ 85–95 at such VIX)."""
    vvol_reference_vix: PositiveFloat = 15.0
    vvol_term_power: float = Field(default=0.25, ge=0, le=1, allow_inf_nan=False)
    """Short-dated VIX options carry more vol: vol ∝ (τ/30 d)^(−power), τ floored at 2 days."""
    vvol_min: PositiveFloat = 0.30
    vvol_max: PositiveFloat = 3.0
    link: VixLink = VixLink(vvol_beta=0.35)
    """The SPX↔VIX link the market carries (the defaults of docs/method.md, Models: log-beta −5,
    β(τ) = (1 + τ/0.02)^−½),
    with vvol_beta 0.35: VIX option vol rises with VIX (VVIX ≈ 85 at VIX 12, ≈ 130 at VIX 40)."""
    spx_expiry_days: int = Field(default=100, ge=7, le=800)
    """SPXW Friday expiries listed up to this many calendar days ahead."""
    vix_expiries: int = Field(default=6, ge=2, le=12)
    """Monthly VIX expiries listed (futures and options)."""

    @model_validator(mode="after")
    def _no_butterfly_arbitrage(self) -> ModelParams:
        # Gatheral & Jacquier (2014), Remark 4.4: the power-law SSVI is free of butterfly
        # arbitrage when η·(1 + |ρ|) <= 2.
        if self.skew_eta * (1 + abs(self.skew_rho)) > 2:
            raise ValueError(
                f"skew_eta·(1 + |skew_rho|) = {self.skew_eta * (1 + abs(self.skew_rho)):.3g} > 2: "
                "the smile would allow butterfly arbitrage"
            )
        if self.vvol_min > self.vvol_max:
            raise ValueError("need vvol_min <= vvol_max")
        return self


def vix_anchor(vix_closes: pd.Series, params: ModelParams | None = None) -> pd.Series:
    """The anchor L of each day (VIX points): an exponential average of the VIX closes up to and
    including that day (half-life ``anchor_halflife`` trading days, seeded with the first close)
    plus ``anchor_premium``. Causal: the value on day t uses closes up to t only."""
    params = params or ModelParams()
    average = vix_closes.astype(np.float64).ewm(halflife=params.anchor_halflife, adjust=False).mean()
    return (average + params.anchor_premium).rename("vix_anchor")


def variance_swap_vol(vix: float, years: ArrayLikeFloat, *, anchor: float, params: ModelParams) -> FloatArray:
    """σ_VS(T) (decimal) at times ``years`` from the day's VIX and anchor (module docstring).
    The short-end variance v₀ is floored at 1e-6 so that variance stays positive; the 30-day
    point equals VIX/100 whenever the floor is not hit (VIX above about half the anchor)."""
    kappa = params.variance_reversion
    theta = (anchor / 100.0) ** 2
    thirty = (vix / 100.0) ** 2
    v0 = max(theta + (thirty - theta) / float(_average_factor(kappa, _THIRTY_DAYS)), 1e-6)
    t = np.maximum(np.asarray(years, dtype=np.float64), 1e-9)
    vol: FloatArray = np.sqrt(theta + (v0 - theta) * _average_factor(kappa, t))
    return vol


def _average_factor(kappa: float, years: ArrayLikeFloat) -> FloatArray:
    """(1 − e^(−κT))/(κT): the average over [0, T] of e^(−κt)."""
    x = kappa * np.asarray(years, dtype=np.float64)
    out: FloatArray = -np.expm1(-x) / x
    return out


def _phi(theta: FloatArray, params: ModelParams) -> FloatArray:
    g = params.skew_gamma
    out: FloatArray = params.skew_eta / (theta**g * (1.0 + theta) ** (1.0 - g))
    return out


def _ssvi_total_variance(k: FloatArray, theta: FloatArray, params: ModelParams) -> FloatArray:
    # w = θ/2·(1 + ρφk + √((φk + ρ)² + 1 − ρ²)), step by step in place: the calibration evaluates
    # it on every grid point of every expiry six times a day (same operations, same order)
    rho = params.skew_rho
    phi = _phi(theta, params)
    root = np.multiply(phi, k)
    root += rho
    np.square(root, out=root)
    root += 1
    root -= rho**2
    np.sqrt(root, out=root)
    w = np.multiply(rho * phi, k)
    w += 1
    w += root
    w *= theta / 2
    return w


def _variance_swap_total(theta: FloatArray, params: ModelParams) -> FloatArray:
    """σ²_VS·T of SSVI slices with ATM total variances ``theta``: ∫ N′(z)·w dz, z = k/√w + √w/2
    (Gatheral, *The Volatility Surface*, 2006, ch. 11), by the trapezoid rule on each row."""
    k = _Z_GRID[None, :] * np.sqrt(theta)[:, None]
    w = _ssvi_total_variance(k, theta[:, None], params)
    root = np.sqrt(w)
    z = np.divide(k, root, out=k)
    root /= 2
    z += root
    f = np.multiply(z, -0.5, out=root)  # N′(z)·w, in the buffers of √w
    f *= z
    np.exp(f, out=f)
    f /= np.sqrt(2 * np.pi)
    f *= w
    trapezoids = f[:, 1:] + f[:, :-1]
    trapezoids *= np.diff(z, axis=1)
    total: FloatArray = np.sum(trapezoids, axis=1) / 2
    return total


def _atm_total_variance(target: FloatArray, params: ModelParams) -> FloatArray:
    """The ATM total variances θ whose SSVI variance swaps equal ``target`` (σ²_VS·T): the ratio
    VS/θ changes slowly with θ, so θ ← θ·target/VS(θ) converges in a few steps."""
    theta = target / 1.4  # the ratio VS/θ of the default smile is ~1.4
    for _ in range(_CALIBRATION_STEPS):
        theta = theta * target / _variance_swap_total(theta, params)
    return theta


def _svi(expiry: dt.date, theta: float, params: ModelParams) -> SviSmile:
    rho = params.skew_rho
    phi = float(_phi(np.array(theta), params))
    return SviSmile(
        expiry=expiry,
        a=theta / 2 * (1 - rho**2),
        b=theta * phi / 2,
        rho=rho,
        m=-rho / phi,
        sigma=float(np.sqrt(1 - rho**2)) / phi,
    )


def spx_expiries(day: dt.date, days: int) -> list[dt.date]:
    """SPXW Friday expiries strictly after ``day`` and at most ``days`` calendar days ahead."""
    first = day + dt.timedelta(days=(4 - day.weekday()) % 7 or 7)
    return [first + dt.timedelta(weeks=i) for i in range((days - (first - day).days) // 7 + 1)]


def vix_expiries(day: dt.date, count: int) -> list[dt.date]:
    """The first ``count`` monthly VIX expiries strictly after ``day``."""
    out: list[dt.date] = []
    year, month = day.year, day.month - 1
    while len(out) < count:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        expiry = vix_expiry(year, month)
        if expiry > day:
            out.append(expiry)
    return out


def vix_option_vol(vix: float, years: ArrayLikeFloat, params: ModelParams) -> FloatArray:
    """VIX option implied vol (decimal) at tenors ``years`` for spot VIX ``vix``."""
    tenor = np.maximum(np.asarray(years, dtype=np.float64), 2.0 / 365.0)
    level = params.vvol_30d * (vix / params.vvol_reference_vix) ** params.link.vvol_beta
    vol: FloatArray = np.clip(
        level * (tenor / _THIRTY_DAYS) ** (-params.vvol_term_power), params.vvol_min, params.vvol_max
    )
    return vol


def market_from_closes(
    as_of: dt.date | dt.datetime,
    spx: float,
    vix: float,
    *,
    params: ModelParams | None = None,
    anchor: float | None = None,
    vix_futures: Sequence[float] = (),
) -> Market:
    """The model :class:`~alvh.market.snapshot.Market` of one day from its SPX and VIX closes.

    Parameters
    ----------
    as_of
        The day (its close, 16:00 US/Eastern) or an exact time.
    spx, vix
        SPX and VIX closes (index points, > 0).
    params
        The model's parameters (default :class:`ModelParams`).
    anchor
        The VIX level (points) the term structures revert to, from :func:`vix_anchor` on the
        history up to ``as_of``; default ``params.long_run_vix``.
    vix_futures
        Quoted futures prices of the first monthly VIX expiries after ``as_of`` (front first);
        they replace the model prices of those expiries.
    """
    params = params or ModelParams()
    when = eastern(as_of) if isinstance(as_of, dt.datetime) else dt.datetime.combine(as_of, MARKET_CLOSE)
    for name, value in (("spx", spx), ("vix", vix), ("anchor", anchor if anchor is not None else 1.0)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} = {value!r} is not allowed: must be a positive finite number")
    level = params.long_run_vix if anchor is None else float(anchor)
    day = when.date()

    spx_days = spx_expiries(day, params.spx_expiry_days)
    spx_years = np.array([year_fraction(when, settlement_time(e, Settlement.PM)) for e in spx_days])
    target = variance_swap_vol(vix, spx_years, anchor=level, params=params) ** 2 * spx_years
    theta = _atm_total_variance(target, params)
    smiles: list[Smile] = [_svi(e, float(th), params) for e, th in zip(spx_days, theta, strict=True)]

    vix_days = vix_expiries(day, params.vix_expiries)
    if len(vix_futures) > len(vix_days):
        raise InputError(f"vix_futures has {len(vix_futures)} prices but only {len(vix_days)} VIX expiries are listed")
    vix_years = np.array([max(year_fraction(when, settlement_time(e, Settlement.AM)), 0.0) for e in vix_days])
    model = level + params.link.term_beta(vix_years) * (vix - level)
    prices = np.concatenate([np.asarray(vix_futures, dtype=np.float64), model[len(vix_futures) :]])
    if not np.all(np.isfinite(prices) & (prices > 0)):
        raise InputError(f"vix_futures = {list(vix_futures)!r}: prices must be positive finite numbers")
    vols = vix_option_vol(vix, vix_years, params)
    futures = [
        VixFuture(expiry=e, price=float(p), option_vol=float(v)) for e, p, v in zip(vix_days, prices, vols, strict=True)
    ]
    return Market(
        as_of=when,
        spx=SpxMarket(spot=float(spx), rate=params.rate, div_yield=params.div_yield, smiles=smiles),
        vix=VixMarket(spot=float(vix), futures=futures),
        link=params.link,
    )
