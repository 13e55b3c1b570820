"""TEMPORARY stand-ins, installed by conftest.py only while the modules they stand for are not in
the tree: part B1's ``alvh.market.calibration.svi``/``arbitrage`` and part A's
``alvh.market.quotes`` (the contract's names and signatures, minimal bodies). The lead deletes
this file once those parts are merged."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

import alvh
from alvh.market.expiries import Settlement
from alvh.market.smiles import SviSmile


@dataclass(frozen=True)
class SviParams:
    a: float
    b: float
    rho: float
    m: float
    sigma: float

    def total_variance(self, k: Any) -> Any:
        d = np.asarray(k, dtype=np.float64) - self.m
        return self.a + self.b * (self.rho * d + np.sqrt(d * d + self.sigma**2))

    def smile(self, expiry: dt.date, settlement: Settlement) -> SviSmile:
        return SviSmile(
            expiry=expiry, a=self.a, b=self.b, rho=self.rho, m=self.m, sigma=self.sigma, settlement=settlement
        )


def butterfly_g(p: SviParams, k: Any) -> Any:
    k = np.asarray(k, dtype=np.float64)
    d = k - p.m
    root = np.sqrt(d * d + p.sigma**2)
    w = p.total_variance(k)
    w1 = p.b * (p.rho + d / root)
    w2 = p.b * p.sigma**2 / root**3
    return (1 - k * w1 / (2 * w)) ** 2 - w1**2 / 4 * (1 / w + 0.25) + w2 / 2


def _fit(k: Any, w: Any, weights: Any, penalty: Any) -> SviParams:
    k, w, sw = np.asarray(k), np.asarray(w), np.sqrt(np.asarray(weights))

    def residuals(x: Any) -> Any:
        p = SviParams(*x)
        return np.concatenate([sw * (p.total_variance(k) - w) / max(w.mean(), 1e-12), penalty(p)])

    x0 = [w.min() * 0.5, 0.1, -0.5, 0.0, 0.1]
    lower, upper = [-1.0, 0.0, -0.999, -1.0, 1e-4], [1.0, 5.0, 0.999, 1.0, 2.0]
    x = least_squares(residuals, x0, bounds=(lower, upper)).x
    return SviParams(*map(float, x))


def fit_svi(k: Any, total_variance: Any, weights: Any, *, floor: Any = None) -> SviParams:
    def penalty(p: SviParams) -> Any:
        if floor is None:
            return np.zeros(1)
        grid, low = floor
        return 100 * np.minimum(p.total_variance(grid) - low, 0.0) / max(np.mean(low), 1e-12)

    return _fit(k, total_variance, weights, penalty)


def butterfly_violations(params: SviParams, k_grid: Any) -> int:
    return int(np.sum(butterfly_g(params, k_grid) < 0))


def repair_butterfly(params: SviParams, k: Any, w: Any, weights: Any) -> SviParams:
    grid = np.linspace(-0.6, 0.6, 121)
    return _fit(k, w, weights, lambda p: 100 * np.minimum(butterfly_g(p, grid) - 1e-4, 0.0))


def calendar_violations(slices: Any, k_grid: Any) -> int:
    ws = [p.total_variance(k_grid) for _, p in sorted(slices, key=lambda s: s[0])]
    return int(sum(np.sum(b < a - 1e-12) for a, b in itertools.pairwise(ws)))


@dataclass(frozen=True)
class ChainQuotes:
    quotes: pd.DataFrame
    rejects: pd.DataFrame
    source: str
    underlying: str
    underlying_last: float | None
    quote_time: dt.datetime


def install() -> None:
    """Put the stand-ins in sys.modules where the real modules' files are missing."""
    package = Path(alvh.__file__).parent
    for name, path, members in (
        (
            "alvh.market.calibration.svi",
            "market/calibration/svi.py",
            {"SviParams": SviParams, "fit_svi": fit_svi, "butterfly_g": butterfly_g},
        ),
        (
            "alvh.market.calibration.arbitrage",
            "market/calibration/arbitrage.py",
            {
                "butterfly_violations": butterfly_violations,
                "repair_butterfly": repair_butterfly,
                "calendar_violations": calendar_violations,
            },
        ),
        ("alvh.market.quotes", "market/quotes/__init__.py", {"ChainQuotes": ChainQuotes}),
    ):
        if not (package / path).exists():
            module = types.ModuleType(name)
            module.__dict__.update(members)
            sys.modules[name] = module
