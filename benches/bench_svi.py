"""Speed of the raw SVI fit (alvh.market.calibration.svi.fit_svi) on a realistic SPX surface:
40 expiries from 2 days to 2.5 years, 200 strikes each, implied vols with 0.2 vol points of
noise and vega-like weights (CI: 10 expiries).

Target (issue 13): a whole chain calibrates in <= 2 s, so one fit should take ~10–20 ms. The gate
compares the fit with scipy's ``least_squares`` on all five parameters from a standard start
(the same weighted least squares, which reaches the same optimum on this surface), both on one
thread in a child process, timed alternately (timing.py): never absolute times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import least_squares
from timing import interleaved, single_thread

from alvh.market.calibration import SviParams, butterfly_violations, calendar_violations, fit_svi, repair_calendar
from alvh.market.calibration.svi import RHO_MAX, SIGMA_MIN
from benches.conftest import CI

EXPIRIES = 10 if CI else 40
STRIKES = 200
NOISE = 0.002  # implied-vol noise (decimal: 0.2 vol points)
GATE = 1.3  # least_squares time / fit_svi time, one thread each


@dataclass(frozen=True)
class Slice:
    years: float
    truth: SviParams
    k: np.ndarray
    total_variance: np.ndarray
    weights: np.ndarray


def spx_surface(expiries: int = EXPIRIES, seed: int = 2026) -> list[Slice]:
    """Slices of an SPX-like surface: steep short-dated skews flattening with time, strikes over
    about four standard deviations, noisy implied vols."""
    rng = np.random.default_rng(seed)
    slices = []
    for years in np.geomspace(2 / 365, 2.5, expiries):
        atm = 0.16 + 0.04 * np.exp(-years / 0.1)
        width = 0.48 * np.sqrt(years)
        b, rho, sigma = 0.12 * np.sqrt(years), -0.75 + 0.15 * np.sqrt(years), 0.02 + 0.15 * np.sqrt(years)
        truth = SviParams(a=atm**2 * years - b * sigma, b=b, rho=rho, m=0.0, sigma=sigma)
        k = np.linspace(-1.6 * width, 0.7 * width, STRIKES)
        vol = np.sqrt(truth.total_variance(k) / years) + rng.normal(0, NOISE, STRIKES)
        weights = np.exp(-0.5 * (k / (width / 2)) ** 2) + 0.05
        slices.append(Slice(float(years), truth, k, vol * vol * years, weights))
    return slices


def least_squares_fit(s: Slice) -> SviParams:
    """The peer: scipy's least_squares on (a, b, ρ, m, σ), from the usual start (a at the lowest
    variance, m at its strike)."""
    root_weight = np.sqrt(s.weights)
    result = least_squares(
        lambda x: root_weight * (SviParams(*x).total_variance(s.k) - s.total_variance),
        [s.total_variance.min(), 0.1, 0.0, s.k[np.argmin(s.total_variance)], 0.1],
        bounds=([-np.inf, 0, -RHO_MAX, -np.inf, SIGMA_MIN], [np.inf, np.inf, RHO_MAX, np.inf, np.inf]),
    )
    return SviParams(*(float(x) for x in result.x))


def squared_error(params: SviParams, s: Slice) -> float:
    residual = params.total_variance(s.k) - s.total_variance
    return float(s.weights @ (residual * residual))


def check_fits(fits: list[SviParams], slices: list[Slice]) -> None:
    """Each fit is within the noise of its slice's true smile and no worse than the peer's."""
    for params, s in zip(fits, slices, strict=True):
        fitted = np.sqrt(params.total_variance(s.k) / s.years)
        true = np.sqrt(s.truth.total_variance(s.k) / s.years)
        assert np.sqrt(np.mean((fitted - true) ** 2)) < NOISE, s.years
        assert squared_error(params, s) <= squared_error(least_squares_fit(s), s) * (1 + 1e-6), s.years


@pytest.fixture(scope="module")
def surface() -> list[Slice]:
    return spx_surface()


def test_fit_surface(benchmark, surface: list[Slice]) -> None:  # type: ignore[no-untyped-def]
    fits = benchmark(lambda: [fit_svi(s.k, s.total_variance, s.weights) for s in surface])
    check_fits(fits, surface)


def test_least_squares_surface(benchmark, surface: list[Slice]) -> None:  # type: ignore[no-untyped-def]
    fits = benchmark(lambda: [least_squares_fit(s) for s in surface])
    assert all(np.isfinite(squared_error(p, s)) for p, s in zip(fits, surface, strict=True))


def test_fit_check_and_repair_surface(surface: list[Slice]) -> None:
    """The fits, the butterfly and calendar checks and the repairs of a whole surface: what the
    calibration adds to the implied vols (printed with ``-s``). The true surface is free of
    arbitrage; the noisy short-dated fits cross far outside their strikes, on the grid's right."""
    grid = np.linspace(-1.0, 0.5, 301)
    assert all(c.ok for c in calendar_violations([(s.years, s.truth) for s in surface], grid))
    start = time.perf_counter()
    fits = [fit_svi(s.k, s.total_variance, s.weights) for s in surface]
    butterflies = [butterfly_violations(p, grid) for p in fits]
    crossings = calendar_violations([(s.years, p) for s, p in zip(surface, fits, strict=True)], grid)
    for i in range(1, len(fits)):
        s = surface[i]
        fits[i] = repair_calendar(fits[i - 1], fits[i], s.k, s.total_variance, s.weights, k_grid=grid).params
    elapsed = time.perf_counter() - start
    repaired = sum(not c.ok for c in crossings)
    print(
        f"\nSVI: {len(surface)} slices x {STRIKES} strikes fitted, checked and {repaired} repaired in {elapsed:.2f} s"
    )
    assert all(b.ok for b in butterflies)
    assert all(c.ok for c in calendar_violations([(s.years, p) for s, p in zip(surface, fits, strict=True)], grid))
    assert all(butterfly_violations(p, grid).ok for p in fits)


def single_thread_timings() -> dict[str, tuple[float, float]]:
    """(fit_svi, least_squares) seconds per slice (run on one thread by ``timing.single_thread``)."""
    slices = spx_surface()
    ours, theirs = interleaved(
        lambda: [fit_svi(s.k, s.total_variance, s.weights) for s in slices],
        lambda: [least_squares_fit(s) for s in slices],
        repeats=3,
    )
    return {"svi fit": (ours / len(slices), theirs / len(slices))}


def test_gate_svi_fit_speed_ratio() -> None:
    ours, theirs = single_thread("bench_svi")["svi fit"]
    ratio = theirs / ours
    print(
        f"\nSVI fit, one thread: {ours * 1e3:.1f} ms per slice ({STRIKES} strikes), least_squares on five "
        f"parameters {theirs * 1e3:.1f} ms, ratio {ratio:.2f}x (gate {GATE}x)"
    )
    assert ratio >= GATE
