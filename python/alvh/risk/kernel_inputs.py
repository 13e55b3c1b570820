"""The legs as the Rust kernels take them: one array per input, one entry per leg, with each leg's
market inputs (time to settlement, underlying, vol, dividend yield — for SPX options and S&P 500
futures that of their expiry —, the VIX futures' term beta,
a variance swap's fair strike and accrued variance) looked up in the market one expiry at a time
(docs/method.md, Models)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh import _core
from alvh.book import Book
from alvh.book.instruments import Instrument, LegKind
from alvh.book.legs import Leg, built_legs_columns, layer_positions, legs_frame, validated_legs
from alvh.book.roles import LayerSpec, Role
from alvh.exceptions import ConfigError, InputError
from alvh.market.expiries import MARKET_CLOSE, MARKET_OPEN, SECONDS_PER_YEAR, Settlement
from alvh.market.snapshot import K_RANGE, Market
from alvh.pricing import price as option_price
from alvh.risk.cache import ValuationCache

__all__ = [
    "EXPLAIN_TERMS",
    "LegColumns",
    "book_arrays",
    "grouped_arrays",
    "kernel_arrays",
    "leg_arrays",
    "leg_columns",
    "variance_swap_strike",
]

EXPLAIN_TERMS: list[str] = _core.explain_terms()
"""The Taylor P&L explain's terms, in the order of the scenario kernel's explain output: delta,
gamma, vega, theta, vanna, volga contributions and the residual."""


def leg_arrays(
    book: Book, market: Market, *, writeable: bool = True, cache: ValuationCache | None = None
) -> dict[str, Any]:
    """The legs of ``book`` as the Rust kernels take them (:func:`kernel_arrays`), kept in
    ``cache`` for this book and market like a valuation (:class:`ValuationCache`; without one,
    worked out afresh): copies, or with ``writeable=False`` read-only views of the cached
    arrays (no copy: what the kernels, which only read, are given)."""
    cache = ValuationCache() if cache is None else cache
    return book_arrays(book, market, cache, leg_columns(book, market, cache), writeable=writeable)


def book_arrays(
    book: Book, market: Market, cache: ValuationCache, columns: LegColumns, *, writeable: bool = False
) -> dict[str, Any]:
    """:func:`leg_arrays` from the book's ``columns`` (:func:`leg_columns`) a caller holds: a book
    too large to be kept in ``cache`` then has its columns read once, not once per reader."""

    def compute() -> dict[str, Any]:
        codes = layer_positions([layer.name for layer in book.layers], columns["layer"]).astype(np.uint32)
        return _kernel_arrays(columns, book.name, market, codes)

    arrays = cache.for_book(book, market, "leg_arrays", compute)
    return {k: _copy(v, writeable) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}


def leg_columns(book: Book, market: Market, cache: ValuationCache) -> LegColumns:
    """The columns of ``book``'s legs table as valuing it reads them (:class:`LegColumns`), kept
    in ``cache`` for this book and market, so that each is read once."""
    return cache.for_book(book, market, "leg_columns", lambda: LegColumns(book.legs))


class LegColumns:
    """A validated legs table's columns (the table, or its columns by name as
    :func:`alvh.book.legs.built_legs_columns` gives them) as read-only numpy arrays, each read on
    first use and kept: text as object arrays, numbers as float64, ``expiry`` as days and
    ``start`` as seconds (reading a pandas column, above all a text one, costs more than most of
    what is done with it, and each reader needs only some)."""

    def __init__(self, legs: pd.DataFrame | Mapping[str, Any]) -> None:
        self._legs = legs
        self._read: dict[str, NDArray[Any]] = {}

    def __getitem__(self, name: str) -> NDArray[Any]:
        if name not in self._read:
            legs = self._legs
            # a table's column array straight from its blocks: a Series per read costs more
            values = legs._mgr.iget_values(legs.columns.get_loc(name)) if isinstance(legs, pd.DataFrame) else legs[name]
            array = np.asarray(values, dtype=_COLUMN_DTYPES.get(name, object)).view()
            array.flags.writeable = False  # a view: the table's own array is left as it was
            self._read[name] = array
        return self._read[name]


_COLUMN_DTYPES = {
    "expiry": np.dtype("datetime64[D]"),
    "start": np.dtype("datetime64[s]"),
    **{name: np.dtype(np.float64) for name in ("strike", "quantity", "entry_price", "multiplier", "realized_vol")},
}


def _copy(array: NDArray[Any], writeable: bool) -> NDArray[Any]:
    """A copy, or a read-only view (the cached array stays as it was either way)."""
    if writeable:
        return array.copy()
    view = array.view()
    view.flags.writeable = False
    return view


def kernel_arrays(
    legs: pd.DataFrame | Mapping[str, Any], name: str, market: Market, layer: NDArray[np.uint32]
) -> dict[str, Any]:
    """The kernels' arrays from a validated legs table (or its columns, :class:`LegColumns`): a
    dict of 1-D arrays, one entry per leg, with each leg's market inputs looked up one expiry at a
    time (no Python loop per leg). ``name`` names the table in error messages; ``layer`` is each
    leg's layer code."""
    return _kernel_arrays(LegColumns(legs), name, market, layer)


def grouped_arrays(groups: Sequence[Sequence[Leg]], name: str, market: Market, *, trusted: bool) -> dict[str, Any]:
    """The kernels' arrays of groups of legs, each group a layer of its own (codes 0, 1, … in
    order), without a book: the legs validated like a book's, or with ``trusted`` (alvh's own
    legs: its builders', the decision engine's candidates) only their sizes and names checked
    (:func:`alvh.book.legs.built_legs_columns`). ``name`` names them in error messages."""
    layers = [LayerSpec(f"groups[{i}]", Role.CUSTOM) for i in range(len(groups))]
    rows = [
        (layer.name, f"{layer.name}[{j}]", leg)
        for layer, group in zip(layers, groups, strict=True)
        for j, leg in enumerate(group)
    ]
    legs = built_legs_columns(rows, layers) if trusted else validated_legs(legs_frame(rows), layers, name)
    codes = np.repeat(np.arange(len(groups), dtype=np.uint32), [len(group) for group in groups])
    return kernel_arrays(legs, name, market, codes)


def _kernel_arrays(columns: LegColumns, name: str, market: Market, layer: NDArray[np.uint32]) -> dict[str, Any]:
    """:func:`kernel_arrays` of the legs whose ``columns`` are read already."""
    inputs = _leg_inputs(columns, name, market)
    return {
        "kind": inputs["kind"],
        "quantity": columns["quantity"],
        "multiplier": columns["multiplier"],
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
        "entry_price": np.where(inputs["kind"] == LegKind.VARIANCE_SWAP, 0.0, columns["entry_price"]),
        "remaining_fraction": inputs["remaining_fraction"],
        "accrued_variance": inputs["accrued_variance"],
        "layer": layer,
    }


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


_CLOSE_SECONDS, _OPEN_SECONDS = _seconds(MARKET_CLOSE), _seconds(MARKET_OPEN)
_INSTRUMENTS = list(Instrument)
_KINDS = np.array([i.leg_kind for i in _INSTRUMENTS], dtype=np.uint8)
_PM = np.array([i.settlement is Settlement.PM for i in _INSTRUMENTS])


def _leg_inputs(columns: LegColumns, name: str, market: Market) -> dict[str, NDArray[Any]]:
    """Each leg's market inputs, looked up in the market one expiry at a time."""
    expiry = columns["expiry"]
    n = len(expiry)
    as_of = np.datetime64(market.as_of, "s")
    today = np.datetime64(market.as_of.date(), "D")
    expired = expiry < today
    if expired.any():
        row = int(np.flatnonzero(expired)[0])
        raise ConfigError(
            f"{name}: {columns['source'][row]}.expiry = {expiry[row]} is before the market's "
            f"as_of ({market.as_of}): remove expired legs"
        )
    instrument = columns["instrument"]
    codes = np.zeros(n, dtype=np.intp)  # each leg's position in _INSTRUMENTS (validated: one of them)
    for i, each in enumerate(_INSTRUMENTS):
        codes[instrument == each.value] = i
    kind, pm = _KINDS[codes], _PM[codes]
    settle_seconds = np.where(pm, _CLOSE_SECONDS, _OPEN_SECONDS).astype("timedelta64[s]")
    seconds = (expiry.astype("datetime64[s]") + settle_seconds - as_of).astype(np.float64)
    years = np.maximum(seconds / SECONDS_PER_YEAR, 0.0)
    dte = (expiry - today).astype(np.float64)

    out: dict[str, NDArray[Any]] = {
        "kind": kind,
        "years": years,
        "dte": dte,
        "underlying": np.full(n, market.spx.spot),
        "strike": np.nan_to_num(columns["strike"], nan=0.0),
        "vol": np.zeros(n),
        "div_yield": np.full(n, market.spx.div_yield),
        "is_call": columns["right"] == "call",
        "term_beta": np.zeros(n),
        "remaining_fraction": np.zeros(n),
        "accrued_variance": np.zeros(n),
    }
    spx_rows = kind == LegKind.SPX_OPTION
    vix_rows = (kind == LegKind.VIX_OPTION) | (kind == LegKind.VIX_FUTURE)
    # S&P 500 futures: SPX spot with the dividend yield of their expiry (their forward's), no vol
    spx_future_rows = kind == LegKind.SPX_FUTURE
    values, first = np.unique(expiry, return_index=True)
    for value in values[np.argsort(first)]:  # in the legs' order: an error names the first leg at fault
        rows = np.flatnonzero(expiry == value)
        day = value.astype(dt.date)
        spx = rows[spx_rows[rows]]
        for settled, settlement in ((spx[pm[spx]], Settlement.PM), (spx[~pm[spx]], Settlement.AM)):
            if len(settled):
                t = float(years[settled[0]])
                out["div_yield"][settled] = market.div_yield(day, t, settlement)
                out["vol"][settled] = market.spx_vol(out["strike"][settled], day, t, settlement)
        futures = rows[spx_future_rows[rows]]
        if len(futures):
            out["div_yield"][futures] = market.div_yield(day, float(years[futures[0]]), Settlement.AM)
        vix = rows[vix_rows[rows]]
        if len(vix):
            try:
                quote = market.vix_future(day)
            except InputError as e:
                raise ConfigError(f"{name}: {columns['source'][vix[0]]}.expiry = {day}: {e}") from None
            out["underlying"][vix] = quote.price
            out["term_beta"][vix] = market.link.term_beta(years[vix])
            options = vix[kind[vix] == LegKind.VIX_OPTION]
            if len(options):
                try:
                    out["vol"][options] = market.vix_option_vol(day, out["strike"][options])
                except InputError as e:
                    raise ConfigError(f"{name}: {columns['source'][options[0]]}: {e}") from None
        swaps = rows[kind[rows] == LegKind.VARIANCE_SWAP]
        if len(swaps):
            _variance_swap_inputs(columns, name, market, day, swaps, out)
    return out


def _variance_swap_inputs(
    columns: LegColumns,
    name: str,
    market: Market,
    expiry: dt.date,
    rows: NDArray[np.intp],
    out: dict[str, NDArray[Any]],
) -> None:
    """The inputs of the variance swaps in the rows ``rows`` of the legs ``columns`` and of the
    arrays ``out``, all expiring on ``expiry`` (one fair strike)."""
    day = columns["start"][rows]  # midnight of the start date
    source = columns["source"][rows]
    forward_start = day > np.datetime64(market.as_of.date(), "s")
    if forward_start.any():
        row = int(np.flatnonzero(forward_start)[0])
        raise ConfigError(
            f"{name}: {source[row]}.start = {day[row].item().date()} is after the market's as_of "
            f"({market.as_of}): forward-starting variance swaps are not supported"
        )
    close = np.timedelta64(_seconds(MARKET_CLOSE), "s")
    start = day + close  # variance accrues from that close
    years_left = float(out["years"][rows[0]])
    term = (np.datetime64(expiry, "s") + close - start).astype(np.float64) / SECONDS_PER_YEAR  # > 0 (validated)
    remaining = np.minimum(years_left / term, 1.0)
    realized = columns["realized_vol"][rows]
    missing = (remaining < 1.0) & np.isnan(realized)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ConfigError(
            f"{name}: {source[row]}.realized_vol is missing: needed once the variance period has started "
            f"({day[row].item().date()})"
        )
    out["strike"][rows] = columns["strike"][rows] / 100.0
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
