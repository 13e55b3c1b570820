"""A market snapshot: SPX spot, rates, the SPX smile per expiry, VIX, the VIX futures curve,
VIX option vols and the SPX↔VIX link — everything a book is valued against.

Conventions (docs/method.md, Models):

* SPX legs are priced with BSM on spot with a flat rate and dividend yield; a forward quoted for
  an expiry overrides the dividend yield there (q = r − ln(F/S)/T).
* The smile of an expiry and settlement (SPX AM, SPXW PM; its time is its own settlement's) is a
  function of log-moneyness k = ln(K/F): raw SVI in total variance,
  w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)), or a quadratic in vol,
  vol(k) = atm_vol + skew·k + curvature·k². Between quoted times total variance is
  interpolated linearly in time at constant k; before the first and after the last, vol is held.
  Outside |k| ≤ ``K_RANGE`` the smile is held flat at its edge (:mod:`alvh.market.smiles`).
* VIX options are priced with Black-76 on the VIX future *of the same expiry* (never spot VIX),
  with that expiry's option vol, or its vol-of-vol smile in ln(K/F) on that future. For
  scenarios, a future of tenor τ moves by β(τ)·ΔVIX with β(τ) = (1 + τ/τ₀)^(−p), τ₀ = 0.02 y and p = ½ by default.
* SPX↔VIX: VIX ≈ 100 × the 30-day SPX implied vol; a spot move moves VIX by a log-beta,
  ln(VIX′/VIX) = β·ln(S′/S), β = −5 by default (:func:`estimate_vix_link` measures it).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, ValidationError, field_validator, model_validator

from alvh._config import config_error, read_toml
from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.bounds import check_plausible
from alvh.market.expiries import Settlement, eastern, settlement_time, year_fraction
from alvh.market.smiles import (
    K_RANGE,
    FiniteFloat,
    FrozenModel,
    PositiveFloat,
    QuadraticSmile,
    SettlementField,
    Smile,
    SviSmile,
    VixSmile,
)

__all__ = [
    "K_RANGE",
    "Market",
    "QuadraticSmile",
    "SpxMarket",
    "SviSmile",
    "VixFuture",
    "VixLink",
    "VixLinkEstimate",
    "VixMarket",
    "VixSmile",
    "estimate_vix_link",
    "load_market",
]


class SpxForward(FrozenModel):
    """A quoted SPX forward for one expiry and settlement (overrides the dividend yield there)."""

    expiry: dt.date
    forward: PositiveFloat
    settlement: SettlementField = Settlement.PM


class SpxMarket(FrozenModel):
    """SPX spot, carry and smiles."""

    spot: PositiveFloat
    rate: FiniteFloat
    div_yield: FiniteFloat = 0.0
    forwards: list[SpxForward] = Field(default_factory=list)
    smiles: list[Smile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_expiries(self) -> SpxMarket:
        for name, items in (("smiles", self.smiles), ("forwards", self.forwards)):
            keys: list[tuple[dt.date, Settlement]] = [(s.expiry, s.settlement) for s in items]
            duplicates = sorted(key for key, n in Counter(keys).items() if n > 1)
            if duplicates:
                expiry, settlement = duplicates[0]
                raise ValueError(f"{name}: expiry {expiry} ({settlement.value} settlement) appears more than once")
        return self


class VixFuture(FrozenModel):
    """A VIX futures quote and, optionally, the implied vol of VIX options of the same expiry: at
    the money (``option_vol``) and, optionally, its smile in log-moneyness on this future."""

    expiry: dt.date
    price: PositiveFloat
    option_vol: PositiveFloat | None = None
    smile: VixSmile | None = None

    @model_validator(mode="after")
    def _smile_around_option_vol(self) -> VixFuture:
        if self.smile is not None:
            if self.option_vol is None:
                raise ValueError("smile needs option_vol (its at-the-money vol)")
            problem = self.smile.problem(self.option_vol)
            if problem:
                raise ValueError(f"smile {problem}")
        return self


class VixMarket(FrozenModel):
    """Spot VIX (index points) and the futures curve."""

    spot: PositiveFloat
    futures: list[VixFuture] = Field(min_length=1)

    @model_validator(mode="after")
    def _sorted_unique(self) -> VixMarket:
        expiries = [f.expiry for f in self.futures]
        if len(set(expiries)) != len(expiries):
            raise ValueError("futures: an expiry appears more than once")
        return self


class VixLink(FrozenModel):
    """How VIX and its futures move with SPX (docs/method.md, Models)."""

    log_beta: FiniteFloat = -5.0
    """β in ln(VIX′/VIX) = β·ln(S′/S)."""
    correlation: Annotated[float, Field(ge=-1, le=1)] = -0.75
    """Daily correlation of SPX and VIX log changes (reported; the dynamics use ``log_beta``)."""
    vvol_beta: FiniteFloat = 0.0
    """VIX-option vol moves as vol′ = vol·(VIX′/VIX)^vvol_beta."""
    term_tau0: PositiveFloat = 0.02
    """τ₀ of the futures beta β(τ) = (1 + τ/τ₀)^(−p), in years."""
    term_power: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.5
    """p of the futures beta."""

    def term_beta(self, tenor: ArrayLike) -> FloatArray:
        """β(τ): how many points a VIX future of tenor τ (years) moves per point of VIX."""
        tau = np.maximum(np.asarray(tenor, dtype=np.float64), 0.0)
        beta: FloatArray = (1.0 + tau / self.term_tau0) ** (-self.term_power)
        return beta


class Market(FrozenModel):
    """One market snapshot. Load from TOML with :func:`load_market`."""

    as_of: dt.datetime
    spx: SpxMarket
    vix: VixMarket
    link: VixLink = VixLink()

    @field_validator("as_of", mode="after")
    @classmethod
    def _eastern(cls, as_of: dt.datetime) -> dt.datetime:
        return eastern(as_of)  # every settlement time is naive US/Eastern

    @model_validator(mode="after")
    def _expiries_after_as_of(self) -> Market:
        for name, items in (
            ("spx.smiles", self.spx.smiles),
            ("spx.forwards", self.spx.forwards),
            ("vix.futures", self.vix.futures),
        ):
            for i, item in enumerate(items):
                if item.expiry < self.as_of.date():
                    raise ValueError(f"{name}[{i}].expiry = {item.expiry} is before as_of ({self.as_of})")
        for i, smile in enumerate(self.spx.smiles):
            if settlement_time(smile.expiry, smile.settlement) <= self.as_of:
                raise ValueError(
                    f"spx.smiles[{i}].expiry = {smile.expiry} has settled ({smile.settlement.time:%H:%M}) by "
                    f"as_of ({self.as_of}): a smile needs time to expiry"
                )
        return self

    # --- time -----------------------------------------------------------------------------

    def years_to(self, expiry: dt.date, settlement: Settlement) -> float:
        """ACT/365 years from ``as_of`` to the settlement of an instrument expiring on ``expiry``."""
        return max(year_fraction(self.as_of, settlement_time(expiry, settlement)), 0.0)

    # --- SPX ------------------------------------------------------------------------------

    def div_yield(self, expiry: dt.date, years: float, settlement: Settlement = Settlement.PM) -> float:
        """The dividend yield for an expiry: implied by the forward quoted for that expiry and
        settlement (else for the other settlement of the same day), else the flat one."""
        quoted = [f for f in self.spx.forwards if f.expiry == expiry]
        quoted.sort(key=lambda f: f.settlement is not settlement)  # the same settlement first
        if quoted and years > 0:
            return float(self.spx.rate - np.log(quoted[0].forward / self.spx.spot) / years)
        return self.spx.div_yield

    def forward(self, expiry: dt.date, years: float, settlement: Settlement = Settlement.PM) -> float:
        """The SPX forward to an expiry (and settlement)."""
        return float(self.spx.spot * np.exp((self.spx.rate - self.div_yield(expiry, years, settlement)) * years))

    def spx_vol(
        self, strike: ArrayLike, expiry: dt.date, years: float, settlement: Settlement = Settlement.PM
    ) -> FloatArray:
        """Implied vol (decimal) of SPX options at ``strike`` for one expiry, from the smiles."""
        k = np.log(np.asarray(strike, dtype=np.float64) / self.forward(expiry, years, settlement))
        return self.smile_vol(k, years)

    def smile_vol(self, log_moneyness: ArrayLike, years: float) -> FloatArray:
        """Implied vol at log-moneyness ln(K/F) and time ``years``: total variance interpolated
        linearly in time between the quoted expiries at constant k, vol held outside them."""
        k = np.asarray(log_moneyness, dtype=np.float64)
        smiles, times = self._sorted_smiles()
        t = max(years, 1e-12)
        if len(smiles) == 1 or t <= times[0]:
            w = smiles[0].total_variance(k, times[0]) * (t / times[0])
        elif t >= times[-1]:
            w = smiles[-1].total_variance(k, times[-1]) * (t / times[-1])
        else:
            j = int(np.searchsorted(times, t))
            t0, t1 = times[j - 1], times[j]
            w0, w1 = smiles[j - 1].total_variance(k, t0), smiles[j].total_variance(k, t1)
            w = w0 + (w1 - w0) * (t - t0) / (t1 - t0)
        vol: FloatArray = np.sqrt(np.maximum(w, 0.0) / t)
        return vol

    @property
    def smile_table(self) -> tuple[NDArray[np.uint8], FloatArray]:
        """The quoted smiles, sorted by time to expiry, as the Rust scenario kernel takes them: model codes
        (0 SVI, 1 quadratic) and five parameters each — SVI (a, b, ρ, m, σ); quadratic (atm_vol,
        skew, curvature, T, 0) with T the quote's time, so that w = vol²·T."""
        smiles, times = self._sorted_smiles()
        codes = np.array([0 if isinstance(s, SviSmile) else 1 for s in smiles], dtype=np.uint8)
        params = np.array(
            [
                [s.a, s.b, s.rho, s.m, s.sigma] if isinstance(s, SviSmile) else [s.atm_vol, s.skew, s.curvature, t, 0.0]
                for s, t in zip(smiles, times, strict=True)
            ],
            dtype=np.float64,
        )
        return codes, params

    def smile_slices(self, years: ArrayLike) -> dict[str, NDArray[Any]]:
        """For times ``years``, the two quoted smiles whose total variances :meth:`smile_vol` mixes,
        their weights, and the time the mix refers to (keys ``first``, ``first_weight``,
        ``second``, ``second_weight``, ``time``): the same interpolation, vectorised."""
        t = np.maximum(np.asarray(years, dtype=np.float64), 1e-12)
        times = np.array(self._sorted_smiles()[1])
        last = len(times) - 1
        j = np.clip(np.searchsorted(times, t), 1, max(last, 1))
        inside = (t > times[0]) & (t < times[-1]) & (last > 0)
        t0, t1 = times[j - 1], times[np.minimum(j, last)]
        span = np.where(t1 > t0, t1 - t0, 1.0)
        before = t <= times[0]
        edge = np.where(before, 0, last)
        return {
            "first": np.where(inside, j - 1, edge).astype(np.uint32),
            "first_weight": np.where(inside, (t1 - t) / span, t / times[edge]),
            "second": np.where(inside, j, edge).astype(np.uint32),
            "second_weight": np.where(inside, (t - t0) / span, 0.0),
            "time": t,
        }

    def _sorted_smiles(self) -> tuple[list[Smile], list[float]]:
        """The smiles sorted by time to expiry and those times (each smile's own settlement);
        every valuation reads them, so a snapshot sorts its smiles once."""
        order = self._smile_order
        if not order.fits(self):  # model_copy(update=...) copies the cached order with the fields
            self.__dict__.pop("_smile_order")
            order = self._smile_order
        return order.smiles, order.times

    @functools.cached_property
    def _smile_order(self) -> _SmileOrder:
        smiles = sorted(self.spx.smiles, key=lambda s: settlement_time(s.expiry, s.settlement))
        times = [self.years_to(s.expiry, s.settlement) for s in smiles]
        return _SmileOrder(self.as_of, self.spx.smiles, len(self.spx.smiles), smiles, times)

    def atm_vol(self, years: float) -> float:
        """At-the-forward vol for a time to expiry (k = 0)."""
        return float(self.smile_vol(np.zeros(1), years)[0])

    # --- VIX ------------------------------------------------------------------------------

    def vix_future(self, expiry: dt.date) -> VixFuture:
        """The quote of the VIX future expiring on ``expiry`` (VIX options need exactly this)."""
        for f in self.vix.futures:
            if f.expiry == expiry:
                return f
        quoted = ", ".join(str(f.expiry) for f in sorted(self.vix.futures, key=lambda f: f.expiry))
        raise InputError(f"no VIX future expiring {expiry} on the curve (quoted: {quoted})")

    def vix_option_vol(self, expiry: dt.date, strike: ArrayLike) -> FloatArray:
        """The implied vol (decimal) of VIX options expiring on ``expiry`` at ``strike`` (index
        points): the future's vol-of-vol smile at ln(K/F), or its flat ``option_vol``."""
        quote = self.vix_future(expiry)
        strikes = np.asarray(strike, dtype=np.float64)
        if quote.option_vol is None:
            raise InputError(f"the market has no VIX option vol for expiry {expiry} (vix.futures option_vol)")
        if quote.smile is None:
            return np.full(strikes.shape, quote.option_vol)
        return quote.smile.vol(quote.option_vol, np.log(strikes / quote.price))

    def vix_curve(self, tenor: ArrayLike) -> FloatArray:
        """The VIX futures curve at tenors (years), linear in tenor between spot VIX at 0 and the
        quotes, flat beyond the last quote."""
        quotes = sorted(self.vix.futures, key=lambda f: f.expiry)
        tenors = np.array([0.0] + [self.years_to(f.expiry, Settlement.AM) for f in quotes])
        prices = np.array([self.vix.spot] + [f.price for f in quotes])
        curve: FloatArray = np.interp(np.asarray(tenor, dtype=np.float64), tenors, prices)
        return curve


@dataclass(frozen=True)
class _SmileOrder:
    """A snapshot's smiles sorted by time to expiry and those times, with what they were computed from."""

    as_of: dt.datetime
    quoted: list[Smile]
    """The snapshot's own list of smiles (the very object: compared by identity)."""
    count: int
    """Its length then (a list appended to in place is sorted again)."""
    smiles: list[Smile]
    times: list[float]

    def fits(self, market: Market) -> bool:
        """Whether this order was computed from ``market``'s smiles and time."""
        quoted = market.spx.smiles
        return self.quoted is quoted and self.count == len(quoted) and self.as_of == market.as_of


def load_market(path: str | Path) -> Market:
    """Read and validate a market snapshot TOML file (see ``alvh/data/example_market.toml``): its
    numbers must also lie inside :data:`alvh.market.bounds.BOUNDS` (units as the README says)."""
    path = Path(path)
    data = read_toml(path)
    try:
        market = Market.model_validate(data)
    except ValidationError as e:
        raise config_error(str(path), e, model=Market) from None
    check_plausible(market, str(path))
    return market


@dataclass(frozen=True)
class VixLinkEstimate:
    """The SPX↔VIX link measured from history."""

    correlation: float
    """Correlation of daily log changes of SPX and VIX."""
    log_beta: float
    """OLS slope of Δln VIX on Δln SPX."""
    days: int
    start: dt.date
    end: dt.date

    def link(self, base: VixLink | None = None) -> VixLink:
        """A :class:`VixLink` with this correlation and log-beta (other fields from ``base``)."""
        base = base or VixLink()
        return base.model_copy(update={"correlation": self.correlation, "log_beta": self.log_beta})


def estimate_vix_link(spx_closes: pd.Series, vix_closes: pd.Series) -> VixLinkEstimate:
    """Correlation and log-beta of daily SPX and VIX log changes, on the dates both have.

    On the S&P 500 and VIX closes that ``arch.data`` ships (2014–2018) this gives a correlation of
    about −0.82 and a log-beta of about −8.
    """
    for name, series in (("spx_closes", spx_closes), ("vix_closes", vix_closes)):
        if not isinstance(series.index, pd.DatetimeIndex):
            raise InputError(f"{name} must be indexed by date")
        if (series <= 0).any() or series.isna().any():
            raise InputError(f"{name} must be positive and not NaN")
    joined = pd.concat({"spx": np.log(spx_closes), "vix": np.log(vix_closes)}, axis=1, join="inner")
    changes = joined.diff().dropna()
    if len(changes) < 20:
        raise InputError(f"spx_closes and vix_closes share only {len(changes)} daily changes; need at least 20")
    covariance = np.cov(changes["spx"], changes["vix"])
    return VixLinkEstimate(
        correlation=float(covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1])),
        log_beta=float(covariance[0, 1] / covariance[0, 0]),
        days=len(changes),
        start=changes.index[0].date(),
        end=changes.index[-1].date(),
    )
