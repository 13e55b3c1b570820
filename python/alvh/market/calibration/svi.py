"""Raw SVI smiles fitted to total implied variance, and the Gatheral–Jacquier butterfly density.

Raw SVI (docs/method.md, Models) in total variance w = σ_impl²·T at log-moneyness k = ln(K/F):

    w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)),   b ≥ 0, |ρ| < 1, σ > 0, a + b·σ·√(1 − ρ²) ≥ 0

(the last is the minimum of w over k, so variance is never negative).

The fit is the quasi-explicit method of Zeliade Systems ("Quasi-explicit calibration of Gatheral's
SVI model", 2009). With y = (k − m)/σ, c = b·σ and d = ρ·b·σ the smile is linear in (a, d, c):

    w = a + d·y + c·√(y² + 1)

so for fixed (m, σ) the weighted least squares in (a, d, c) is a 3-parameter problem, solved here
in closed form for many (m, σ) at once. The constraints become the convex cone

    c ≥ 0,   |d| ≤ ρ_max·c,   a ≥ −√(c² − d²)

(b ≥ 0 and |ρ| ≤ ρ_max, and a + b·σ·√(1 − ρ²) = a + √(c² − d²) ≥ 0). Zeliade use the stricter
a ≥ 0, which would refuse the negative ``a`` of steep short-dated skews. The constrained
optimum is the best feasible one of: the unconstrained solution; the solutions on the planes
d = ±ρ_max·c; the zero-minimum surface a = −√(c² − d²), where w = c·(ρ·y + √(y² + 1) − √(1 − ρ²))
leaves one scale c per ρ, searched over ρ; and c = d = 0 (a flat smile). The outer search over
(m, ln σ) starts from the best point of a coarse grid and is polished by least squares on the
inner solution's errors (variable projection: Golub & Pereyra, SIAM J. Numer. Anal. 10, 1973).

The butterfly density g(k) is Gatheral & Jacquier ("Arbitrage-free SVI volatility surfaces",
Quantitative Finance 14, 2014, §2); the smile is free of butterfly arbitrage where g ≥ 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

from alvh._typing import FloatArray
from alvh.exceptions import DomainError, InputError
from alvh.market.expiries import Settlement
from alvh.market.snapshot import SviSmile

__all__ = ["RHO_MAX", "SIGMA_MIN", "SviParams", "butterfly_g", "fit_svi"]

RHO_MAX = 0.999
"""The fit keeps |ρ| <= RHO_MAX: ρ = ±1 is a smile with one flat wing, at the edge of the model."""

SIGMA_MIN = 1e-4
"""The fit keeps σ >= SIGMA_MIN (log-moneyness): σ → 0 is a kinked smile."""

_MIN_POINTS = 5  # five parameters
# The zero-minimum surface is searched in θ = arccos ρ on a grid clustered at both ends (the
# optimum there is sharp when ρ is near ±1), then refined by successive parabolic interpolation.
_THETA_GRID = np.arccos(RHO_MAX) + (np.pi - 2 * np.arccos(RHO_MAX)) * (1 - np.cos(np.linspace(0, np.pi, 65))) / 2
_PARABOLA_STEPS = 12


@dataclass(frozen=True)
class SviParams:
    """Raw SVI parameters of one smile in total variance (``a`` in years of variance, ``m`` and
    ``sigma`` in log-moneyness, ``b`` in variance per unit of log-moneyness, ``rho`` unitless)."""

    a: float
    b: float
    rho: float
    m: float
    sigma: float

    def total_variance(self, k: ArrayLike) -> FloatArray:
        """w(k), the total implied variance at log-moneyness ``k`` (not clipped to any range)."""
        return self.derivatives(k)[0]

    def derivatives(self, k: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """w(k) and its first and second derivatives in k."""
        d = np.asarray(k, dtype=np.float64) - self.m
        root = np.sqrt(d * d + self.sigma**2)
        w = self.a + self.b * (self.rho * d + root)
        first = self.b * (self.rho + d / root)
        second = self.b * self.sigma**2 / root**3
        return w, first, second

    @property
    def minimum_variance(self) -> float:
        """The minimum of w over all k: a + b·σ·√(1 − ρ²) (years of variance)."""
        return float(self.a + self.b * self.sigma * np.sqrt(1 - self.rho**2))

    def to_admissible(self) -> SviParams:
        """These parameters with ρ inside ±RHO_MAX and ``a`` lifted onto the zero-minimum bound
        where rounding left the minimum variance a hair below 0 (a smile the market refuses)."""
        rho = float(np.clip(self.rho, -RHO_MAX, RHO_MAX))
        bound = -(self.b * self.sigma * np.sqrt(1 - rho**2))  # the market's own check, negated
        return replace(self, a=max(self.a, float(bound)), rho=rho)

    def smile(self, expiry: dt.date, settlement: Settlement = Settlement.PM) -> SviSmile:
        """The smile of ``expiry`` (and its settlement) as a market snapshot's
        :class:`~alvh.market.snapshot.SviSmile`."""
        return SviSmile(
            expiry=expiry, settlement=settlement, a=self.a, b=self.b, rho=self.rho, m=self.m, sigma=self.sigma
        )


def butterfly_g(params: SviParams, k: ArrayLike) -> FloatArray:
    """Gatheral & Jacquier's g(k) = (1 − k·w′/(2w))² − (w′²/4)·(1/w + 1/4) + w″/2 (unitless).

    The risk-neutral density is g(k)/√(2πw)·exp(−d₋²/2), so a smile is free of butterfly
    arbitrage exactly where g >= 0 (and w > 0).
    """
    k = np.asarray(k, dtype=np.float64)
    w, first, second = params.derivatives(k)
    with np.errstate(divide="ignore", invalid="ignore"):  # w = 0: no density, g is not finite
        g: FloatArray = (1 - k * first / (2 * w)) ** 2 - first**2 / 4 * (1 / w + 0.25) + second / 2
    return g


def fit_svi(k: ArrayLike, total_variance: ArrayLike, weights: ArrayLike) -> SviParams:
    """The raw SVI smile closest to ``total_variance`` at ``k`` in weighted least squares.

    Parameters
    ----------
    k : array_like, shape (n,)
        Log-moneyness ln(K/F) of each point.
    total_variance : array_like, shape (n,)
        Total implied variance σ²T of each point (years of variance, > 0).
    weights : array_like, shape (n,)
        Weight of each point's squared error (>= 0; only their ratios matter; a zero weight
        leaves the point out). At least 5 distinct ``k`` need a positive weight.

    Returns
    -------
    SviParams
        With b >= 0, |ρ| <= RHO_MAX, σ >= SIGMA_MIN and a + b·σ·√(1 − ρ²) >= 0.

    Raises
    ------
    InputError
        Arrays of different shapes or not 1-D, or fewer than 5 distinct weighted points.
    DomainError
        A value that is not finite, a total variance <= 0 or a negative weight.
    """
    k_, v, wt = fit_inputs(k, total_variance, weights, caller="fit_svi")
    data = _Data(k_, v, wt / wt.sum())
    span = float(k_.max() - k_.min())
    lower = np.array([k_.min() - span, np.log(SIGMA_MIN)])
    upper = np.array([k_.max() + span, np.log(max(10 * span, 1.0))])
    # A coarse grid over (m, ln σ), evaluated in one batch, gives the start: σ from a 200th of
    # the strikes' span (a kink) to twice it (a parabola).
    sigma_axis = np.geomspace(max(span / 200, SIGMA_MIN), max(2 * span, 2 * SIGMA_MIN), 12)
    m_grid, log_sigma_grid = np.meshgrid(np.linspace(lower[0], upper[0], 25), np.log(sigma_axis))
    error = _inner(m_grid.ravel(), np.exp(log_sigma_grid.ravel()), data)[1]
    best = int(np.argmin((error * error) @ data.weight))
    start = np.array([m_grid.flat[best], log_sigma_grid.flat[best]])
    root_weight = np.sqrt(data.weight)
    result = least_squares(
        lambda x: root_weight * _inner(x[:1], np.exp(x[1:]), data)[1][0],
        np.clip(start, lower + 1e-12, upper - 1e-12),
        bounds=(lower, upper),
        xtol=1e-12,
        ftol=1e-14,
        gtol=1e-14,
    )
    m, sigma = float(result.x[0]), float(np.exp(result.x[1]))
    a, d, c = (float(x) for x in _inner(np.array([m]), np.array([sigma]), data)[0][0])
    rho = d / c if c > 0 else 0.0  # d/c may round past ±RHO_MAX on its plane: to_admissible() clips it
    return SviParams(a=a, b=c / sigma, rho=rho, m=m, sigma=sigma).to_admissible()


def fit_inputs(
    k: ArrayLike, total_variance: ArrayLike, weights: ArrayLike, *, caller: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A fit's inputs as float64 arrays, restricted to the points of positive weight (errors name
    ``caller``)."""
    arrays = {}
    for name, values in (("k", k), ("total_variance", total_variance), ("weights", weights)):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{caller}: {name} must be a 1-D array of numbers, got {values!r}") from None
        if array.ndim != 1:
            raise InputError(f"{caller}: {name} must be 1-D, got shape {array.shape}")
        arrays[name] = array
    if len({a.size for a in arrays.values()}) != 1:
        sizes = ", ".join(f"{name} {a.size}" for name, a in arrays.items())
        raise InputError(f"{caller}: k, total_variance and weights must have the same length, got {sizes}")
    for name, array in arrays.items():
        _refuse(caller, name, array, ~np.isfinite(array), "finite")
    variance, weight = arrays["total_variance"], arrays["weights"]
    _refuse(caller, "total_variance", variance, variance <= 0, "> 0 (years of variance)")
    _refuse(caller, "weights", weight, weight < 0, ">= 0")
    used = arrays["weights"] > 0
    distinct = np.unique(arrays["k"][used]).size
    if distinct < _MIN_POINTS:
        raise InputError(
            f"{caller}: {distinct} distinct k with a positive weight is not enough: "
            f"SVI has 5 parameters, give at least {_MIN_POINTS}"
        )
    return arrays["k"][used], arrays["total_variance"][used], arrays["weights"][used]


def _refuse(caller: str, name: str, array: FloatArray, bad: NDArray[np.bool_], allowed: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DomainError(f"{caller}: {name}[{i}] = {float(array[i])!r} is not allowed: must be {allowed}")


@dataclass(frozen=True)
class _Data:
    """The fit's points with weights summing to 1."""

    k: FloatArray
    v: FloatArray
    weight: FloatArray


def _inner(m: FloatArray, sigma: FloatArray, data: _Data) -> tuple[FloatArray, FloatArray]:
    """For each (m, σ) of a batch, shape (M,): the constrained least-squares (a, d, c), shape
    (M, 3), and its errors w(k) − v at the data's points, shape (M, n)."""
    y = (data.k - m[:, None]) / sigma[:, None]
    z = np.sqrt(y * y + 1)
    mean_y, mean_z = y @ data.weight, z @ data.weight
    # centred: y and z are nearly collinear when every strike lies on one wing
    wy, wz = (y - mean_y[:, None]) * data.weight, (z - mean_z[:, None]) * data.weight
    moments = _Moments(
        mean_y=mean_y,
        mean_z=mean_z,
        mean_v=float(data.weight @ data.v),
        cyy=(wy * y).sum(axis=1),
        cyz=(wy * z).sum(axis=1),
        czz=(wz * z).sum(axis=1),
        cyv=wy @ data.v,
        czv=wz @ data.v,
    )
    # A (nearly) singular system, at a σ far too small or too large for the data, gives
    # non-finite candidates: they count as infeasible.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        best = moments.unconstrained()
        outside = np.flatnonzero(~_feasible(best))
        if outside.size:  # the problem is convex: a feasible unconstrained solution is the optimum
            edge = moments.rows(outside)
            beta = np.stack([edge.on_plane(RHO_MAX), edge.on_plane(-RHO_MAX), edge.on_zero_minimum(), edge.flat()])
            objective = np.where(_feasible(beta), edge.objective(beta), np.inf)  # (4, rows): the boundary's
            best[outside] = beta[np.argmin(objective, axis=0), np.arange(outside.size)]
    return best, best[:, :1] + best[:, 1:2] * y + best[:, 2:] * z - data.v


def _feasible(beta: FloatArray) -> NDArray[np.bool_]:
    """Whether each (a, d, c) of shape (..., 3) lies in the cone of valid SVI parameters."""
    a, d, c = beta[..., 0], beta[..., 1], beta[..., 2]
    slack = 1e-12 * (np.abs(a) + c)  # rounding of the plane and surface candidates
    inside: NDArray[np.bool_] = np.isfinite(beta).all(axis=-1) & (c >= 0) & (np.abs(d) <= RHO_MAX * c + slack)
    return inside & (a + np.sqrt(np.maximum(c * c - d * d, 0)) >= -slack)


@dataclass(frozen=True)
class _Moments:
    """Weighted means (the weights sum to 1) of y = (k − m)/σ, z = √(y² + 1) and the data v, and
    the weighted (co)variances among them, one per (m, σ) of a batch, shape (M,): everything the
    least squares in (a, d, c) needs."""

    mean_y: FloatArray
    mean_z: FloatArray
    mean_v: float
    cyy: FloatArray
    cyz: FloatArray
    czz: FloatArray
    cyv: FloatArray
    czv: FloatArray

    def rows(self, index: NDArray[np.intp]) -> _Moments:
        """The moments of the (m, σ) at ``index`` only."""
        return _Moments(
            mean_y=self.mean_y[index],
            mean_z=self.mean_z[index],
            mean_v=self.mean_v,
            cyy=self.cyy[index],
            cyz=self.cyz[index],
            czz=self.czz[index],
            cyv=self.cyv[index],
            czv=self.czv[index],
        )

    def objective(self, beta: FloatArray) -> FloatArray:
        """The squared error of β = (a, d, c), shape (..., M, 3), less the variance of v: the
        squared mean error plus the error's variance."""
        a, d, c = beta[..., 0], beta[..., 1], beta[..., 2]
        mean_error = a + d * self.mean_y + c * self.mean_z - self.mean_v
        spread = d * d * self.cyy + 2 * d * c * self.cyz + c * c * self.czz - 2 * (d * self.cyv + c * self.czv)
        result: FloatArray = mean_error * mean_error + spread
        return result

    def unconstrained(self) -> FloatArray:
        """The solution of each normal equation: (d, c) from the 2×2 covariance system, then a
        from the means."""
        det = self.cyy * self.czz - self.cyz * self.cyz
        d = (self.czz * self.cyv - self.cyz * self.czv) / det
        c = (self.cyy * self.czv - self.cyz * self.cyv) / det
        return np.stack([self.mean_v - d * self.mean_y - c * self.mean_z, d, c], -1)

    def on_plane(self, rho: float) -> FloatArray:
        """The least squares on the plane d = ρ·c, where w = a + c·h with h = ρ·y + z."""
        c = (rho * self.cyv + self.czv) / (rho * rho * self.cyy + 2 * rho * self.cyz + self.czz)
        return np.stack([self.mean_v - c * (rho * self.mean_y + self.mean_z), rho * c, c], -1)

    def on_zero_minimum(self) -> FloatArray:
        """The least squares on the surface a = −√(c² − d²): the best ρ = cos θ on a grid of θ,
        refined by successive parabolic interpolation inside the bracket of its neighbours."""
        j = np.clip(np.argmax(self._zero_minimum(_THETA_GRID[:, None])[1], axis=0), 1, _THETA_GRID.size - 2)
        bracket = [_THETA_GRID[j - 1], _THETA_GRID[j], _THETA_GRID[j + 1]]  # low, best, high
        gains = [self._zero_minimum(t)[1] for t in bracket]
        for _ in range(_PARABOLA_STEPS):
            (low, best, high), (f_low, f_best, f_high) = bracket, gains
            numerator = (best - low) ** 2 * (f_best - f_high) - (best - high) ** 2 * (f_best - f_low)
            denominator = (best - low) * (f_best - f_high) - (best - high) * (f_best - f_low)
            with np.errstate(divide="ignore", invalid="ignore"):
                vertex = best - 0.5 * numerator / denominator
            # a vertex outside the bracket (or none) falls back to the middle of the larger half
            middle = np.where(high - best > best - low, (best + high) / 2, (low + best) / 2)
            inside = np.isfinite(vertex) & (vertex > low) & (vertex < high) & (vertex != best)
            trial = np.where(inside, vertex, middle)
            f_trial = self._zero_minimum(trial)[1]
            better, right = f_trial > f_best, trial > best
            bracket = [
                np.where(better, np.where(right, best, low), np.where(right, low, trial)),
                np.where(better, trial, best),
                np.where(better, np.where(right, high, best), np.where(right, trial, high)),
            ]
            gains = [
                np.where(better, np.where(right, f_best, f_low), np.where(right, f_low, f_trial)),
                np.where(better, f_trial, f_best),
                np.where(better, np.where(right, f_high, f_best), np.where(right, f_trial, f_high)),
            ]
        theta = bracket[1]
        c = self._zero_minimum(theta)[0]
        return np.stack([-c * np.sin(theta), np.cos(theta) * c, c], -1)

    def _zero_minimum(self, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """On the zero-minimum surface at ρ = cos θ, shape (G, M): the best scale c and the fall
        it gives in the squared error. There w = c·h with h = ρ·y + z − √(1 − ρ²), so
        c = <h, v>/<h, h> (>= 0) and the fall is c·<h, v>."""
        rho = np.cos(theta)
        mean_h = rho * self.mean_y + self.mean_z - np.sin(theta)
        hv = rho * self.cyv + self.czv + mean_h * self.mean_v
        hh = rho * rho * self.cyy + 2 * rho * self.cyz + self.czz + mean_h * mean_h
        c = np.maximum(hv, 0) / hh
        return c, c * hv

    def flat(self) -> FloatArray:
        """c = d = 0: the flat smile at the mean variance."""
        zeros = np.zeros_like(self.mean_y)
        return np.stack([zeros + self.mean_v, zeros, zeros], -1)
