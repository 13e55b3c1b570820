"""A book valued against a market: per-leg, per-layer and book Greeks in trader units, VIX legs
mapped into SPX terms, vega by maturity bucket, and per-condor metrics.

The per-leg → per-layer → book work runs in the Rust kernel (``alvh._core.book_risk``) over the
book's legs table; this module only looks up each leg's market inputs (vectorised per expiry)
and shapes the results into DataFrames. Units are those of the README's table; the metric
definitions are in the Rust ``legs`` module docs and summarised in :data:`METRIC_DOCS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh import _core
from alvh._typing import FloatArray
from alvh.book.book import LEG_COLUMNS, Book, Instrument, LayerSpec, Leg, Role, leg_record, validated_legs
from alvh.exceptions import ConfigError, InputError
from alvh.market.expiries import MARKET_CLOSE, MARKET_OPEN, SECONDS_PER_YEAR, Settlement
from alvh.market.snapshot import K_RANGE, Market
from alvh.pricing import price as option_price
from alvh.risk.cache import MEMO_LEGS, ValuationCache

__all__ = [
    "BUCKETS",
    "METRICS",
    "METRIC_DOCS",
    "BookRisk",
    "leg_arrays",
    "value_book",
    "value_legs",
    "variance_swap_strike",
]

METRICS: list[str] = _core.leg_metric_names()
"""Per-leg metric columns, in kernel order."""

METRIC_DOCS = {
    "market_value": "$ market value (futures 0)",
    "delta": "delta in units of the leg's own underlying (contracts x multiplier x delta)",
    "dollar_delta": "$ delta of the own underlying",
    "gamma": "gamma per point of the own underlying",
    "dollar_gamma": "$ delta change per 1 % move of the own underlying",
    "vega": "$ per point of the leg's own implied vol",
    "theta": "$ per calendar day",
    "rho": "$ per 1 % of rate",
    "vanna": "delta change per own vol point",
    "volga": "$ vega change per own vol point",
    "charm": "delta change per day",
    "spx_delta": "SPX shares-equivalent delta",
    "spx_dollar_delta": "SPX $ delta",
    "spx_gamma": "SPX-equivalent gamma per SPX point",
    "spx_vega": "$ per SPX implied-vol point",
    "tw_vega": "time-weighted SPX vega, spx_vega x sqrt(30/DTE)",
    "unrealized_pnl": "$ P&L against entry prices (NaN where a leg has none)",
}

_EDGES = _core.bucket_upper_dte()
_FIRST_DAYS = [0, *(int(edge) + 1 for edge in _EDGES)]
BUCKETS: list[str] = [f"{first}-{int(edge)}" for first, edge in zip(_FIRST_DAYS, _EDGES, strict=False)] + [
    f"{_FIRST_DAYS[-1]}+"
]
"""Maturity bucket labels by DTE: 0-7, 8-21, 22-45, 46-90, 91+."""

_KIND = {"SPX": 0, "SPXW": 0, "VIX": 1, "VX": 2, "VXM": 2, "VARSWAP": 3}


@dataclass(frozen=True)
class BookRisk:
    """The risk of a book at one market snapshot."""

    as_of: dt.datetime
    book: str
    legs: pd.DataFrame
    """One row per leg: the leg, its market inputs (years, dte, underlying, vol, price) and
    metrics (:data:`METRICS`)."""
    layers: pd.DataFrame
    """One row per layer (index: layer name): role, metric sums, SPX vega per bucket."""
    total: pd.Series
    """The book's sums (all layers)."""
    core_units: float
    """Condor units in the core: for each core group, its largest |quantity|, summed."""
    condors: pd.DataFrame
    """Per core group (condor, butterfly, spread): credit, max loss, break-evens, ... (see
    :func:`_condor_metrics`)."""

    @property
    def core_vega(self) -> float:
        """SPX vega of the core layers ($ per vol point)."""
        return self._role_vega(core=True)

    @property
    def hedge_vega(self) -> float:
        """SPX vega of the hedge layers (every layer but the core; $ per vol point)."""
        return self._role_vega(core=False)

    def _role_vega(self, *, core: bool) -> float:
        is_core = self.layers["role"].to_numpy(object) == Role.CORE.value
        return float(self.layers["spx_vega"].to_numpy(np.float64)[is_core == core].sum())

    @property
    def hedge_vega_share(self) -> float:
        """Hedge layers' SPX vega as a share of the core's |SPX vega| (R-HEDGE-VEGA)."""
        core = self.core_vega
        return self.hedge_vega / abs(core) if core else float("nan")

    @property
    def delta_per_condor(self) -> float:
        """Net SPX-equivalent delta of the whole book per condor unit, in option-delta units
        (shares / (units x 100)) — the quantity of R-DELTA."""
        return float(self.total["spx_delta"] / (self.core_units * 100.0)) if self.core_units else float("nan")

    @property
    def vega_per_condor(self) -> float:
        """Net SPX vega of the whole book per condor unit, in option-vega units per vol point
        ($ per vol point / (units x 100)). R-VEGA-PER-SPREAD measures the net vega against its
        target instead, in condor-vegas (see ``rules.toml``)."""
        return float(self.total["spx_vega"] / (self.core_units * 100.0)) if self.core_units else float("nan")

    def vega_by_bucket(self) -> pd.DataFrame:
        """SPX vega ($ per vol point) by layer (rows) and maturity bucket (columns)."""
        return self.layers[BUCKETS]


def value_book(book: Book, market: Market, *, per_leg: bool = True, cache: ValuationCache | None = None) -> BookRisk:
    """Value ``book`` against ``market``.

    Raises :class:`ConfigError` naming the leg when its market data is missing (a VIX option or
    future whose expiry has no quote on the futures curve, a VIX option without an option vol)
    or when it expired before the snapshot.

    With a ``cache``, a book of up to :data:`~alvh.risk.cache.MEMO_LEGS` legs valued again
    against the same snapshot, unchanged, gets the result of the first valuation (the decision
    engine values its book several times); its tables are copies, so changing them changes
    nothing there. Without one, the book is valued afresh.
    """
    cache = ValuationCache() if cache is None else cache
    risk = cache.for_book(book, market, ("value_book", per_leg), lambda: _value_book(book, market, per_leg, cache))
    return replace(
        risk,
        legs=risk.legs.copy(deep=False),
        layers=risk.layers.copy(deep=False),
        total=risk.total.copy(deep=False),
        condors=risk.condors.copy(deep=False),
    )


def value_legs(groups: Sequence[Sequence[Leg]], market: Market) -> pd.DataFrame:
    """The metric sums (:data:`METRICS`, columns) of each group of legs (rows, in order) against
    ``market``: what each position would add to a book, without building one — the legs are
    validated like a book's and valued in one kernel call (the decision engine prices its
    candidate hedges so)."""
    layers = [LayerSpec(f"groups[{i}]", Role.CUSTOM) for i in range(len(groups))]
    rows = [
        {**leg_record(leg), "layer": layer.name, "source": f"{layer.name}[{j}]"}
        for layer, group in zip(layers, groups, strict=True)
        for j, leg in enumerate(group)
    ]
    legs = validated_legs(pd.DataFrame(rows, columns=[*LEG_COLUMNS, "source"]), layers, "value_legs")
    codes = np.repeat(np.arange(len(groups), dtype=np.uint32), [len(group) for group in groups])
    arrays = _kernel_arrays(legs, "value_legs", market, codes)
    metrics, _ = _core.book_risk(arrays, len(groups), market.spx.spot, market.vix.spot, market.link.log_beta, None)
    return pd.DataFrame(metrics, columns=METRICS)


def _value_book(book: Book, market: Market, per_leg: bool, cache: ValuationCache) -> BookRisk:
    legs = book.legs
    n = len(legs)
    arrays = _cached_leg_arrays(book, market, cache)
    core = legs["role"].to_numpy(object) == Role.CORE.value
    core_options = core & (arrays["kind"] == _KIND["SPX"])
    # condor metrics read per-leg Greeks, so they are computed for a core even when not returned
    per_leg_out = np.empty((len(METRICS), n)) if per_leg or core_options.any() else None
    metrics, buckets = _core.book_risk(
        arrays, len(book.layers), market.spx.spot, market.vix.spot, market.link.log_beta, per_leg_out
    )
    names = [layer.name for layer in book.layers]
    counts = np.bincount(arrays["layer"], minlength=len(names)).astype(np.int64)
    layers = pd.DataFrame(
        {
            "role": [layer.role.value for layer in book.layers],
            "legs": counts,
            **{name: metrics[:, i] for i, name in enumerate(METRICS)},
            **{name: buckets[:, i] for i, name in enumerate(BUCKETS)},
        },
        index=names,
    )
    sums = np.concatenate([[counts.sum()], metrics.sum(axis=0), buckets.sum(axis=0)]).astype(np.float64)
    total = pd.Series(sums, index=["legs", *METRICS, *BUCKETS])
    inputs = {
        "years": arrays["time_to_expiry"],
        "dte": arrays["dte"],
        "underlying": arrays["underlying"],
        "vol": arrays["vol"],
    }
    full = dict(inputs)
    if per_leg_out is not None:
        full |= {name: per_leg_out[i] for i, name in enumerate(METRICS)}
        with np.errstate(invalid="ignore", divide="ignore"):
            price = per_leg_out[METRICS.index("market_value")] / (arrays["quantity"] * arrays["multiplier"])
        full["price"] = np.where(arrays["kind"] == _KIND["VX"], arrays["underlying"], price)
    leg_table = _with_columns(legs, full if per_leg else inputs)
    numbers = {**full, "quantity": arrays["quantity"], "multiplier": arrays["multiplier"], "strike": arrays["strike"]}
    return BookRisk(
        as_of=market.as_of,
        book=book.name,
        legs=leg_table,
        layers=layers,
        total=total,
        core_units=_core_units(legs, core),
        condors=_condor_metrics(
            legs, {**numbers, "entry_price": legs["entry_price"].to_numpy(np.float64)}, market, cache
        ),
    )


def _with_columns(legs: pd.DataFrame, columns: dict[str, NDArray[Any]]) -> pd.DataFrame:
    """``legs`` with float columns appended (one concatenation, not one insert per column)."""
    block = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns.values()])
    return pd.concat([legs, pd.DataFrame(block, columns=list(columns), index=legs.index)], axis=1)


def _core_units(legs: pd.DataFrame, core: NDArray[np.bool_]) -> float:
    """Condor units in the core (``core``: which legs are): for each core group (or ungrouped
    leg), its largest |quantity|."""
    if not core.any():
        return 0.0
    group = legs["group"].to_numpy(object)[core]
    source = legs["source"].to_numpy(object)[core]
    keys = np.where(pd.isna(group), source, group).astype(str)
    _, inverse = np.unique(keys, return_inverse=True)
    largest = np.zeros(inverse.max() + 1)
    np.maximum.at(largest, inverse, np.abs(legs["quantity"].to_numpy(np.float64)[core]))
    return float(largest.sum())


def leg_arrays(
    book: Book, market: Market, *, writeable: bool = True, cache: ValuationCache | None = None
) -> dict[str, Any]:
    """The legs as the Rust kernels take them: a dict of 1-D arrays, one entry per leg, with each
    leg's market inputs looked up one expiry at a time (no Python loop per leg). Kept in
    ``cache`` like :func:`value_book`: the arrays are copies, or with ``writeable=False``
    read-only views of the cached ones (no copy: what the kernels, which only read, are given)."""
    arrays = _cached_leg_arrays(book, market, ValuationCache() if cache is None else cache)
    return {k: _copy(v, writeable) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}


def _cached_leg_arrays(book: Book, market: Market, cache: ValuationCache) -> dict[str, Any]:
    return cache.for_book(book, market, "leg_arrays", lambda: _leg_arrays(book, market))


def _copy(array: NDArray[Any], writeable: bool) -> NDArray[Any]:
    """A copy, or a read-only view (the cached array stays as it was either way)."""
    if writeable:
        return array.copy()
    view = array.view()
    view.flags.writeable = False
    return view


def _leg_arrays(book: Book, market: Market) -> dict[str, Any]:
    return _kernel_arrays(book.legs, book.name, market, _layer_codes(book))


def _kernel_arrays(legs: pd.DataFrame, name: str, market: Market, layer: NDArray[np.uint32]) -> dict[str, Any]:
    """The kernels' arrays from a legs table (``name`` for error messages; ``layer``: each leg's
    layer code)."""
    inputs = _leg_inputs(legs, name, market)
    entry = legs["entry_price"].to_numpy(np.float64)
    return {
        "kind": inputs["kind"],
        "quantity": legs["quantity"].to_numpy(np.float64),
        "multiplier": legs["multiplier"].to_numpy(np.float64),
        "underlying": inputs["underlying"],
        "strike": inputs["strike"],
        "time_to_expiry": inputs["years"],
        "vol": inputs["vol"],
        "rate": market.spx.rate,
        "div_yield": inputs["div_yield"],
        "is_call": inputs["is_call"],
        "dte": inputs["dte"],
        "term_beta": inputs["term_beta"],
        # a variance swap is entered at zero cost: its unrealized P&L is its mark-to-market
        "entry_price": np.where(inputs["kind"] == _KIND["VARSWAP"], 0.0, entry),
        "remaining_fraction": inputs["remaining_fraction"],
        "accrued_variance": inputs["accrued_variance"],
        "layer": layer,
    }


def _layer_codes(book: Book) -> NDArray[np.uint32]:
    """Each leg's layer position (one lookup for all legs: books may have thousands of layers)."""
    codes = pd.Index(list(book.layer_index())).get_indexer(pd.Index(book.legs["layer"].to_numpy(object)))
    return codes.astype(np.uint32)


def _leg_inputs(legs: pd.DataFrame, name: str, market: Market) -> dict[str, NDArray[Any]]:
    """Each leg's market inputs, looked up in the market one expiry at a time."""
    n = len(legs)
    instrument = legs["instrument"].to_numpy(object)
    expiry = legs["expiry"].to_numpy("datetime64[D]")
    as_of = np.datetime64(market.as_of, "s")
    today = np.datetime64(market.as_of.date(), "D")
    expired = expiry < today
    if expired.any():
        row = int(np.flatnonzero(expired)[0])
        raise ConfigError(
            f"{name}: {legs['source'].iloc[row]}.expiry = {expiry[row]} is before the market's "
            f"as_of ({market.as_of}): remove expired legs"
        )
    kind = np.zeros(n, dtype=np.uint8)
    for label, code in _KIND.items():
        kind[instrument == label] = code
    pm = np.isin(instrument, [i.value for i in Instrument if i.settlement is Settlement.PM])
    settle_seconds = np.where(pm, _seconds(MARKET_CLOSE), _seconds(MARKET_OPEN)).astype("timedelta64[s]")
    seconds = (expiry.astype("datetime64[s]") + settle_seconds - as_of).astype(np.float64)
    years = np.maximum(seconds / SECONDS_PER_YEAR, 0.0)
    dte = (expiry - today).astype(np.float64)

    out: dict[str, NDArray[Any]] = {
        "kind": kind,
        "years": years,
        "dte": dte,
        "underlying": np.full(n, market.spx.spot),
        "strike": np.nan_to_num(legs["strike"].to_numpy(np.float64), nan=0.0),
        "vol": np.zeros(n),
        "div_yield": np.full(n, market.spx.div_yield),
        "is_call": legs["right"].to_numpy(object) == "call",
        "term_beta": np.zeros(n),
        "remaining_fraction": np.zeros(n),
        "accrued_variance": np.zeros(n),
    }
    spx_rows = kind == _KIND["SPX"]
    vix_rows = (kind == _KIND["VIX"]) | (kind == _KIND["VX"])
    for value in pd.unique(expiry):
        rows = np.flatnonzero(expiry == value)
        day = value.astype(dt.date)
        spx = rows[spx_rows[rows]]
        for settled in (spx[pm[spx]], spx[~pm[spx]]):
            if len(settled):
                t = float(years[settled[0]])
                out["div_yield"][settled] = market.div_yield(day, t)
                out["vol"][settled] = market.spx_vol(out["strike"][settled], day, t)
        vix = rows[vix_rows[rows]]
        if len(vix):
            try:
                quote = market.vix_future(day)
            except InputError as e:
                raise ConfigError(f"{name}: {legs['source'].iloc[int(vix[0])]}.expiry = {day}: {e}") from None
            out["underlying"][vix] = quote.price
            out["term_beta"][vix] = market.link.term_beta(years[vix])
            options = vix[kind[vix] == _KIND["VIX"]]
            if len(options):
                if quote.option_vol is None:
                    raise ConfigError(
                        f"{name}: {legs['source'].iloc[int(options[0])]}: the market has no VIX option vol "
                        f"for expiry {day} (vix.futures option_vol)"
                    )
                out["vol"][options] = quote.option_vol
        swaps = rows[kind[rows] == _KIND["VARSWAP"]]
        if len(swaps):
            _variance_swap_inputs(legs.iloc[swaps], name, market, day, swaps, out)
    return out


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _variance_swap_inputs(
    legs: pd.DataFrame, name: str, market: Market, expiry: dt.date, rows: NDArray[np.intp], out: dict[str, NDArray[Any]]
) -> None:
    """The inputs of the variance swaps ``legs`` (the rows ``rows`` of the arrays ``out``), all
    expiring on ``expiry`` (one fair strike)."""
    forward_start = (legs["start"] > pd.Timestamp(market.as_of).normalize()).to_numpy(bool)
    if forward_start.any():
        leg = legs.iloc[int(np.flatnonzero(forward_start)[0])]
        raise ConfigError(
            f"{name}: {leg['source']}.start = {leg['start'].date()} is after the market's as_of "
            f"({market.as_of}): forward-starting variance swaps are not supported"
        )
    close = np.timedelta64(_seconds(MARKET_CLOSE), "s")
    start = legs["start"].to_numpy("datetime64[s]") + close  # variance accrues from that close
    years_left = float(out["years"][rows[0]])
    term = (np.datetime64(expiry, "s") + close - start).astype(np.float64) / SECONDS_PER_YEAR  # > 0 (validated)
    remaining = np.minimum(years_left / term, 1.0)
    realized = legs["realized_vol"].to_numpy(np.float64)
    missing = (remaining < 1.0) & np.isnan(realized)
    if missing.any():
        leg = legs.iloc[int(np.flatnonzero(missing)[0])]
        raise ConfigError(
            f"{name}: {leg['source']}.realized_vol is missing: needed once the variance period has started "
            f"({leg['start'].date()})"
        )
    out["strike"][rows] = legs["strike"].to_numpy(np.float64) / 100.0
    out["vol"][rows] = variance_swap_strike(market, expiry, years_left) if years_left > 0 else 0.0
    out["remaining_fraction"][rows] = remaining
    out["accrued_variance"][rows] = (1.0 - remaining) * np.nan_to_num(realized / 100.0) ** 2


def variance_swap_strike(market: Market, expiry: dt.date, years: float, *, points: int = 801) -> float:
    """Fair variance-swap vol (decimal) to ``expiry`` from the SPX smile, by static replication
    (Demeterfi, Derman, Kamal & Zou, "More than you ever wanted to know about volatility swaps",
    1999): σ²T = (2/D)·∫ OTM(K)/K² dK, integrated over |ln(K/F)| <= K_RANGE."""
    forward = market.forward(expiry, years)
    k = np.linspace(-K_RANGE, K_RANGE, points)
    strikes = forward * np.exp(k)
    vols = market.smile_vol(k, years)
    calls = strikes >= forward
    otm = option_price(
        model="black76",
        underlying=forward,
        strike=strikes,
        time_to_expiry=years,
        vol=vols,
        rate=market.spx.rate,
        is_call=calls,
    )
    discount = np.exp(-market.spx.rate * years)
    integrand = otm / strikes**2
    variance = 2.0 / discount * float(np.sum((integrand[1:] + integrand[:-1]) * np.diff(strikes)) / 2.0)
    return float(np.sqrt(variance / years))


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


def _condor_metrics(
    legs: pd.DataFrame, numbers: dict[str, FloatArray], market: Market, cache: ValuationCache
) -> pd.DataFrame:
    """Per core position group (a condor, butterfly or spread; legs of one expiry): credit, max
    loss (the defined-risk margin), break-evens, short strikes' deltas, DTE, the 1-SD expected
    move S·σ·√(DTE/365), and the probability of profit at expiry under the smile — from the legs
    table's text columns and its per-leg numbers (the columns of :data:`_CONDOR_NUMBERS`, as
    arrays). The payoff at expiry is piecewise linear with kinks at the strikes, so its minimum
    (max loss) and zero crossings (break-evens) are exact from the kink points, and the
    probability of profit is the smile's probability of the intervals between crossings where
    the payoff is positive."""
    instrument = legs["instrument"].to_numpy(object)
    rows = np.flatnonzero(
        (legs["role"].to_numpy(object) == Role.CORE.value) & ((instrument == "SPX") | (instrument == "SPXW"))
    )
    if not len(rows):
        return pd.DataFrame()
    group = legs["group"].to_numpy(object)[rows]
    keys = np.where(pd.isna(group), legs["source"].to_numpy(object)[rows], group)
    column = {c: numbers[c][rows] for c in _CONDOR_NUMBERS}
    expiry = legs["expiry"].to_numpy("datetime64[D]")[rows]
    calls = legs["right"].to_numpy(object)[rows] == "call"
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
    """:func:`_condor_metrics` of the core option legs: their group keys, numbers, expiries and
    rights."""
    codes, names = pd.factorize(keys, sort=False)
    spot = market.spx.spot
    atm_vols: dict[float, float] = {}  # the groups of one expiry share it
    out: dict[str, list[Any]] = {name: [] for name in _CONDOR_COLUMNS}
    # each group's rows, in order, from one stable sort (not one scan of all legs per group)
    members = np.split(np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes))[:-1])
    for name, g in zip(names, members, strict=True):
        if (expiry[g] != expiry[g[0]]).any():
            continue  # calendars are not defined-risk at one expiry
        quantity = column["quantity"][g]
        size = quantity * column["multiplier"][g]
        strikes = column["strike"][g]
        entry = column["entry_price"][g]
        premium = np.where(~np.isnan(entry), entry, column["price"][g])
        credit = float(-(size * premium).sum())
        grid = np.unique(np.concatenate([[0.0], strikes, [2.0 * strikes.max()]]))
        intrinsic = np.where(calls[g], np.maximum(grid[:, None] - strikes, 0), np.maximum(strikes - grid[:, None], 0))
        pnl = intrinsic @ size + credit
        breakevens = _zero_crossings(grid, pnl)
        years = float(column["years"][g[0]])
        day = expiry[g[0]].astype(dt.date)
        dte = int(column["dte"][g[0]])
        short = quantity < 0
        short_put, short_call = short & ~calls[g], short & calls[g]
        if years not in atm_vols:
            atm_vols[years] = market.atm_vol(years)
        values = (
            name,
            day,
            dte,
            float(np.abs(quantity).max()),
            credit,
            float(-min(pnl.min(), 0.0)),
            float(max(pnl.max(), 0.0)),
            breakevens[0] if breakevens else float("nan"),
            breakevens[-1] if len(breakevens) > 1 else float("nan"),
            float(strikes[short_put].max()) if short_put.any() else float("nan"),
            float(strikes[short_call].min()) if short_call.any() else float("nan"),
            -_delta_per_contract(column["delta"][g][short_put], quantity[short_put]),
            -_delta_per_contract(column["delta"][g][short_call], quantity[short_call]),
            spot * atm_vols[years] * np.sqrt(dte / 365.0),
            cache.probability_of_profit(
                market,
                (day, years, grid.tobytes(), pnl.tobytes()),
                partial(_probability_of_profit, market, day, years, grid, pnl),
            ),
            float(column["theta"][g].sum()),
            float(column["spx_vega"][g].sum()),
        )
        for values_of, value in zip(out.values(), values, strict=True):
            values_of.append(value)
    if not out["group"]:
        return pd.DataFrame()
    return pd.DataFrame({c: out[c] for c in _CONDOR_COLUMNS[1:]}, index=pd.Index(out["group"], name="group"))


_CONDOR_COLUMNS = (
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
"""The columns of :attr:`BookRisk.condors` (``group``: the index)."""


def _delta_per_contract(delta: FloatArray, quantity: FloatArray) -> float:
    """The option delta of one contract of these (same-side) legs."""
    return float(delta.sum() / (np.abs(quantity).sum() * 100)) if len(delta) else float("nan")


def _zero_crossings(grid: FloatArray, pnl: FloatArray) -> list[float]:
    out = []
    for i in range(len(grid) - 1):
        a, b = pnl[i], pnl[i + 1]
        if a == 0:
            out.append(float(grid[i]))
        elif a * b < 0:
            out.append(float(grid[i] + (grid[i + 1] - grid[i]) * a / (a - b)))
    return out


def _probability_of_profit(market: Market, expiry: dt.date, years: float, grid: FloatArray, pnl: FloatArray) -> float:
    """Risk-neutral P(P&L at expiry > 0) for a P&L piecewise linear between the ``grid`` points.
    The P&L changes sign only at its zero crossings, so P(P&L > 0) is the sum, over the
    intervals between crossings where it is positive, of P(lo < S_T < hi): the smile's exceedance
    at the crossings alone (beyond the grid the P&L stays at its end values)."""
    if years <= 0:
        return float("nan")
    edges = np.array([0.0, *(x for x in _zero_crossings(grid, pnl) if x > 0), np.inf])
    low, high = edges[:-1], edges[1:]
    inside = np.where(np.isinf(high), np.maximum(low, grid[-1]) + 1.0, (low + high) / 2)
    profitable = np.interp(inside, grid, pnl) > 0
    finite = edges[1:-1]
    above = np.concatenate([[1.0], _exceedance(market, expiry, years, finite) if len(finite) else [], [0.0]])
    return float(np.clip(above[:-1] - above[1:], 0.0, None)[profitable].sum())


def _exceedance(market: Market, expiry: dt.date, years: float, strikes: FloatArray) -> FloatArray:
    """P(S_T > K) under the smile: −∂C/∂K of undiscounted smile-consistent calls (central
    differences), which includes the skew's effect on the digital."""
    forward = market.forward(expiry, years)
    step = 1e-4 * forward
    k = np.concatenate([strikes - step, strikes + step])  # both sides in one kernel call
    vols = market.smile_vol(np.log(k / forward), years)
    calls: FloatArray = option_price(
        model="black76", underlying=forward, strike=k, time_to_expiry=years, vol=vols, rate=0.0, is_call=True
    )
    n = len(strikes)
    return np.clip((calls[:n] - calls[n:]) / (2 * step), 0.0, 1.0)
