"""SPX option quotes to smiles: :func:`calibrate_spx` (docs/method.md, Calibration).

Per (root, expiry) of the chain — SPX monthlies settle AM (09:30), SPXW PM (16:00), and each
expiry's time runs from the chain's quote time to its own settlement:

1. the forward F and discount D from put–call parity (:mod:`.parity`);
2. the quote filters (:mod:`.filters`), every refusal counted by reason;
3. the out-of-the-money mids (calls at K >= F, puts below) to IVs with alvh's own kernel, bid and
   ask IVs beside (:mod:`.ivs`);
4. a raw-SVI fit in total variance w = σ²T at k = ln(K/F) (:func:`~.svi.fit_svi`), weighted by
   the inverse variance of each quote's total variance, (vega / (σ·T·spread))²; then the
   butterfly check (Gatheral–Jacquier g(k) >= 0 on |k| <= K_RANGE) and its repair
   (:func:`~.arbitrage.repair_butterfly`);
5. across expiries in order of time, the calendar check (w non-decreasing in T at fixed k) and
   its repair (:func:`~.arbitrage.repair_calendar`): a smile below the previous (repaired) one
   is refitted with it as a floor.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.calibration.arbitrage import repair_butterfly, repair_calendar
from alvh.market.calibration.filters import QuoteFilters, quote_rejections, rejection_counts
from alvh.market.calibration.ivs import fit_quality, quote_points
from alvh.market.calibration.parity import ParityFit, fit_parity
from alvh.market.calibration.svi import SviParams, fit_svi
from alvh.market.expiries import Settlement, settlement_time, year_fraction
from alvh.market.smiles import K_RANGE, SviSmile
from alvh.market.snapshot import SpxForward

if TYPE_CHECKING:  # the chain table (alvh.market.quotes) is only read here
    from alvh.market.quotes import ChainQuotes

__all__ = ["SETTLEMENTS", "SpxCalibration", "calibrate_spx"]

SETTLEMENTS = {"SPX": Settlement.AM, "SPXW": Settlement.PM}
"""The settlement of each SPX option root."""
CHECK_GRID = np.linspace(-K_RANGE, K_RANGE, 121)
"""Where the arbitrage checks look: the log-moneyness range the market's smiles are used on."""


@dataclass(frozen=True)
class SpxCalibration:
    """The SPX part of a calibration: smiles, forwards, flat carry, report and points."""

    smiles: list[SviSmile]
    forwards: list[SpxForward]
    report: pd.DataFrame
    """One row per (root, expiry); columns in :func:`calibrate_spx`."""
    points: pd.DataFrame
    """One row per quote; columns in :func:`calibrate_spx`."""


@dataclass
class _Expiry:
    """One (root, expiry) slice while it is calibrated."""

    root: str
    expiry: dt.date
    settlement: Settlement
    years: float
    rows: NDArray[np.intp]
    """Its quotes' positions in the chain."""
    parity: ParityFit | None = None
    fit_data: tuple[FloatArray, FloatArray, FloatArray] | None = None
    """The used quotes' k, total variance and weights (normalised to mean 1)."""
    params: SviParams | None = None
    butterfly: tuple[int, int] = (0, 0)
    calendar: tuple[int, int] = (0, 0)
    note: str = ""


def calibrate_spx(chain: ChainQuotes, filters: QuoteFilters | None = None) -> SpxCalibration:
    """Calibrate an SVI smile and a forward per (root, expiry) of an SPX chain.

    Parameters
    ----------
    chain : ChainQuotes
        SPX and SPXW quotes (index points) with the index level (``underlying_last``).
    filters : QuoteFilters, optional
        The quote filters (default :class:`QuoteFilters`).

    Returns
    -------
    SpxCalibration
        ``report`` columns: expiry, root, settlement ("am"/"pm"), years, forward, discount, rate
        and div_yield (decimal per year, from parity), parity_pairs, parity_residual (robust
        scale of the parity fit's residuals, index points), quotes, used, rejected, one
        count per reason of :data:`~.filters.REASONS` (spaces and dashes as underscores),
        rmse_vol_points (fitted − mid IV over used quotes, vol points), inside_band (share of
        used quotes whose fitted IV lies in the bid–ask IV band), butterfly_before/after and
        calendar_before/after (violating points of the check grid), repaired, note.
        ``points`` columns: expiry, settlement, strike, right, k, mid_iv, bid_iv, ask_iv,
        fitted_iv (decimal vols), used, reason ("" if used), root, iv_status (the mid's IVStatus,
        lower case), weight (its weight in the fit, before normalising).
    """
    filters = filters or QuoteFilters()
    quotes = chain.quotes.reset_index(drop=True)
    spot = _spot(chain)
    unknown = sorted(set(quotes["root"]) - set(SETTLEMENTS))
    if unknown:
        raise InputError(
            f"{chain.source}: root = {unknown[0]!r} is not allowed in an SPX chain: use {', '.join(SETTLEMENTS)}"
        )
    slices = _slices(quotes, chain.quote_time)
    points = _points(quotes, slices, spot, filters)
    for s in slices:
        _fit(s, points, filters)
    _calendar(slices)
    k, fitted_iv = points["k"].to_numpy(np.float64), np.full(len(points), np.nan)
    for s in slices:
        if s.params is not None:
            w = s.params.total_variance(np.clip(k[s.rows], -K_RANGE, K_RANGE))  # flat beyond, as the market
            fitted_iv[s.rows] = np.sqrt(np.maximum(w, 0.0) / s.years)
            s.note = _arbitrage_note(s)
    points["fitted_iv"] = fitted_iv
    fitted = [(s, s.params, s.parity) for s in slices if s.params is not None and s.parity is not None]
    return SpxCalibration(
        smiles=[params.smile(s.expiry, s.settlement) for s, params, _ in fitted],
        forwards=[SpxForward(expiry=s.expiry, forward=p.forward, settlement=s.settlement) for s, _, p in fitted],
        report=_report(slices, points),
        points=points,
    )


def _points(quotes: pd.DataFrame, slices: list[_Expiry], spot: float, filters: QuoteFilters) -> pd.DataFrame:
    """Each quote with its log-moneyness, IVs, fit weight and the reason it is refused ("" if
    used); sets each slice's parity (and its note where there is none)."""
    strike = quotes["strike"].to_numpy(np.float64)
    bid, ask = quotes["bid"].to_numpy(np.float64), quotes["ask"].to_numpy(np.float64)
    volume = quotes["volume"].to_numpy(np.float64)
    is_call = quotes["right"].to_numpy(object) == "call"
    n = len(quotes)
    reason = np.full(n, "", dtype=object)
    forward, years, rate, k = np.full(n, np.nan), np.zeros(n), np.zeros(n), np.full(n, np.nan)
    for s in slices:
        rows = s.rows
        years[rows] = s.years
        if s.years <= 0:
            reason[rows] = "expired"
            s.note = f"settled ({s.settlement.time:%H:%M}) by the quote time"
            continue
        s.parity = _parity(strike[rows], bid[rows], ask[rows], is_call[rows], s.years, spot, filters)
        if s.parity is None:
            reason[rows] = "no forward"
            s.note = f"fewer than {filters.min_parity_pairs} call/put pairs with two-sided quotes: no forward"
            continue
        forward[rows], rate[rows] = s.parity.forward, s.parity.rate
        k[rows] = np.log(strike[rows] / s.parity.forward)
        reason[rows] = quote_rejections(
            filters,
            bid=bid[rows],
            ask=ask[rows],
            volume=volume[rows],
            log_moneyness=k[rows],
            years=years[rows],
            out_of_the_money=is_call[rows] == (strike[rows] >= s.parity.forward),
            k_range=K_RANGE,
        )
    points = quote_points(
        quotes, reason, forward=forward, years=years, rate=rate, log_moneyness=k, in_total_variance=True
    )
    points.insert(1, "settlement", quotes["root"].map({root: s.value for root, s in SETTLEMENTS.items()}))
    return points


def _fit(s: _Expiry, points: pd.DataFrame, filters: QuoteFilters) -> None:
    """The SVI fit of one slice from its used quotes, with the butterfly check and repair."""
    if s.parity is None:
        return
    p = points.iloc[s.rows]
    used = p[p["used"]]
    if len(used) < filters.min_svi_quotes:
        refused = points.index.isin(used.index)
        points.loc[refused, "used"] = False
        points.loc[refused, "reason"] = "too few quotes"
        s.note = f"{len(used)} usable quotes, fewer than {filters.min_svi_quotes}: no smile"
        return
    weight = used["weight"].to_numpy(np.float64)
    k, w = used["k"].to_numpy(np.float64), used["mid_iv"].to_numpy(np.float64) ** 2 * s.years
    s.fit_data = (k, w, weight / weight.mean())
    repair = repair_butterfly(fit_svi(*s.fit_data), *s.fit_data, k_grid=CHECK_GRID)  # unchanged when free
    s.params = repair.params
    s.butterfly = (repair.butterfly_before.count, repair.butterfly_after.count)


def _spot(chain: ChainQuotes) -> float:
    if chain.underlying_last is None or not chain.underlying_last > 0:
        raise InputError(
            f"{chain.source}: underlying_last = {chain.underlying_last!r} is not allowed: the SPX level (index "
            "points, > 0) is needed for the spot and the dividend yield"
        )
    return float(chain.underlying_last)


def _slices(quotes: pd.DataFrame, quote_time: dt.datetime) -> list[_Expiry]:
    """The (root, expiry) slices of the chain, with their settlement and time to it."""
    slices = []
    groups = cast(dict[tuple[str, pd.Timestamp], np.ndarray], quotes.groupby(["root", "expiry"], sort=True).indices)
    for (root, expiry), rows in groups.items():
        settlement = SETTLEMENTS[root]
        day = expiry.date()
        years = max(year_fraction(quote_time, settlement_time(day, settlement)), 0.0)
        slices.append(_Expiry(root, day, settlement, years, np.asarray(rows, np.intp)))
    return slices


def _parity(
    strike: FloatArray,
    bid: FloatArray,
    ask: FloatArray,
    is_call: NDArray[np.bool_],
    years: float,
    spot: float,
    filters: QuoteFilters,
) -> ParityFit | None:
    """Put–call parity on the strikes of one slice with a two-sided call and put quote."""
    two_sided = (bid > 0) & (ask >= bid)
    calls, puts = np.flatnonzero(two_sided & is_call), np.flatnonzero(two_sided & ~is_call)
    pair_strikes, c, p = np.intersect1d(strike[calls], strike[puts], assume_unique=False, return_indices=True)
    c, p = calls[c], puts[p]
    mid = (bid + ask) / 2
    return fit_parity(
        pair_strikes,
        mid[c],
        mid[p],
        (ask[c] - bid[c]) + (ask[p] - bid[p]),
        years=years,
        spot=spot,
        strikes_used=filters.parity_strikes,
        min_pairs=filters.min_parity_pairs,
    )


def _calendar(slices: list[_Expiry]) -> None:
    """The calendar check and repair, in order of time: a smile whose total variance falls below
    the previous (repaired) one's somewhere on the grid is refitted with it as a floor."""
    fitted = sorted((s for s in slices if s.params is not None), key=lambda s: s.years)
    for previous, s in itertools.pairwise(fitted):
        assert previous.params is not None and s.params is not None and s.fit_data is not None  # fitted only
        repair = repair_calendar(previous.params, s.params, *s.fit_data, k_grid=CHECK_GRID)
        assert repair.calendar_before is not None and repair.calendar_after is not None  # a calendar repair
        s.params = repair.params
        s.calendar = (repair.calendar_before.count, repair.calendar_after.count)
        s.butterfly = (s.butterfly[0], repair.butterfly_after.count)


def _report(slices: list[_Expiry], points: pd.DataFrame) -> pd.DataFrame:
    """One row per slice (columns in :func:`calibrate_spx`)."""
    rows = []
    for s in slices:
        p = points.iloc[s.rows]
        used = p[p["used"]]
        parity = s.parity
        rows.append(
            {
                "expiry": s.expiry,
                "root": s.root,
                "settlement": s.settlement.value,
                "years": s.years,
                "forward": parity.forward if parity else np.nan,
                "discount": parity.discount if parity else np.nan,
                "rate": parity.rate if parity else np.nan,
                "div_yield": parity.div_yield if parity else np.nan,
                "parity_pairs": parity.pairs if parity else 0,
                "parity_residual": parity.residual if parity else np.nan,
                "quotes": len(p),
                "used": len(used),
                "rejected": len(p) - len(used),
                **rejection_counts(p["reason"]),
                **fit_quality(used),
                "butterfly_before": s.butterfly[0],
                "butterfly_after": s.butterfly[1],
                "calendar_before": s.calendar[0],
                "calendar_after": s.calendar[1],
                "repaired": s.butterfly[0] > s.butterfly[1] or s.calendar[0] > s.calendar[1],
                "note": s.note,
            }
        )
    return pd.DataFrame(rows)


def _arbitrage_note(s: _Expiry) -> str:
    """What arbitrage is left in a fitted slice ("" when none)."""
    left = (("butterfly", s.butterfly[1]), ("calendar", s.calendar[1]))
    return "; ".join(f"{name} arbitrage left at {count} grid points" for name, count in left if count)
