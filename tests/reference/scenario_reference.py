"""Reference scenario grids: the scenario dynamics of docs/method.md (Scenarios and stresses;
Models: VIX term structure, SPX ↔ VIX link, expiry) written out from scratch, in two forms.

* :func:`reference_grid` — the oracle: one plain Python loop over scenarios and, inside it, over
  legs. Each leg's inputs come from :func:`tests.reference.book_reference.leg_inputs` (time to
  its settlement moment, forward, smile vol, its own VIX future, β(τ), variance-swap fraction and
  accrued variance, all recomputed from the :class:`~alvh.market.snapshot.Market`), each scenario's market
  from :func:`moved_market`, and each leg is priced by :func:`leg_value` with the textbook formulas
  of :mod:`tests.reference.numpy_black_scholes` (BSM on spot for SPX, Black-76 on the leg's own
  future for VIX options; Haug 2007 §1.1.6). Layer sums use :func:`math.fsum`. Slow, obviously
  right, test-only.
* :func:`numpy_grid` — the same dynamics vectorised over legs with a Python loop over scenarios
  (numpy + :func:`scipy.special.ndtr`, ``np.bincount`` per layer): how a competent quant would
  write the grid in numpy, and the speed baseline of ``benches/``.

The dynamics of one scenario (spot shock s, SPX vol shift Δσ in points at 30 days, horizon h
days, optionally an explicit VIX level), docs/method.md (Scenarios and stresses):

* S′ = S·(1 + s). The total SPX vol shift is Δσ, plus — with the spot–vol link — the VIX move a
  spot shock alone causes under ln(VIX′/VIX) = β·ln(S′/S): VIX·((1 + s)^β − 1) points.
* VIX′ = VIX + total shift (VIX ≈ 100 × the 30-day SPX implied vol), or the explicit level;
  floored at 0.01.
* Time: T′ = T − h/365 (ACT/365); a leg with T′ ≤ 0 settles at its intrinsic value.
* SPX options: F′ = S′·e^{(r−q)T′}. ``sticky_strike`` keeps the leg's vol; ``sticky_moneyness``
  re-reads it from the smile of the leg's expiry (the slice at its time to expiry T) at
  k′ = ln(K/F′). The shift is added in vol points, ``parallel`` or × √(30/max(DTE, 1)); the vol
  is floored at 0.
* VIX futures: F′ = F + β(τ)·(VIX′ − VIX), β(τ) = (1 + τ/τ₀)^(−p), floored at 0.01; F′ = VIX′
  once the future has expired (T′ ≤ 0). VIX options: Black-76 on that F′ with vol
  σ·(VIX′/VIX)^vvol_beta.
* S&P 500 futures (ES, MES): the SPX forward F′ = S′·e^{(r−q)T′} (S′ once settled, T′ ≤ 0); no vol.
* Variance swaps (per 1 of vega notional N, strike K and vols in decimals): the implied vol σ′ is
  the fair vol shifted like an SPX vol; the remaining fraction falls to f′ = f·T′/T and the
  horizon's variance accrues at σ′, so V = e^{−rT′}·(A + (f − f′)·σ′² + f′·σ′² − K²)·100/(2K)
  with A the variance accrued so far (Demeterfi, Derman, Kamal & Zou 1999).

P&L of a leg = q·m·(V′ − V₀) with V₀ its value in the null scenario through the same code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from alvh.book import Book
from alvh.market.snapshot import K_RANGE, Market
from tests.reference import book_reference
from tests.reference import numpy_black_scholes as nbs
from tests.reference.book_reference import LegInputs

__all__ = ["MovedMarket", "ReferenceGrid", "leg_value", "moved_market", "numpy_grid", "reference_grid"]


@dataclass(frozen=True)
class MovedMarket:
    """The market of one scenario (docs/method.md, Units)."""

    spot: float
    """S′, SPX spot."""
    vol_shift: float
    """Total SPX vol shift in vol points at 30 days (the axis value plus the linked part)."""
    vix: float
    """VIX′ in index points."""
    vix_change: float
    """VIX′ − VIX."""
    vix_vol_factor: float
    """(VIX′/VIX)^vvol_beta, the factor on VIX-option vols."""
    horizon_years: float
    """h/365."""


def moved_market(
    market: Market,
    spot_shock: float,
    vol_shift: float,
    horizon_days: float,
    vix_level: float | None,
    *,
    spot_vol_link: bool,
) -> MovedMarket:
    """The scenario's SPX spot, total vol shift and VIX (docs/method.md, Models: SPX ↔ VIX link)."""
    spot, vix = market.spx.spot, market.vix.spot
    linked = vix * ((1.0 + spot_shock) ** market.link.log_beta - 1.0) if spot_vol_link else 0.0
    total_shift = vol_shift + linked
    new_vix = max(vix + total_shift if vix_level is None else vix_level, 0.01)
    return MovedMarket(
        spot=spot * (1.0 + spot_shock),
        vol_shift=total_shift,
        vix=new_vix,
        vix_change=new_vix - vix,
        vix_vol_factor=(new_vix / vix) ** market.link.vvol_beta,
        horizon_years=horizon_days / 365.0,
    )


def _option(model: str, underlying: float, strike: float, years: float, vol: float, rate: float, q: float, call: bool):
    """Price of a European option: the textbook formula, or its limit e^{−rT}·max(±(F − K), 0) when
    σ√T = 0 (T = 0: the intrinsic value)."""
    carry = rate - q if model == "bsm" else 0.0
    if years <= 0.0 or vol <= 0.0:
        forward = underlying * math.exp(carry * years)
        return math.exp(-rate * years) * max((forward - strike) if call else (strike - forward), 0.0)
    return float(nbs.greeks(underlying, strike, years, vol, rate, q, call, model=model)["price"])


def leg_value(
    leg: LegInputs,
    moved: MovedMarket,
    market: Market,
    *,
    sticky_moneyness: bool,
    sqrt_time: bool,
) -> float:
    """Value per unit of one leg in the scenario ``moved`` (see the module docstring)."""
    years = max(leg.years - moved.horizon_years, 0.0)
    scale = math.sqrt(30.0 / max(leg.dte, 1)) if sqrt_time else 1.0
    shift = 0.01 * scale * moved.vol_shift
    if leg.instrument in ("ES", "MES"):
        return moved.spot * math.exp((leg.rate - leg.div_yield) * years)
    if leg.instrument in ("SPX", "SPXW"):
        if sticky_moneyness:
            forward = moved.spot * math.exp((leg.rate - leg.div_yield) * years)
            base = float(market.smile_vol(np.array([math.log(leg.strike / forward)]), leg.years)[0])
        else:
            base = leg.vol
        vol = max(base + shift, 0.0)
        return _option("bsm", moved.spot, leg.strike, years, vol, leg.rate, leg.div_yield, leg.is_call)
    if leg.instrument in ("VIX", "VX", "VXM"):
        if years <= 0.0:
            future = moved.vix
        else:
            link = market.link
            beta = (1.0 + leg.years / link.term_tau0) ** (-link.term_power)
            future = max(leg.underlying + beta * moved.vix_change, 0.01)
        if leg.instrument != "VIX":
            return future
        vol = max(leg.vol * moved.vix_vol_factor, 0.0)
        return _option("black76", future, leg.strike, years, vol, leg.rate, 0.0, leg.is_call)
    assert leg.instrument == "VARSWAP", leg.instrument
    implied = max(leg.vol + shift, 0.0)
    remaining = leg.remaining_fraction * years / leg.years if leg.years > 0 else 0.0
    expected = leg.accrued_variance + (leg.remaining_fraction - remaining) * implied**2 + remaining * implied**2
    return math.exp(-leg.rate * years) * (expected - leg.strike**2) * 100.0 / (2.0 * leg.strike)


def _underlying(leg: LegInputs, moved: MovedMarket) -> float:
    """The leg's own underlying in the scenario, for the tolerance scale (0 for swaps)."""
    if leg.instrument in ("SPX", "SPXW", "ES", "MES"):
        return moved.spot
    if leg.instrument == "VARSWAP":
        return 0.0
    return max(leg.underlying, moved.vix) + abs(moved.vix_change)


@dataclass(frozen=True)
class ReferenceGrid:
    """P&L ($) per scenario and layer, shape (spot, vol, horizon, vix, layer), and beside it the
    gross size of each cell, Σ|q·m|·(U′ + |V′| + |V₀|) over the layer's legs (U′ the leg's
    underlying in the scenario, an upper bound on its forward), for absolute tolerances."""

    pnl: np.ndarray
    gross: np.ndarray


def reference_grid(
    book: Book,
    market: Market,
    *,
    spot_shocks: Sequence[float],
    vol_shifts: Sequence[float],
    horizons: Sequence[float],
    vix_levels: Sequence[float] | None = None,
    dynamics: str = "sticky_moneyness",
    vol_shift_scaling: str = "parallel",
    spot_vol_link: bool = False,
) -> ReferenceGrid:
    """The scenario grid by a plain loop over scenarios and legs (docs/method.md, Scenarios and stresses)."""
    assert dynamics in ("sticky_strike", "sticky_moneyness"), dynamics
    assert vol_shift_scaling in ("parallel", "sqrt_time"), vol_shift_scaling
    options = {"sticky_moneyness": dynamics == "sticky_moneyness", "sqrt_time": vol_shift_scaling == "sqrt_time"}
    legs = [book_reference.leg_inputs(row, market) for _, row in book.legs.iterrows()]
    layer_of = [[layer.name for layer in book.layers].index(name) for name in book.legs["layer"]]
    null = moved_market(market, 0.0, 0.0, 0.0, None, spot_vol_link=False)
    base = [leg_value(leg, null, market, **options) for leg in legs]
    vix_axis: list[float | None] = list(vix_levels) if vix_levels is not None else [None]
    n_layers = len(book.layers)
    shape = (len(spot_shocks), len(vol_shifts), len(horizons), len(vix_axis), n_layers)
    pnl, gross = np.zeros(shape), np.zeros(shape)
    for i, s in enumerate(spot_shocks):
        for j, v in enumerate(vol_shifts):
            for k, h in enumerate(horizons):
                for x, level in enumerate(vix_axis):
                    moved = moved_market(market, s, v, h, level, spot_vol_link=spot_vol_link)
                    terms: list[list[float]] = [[] for _ in range(n_layers)]
                    sizes: list[list[float]] = [[] for _ in range(n_layers)]
                    for leg, v0, layer in zip(legs, base, layer_of, strict=True):
                        size = leg.quantity * leg.multiplier
                        value = leg_value(leg, moved, market, **options)
                        terms[layer].append(size * (value - v0))
                        sizes[layer].append(abs(size) * (_underlying(leg, moved) + abs(value) + abs(v0)))
                    pnl[i, j, k, x] = [math.fsum(t) for t in terms]
                    gross[i, j, k, x] = [math.fsum(t) for t in sizes]
    return ReferenceGrid(pnl=pnl, gross=gross)


# --- the numpy baseline ---------------------------------------------------------------------------


def numpy_grid(
    legs: dict[str, Any],
    market: Market,
    *,
    spot_shocks: Sequence[float],
    vol_shifts: Sequence[float],
    horizons: Sequence[float],
    vix_levels: Sequence[float] | None = None,
    dynamics: str = "sticky_moneyness",
    vol_shift_scaling: str = "parallel",
    spot_vol_link: bool = False,
    layers: int | None = None,
) -> np.ndarray:
    """The scenario grid in numpy: vectorised over legs, a Python loop over scenarios.

    Parameters
    ----------
    legs
        The legs as the kernels take them: ``alvh.risk.valuation.leg_arrays(book, market)`` (keys
        ``kind`` 0 SPX option / 1 VIX option / 2 VIX future / 3 variance swap / 4 S&P 500 future, ``quantity``,
        ``multiplier``, ``underlying``, ``strike``, ``time_to_expiry`` (years), ``vol`` (decimal),
        ``rate``, ``div_yield``, ``is_call``, ``dte``, ``term_beta``, ``remaining_fraction``,
        ``accrued_variance``, ``layer``).
    market
        The market snapshot (spot, VIX, the SPX smiles, the SPX–VIX link).
    spot_shocks, vol_shifts, horizons, vix_levels
        The axes: relative spot moves, SPX vol shifts in vol points, horizons in calendar days,
        optional explicit VIX levels (index points).
    dynamics, vol_shift_scaling, spot_vol_link
        As in :func:`alvh.risk.scenarios.scenario_grid` (strings).
    layers
        Number of layers (default: the largest layer index + 1).

    Returns
    -------
    numpy.ndarray
        P&L ($), shape ``(spot, vol, horizon, vix, layer)`` (the VIX axis has length 1 when VIX is
        derived) — the layout of :attr:`alvh.risk.scenarios.ScenarioGrid.pnl`.
    """
    kind = np.asarray(legs["kind"])
    spx, future, swap, spx_future = kind == 0, kind == 2, kind == 3, kind == 4  # 1: VIX options, the default
    size = np.asarray(legs["quantity"], dtype=float) * np.asarray(legs["multiplier"], dtype=float)
    strike = np.asarray(legs["strike"], dtype=float)
    years = np.asarray(legs["time_to_expiry"], dtype=float)
    vol = np.asarray(legs["vol"], dtype=float)
    rate = np.broadcast_to(np.asarray(legs["rate"], dtype=float), years.shape)
    div_yield = np.asarray(legs["div_yield"], dtype=float)
    sign = np.where(np.asarray(legs["is_call"], dtype=bool), 1.0, -1.0)
    dte = np.maximum(np.asarray(legs["dte"], dtype=float), 1.0)
    term_beta = np.asarray(legs["term_beta"], dtype=float)
    underlying = np.asarray(legs["underlying"], dtype=float)
    remaining = np.asarray(legs["remaining_fraction"], dtype=float)
    accrued = np.asarray(legs["accrued_variance"], dtype=float)
    layer = np.asarray(legs["layer"], dtype=np.intp)
    n_layers = int(layer.max()) + 1 if layers is None and layer.size else int(layers or 0)
    sticky_moneyness = dynamics == "sticky_moneyness"
    scale = np.sqrt(30.0 / dte) if vol_shift_scaling == "sqrt_time" else np.ones_like(dte)
    smile_vol = _smile_evaluator(market, years) if sticky_moneyness else None
    link = market.link
    spot0, vix0 = market.spx.spot, market.vix.spot

    def values(spot: float, shift: float, vix: float, horizon_years: float) -> np.ndarray:
        time = np.maximum(years - horizon_years, 0.0)
        settled = time <= 0.0
        fut = np.where(settled, vix, np.maximum(underlying + term_beta * (vix - vix0), 0.01))
        forward = np.where(spx, spot * np.exp((rate - div_yield) * time), fut)
        with np.errstate(divide="ignore", invalid="ignore"):
            base = smile_vol(np.log(strike / forward)) if smile_vol is not None else vol
        shifted = 0.01 * scale * shift
        sigma = np.where(spx, base + shifted, np.where(swap, vol + shifted, vol * (vix / vix0) ** link.vvol_beta))
        sigma = np.maximum(sigma, 0.0)
        discount = np.exp(-rate * time)
        total = sigma * np.sqrt(time)
        live = total > 0.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d1 = np.log(forward / strike) / total + 0.5 * total
            d2 = d1 - total
            black = sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * d2))
            # the horizon's variance accrues at σ′: (f − f′)·σ′² + f′·σ′² = f·σ′²
            swap_value = (accrued + remaining * sigma**2 - strike**2) * 100.0 / (2.0 * strike)
        option = discount * np.where(live, black, np.maximum(sign * (forward - strike), 0.0))
        spx_forward = spot * np.exp((rate - div_yield) * time)
        return np.where(future, fut, np.where(swap, discount * swap_value, np.where(spx_future, spx_forward, option)))

    value0 = values(spot0, 0.0, vix0, 0.0)
    vix_axis: list[float | None] = list(vix_levels) if vix_levels is not None else [None]
    out = np.zeros((len(spot_shocks), len(vol_shifts), len(horizons), len(vix_axis), n_layers))
    for i, s in enumerate(spot_shocks):
        linked = vix0 * ((1.0 + s) ** link.log_beta - 1.0) if spot_vol_link else 0.0
        for j, v in enumerate(vol_shifts):
            total_shift = v + linked
            for k, h in enumerate(horizons):
                for x, level in enumerate(vix_axis):
                    vix = max(vix0 + total_shift if level is None else level, 0.01)
                    pnl = size * (values(spot0 * (1.0 + s), total_shift, vix, h / 365.0) - value0)
                    out[i, j, k, x] = np.bincount(layer, weights=pnl, minlength=n_layers)
    return out


def _smile_evaluator(market: Market, years: np.ndarray):  # type: ignore[no-untyped-def]
    """A function k′ ↦ each leg's smile vol at its own time to expiry: the total variance of the two
    quoted smiles around it (raw SVI or quadratic, flat beyond |k| = K_RANGE), mixed linearly in
    time as :meth:`alvh.market.snapshot.Market.smile_vol` does, vectorised over legs."""
    codes, params = market.smile_table
    slices = market.smile_slices(years)
    first, second = params[slices["first"]].T, params[slices["second"]].T
    first_svi, second_svi = codes[slices["first"]] == 0, codes[slices["second"]] == 0
    w1, w2, time = slices["first_weight"], slices["second_weight"], slices["time"]

    def total_variance(svi: np.ndarray, p: np.ndarray, k: np.ndarray) -> np.ndarray:
        d = k - p[3]
        raw_svi = p[0] + p[1] * (p[2] * d + np.sqrt(d * d + p[4] * p[4]))
        quadratic = (p[0] + p[1] * k + p[2] * k * k) ** 2 * p[3]
        return np.where(svi, raw_svi, quadratic)

    def vols(k: np.ndarray) -> np.ndarray:
        k = np.clip(np.nan_to_num(k), -K_RANGE, K_RANGE)
        w = w1 * total_variance(first_svi, first, k) + w2 * total_variance(second_svi, second, k)
        return np.sqrt(np.maximum(w, 0.0) / time)

    return vols
