"""Benchmark configuration.

``ALVH_BENCH=ci`` runs every benchmark at a small size (CI); the default is the full size that
the issues' speed targets refer to (1e6 options), except for the multi-worker benchmarks
(:data:`SCALE_OUT_FULL`). Ratio gates compare alvh on one thread
with the numpy reference measured in the same run, never absolute times (``timing.py``).
"""

import os
from dataclasses import dataclass

import numpy as np
import pytest

CI = os.environ.get("ALVH_BENCH", "full") == "ci"
SCALE_OUT_FULL = os.environ.get("ALVH_BENCH") == "full"
"""Multi-worker benchmarks (scans, sweeps on a 2-worker cluster) run at full size and gate their
scaling only when ``ALVH_BENCH=full`` is set: their ratio needs two idle cores, which the default
``pytest`` must not assume (a busy machine would fail it); otherwise they run at CI size and print
their ratio."""
OPTIONS = 100_000 if CI else 1_000_000


@dataclass(frozen=True)
class OptionMix:
    """A realistic mix of SPX-like options (the domain of the issues' speed targets)."""

    underlying: np.ndarray
    strike: np.ndarray
    time_to_expiry: np.ndarray
    vol: np.ndarray
    rate: float
    div_yield: float
    is_call: np.ndarray

    @property
    def size(self) -> int:
        return self.underlying.size

    def kwargs(self) -> dict[str, object]:
        return {
            "underlying": self.underlying,
            "strike": self.strike,
            "time_to_expiry": self.time_to_expiry,
            "vol": self.vol,
            "rate": self.rate,
            "div_yield": self.div_yield,
            "is_call": self.is_call,
        }


def option_mix(n: int, seed: int = 2026) -> OptionMix:
    rng = np.random.default_rng(seed)
    spot = rng.uniform(1000.0, 7000.0, n)
    return OptionMix(
        underlying=spot,
        strike=spot * rng.uniform(0.5, 1.5, n),
        time_to_expiry=np.exp(rng.uniform(np.log(1 / 365), np.log(3.0), n)),
        vol=rng.uniform(0.05, 1.5, n),
        rate=0.04,
        div_yield=0.013,
        is_call=rng.random(n) < 0.5,
    )


@pytest.fixture(scope="session")
def mix() -> OptionMix:
    return option_mix(OPTIONS)
