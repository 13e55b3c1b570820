"""Legs: one position each, and the legs table a book keeps them in (validated on numpy arrays,
so that a book of millions of legs is checked without a Python loop per leg).

Leg fields (one row per leg):

=============  ================================================================================
instrument     ``SPX`` (AM-settled option), ``SPXW`` (PM-settled option), ``VIX`` (option on the
               VIX future of its expiry), ``VX`` / ``VXM`` (VIX futures), ``VARSWAP``, ``ES`` /
               ``MES`` (S&P 500 futures)
expiry         date (for VIX products the Wednesday settlement date; ES/MES: the third Friday of
               March, June, September or December)
right          ``call`` or ``put`` (options only)
strike         option strike in index points; variance swaps: strike in vol points (20.0)
quantity       signed contracts, |quantity| <= 1e6; variance swaps: signed vega notional ($ per
               vol point), |quantity| <= 1e9
entry_price    optional: premium per unit (options), entry futures price; absent for swaps
group          optional position id (e.g. one iron condor); condor metrics are per group
start          variance swaps: start date of the variance period
realized_vol   variance swaps: realised vol so far in vol points (optional)
=============  ================================================================================

Multipliers: SPX, SPXW, VIX options and VXM 100; VX 1000; ES 50, MES 5; variance swaps 1 (the
notional is the quantity).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.api.extensions import ExtensionArray

from alvh.book.instruments import Instrument, instrument_mask
from alvh.book.roles import LayerSpec
from alvh.exceptions import ConfigError

__all__ = [
    "LEG_COLUMNS",
    "MAX_CONTRACTS",
    "MAX_VEGA_NOTIONAL",
    "Leg",
    "LegRow",
    "built_legs_columns",
    "built_legs_table",
    "check_sizes",
    "entry_after_trade",
    "layer_positions",
    "leg_record",
    "legs_frame",
    "legs_table",
    "position_keys",
    "position_sizes",
    "validated_legs",
]


@dataclass(frozen=True)
class Leg:
    """One position. See the module docstring for the fields; they are validated when the leg
    joins a :class:`alvh.book.Book`."""

    instrument: Instrument | str
    expiry: dt.date
    quantity: float
    strike: float | None = None
    right: Literal["call", "put"] | None = None
    entry_price: float | None = None
    group: str | None = None
    start: dt.date | None = None
    realized_vol: float | None = None


MAX_CONTRACTS = 1e6
"""The largest |quantity| of a leg, in contracts: far beyond any real position, small enough
that the book's totals stay finite (a unit slip such as 1e308 is refused, not summed to inf)."""
MAX_VEGA_NOTIONAL = 1e9
"""The largest |quantity| of a variance swap: its vega notional, $ per vol point."""


LEG_COLUMNS = [
    "layer",
    "instrument",
    "expiry",
    "right",
    "strike",
    "quantity",
    "entry_price",
    "group",
    "start",
    "realized_vol",
]
"""The columns of a legs table (bulk files need ``layer``, ``instrument``, ``expiry``,
``quantity``, and the option/swap fields that apply)."""


def entry_after_trade(quantity: float, entry: float, traded: float, price: float) -> float:
    """The entry price of a position of ``quantity`` entered at ``entry`` after ``traded`` more at
    ``price``: a new or flipped position's is ``price``, a grown one's the average, a reduced one
    keeps its entry."""
    after = quantity + traded
    if quantity == 0 or after * quantity < 0 or not math.isfinite(entry):
        return price
    if abs(after) > abs(quantity):
        return (quantity * entry + traded * price) / after
    return entry


def leg_record(leg: Leg) -> dict[str, Any]:
    """One leg as a row of the legs table (before validation)."""
    instrument = leg.instrument.value if isinstance(leg.instrument, Instrument) else leg.instrument
    return {
        "instrument": instrument,
        "expiry": leg.expiry,
        "right": leg.right,
        "strike": leg.strike,
        "quantity": leg.quantity,
        "entry_price": leg.entry_price,
        "group": leg.group,
        "start": leg.start,
        "realized_vol": leg.realized_vol,
    }


LegRow = tuple[str, str, Leg]
"""A leg with its layer's name and where it came from (its ``source``, for error messages)."""


def legs_frame(rows: Iterable[LegRow]) -> pd.DataFrame:
    """The legs as a frame for :func:`validated_legs` (one row per leg, fields as given)."""
    records = [{**leg_record(leg), "layer": layer, "source": source} for layer, source, leg in rows]
    return pd.DataFrame(records, columns=[*LEG_COLUMNS, "source"])


def _fail(source: str, sources: NDArray[Any], values: Any, bad: NDArray[np.bool_], column: str, allowed: str) -> None:
    """Raise naming the first row where ``bad`` holds (``values``: the column as checked, or
    None when the table has no such column)."""
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    value = None if values is None else values[row]
    value = value.item() if isinstance(value, np.generic) else value
    shown = "missing" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else f"= {value!r}"
    raise ConfigError(f"{source}: {sources[row]}.{column} {shown} is not allowed: {allowed}")


def validated_legs(frame: pd.DataFrame, layers: Sequence[LayerSpec], source: str) -> pd.DataFrame:
    """The legs table with normalised dtypes, or a ConfigError naming the leg, field and rule.

    The checks run on numpy arrays and the table is assembled once at the end: books are rebuilt
    after every trade (the decision engine, the backtest), so this is on the hot path."""
    columns = [*LEG_COLUMNS, "source"]
    legs = frame if set(columns) <= set(frame.columns) else frame.reindex(columns=columns)
    if not legs.index.equals(pd.RangeIndex(len(legs))):
        legs = legs.reset_index(drop=True)
    sources = legs["source"].to_numpy(object)
    out: dict[str, Any] = {}

    def fail(bad: NDArray[np.bool_], column: str, allowed: str, values: Any = None) -> None:
        if not bad.any():
            return
        if values is None:
            values = out[column] if column in out else legs.get(column)
        _fail(source, sources, None if values is None else np.asarray(values, dtype=object), bad, column, allowed)

    out["layer"] = _as_str(legs["layer"])
    position = layer_positions([layer.name for layer in layers], out["layer"].to_numpy(object))
    roles = np.array([layer.role.value for layer in layers] + [None], dtype=object)[position]
    fail(
        pd.isna(roles),
        "layer",
        f"one of the book's layers ({', '.join(layer.name for layer in layers)})",
    )

    instruments = legs["instrument"]
    names = instruments.to_numpy(object)
    known = np.isin(names, _INSTRUMENTS)
    if instruments.dtype != "str" or not known.all():  # else already upper-case text
        instruments = instruments.astype(str).str.upper()
        names = instruments.to_numpy(object)
        known = np.isin(names, _INSTRUMENTS)
    fail(
        ~known,
        "instrument",
        "one of " + ", ".join(i.value for i in Instrument),
        legs["instrument"],
    )
    out["instrument"] = instruments
    out["expiry"] = _dates(legs, "expiry", fail, required=True)
    out["start"] = _dates(legs, "start", fail, required=False)
    for column in ("strike", "quantity", "entry_price", "realized_vol"):
        out[column] = _numbers(legs, column, fail)

    option = instrument_mask(names, lambda i: i.is_option)
    spx_future = instrument_mask(names, lambda i: i.is_spx_future)
    future = instrument_mask(names, lambda i: i.is_future) | spx_future
    swap = names == Instrument.VARSWAP.value
    quantity, strike, entry, rv = (
        out[c].to_numpy(np.float64) for c in ("quantity", "strike", "entry_price", "realized_vol")
    )
    with np.errstate(invalid="ignore"):
        check_sizes(source, sources, names, quantity, entry)
        fail((option | swap) & ~(strike > 0), "strike", "> 0 for options and variance swaps")
        fail(future & ~np.isnan(strike), "strike", "absent for futures")
        if spx_future.any():
            expiry = out["expiry"]
            quarterly = (
                expiry.dt.month.isin([3, 6, 9, 12]) & (expiry.dt.day_of_week == 4) & expiry.dt.day.between(15, 21)
            ).to_numpy(bool)
            fail(
                spx_future & ~quarterly,
                "expiry",
                "an ES/MES expiry: the third Friday of March, June, September or December",
                expiry.dt.strftime("%Y-%m-%d"),
            )
        right = _text(legs["right"])
        rights = right.to_numpy(object)
        present = ~pd.isna(rights)
        if not np.isin(rights[present], _RIGHTS).all():  # else already lower-case
            right = right.str.lower() if isinstance(right.dtype, pd.StringDtype) else right.map(_lower)
            rights = right.to_numpy(object)
        fail(option & ~np.isin(rights, ["call", "put"]), "right", "'call' or 'put' for options", rights)
        fail(~option & present, "right", "absent except for options", rights)
        out["right"] = right
        start = out["start"].to_numpy("datetime64[s]")
        started = ~np.isnat(start)
        fail(swap & ~started, "start", "the start date of a variance swap")
        fail(~swap & started, "start", "absent except for variance swaps")
        fail(swap & started & (start >= out["expiry"].to_numpy("datetime64[s]")), "start", "before the expiry")
        has_rv = ~np.isnan(rv)
        fail(has_rv & ~(rv >= 0), "realized_vol", ">= 0 (vol points)")
        fail(~swap & has_rv, "realized_vol", "absent except for variance swaps")

    out["group"] = _text(legs["group"])
    out["source"] = legs["source"]
    out["role"] = pd.Series(roles, index=legs.index, dtype="str")
    out["multiplier"] = pd.Series(_multipliers(names), index=legs.index)
    return pd.DataFrame({c: out[c] for c in _TABLE_COLUMNS}, index=legs.index)


_TABLE_COLUMNS = [*LEG_COLUMNS, "source", "role", "multiplier"]


def legs_table(columns: dict[str, Any], layers: Sequence[LayerSpec]) -> pd.DataFrame:
    """The legs table :func:`validated_legs` would give, of legs the caller holds already checked
    (the backtest's ledger: the builders' legs and the decision engine's trades, on instruments,
    expiries, rights and strikes they chose): ``columns`` has each of :data:`LEG_COLUMNS` and
    ``source``, typed as a validated table has them (text as pandas' text dtype, dates as
    ``datetime64[s]``, numbers as float64, in leg order); this adds each leg's role (from its
    layer, one of ``layers``) and multiplier and checks the sizes (:func:`check_sizes`) and that
    instruments and rights are written as the kernels read them, without parsing the fields the
    caller chose again — that would cost more than valuing the book."""
    return pd.DataFrame(_table_columns(columns, layers))


def _table_columns(columns: dict[str, Any], layers: Sequence[LayerSpec]) -> dict[str, Any]:
    """The columns of :func:`legs_table`, by name."""
    names = np.asarray(columns["instrument"], dtype=object)
    sources = np.asarray(columns["source"], dtype=object)
    # the names the kernels key on, as written: a trade's "vxm" or "Call" (Trade is public) would
    # otherwise be valued with no multiplier or as a put, where validated_legs normalises them
    _fail("legs_table", sources, names, ~np.isin(names, _INSTRUMENTS), "instrument", ", ".join(_INSTRUMENTS))
    rights = np.asarray(columns["right"], dtype=object)
    given = np.flatnonzero(~pd.isna(rights))
    wrong = np.zeros(len(rights), dtype=bool)
    wrong[given] = ~np.isin(rights[given], _RIGHTS)
    _fail("legs_table", sources, rights, wrong, "right", "'call', 'put' or none")
    check_sizes("legs_table", sources, names, np.asarray(columns["quantity"]), np.asarray(columns["entry_price"]))
    position = layer_positions([layer.name for layer in layers], np.asarray(columns["layer"], dtype=object))
    if (position < 0).any():
        row = int(np.argmin(position))
        raise ConfigError(f"legs_table: {sources[row]}.layer is none of the book's layers")
    roles = np.array([layer.role.value for layer in layers], dtype=object)[position]
    table = {**columns, "role": pd.array(roles, dtype="str"), "multiplier": _multipliers(names)}
    return {c: table[c] for c in _TABLE_COLUMNS}


def built_legs_table(rows: Sequence[LegRow], layers: Sequence[LayerSpec]) -> pd.DataFrame:
    """The legs table of :class:`Leg` objects alvh built itself (its builders' legs, the decision
    engine's trades and hedge candidates: instruments, expiry dates, rights and strikes it chose),
    through :func:`legs_table`: sizes, layers, instruments and rights checked, the fields not
    parsed again. Text columns
    have pandas' text dtype even where every cell is empty. Legs from users go through
    :func:`validated_legs` (:func:`legs_frame`)."""
    return pd.DataFrame(built_legs_columns(rows, layers))


def built_legs_columns(rows: Sequence[LegRow], layers: Sequence[LayerSpec]) -> dict[str, Any]:
    """The columns of :func:`built_legs_table`, by name, without the table (a caller that only
    values the legs, :func:`alvh.risk.kernel_inputs.kernel_arrays`, needs no DataFrame)."""
    records = [leg_record(leg) for _, _, leg in rows]

    def column(name: str) -> list[Any]:
        return [record[name] for record in records]

    def text(values: list[Any]) -> ExtensionArray:
        return pd.array(values, dtype="str")

    def days(values: list[Any]) -> NDArray[np.datetime64]:
        return np.array(values, dtype="datetime64[D]").astype("datetime64[s]")

    def numbers(name: str) -> NDArray[np.float64]:
        return np.array(column(name), dtype=np.float64)  # None: NaN

    columns = {
        "layer": text([layer for layer, _, _ in rows]),
        "instrument": text(column("instrument")),
        "expiry": days(column("expiry")),
        "right": text(column("right")),
        "strike": numbers("strike"),
        "quantity": numbers("quantity"),
        "entry_price": numbers("entry_price"),
        "group": text(column("group")),
        "start": days(column("start")),
        "realized_vol": numbers("realized_vol"),
        "source": text([source for _, source, _ in rows]),
    }
    return _table_columns(columns, layers)


def _multipliers(names: NDArray[Any]) -> NDArray[np.float64]:
    """Each leg's multiplier (``names``: the legs' instruments)."""
    multiplier = np.zeros(len(names))
    for instrument in Instrument:
        multiplier[names == instrument.value] = instrument.multiplier
    return multiplier


_INSTRUMENTS = [i.value for i in Instrument]
_RIGHTS = ["call", "put"]


def layer_positions(layer_names: Sequence[str], values: NDArray[Any]) -> NDArray[np.intp]:
    """The position in ``layer_names`` (distinct) of each of ``values`` (a legs table's layer
    column), -1 where it is none of them or missing: one sorted lookup for all legs, without a
    Python loop per leg (books may have thousands of layers) nor a pandas index to build per call."""
    keys = np.asarray(layer_names, dtype=object)
    out = np.full(len(values), -1, dtype=np.intp)
    present = np.flatnonzero(~pd.isna(values))
    if not len(keys) or not len(present):
        return out
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    found = np.minimum(np.searchsorted(ordered, values[present]), len(keys) - 1)
    hit = ordered[found] == values[present]
    out[present[hit]] = order[found[hit]]
    return out


def position_keys(group: NDArray[Any], source: NDArray[Any]) -> NDArray[Any]:
    """Each leg's position, from its ``group`` and ``source`` (arrays in leg order): a position is
    a group, or an ungrouped leg on its own (by its source)."""
    keys: NDArray[Any] = np.where(pd.isna(group), source, group)
    return keys


def position_sizes(group: NDArray[Any], source: NDArray[Any], quantity: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each position's size (:func:`position_keys`), from its legs' ``group``, ``source`` and
    ``quantity`` (arrays in leg order): its legs' largest |quantity| (a condor's units). Positions
    in the order of their keys, sorted."""
    keys = position_keys(group, source).astype(str)
    _, inverse = np.unique(keys, return_inverse=True)
    largest = np.zeros(inverse.max() + 1 if len(keys) else 0)
    np.maximum.at(largest, inverse, np.abs(quantity))
    return largest


def check_sizes(
    source: str,
    sources: NDArray[Any],
    names: NDArray[Any],
    quantity: NDArray[np.float64],
    entry: NDArray[np.float64],
) -> None:
    """Raise a ConfigError naming the first leg whose quantity or entry price is not allowed
    (``names``: the legs' instruments; ``sources``: where each leg came from; ``source``: the
    table's)."""
    future = instrument_mask(names, lambda i: i.is_future or i.is_spx_future)
    swap = names == Instrument.VARSWAP.value
    has_entry = ~np.isnan(entry)
    with np.errstate(invalid="ignore"):
        _fail(
            source,
            sources,
            quantity,
            ~np.isfinite(quantity) | (quantity == 0),
            "quantity",
            "a non-zero number of contracts",
        )
        size = np.abs(quantity)
        _fail(
            source,
            sources,
            quantity,
            ~swap & (size > MAX_CONTRACTS),
            "quantity",
            f"at most {MAX_CONTRACTS:.0e} contracts (either sign)",
        )
        _fail(
            source,
            sources,
            quantity,
            swap & (size > MAX_VEGA_NOTIONAL),
            "quantity",
            f"a variance swap's vega notional of at most ${MAX_VEGA_NOTIONAL:.0e} per vol point (either sign)",
        )
        _fail(source, sources, entry, has_entry & ~(entry >= 0), "entry_price", ">= 0")
        _fail(source, sources, entry, future & has_entry & ~(entry > 0), "entry_price", "> 0 for futures")
        _fail(
            source, sources, entry, swap & has_entry, "entry_price", "absent for variance swaps (entered at zero cost)"
        )


def _as_str(values: pd.Series) -> pd.Series:
    """The column as pandas' text dtype (as it is when it already has it)."""
    return values if values.dtype == "str" else values.astype(str)


def _text(values: pd.Series) -> pd.Series:
    """A text column with None where it is empty (a string dtype already has its own NA)."""
    return values if isinstance(values.dtype, pd.StringDtype) else values.where(values.notna(), None)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


_Fail = Any  # the checker closure of validated_legs


def _numbers(legs: pd.DataFrame, column: str, fail: _Fail) -> pd.Series:
    values = legs[column]
    if pd.api.types.is_float_dtype(values.dtype):
        converted = values
    elif values.dtype == object and all(v is None or type(v) in (float, int) for v in values):
        # the rows of Leg objects (a rebuilt book, new trades): numbers or None, no parsing
        converted = pd.Series(np.array(values.to_numpy(), dtype=np.float64), index=values.index)
    else:
        converted = pd.to_numeric(values, errors="coerce")
        fail(values.notna().to_numpy(bool) & converted.isna().to_numpy(bool), column, "a number", values)
    numbers = converted.astype(np.float64)
    array = numbers.to_numpy()
    fail(~np.isnan(array) & ~np.isfinite(array), column, "a finite number", values)
    return numbers


def _dates(legs: pd.DataFrame, column: str, fail: _Fail, *, required: bool) -> pd.Series:
    values = legs[column]
    if pd.api.types.is_datetime64_dtype(values.dtype):  # already dates (a rebuilt book)
        days = values.to_numpy()
        if required:
            fail(np.isnat(days), column, "a date (YYYY-MM-DD)", values)
        return values if (np.isnat(days) | (days == days.astype("datetime64[D]"))).all() else values.dt.normalize()
    if values.dtype == object and all(v is None or type(v) is dt.date for v in values):
        # the rows of Leg objects: dates or None, no parsing
        days = np.array(values.to_numpy(), dtype="datetime64[D]")
        if required:
            fail(np.isnat(days), column, "a date (YYYY-MM-DD)", values)
        return pd.Series(days.astype("datetime64[s]"), index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):  # 20270501 read as a number: as text, not a date
        values = values.map(str, na_action="ignore")
    # ISO only, as every other loader: pandas would guess 05/01/2027 as 1 May
    converted = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    missing = converted.isna().to_numpy(bool)
    fail(values.notna().to_numpy(bool) & missing, column, "a date (YYYY-MM-DD)", values)
    if required:
        fail(missing, column, "a date (YYYY-MM-DD)", values)
    return converted.dt.normalize()
