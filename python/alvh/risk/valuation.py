"""A book valued against a market: per-leg, per-layer and book Greeks in trader units, VIX legs
mapped into SPX terms, vega by maturity bucket, and per-condor metrics.

The per-leg → per-layer → book work runs in the Rust kernel (``alvh._core.book_risk``) over the
book's legs table; this module gives it each leg's market inputs (:mod:`alvh.risk.kernel_inputs`)
and shapes the results into DataFrames, with the condor table of :mod:`alvh.risk.condors`. Units
are those of docs/method.md (Units); the metric definitions are in the Rust ``legs`` module docs
and summarised in :data:`METRIC_DOCS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh import _core
from alvh.book import Book
from alvh.book.instruments import Instrument, LegKind
from alvh.book.legs import Leg, position_sizes
from alvh.book.roles import Role
from alvh.market.snapshot import Market
from alvh.risk.cache import ValuationCache
from alvh.risk.condors import condor_metrics
from alvh.risk.display import book_risk_html, book_risk_text
from alvh.risk.kernel_inputs import LegColumns, book_arrays, grouped_arrays, leg_columns

__all__ = [
    "BUCKETS",
    "METRICS",
    "METRIC_DOCS",
    "OWN_UNIT_METRICS",
    "TOTAL_METRICS",
    "VEGA_HEDGE_ROLES",
    "BookRisk",
    "value_book",
    "value_legs",
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

OWN_UNIT_METRICS = ["delta", "dollar_delta", "gamma", "dollar_gamma", "vega", "vanna", "volga", "charm"]
"""Metrics in units of each leg's own underlying and vol (an SPX option's vega is $ per SPX vol
point, a VIX option's $ per VIX-vol point): they do not add across instruments, so the book's
:attr:`BookRisk.total` leaves them out and carries their SPX-equivalent forms (``spx_*``,
docs/method.md Units)."""

TOTAL_METRICS = [name for name in METRICS if name not in OWN_UNIT_METRICS]
"""The metrics of :attr:`BookRisk.total`: those that add across instruments."""

_EDGES = _core.bucket_upper_dte()
_FIRST_DAYS = [0, *(int(edge) + 1 for edge in _EDGES)]
BUCKETS: list[str] = [f"{first}-{int(edge)}" for first, edge in zip(_FIRST_DAYS, _EDGES, strict=False)] + [
    f"{_FIRST_DAYS[-1]}+"
]
"""Maturity bucket labels by DTE: 0-7, 8-21, 22-45, 46-90, 91+."""


VEGA_HEDGE_ROLES = frozenset(role.value for role in Role if role not in (Role.CORE, Role.ADAPTIVE))
"""The roles whose layers count as hedge vega (docs/method.md, Layers): every one but the core and
L3 (adaptive), whose long VIX puts are short vol."""


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
    """The book's sums (all layers): leg count, :data:`TOTAL_METRICS` and SPX vega by bucket —
    never the own-unit metrics (:data:`OWN_UNIT_METRICS`), which would add SPX and VIX units."""
    core_units: float
    """Condor units in the core: for each core group, its largest |quantity|, summed."""
    condors: pd.DataFrame
    """Per core group (condor, butterfly, spread): credit, max loss, break-evens, ... (see
    :func:`alvh.risk.condors.condor_metrics`)."""

    @property
    def core_vega(self) -> float:
        """SPX vega of the core layers ($ per vol point)."""
        (core,) = self._roles_vega({Role.CORE.value})
        return core

    @property
    def hedge_vega(self) -> float:
        """SPX vega of the layers that hedge the core's vega (:data:`VEGA_HEDGE_ROLES`; $ per vol
        point). L3's VIX put spreads are short vol: their vega stays in the layer table and the
        net, not here."""
        (hedge,) = self._roles_vega(VEGA_HEDGE_ROLES)
        return hedge

    def _roles_vega(self, *roles: AbstractSet[str]) -> list[float]:
        """The SPX vega of the layers of each set of ``roles`` (the table read once for all)."""
        role = self.layers["role"].to_numpy(object)
        vega = self.layers["spx_vega"].to_numpy(np.float64)
        return [float(vega[np.array([r in these for r in role], dtype=bool)].sum()) for these in roles]

    @property
    def hedge_vega_share(self) -> float:
        """Hedge layers' SPX vega as a share of the core's |SPX vega| (R-HEDGE-VEGA)."""
        core, hedge = self._roles_vega({Role.CORE.value}, VEGA_HEDGE_ROLES)
        return hedge / abs(core) if core else float("nan")

    @property
    def delta_per_condor(self) -> float:
        """Net SPX-equivalent delta of the whole book per condor unit, in option-delta units
        (shares / (units x 100)) — the quantity of R-DELTA."""
        return (
            float(self.total["spx_delta"] / (self.core_units * Instrument.SPX.multiplier))
            if self.core_units
            else float("nan")
        )

    @property
    def vega_per_condor(self) -> float:
        """Net SPX vega of the whole book per condor unit, in option-vega units per vol point
        ($ per vol point / (units x 100)). R-VEGA-PER-SPREAD measures the net vega against its
        target instead, in condor-vegas (see ``rules.toml``)."""
        return (
            float(self.total["spx_vega"] / (self.core_units * Instrument.SPX.multiplier))
            if self.core_units
            else float("nan")
        )

    @property
    def vega_by_bucket(self) -> pd.DataFrame:
        """SPX vega ($ per vol point) by layer (rows) and maturity bucket (columns)."""
        return self.layers[BUCKETS]

    def __repr__(self) -> str:
        return book_risk_text(self)

    def _repr_html_(self) -> str:
        return book_risk_html(self)


def value_book(book: Book, market: Market, *, per_leg: bool = True, cache: ValuationCache | None = None) -> BookRisk:
    """Value ``book`` against ``market``.

    Raises :class:`alvh.exceptions.ConfigError` naming the leg when its market data is missing (a VIX option or
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


def value_legs(groups: Sequence[Sequence[Leg]], market: Market, *, trusted: bool = False) -> pd.DataFrame:
    """The metric sums (:data:`METRICS`, columns) of each group of legs (rows, in order) against
    ``market``: what each position would add to a book, without building one — the legs are
    validated like a book's and valued in one kernel call (the decision engine prices its
    candidate hedges so). ``trusted``: the legs are alvh's own (its builders', the decision
    engine's candidates), only their sizes checked (:func:`alvh.book.legs.built_legs_columns`)."""
    arrays = grouped_arrays(groups, "value_legs", market, trusted=trusted)
    metrics, _ = _core.book_risk(arrays, len(groups), market.spx.spot, market.vix.spot, market.link.log_beta, None)
    return pd.DataFrame(metrics, columns=METRICS)


def _value_book(book: Book, market: Market, per_leg: bool, cache: ValuationCache) -> BookRisk:
    legs = book.legs
    columns = leg_columns(book, market, cache)
    n = len(legs)
    arrays = book_arrays(book, market, cache, columns)
    core = columns["role"] == Role.CORE.value
    core_options = core & (arrays["kind"] == LegKind.SPX_OPTION)
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
    summed = [METRICS.index(name) for name in TOTAL_METRICS]
    sums = np.concatenate([[counts.sum()], metrics[:, summed].sum(axis=0), buckets.sum(axis=0)]).astype(np.float64)
    total = pd.Series(sums, index=["legs", *TOTAL_METRICS, *BUCKETS])
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
        # futures: their price (an S&P 500 future's the SPX forward to its expiry, as the kernel has it)
        forward = arrays["underlying"] * np.exp((arrays["rate"] - arrays["div_yield"]) * arrays["time_to_expiry"])
        price = np.where(arrays["kind"] == LegKind.SPX_FUTURE, forward, price)
        full["price"] = np.where(arrays["kind"] == LegKind.VIX_FUTURE, arrays["underlying"], price)
    leg_table = _with_columns(legs, full if per_leg else inputs)
    numbers = {**full, "quantity": arrays["quantity"], "multiplier": arrays["multiplier"], "strike": arrays["strike"]}
    return BookRisk(
        as_of=market.as_of,
        book=book.name,
        legs=leg_table,
        layers=layers,
        total=total,
        core_units=_core_units(columns, core),
        condors=condor_metrics(columns, {**numbers, "entry_price": columns["entry_price"]}, market, cache),
    )


def _with_columns(legs: pd.DataFrame, columns: dict[str, NDArray[Any]]) -> pd.DataFrame:
    """``legs`` with float columns appended (one concatenation, not one insert per column)."""
    block = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns.values()])
    return pd.concat([legs, pd.DataFrame(block, columns=list(columns), index=legs.index)], axis=1)


def _core_units(columns: LegColumns, core: NDArray[np.bool_]) -> float:
    """Condor units in the core (``columns``: the legs table's, :func:`leg_columns`; ``core``:
    which legs are): the sum of its positions' sizes (:func:`alvh.book.legs.position_sizes`)."""
    if not core.any():
        return 0.0
    return float(position_sizes(columns["group"][core], columns["source"][core], columns["quantity"][core]).sum())
