"""Static arbitrage of SVI smiles on a grid of log-moneyness: butterfly (a negative density) and
calendar (total variance falling with expiry at fixed moneyness), their checks and their repairs.

* Butterfly (Gatheral & Jacquier, "Arbitrage-free SVI volatility surfaces", 2014, §2): a smile is
  free of butterfly arbitrage where g(k) >= 0 (:func:`~alvh.market.calibration.svi.butterfly_g`).
* Calendar (same paper, §2): the surface is free of calendar arbitrage when total variance
  w(k, T) is non-decreasing in T at every fixed k = ln(K/F_T).

A repair refits the slice's own data (weighted least squares in total variance, as
:func:`~alvh.market.calibration.svi.fit_svi`) under g(k) >= 0 on the grid — and, for a calendar
repair, under w(k) >= the earlier slice's w(k) on the grid — by SLSQP from the unconstrained fit.
The constraints hold with a small margin, so the exact checks pass after a successful repair; a
repair that cannot remove every violation says so in its ``after`` check rather than hiding it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from alvh._typing import FloatArray
from alvh.exceptions import InputError
from alvh.market.calibration.svi import RHO_MAX, SIGMA_MIN, SviParams, butterfly_g, fit_inputs

__all__ = [
    "ButterflyCheck",
    "CalendarCheck",
    "Repair",
    "butterfly_violations",
    "calendar_violations",
    "repair_butterfly",
    "repair_calendar",
]

_G_MARGIN = 1e-6  # g >= this after a repair (g is unitless, O(1) near the money)
_W_MARGIN = 1e-9  # w_later - w_earlier >= this times the data's mean total variance
_STRIDE = 5  # a repair constrains every 5th grid point first ...
_ROUNDS = 4  # ... then adds the violating ones, at most this many times


@dataclass(frozen=True)
class _GridCheck:
    """``count`` of ``points`` grid points violate."""

    count: int
    points: int

    @property
    def share(self) -> float:
        """The share of grid points that violate (0…1)."""
        return self.count / self.points

    @property
    def ok(self) -> bool:
        """No violation on the grid."""
        return self.count == 0


@dataclass(frozen=True)
class ButterflyCheck(_GridCheck):
    """Where g(k) < 0 on a grid of log-moneyness.

    ``count`` grid points of ``points`` violate; ``worst_g`` is the smallest g on the grid (>= 0
    when none violates) at ``worst_k``; ``k_low``…``k_high`` spans the violating points (NaN when
    none).
    """

    worst_g: float
    worst_k: float
    k_low: float
    k_high: float


@dataclass(frozen=True)
class CalendarCheck(_GridCheck):
    """Where the later of two slices has less total variance than the earlier on a grid.

    ``count`` grid points of ``points`` violate; ``worst_drop`` is the largest
    w_earlier(k) − w_later(k) (years of variance; 0 when none violates) at ``worst_k`` (NaN when
    none).
    """

    worst_drop: float
    worst_k: float


@dataclass(frozen=True)
class Repair:
    """The outcome of a repair: the parameters to use and the checks before and after.

    ``params`` is the refit when it leaves less arbitrage than the original fit (fewer violating
    grid points, then smaller worst violations), else the original, so a failed refit never makes
    things worse; the ``after`` checks describe ``params``. The calendar
    checks are None for a butterfly repair.
    """

    params: SviParams
    butterfly_before: ButterflyCheck
    butterfly_after: ButterflyCheck
    calendar_before: CalendarCheck | None = None
    calendar_after: CalendarCheck | None = None

    @property
    def ok(self) -> bool:
        """No violation left on the grid."""
        return self.butterfly_after.ok and (self.calendar_after is None or self.calendar_after.ok)


def butterfly_violations(params: SviParams, k_grid: ArrayLike) -> ButterflyCheck:
    """Where the smile ``params`` has g(k) < 0, or no positive variance, on ``k_grid``
    (log-moneyness, 1-D, finite)."""
    k = _grid(k_grid)
    g = butterfly_g(params, k)
    bad = ~(g >= 0) | ~(params.total_variance(k) > 0)
    worst = int(np.nanargmin(g)) if np.isfinite(g).any() else 0
    return ButterflyCheck(
        count=int(bad.sum()),
        points=k.size,
        worst_g=float(g[worst]),
        worst_k=float(k[worst]),
        k_low=float(k[bad].min()) if bad.any() else np.nan,
        k_high=float(k[bad].max()) if bad.any() else np.nan,
    )


def calendar_violations(slices: Sequence[tuple[float, SviParams]], k_grid: ArrayLike) -> tuple[CalendarCheck, ...]:
    """The calendar check of each pair of consecutive slices.

    Parameters
    ----------
    slices : sequence of (years, SviParams)
        The smiles of one surface with their times to expiry (years), in increasing time.
    k_grid : array_like, shape (p,)
        Log-moneyness ln(K/F_T) at which to compare (each slice at its own forward).

    Returns
    -------
    tuple of CalendarCheck
        Entry i compares slice i with slice i + 1 (empty for fewer than two slices).
    """
    k = _grid(k_grid)
    times = [float(t) for t, _ in slices]
    for i in range(1, len(times)):
        if not times[i] > times[i - 1]:
            raise InputError(
                f"slices[{i}]: time {times[i]!r} is not allowed: slices must be in increasing time "
                f"(slices[{i - 1}] has {times[i - 1]!r})"
            )
    return tuple(_calendar(earlier, later, k) for (_, earlier), (_, later) in itertools.pairwise(slices))


def repair_butterfly(
    params: SviParams, k: ArrayLike, total_variance: ArrayLike, weights: ArrayLike, *, k_grid: ArrayLike
) -> Repair:
    """Refit a smile with butterfly arbitrage so that g >= 0 on ``k_grid``, as close to its data
    as that allows.

    Parameters
    ----------
    params : SviParams
        The fit to repair (the refit starts from it).
    k, total_variance, weights : array_like, shape (n,)
        The slice's data, as given to :func:`~alvh.market.calibration.svi.fit_svi`.
    k_grid : array_like, shape (p,)
        Log-moneyness where g >= 0 is required (cover the quoted strikes and the smile's range).

    Returns
    -------
    Repair
        ``params`` unchanged when there is nothing to repair.
    """
    grid = _grid(k_grid)
    before = butterfly_violations(params, grid)
    unchanged = Repair(params, before, before)
    if before.ok:
        return unchanged
    refit = _refit(params, fit_inputs(k, total_variance, weights, caller="repair_butterfly"), grid, floor=None)
    repaired = Repair(refit, before, butterfly_violations(refit, grid))
    return repaired if _badness(repaired) < _badness(unchanged) else unchanged


def repair_calendar(
    earlier: SviParams,
    params: SviParams,
    k: ArrayLike,
    total_variance: ArrayLike,
    weights: ArrayLike,
    *,
    k_grid: ArrayLike,
) -> Repair:
    """Refit the later of two slices so that its total variance is >= the earlier slice's on
    ``k_grid`` and it stays free of butterfly arbitrage there, as close to its data as that allows.

    Parameters
    ----------
    earlier : SviParams
        The earlier slice (kept as it is; repair a surface in increasing time, passing each
        repaired slice as the next one's ``earlier``).
    params : SviParams
        The later slice's fit (the refit starts from it).
    k, total_variance, weights : array_like, shape (n,)
        The later slice's data, as given to :func:`~alvh.market.calibration.svi.fit_svi`.
    k_grid : array_like, shape (p,)
        Log-moneyness where both conditions are required.

    Returns
    -------
    Repair
        ``params`` unchanged when there is nothing to repair.
    """
    grid = _grid(k_grid)
    butterfly, calendar = butterfly_violations(params, grid), _calendar(earlier, params, grid)
    unchanged = Repair(params, butterfly, butterfly, calendar, calendar)
    if butterfly.ok and calendar.ok:
        return unchanged
    data = fit_inputs(k, total_variance, weights, caller="repair_calendar")
    refit = _refit(params, data, grid, floor=earlier.total_variance(grid))
    repaired = Repair(refit, butterfly, butterfly_violations(refit, grid), calendar, _calendar(earlier, refit, grid))
    return repaired if _badness(repaired) < _badness(unchanged) else unchanged


def _badness(repair: Repair) -> tuple[int, float]:
    """How much arbitrage is left: violating points first, then the worst violations."""
    butterfly, calendar = repair.butterfly_after, repair.calendar_after
    count, size = butterfly.count, max(-butterfly.worst_g, 0.0)
    if calendar is not None:
        count, size = count + calendar.count, size + calendar.worst_drop
    return count, size


def _calendar(earlier: SviParams, later: SviParams, k: FloatArray) -> CalendarCheck:
    drop = earlier.total_variance(k) - later.total_variance(k)
    bad = drop > 0
    worst = int(np.argmax(drop))
    return CalendarCheck(
        count=int(bad.sum()),
        points=k.size,
        worst_drop=float(max(drop[worst], 0.0)),
        worst_k=float(k[worst]) if bad.any() else np.nan,
    )


def _grid(k_grid: ArrayLike) -> FloatArray:
    k = np.asarray(k_grid, dtype=np.float64)
    if k.ndim != 1 or k.size == 0:
        raise InputError(f"k_grid must be a non-empty 1-D array of log-moneyness, got shape {k.shape}")
    if not np.isfinite(k).all():
        i = int(np.flatnonzero(~np.isfinite(k))[0])
        raise InputError(f"k_grid[{i}] = {float(k[i])!r} is not allowed: must be finite")
    return k


def _refit(
    params: SviParams, data: tuple[FloatArray, FloatArray, FloatArray], grid: FloatArray, *, floor: FloatArray | None
) -> SviParams:
    """The weighted least-squares SVI fit under g >= 0 (and w >= ``floor``) on ``grid``.

    SLSQP's cost grows with the number of constraints, so it works on every ``_STRIDE``-th grid
    point first, then adds the points of the full grid that still violate, until none does (or
    after ``_ROUNDS`` rounds: the caller's check reports what is left).
    """
    active = np.union1d(np.arange(0, grid.size, _STRIDE), [grid.size - 1])
    for _ in range(_ROUNDS):
        params = _constrained_fit(params, data, grid[active], None if floor is None else floor[active])
        violating = ~(butterfly_g(params, grid) >= _G_MARGIN / 2)
        if floor is not None:
            violating |= ~(params.total_variance(grid) > floor)
        if not violating.any():
            break
        active = np.union1d(active, np.flatnonzero(violating))
    return params


def _constrained_fit(
    params: SviParams, data: tuple[FloatArray, FloatArray, FloatArray], grid: FloatArray, floor: FloatArray | None
) -> SviParams:
    """SLSQP from ``params``: the weighted least-squares fit under g >= 0 (and w >= ``floor``) on
    ``grid``, each with a small margin."""
    k, v, weight = data
    # Scaled parameters make every variable and every term O(1): a and b in units of the mean
    # total variance (b over the strikes' span), m and σ in units of that span.
    level = float(weight @ v) / weight.sum()
    span = float(k.max() - k.min())
    units = np.array([level, level / span, 1.0, span, span])
    weight = weight / (weight.sum() * level * level)

    def unpack(x: FloatArray) -> SviParams:
        return SviParams(*(float(value) for value in x * units))

    def objective(x: FloatArray) -> float:
        residual = unpack(x).total_variance(k) - v
        return float(weight @ (residual * residual))

    constraints: list[dict[str, object]] = [
        {"type": "ineq", "fun": lambda x: butterfly_g(unpack(x), grid) - _G_MARGIN},
        {"type": "ineq", "fun": lambda x: np.atleast_1d(unpack(x).minimum_variance / level - _W_MARGIN)},
    ]
    if floor is not None:
        minimum = floor

        def above(x: FloatArray) -> FloatArray:
            excess: FloatArray = (unpack(x).total_variance(grid) - minimum) / level - _W_MARGIN
            return excess

        constraints.append({"type": "ineq", "fun": above})
    result = minimize(
        objective,
        np.array([params.a, params.b, params.rho, params.m, params.sigma]) / units,
        method="SLSQP",
        bounds=[(None, None), (0, None), (-RHO_MAX, RHO_MAX), (None, None), (SIGMA_MIN / span, None)],
        constraints=constraints,
        options={"maxiter": 500, "ftol": 1e-14},
    )
    return unpack(result.x).to_admissible()  # SLSQP may end a hair outside the zero-minimum bound
