"""Circular block bootstrap (Politis & Romano, "A circular block-resampling procedure for
stationary data", 1992): intervals for the total of a daily series whose days are not
independent — the experiment's daily P&L difference of a hedged book to the naked one
(README, "The experiment").

A resample of ``n`` days is ``ceil(n / block)`` blocks of ``block`` consecutive days, each
starting at a day drawn uniformly, wrapping from the last day to the first, cut to ``n`` days.
Blocks keep the days' serial dependence (volatility clusters for weeks) that resampling single
days would destroy, and wrapping gives every day the same chance to be drawn, so the resamples'
totals average to the series' own total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alvh._typing import FloatArray
from alvh.exceptions import InputError

__all__ = ["BLOCK_DAYS", "LEVEL", "RESAMPLES", "SEED", "BootstrapInterval", "block_bootstrap", "resample_totals"]

BLOCK_DAYS = 10
"""Two trading weeks: longer than the P&L's volatility clusters last at their usual length, short
enough that a five-year run has over a hundred blocks."""
RESAMPLES = 2_000
LEVEL = 0.90
SEED = 20_140_303
"""The generator's seed: the same inputs give the same interval on every run."""


@dataclass(frozen=True)
class BootstrapInterval:
    """The total of a daily series ($) and the bootstrap's interval for it."""

    total: float
    low: float
    high: float
    level: float
    block: int
    resamples: int


def resample_totals(values: FloatArray, block: int, starts: np.ndarray) -> FloatArray:
    """The total of each resample whose blocks start at the rows of ``starts`` (shape resamples ×
    blocks, day positions), each block ``block`` days long, wrapped, cut to ``len(values)`` days."""
    days = len(values)
    positions = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(len(starts), -1)[:, :days]
    return np.asarray(values[positions % days].sum(axis=1), dtype=np.float64)


def block_bootstrap(
    values: FloatArray,
    *,
    block: int = BLOCK_DAYS,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
    seed: int = SEED,
) -> BootstrapInterval:
    """The circular block bootstrap's percentile interval (``level``, e.g. 5 % to 95 %) of the
    total of ``values`` (module docstring), from ``resamples`` resamples drawn with
    ``numpy.random.default_rng(seed)``.

    Raises
    ------
    InputError
        Fewer than two values, a non-finite value, ``block`` outside 1…len(values), fewer than
        two resamples or ``level`` outside (0, 1).
    """
    values = np.asarray(values, dtype=np.float64)
    days = len(values)
    if days < 2 or not np.isfinite(values).all():
        raise InputError(
            f"values: need at least two finite daily values (got {days}, finite: {np.isfinite(values).all()})"
        )
    if not 1 <= block <= days:
        raise InputError(f"block = {block}: must be between 1 and the number of days ({days})")
    if resamples < 2:
        raise InputError(f"resamples = {resamples}: need at least 2")
    if not 0 < level < 1:
        raise InputError(f"level = {level}: must be between 0 and 1 (e.g. 0.9)")
    starts = np.random.default_rng(seed).integers(0, days, size=(resamples, math.ceil(days / block)))
    totals = resample_totals(values, block, starts)
    tail = (1 - level) / 2
    low, high = np.quantile(totals, [tail, 1 - tail])
    return BootstrapInterval(float(values.sum()), float(low), float(high), level, block, resamples)
