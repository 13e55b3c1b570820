"""The implied forward and discount factor of one expiry from put–call parity (docs/method.md,
Calibration).

For European options on the same strike, C − P = D·(F − K): a line in K with slope −D and
intercept D·F. It is fitted on the call/put mids of the strikes nearest the forward (where both
sides are liquid), weighted by the inverse square of the pair's combined bid–ask spread, and made
robust to a stale or mis-keyed pair by Huber reweighting (iteratively reweighted least squares).
Then r = −ln D / T and, from the index level S, the dividend yield q = r − ln(F/S)/T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alvh._typing import FloatArray

__all__ = ["ParityFit", "fit_parity"]

_HUBER = 1.345  # the usual Huber constant: 95 % efficiency on normal errors
_ITERATIONS = 20


@dataclass(frozen=True)
class ParityFit:
    """The forward and discount of one expiry implied by put–call parity."""

    forward: float
    """F, index points."""
    discount: float
    """D, the discount factor to the expiry's settlement."""
    rate: float
    """r = −ln D / T, decimal per year (continuous)."""
    div_yield: float
    """q = r − ln(F/S)/T, decimal per year (continuous)."""
    pairs: int
    """How many call/put pairs the line was fitted on."""
    residual: float
    """The robust scale (1.4826 × median absolute deviation) of the fit's residuals, index points."""


def fit_parity(
    strike: FloatArray,
    call_mid: FloatArray,
    put_mid: FloatArray,
    spread: FloatArray,
    *,
    years: float,
    spot: float,
    strikes_used: int,
    min_pairs: int,
) -> ParityFit | None:
    """Fit C − P = D·(F − K) on the pairs of the ``strikes_used`` strikes nearest the forward.

    Parameters
    ----------
    strike, call_mid, put_mid : ndarray
        One entry per strike with a usable call and put quote (index points).
    spread : ndarray
        The pair's combined bid–ask spread, call's plus put's (index points, > 0).
    years : float
        Time to the expiry's settlement (> 0).
    spot : float
        The index level, for the dividend yield.
    strikes_used, min_pairs : int
        How many pairs nearest the money to fit on, and the fewest accepted.

    Returns
    -------
    ParityFit or None
        None when fewer than ``min_pairs`` pairs exist or the fit gives no positive forward and
        discount: the caller reports the expiry, nothing is guessed.
    """
    if len(strike) < min_pairs:
        return None
    difference = call_mid - put_mid
    # the forward is near the strike where C − P changes sign (|C − P| smallest)
    guess = strike[np.argmin(np.abs(difference))]
    near = np.argsort(np.abs(strike - guess), kind="stable")[:strikes_used]
    k, y, base = strike[near], difference[near], 1.0 / np.maximum(spread[near], 1e-12) ** 2
    huber = np.ones(len(k))
    for _ in range(_ITERATIONS):
        weight = base * huber
        slope, intercept = _weighted_line(k, y, weight)
        residual = y - (intercept + slope * k)
        standardised = np.abs(residual) * np.sqrt(base)  # in units of each pair's own spread
        scale = 1.4826 * float(np.median(standardised))
        if scale <= 0:
            break
        huber = np.minimum(1.0, _HUBER * scale / np.maximum(standardised, 1e-300))
    discount = -slope
    if not (discount > 0 and intercept > 0):
        return None
    forward = intercept / discount
    rate = -float(np.log(discount)) / years
    return ParityFit(
        forward=float(forward),
        discount=float(discount),
        rate=rate,
        div_yield=rate - float(np.log(forward / spot)) / years,
        pairs=len(k),
        residual=1.4826 * float(np.median(np.abs(residual))),
    )


def _weighted_line(x: FloatArray, y: FloatArray, weight: FloatArray) -> tuple[float, float]:
    """Slope and intercept of the weighted least-squares line y = intercept + slope·x."""
    total = weight.sum()
    mean_x, mean_y = (weight * x).sum() / total, (weight * y).sum() / total
    dx = x - mean_x
    slope = float((weight * dx * (y - mean_y)).sum() / (weight * dx * dx).sum())
    return slope, float(mean_y - slope * mean_x)
