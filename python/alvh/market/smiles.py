"""The smiles of a market snapshot: the SPX smile of one expiry (raw SVI or a quadratic in vol, in
log-moneyness k = ln(K/F)) and the vol-of-vol smile of VIX options of one expiry (a quadratic in
vol around the option vol, in log-moneyness on the VIX future of that expiry).

An SPX smile belongs to one expiry *and* one settlement (SPX monthlies settle AM, SPXW PM:
docs/method.md, Models); its time to expiry is its own settlement's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alvh._typing import FloatArray
from alvh.market.expiries import Settlement

__all__ = [
    "K_RANGE",
    "VIX_K_RANGE",
    "FiniteFloat",
    "FrozenModel",
    "PositiveFloat",
    "QuadraticSmile",
    "SettlementField",
    "Smile",
    "SviSmile",
    "VixSmile",
]

K_RANGE = 0.6
"""SPX smiles are validated on, and extrapolated flat beyond, log-moneyness |k| <= K_RANGE."""
VIX_K_RANGE = 1.2
"""VIX vol-of-vol smiles are validated on, and held flat beyond, |ln(K/F)| <= VIX_K_RANGE (strikes
from 0.3 to 3.3 times the future)."""


class FrozenModel(BaseModel):
    """The snapshot's models: immutable, no unknown fields, no silent type coercion."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
SettlementField = Annotated[Settlement, Field(strict=False)]
"""A settlement written as ``"am"`` or ``"pm"`` in a file (strict mode would want the enum)."""


class SviSmile(FrozenModel):
    """Raw SVI (Gatheral 2004) in total variance: w(k) = a + b·(ρ(k − m) + √((k − m)² + σ²))."""

    model: Literal["svi"] = "svi"
    expiry: dt.date
    a: FiniteFloat
    b: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    rho: Annotated[float, Field(gt=-1, lt=1)]
    m: FiniteFloat
    sigma: PositiveFloat
    settlement: SettlementField = Settlement.PM

    @model_validator(mode="after")
    def _non_negative_variance(self) -> SviSmile:
        # The minimum of raw SVI over all k is a + b·σ·√(1 − ρ²) (Gatheral & Jacquier 2014).
        minimum = self.a + self.b * self.sigma * np.sqrt(1 - self.rho**2)
        if minimum < 0:
            raise ValueError(
                f"gives negative variance (minimum total variance {minimum:.3g}): need a + b·sigma·sqrt(1 - rho²) >= 0"
            )
        return self

    def total_variance(self, k: FloatArray, years: float) -> FloatArray:
        """w(k), the total implied variance σ²T at log-moneyness k (``years`` unused)."""
        k = np.clip(k, -K_RANGE, K_RANGE)
        d = k - self.m
        # np.square: a huge σ overflows to inf (refused by the bounds), not to Python's OverflowError
        w: FloatArray = self.a + self.b * (self.rho * d + np.sqrt(d * d + np.square(self.sigma)))
        return w


def _lowest_vol(level: float, skew: float, curvature: float, limit: float) -> tuple[float, float]:
    """The lowest vol of level + skew·k + curvature·k² over |k| <= limit, and where."""
    candidates = [-limit, limit]
    if curvature > 0:
        vertex = -skew / (2 * curvature)
        if abs(vertex) <= limit:
            candidates.append(vertex)
    vols = [level + skew * k + curvature * k * k for k in candidates]
    worst = int(np.argmin(vols))
    return vols[worst], candidates[worst]


class QuadraticSmile(FrozenModel):
    """A quadratic in vol: vol(k) = atm_vol + skew·k + curvature·k² (decimal vol)."""

    model: Literal["quadratic"] = "quadratic"
    expiry: dt.date
    atm_vol: PositiveFloat
    skew: FiniteFloat
    curvature: FiniteFloat
    settlement: SettlementField = Settlement.PM

    @model_validator(mode="after")
    def _positive_vol(self) -> QuadraticSmile:
        vol, k = _lowest_vol(self.atm_vol, self.skew, self.curvature, K_RANGE)
        if vol <= 0:
            raise ValueError(
                f"gives vol {vol:.3g} <= 0 at log-moneyness k = {k:.3g}: vol must be positive for |k| <= {K_RANGE}"
            )
        return self

    def total_variance(self, k: FloatArray, years: float) -> FloatArray:
        """w(k) = vol(k)²·T at the smile's own expiry (``years``)."""
        k = np.clip(k, -K_RANGE, K_RANGE)
        v = self.atm_vol + self.skew * k + self.curvature * k * k
        w: FloatArray = v * v * years
        return w


Smile = Annotated[SviSmile | QuadraticSmile, Field(discriminator="model")]


class VixSmile(FrozenModel):
    """The vol-of-vol smile of VIX options of one expiry around their at-the-money vol:
    vol(k) = option_vol + skew·k + curvature·k², k = ln(K/F) on the VIX future of that expiry,
    held flat beyond |k| <= :data:`VIX_K_RANGE` (decimal vol per unit of k and k²)."""

    skew: FiniteFloat
    curvature: FiniteFloat

    def vol(self, option_vol: float, k: FloatArray) -> FloatArray:
        """The option vol (decimal) at log-moneyness ``k`` given the at-the-money ``option_vol``."""
        k = np.clip(k, -VIX_K_RANGE, VIX_K_RANGE)
        v: FloatArray = option_vol + self.skew * k + self.curvature * k * k
        return v

    def problem(self, option_vol: float) -> str | None:
        """Why this smile around ``option_vol`` is refused (a vol <= 0 on the range), or None."""
        vol, k = _lowest_vol(option_vol, self.skew, self.curvature, VIX_K_RANGE)
        if vol > 0:
            return None
        return f"gives vol {vol:.3g} <= 0 at log-moneyness k = {k:.3g}: vol must be positive for |k| <= {VIX_K_RANGE}"
