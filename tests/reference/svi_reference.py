"""Reference for raw SVI and its butterfly density, in high precision (mpmath).

Raw SVI (Gatheral, "A parsimonious arbitrage-free implied volatility parameterization", 2004), total
implied variance at log-moneyness k:

    w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²))

Gatheral & Jacquier ("Arbitrage-free SVI volatility surfaces", Quantitative Finance 14, 2014,
§2), the density factor whose sign decides butterfly arbitrage:

    g(k) = (1 − k·w′/(2w))² − (w′²/4)·(1/w + 1/4) + w″/2

w′ and w″ come from mpmath's numerical differentiation of w itself at 40 digits (``mp.diff``), not
from the closed-form derivatives the package uses, so the two are independent.
"""

from __future__ import annotations

import mpmath as mp

_DPS = 40


def total_variance(params: tuple[float, float, float, float, float], k: float) -> mp.mpf:
    """w(k) for raw SVI ``params`` = (a, b, ρ, m, σ), exactly from the binary inputs."""
    a, b, rho, m, sigma = (mp.mpf(p) for p in params)
    d = mp.mpf(k) - m
    return a + b * (rho * d + mp.sqrt(d * d + sigma * sigma))


def butterfly_g(params: tuple[float, float, float, float, float], k: float) -> float:
    """g(k) of Gatheral & Jacquier for raw SVI ``params`` = (a, b, ρ, m, σ)."""
    with mp.workdps(_DPS):
        x = mp.mpf(k)

        def w(at: mp.mpf) -> mp.mpf:
            return total_variance(params, at)

        value, first, second = w(x), mp.diff(w, x, 1), mp.diff(w, x, 2)
        g = (1 - x * first / (2 * value)) ** 2 - first**2 / 4 * (1 / value + mp.mpf(1) / 4) + second / 2
        return float(g)
