"""Per-condor metrics of a book's core: for each core group of SPX options with one expiry (a
condor, butterfly or spread), its credit, max loss and profit, break-evens, short strikes and
their deltas, the expected move and the probability of profit at expiry under the smile
(docs/method.md, Models)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh import _core
from alvh._typing import FloatArray
from alvh.book.instruments import Instrument, instrument_mask
from alvh.book.legs import position_keys
from alvh.book.roles import Role
from alvh.market.snapshot import Market
from alvh.risk.cache import MEMO_LEGS, ValuationCache
from alvh.risk.kernel_inputs import LegColumns

__all__ = ["CONDOR_COLUMNS", "condor_metrics"]

_CONDOR_NUMBERS = (
    "quantity",
    "multiplier",
    "strike",
    "years",
    "dte",
    "entry_price",
    "price",
    "delta",
    "theta",
    "spx_vega",
)
"""The per-leg numbers the metrics read."""


def condor_metrics(
    columns: LegColumns, numbers: dict[str, FloatArray], market: Market, cache: ValuationCache
) -> pd.DataFrame:
    """Per core position group (a condor, butterfly or spread; legs of one expiry): credit, max
    loss (the defined-risk margin), break-evens, short strikes' deltas, DTE, the 1-SD expected
    move S·σ·√(DTE/365), and the probability of profit at expiry under the smile — from the legs
    table's columns (:class:`alvh.risk.kernel_inputs.LegColumns`) and its per-leg
    numbers (the columns of :data:`_CONDOR_NUMBERS`, as arrays); tables and probabilities are
    kept in ``cache``. The payoff at expiry is piecewise linear with kinks at the strikes, so its
    minimum (max loss) and zero crossings (break-evens) are exact from the kink points, and the
    probability of profit is the smile's probability of the intervals between crossings where
    the payoff is positive."""
    spx_options = instrument_mask(columns["instrument"], lambda i: i.is_spx_option)
    rows = np.flatnonzero((columns["role"] == Role.CORE.value) & spx_options)
    if not len(rows):
        return pd.DataFrame()
    keys = position_keys(columns["group"][rows], columns["source"][rows])
    column = {c: numbers[c][rows] for c in _CONDOR_NUMBERS}
    expiry = columns["expiry"][rows]
    calls = columns["right"][rows] == "call"
    if len(rows) > MEMO_LEGS:
        return _condor_table(keys, column, expiry, calls, market, cache)
    key = (tuple(keys), expiry.tobytes(), calls.tobytes(), *(v.tobytes() for v in column.values()))
    return cache.condor_table(market, key, lambda: _condor_table(keys, column, expiry, calls, market, cache))


def _condor_table(
    keys: NDArray[Any],
    column: dict[str, FloatArray],
    expiry: NDArray[Any],
    calls: NDArray[np.bool_],
    market: Market,
    cache: ValuationCache,
) -> pd.DataFrame:
    """:func:`condor_metrics` of the core option legs: their group keys, numbers, expiries and
    rights."""
    spot = market.spx.spot
    atm_vols: dict[float, float] = {}  # the groups of one expiry share it
    out: dict[str, list[Any]] = {name: [] for name in CONDOR_COLUMNS}
    # each group's rows, in order, groups in order of first appearance, from one pass over the
    # keys (a dict is cheaper than pandas' factorize on a book's few dozen legs)
    members: dict[Any, list[int]] = {}
    for row, key in enumerate(keys.tolist()):
        members.setdefault(key, []).append(row)
    # the elementwise numbers of all legs at once: a group's are these values at its rows
    quantity = column["quantity"]
    size = quantity * column["multiplier"]
    entry = column["entry_price"]
    paid = size * np.where(~np.isnan(entry), entry, column["price"])
    short_put, short_call = (quantity < 0) & ~calls, (quantity < 0) & calls
    units = np.abs(quantity)
    days, years_of, dte_of = expiry.astype(dt.date).tolist(), column["years"].tolist(), column["dte"].tolist()
    for name, rows in members.items():
        g, first = np.array(rows), rows[0]
        if (expiry[g] != expiry[first]).any():
            continue  # calendars are not defined-risk at one expiry
        strikes = column["strike"][g]
        credit = float(-paid[g].sum())
        grid = np.array(sorted({0.0, *strikes.tolist(), 2.0 * float(strikes.max())}))
        intrinsic = np.where(calls[g], np.maximum(grid[:, None] - strikes, 0), np.maximum(strikes - grid[:, None], 0))
        pnl = intrinsic @ size[g] + credit
        breakevens = _zero_crossings(grid, pnl)
        years, day, dte = years_of[first], days[first], int(dte_of[first])
        puts, shorts = g[short_put[g]], g[short_call[g]]
        if years not in atm_vols:
            atm_vols[years] = market.atm_vol(years)
        values = (
            name,
            day,
            dte,
            float(units[g].max()),
            credit,
            float(-min(pnl.min(), 0.0)),
            float(max(pnl.max(), 0.0)),
            breakevens[0] if breakevens else float("nan"),
            breakevens[-1] if len(breakevens) > 1 else float("nan"),
            float(column["strike"][puts].max()) if len(puts) else float("nan"),
            float(column["strike"][shorts].min()) if len(shorts) else float("nan"),
            -_delta_per_contract(column["delta"][puts], units[puts]),
            -_delta_per_contract(column["delta"][shorts], units[shorts]),
            spot * atm_vols[years] * np.sqrt(dte / 365.0),
            cache.probability_of_profit(
                market,
                (day, years, grid.tobytes(), pnl.tobytes()),
                partial(_probability_of_profit, market, day, years, grid, pnl, breakevens),
            ),
            float(column["theta"][g].sum()),
            float(column["spx_vega"][g].sum()),
        )
        for values_of, value in zip(out.values(), values, strict=True):
            values_of.append(value)
    if not out["group"]:
        return pd.DataFrame()
    # typed arrays: pandas infers no column's type from Python objects
    columns = {c: np.array(out[c], dtype=_CONDOR_DTYPES.get(c, np.float64)) for c in CONDOR_COLUMNS[1:]}
    return pd.DataFrame(columns, index=pd.Index(out["group"], name="group"))


CONDOR_COLUMNS = (
    "group",
    "expiry",
    "dte",
    "units",
    "credit",
    "max_loss",
    "max_profit",
    "breakeven_low",
    "breakeven_high",
    "short_put_strike",
    "short_call_strike",
    "short_put_delta",
    "short_call_delta",
    "expected_move",
    "probability_of_profit",
    "theta",
    "spx_vega",
)
"""The columns of :attr:`alvh.risk.BookRisk.condors` (``group``: the index)."""

_CONDOR_DTYPES: dict[str, Any] = {"expiry": object, "dte": np.int64}
"""The condor columns that are not float64 (``expiry``: dates)."""


def _delta_per_contract(delta: FloatArray, units: FloatArray) -> float:
    """The option delta of one contract of these (same-side) legs of ``units`` contracts each."""
    return float(delta.sum() / (units.sum() * Instrument.SPX.multiplier)) if len(delta) else float("nan")


def _zero_crossings(grid: FloatArray, pnl: FloatArray) -> list[float]:
    """Where the P&L, linear between the ``grid`` points, is zero or changes sign."""
    x, y = grid.tolist(), pnl.tolist()  # Python floats: the same arithmetic, without numpy scalars
    out = []
    for i in range(len(x) - 1):
        a, b = y[i], y[i + 1]
        if a == 0:
            out.append(x[i])
        elif a * b < 0:
            out.append(x[i] + (x[i + 1] - x[i]) * a / (a - b))
    return out


def _probability_of_profit(
    market: Market, expiry: dt.date, years: float, grid: FloatArray, pnl: FloatArray, crossings: list[float]
) -> float:
    """Risk-neutral P(P&L at expiry > 0) for a P&L piecewise linear between the ``grid`` points,
    with these :func:`_zero_crossings`.
    The P&L changes sign only at its zero crossings, so P(P&L > 0) is the sum, over the
    intervals between crossings where it is positive, of P(lo < S_T < hi): the smile's exceedance
    at the crossings alone (beyond the grid the P&L stays at its end values)."""
    if years <= 0:
        return float("nan")
    edges = np.array([0.0, *(x for x in crossings if x > 0), np.inf])
    low, high = edges[:-1], edges[1:]
    inside = np.where(np.isinf(high), np.maximum(low, grid[-1]) + 1.0, (low + high) / 2)
    profitable = np.interp(inside, grid, pnl) > 0
    finite = edges[1:-1]
    above = np.concatenate([[1.0], _exceedance(market, expiry, years, finite) if len(finite) else [], [0.0]])
    # np.maximum is what np.clip with no upper bound calls, without np.clip's wrappers
    return float(np.maximum(above[:-1] - above[1:], 0.0)[profitable].sum())


def _exceedance(market: Market, expiry: dt.date, years: float, strikes: FloatArray) -> FloatArray:
    """P(S_T > K) under the smile: −∂C/∂K of undiscounted smile-consistent calls (central
    differences), which includes the skew's effect on the digital."""
    forward = market.forward(expiry, years)
    step = 1e-4 * strikes  # relative to the strike: a probe below a far strike stays positive
    k = np.concatenate([strikes - step, strikes + step])  # both sides in one kernel call
    vols = market.smile_vol(np.log(k / forward), years)
    # the kernel itself, not alvh.pricing.price: these arrays are already what it takes (flat,
    # float64, positive strikes), and the public checks would cost more than the pricing
    calls = np.empty(len(k))
    _core.price("black76", forward, k, years, vols, 0.0, 0.0, True, "raise", calls)
    n = len(strikes)
    return ((calls[:n] - calls[n:]) / (2 * step)).clip(0.0, 1.0)
