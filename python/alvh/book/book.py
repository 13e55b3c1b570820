"""What a trader holds: legs grouped in layers (an SPX iron-condor core and VIX hedge layers).

A :class:`Book` keeps its legs as one validated pandas DataFrame (struct-of-arrays, so that a book
of millions of legs is valued by the Rust kernels without a Python loop per leg), plus its layers'
names and roles. Build one from :class:`Leg` objects (``Book.from_layers``, the builders in
:mod:`alvh.book.builders`), from a DataFrame of bulk legs (``Book.from_frame``), or from a file
(:func:`load_book`: TOML with layers of legs, or CSV/Parquet with one leg per row).

Leg fields (one row per leg):

=============  ================================================================================
instrument     ``SPX`` (AM-settled option), ``SPXW`` (PM-settled option), ``VIX`` (option on the
               VIX future of its expiry), ``VX`` / ``VXM`` (VIX futures), ``VARSWAP``
expiry         date (for VIX products the Wednesday settlement date)
right          ``call`` or ``put`` (options only)
strike         option strike in index points; variance swaps: strike in vol points (20.0)
quantity       signed contracts; variance swaps: signed vega notional ($ per vol point)
entry_price    optional: premium per unit (options), entry futures price; absent for swaps
group          optional position id (e.g. one iron condor); condor metrics are per group
start          variance swaps: start date of the variance period
realized_vol   variance swaps: realised vol so far in vol points (optional)
=============  ================================================================================

Multipliers: SPX, SPXW, VIX options and VXM 100; VX 1000; variance swaps 1 (the notional is the
quantity).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alvh._config import config_error, read_toml
from alvh.exceptions import ConfigError
from alvh.market.expiries import Settlement

__all__ = ["Book", "Instrument", "Layer", "Leg", "Role", "load_book"]


class Instrument(str, Enum):
    """The instruments a leg can be."""

    SPX = "SPX"
    SPXW = "SPXW"
    VIX = "VIX"
    VX = "VX"
    VXM = "VXM"
    VARSWAP = "VARSWAP"

    @property
    def multiplier(self) -> float:
        """$ per point of the price: VX 1000, VXM and options 100, a variance swap 1 (its notional)."""
        return {"VX": 1000.0, "VARSWAP": 1.0}.get(self.value, 100.0)

    @property
    def settlement(self) -> Settlement:
        """SPXW and variance swaps settle at the close of the expiry day, the others at the open."""
        return Settlement.PM if self in (Instrument.SPXW, Instrument.VARSWAP) else Settlement.AM

    @property
    def is_option(self) -> bool:
        return self in (Instrument.SPX, Instrument.SPXW, Instrument.VIX)

    @property
    def is_spx_option(self) -> bool:
        """An SPX option (AM-settled SPX or PM-settled SPXW), priced with BSM on spot."""
        return self in (Instrument.SPX, Instrument.SPXW)

    @property
    def is_future(self) -> bool:
        """A VIX future (VX or mini VXM): linear, delta 1 per point of its own price."""
        return self in (Instrument.VX, Instrument.VXM)

    @property
    def is_vix(self) -> bool:
        return self in (Instrument.VIX, Instrument.VX, Instrument.VXM)


class Role(str, Enum):
    """The part a layer plays in the method (SPEC §1)."""

    CORE = "core"
    THETA_ANCHOR = "L1_theta_anchor"
    DELTA_OVERLAY = "L2_delta_overlay"
    ADAPTIVE = "L3_adaptive"
    INTERMEDIATE = "intermediate"
    OUTER = "outer"
    CUSTOM = "custom"

    @property
    def is_hedge(self) -> bool:
        return self is not Role.CORE


@dataclass(frozen=True)
class Leg:
    """One position. See the module docstring for the fields; they are validated when the leg
    joins a :class:`Book`."""

    instrument: Instrument | str
    expiry: dt.date
    quantity: float
    strike: float | None = None
    right: Literal["call", "put"] | None = None
    entry_price: float | None = None
    group: str | None = None
    start: dt.date | None = None
    realized_vol: float | None = None


@dataclass(frozen=True)
class Layer:
    """A named group of legs with a role."""

    name: str
    role: Role | str
    legs: tuple[Leg, ...] = field(default_factory=tuple)


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


@dataclass(frozen=True)
class LayerSpec:
    """A layer's identity without its legs."""

    name: str
    role: Role


class Book:
    """A book: layers (name and role) and a validated legs table.

    The legs table (:attr:`legs`) has the columns of :data:`LEG_COLUMNS` plus ``role``,
    ``multiplier`` and ``source`` (where the leg came from, for error messages), one row per leg.
    """

    def __init__(self, name: str, layers: Sequence[LayerSpec], legs: pd.DataFrame, *, source: str = "book") -> None:
        names = [layer.name for layer in layers]
        duplicates = sorted(n for n, count in Counter(names).items() if count > 1)
        if duplicates:
            raise ConfigError(f"{source}: layer name {duplicates[0]!r} is used twice")
        self.name = name
        self.layers: tuple[LayerSpec, ...] = tuple(layers)
        self.legs: pd.DataFrame = validated_legs(legs, self.layers, source)

    # --- constructors -----------------------------------------------------------------------

    @classmethod
    def from_layers(cls, name: str, layers: Iterable[Layer], *, source: str | None = None) -> Book:
        """A book from :class:`Layer` objects holding :class:`Leg` objects."""
        source = source or name
        specs, rows = [], []
        for i, layer in enumerate(layers):
            specs.append(LayerSpec(layer.name, _role(layer.role, f"{source}: layers[{i}].role")))
            for j, leg in enumerate(layer.legs):
                rows.append({**leg_record(leg), "layer": layer.name, "source": f"layers[{i}].legs[{j}]"})
        return cls(name, specs, pd.DataFrame(rows, columns=[*LEG_COLUMNS, "source"]), source=source)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        name: str = "book",
        roles: dict[str, Role | str] | None = None,
        source: str = "legs",
    ) -> Book:
        """A book from a legs table (bulk legs). Layers are the distinct values of ``layer``, in
        order of appearance; ``roles`` maps layer names to roles (a layer called ``core`` is the
        core by default, any other layer ``custom``)."""
        missing = [c for c in ("layer", "instrument", "expiry", "quantity") if c not in frame.columns]
        if missing:
            raise ConfigError(f"{source}: missing column {missing[0]!r} (need layer, instrument, expiry, quantity)")
        unknown = sorted(set(frame.columns) - set(LEG_COLUMNS) - {"source", "role"})
        if unknown:
            raise ConfigError(f"{source}: unknown column {unknown[0]!r}; allowed: {', '.join(LEG_COLUMNS)}")
        unnamed = frame["layer"].isna().to_numpy() | (frame["layer"].astype(str).str.strip() == "").to_numpy()
        if unnamed.any():
            row = int(np.flatnonzero(unnamed)[0])
            where = frame["source"].iloc[row] if "source" in frame.columns else f"row {row + 1}"
            raise ConfigError(f"{source}: {where}.layer is missing: every leg needs the name of its layer")
        roles = roles or {}
        layer_names = list(dict.fromkeys(frame["layer"].astype(str)))
        specs = [
            LayerSpec(n, _role(roles.get(n, Role.CORE if n == "core" else Role.CUSTOM), f"roles[{n!r}]"))
            for n in layer_names
        ]
        legs = frame.copy()
        if "source" not in legs.columns:
            legs["source"] = [f"row {i + 1}" for i in range(len(legs))]
        return cls(name, specs, legs, source=source)

    # --- views ------------------------------------------------------------------------------

    def layer_index(self) -> dict[str, int]:
        """Layer name → position."""
        return {layer.name: i for i, layer in enumerate(self.layers)}

    @property
    def core_layers(self) -> list[str]:
        """Names of the layers with role ``core``."""
        return [layer.name for layer in self.layers if layer.role is Role.CORE]

    def with_legs(
        self, extra: Iterable[tuple[str, Leg]], *, role_of_new_layers: Role | Mapping[str, Role] = Role.CUSTOM
    ) -> Book:
        """A new book with ``(layer_name, leg)`` pairs added (new layers are appended, with
        ``role_of_new_layers``: one role, or one per layer name, custom for the others). Only the
        added legs are validated: this book's legs already are, and their layers keep their roles."""
        rows = [{**leg_record(leg), "layer": layer, "source": f"added[{i}]"} for i, (layer, leg) in enumerate(extra)]
        known = {layer.name for layer in self.layers}
        roles = role_of_new_layers
        specs = list(self.layers) + [
            LayerSpec(name, roles if isinstance(roles, Role) else roles.get(name, Role.CUSTOM))
            for name in dict.fromkeys(r["layer"] for r in rows)
            if name not in known
        ]
        if not rows:
            return self._with_table(specs, self.legs.copy())
        added = validated_legs(pd.DataFrame(rows, columns=[*LEG_COLUMNS, "source"]), specs, self.name)
        return self._with_table(specs, pd.concat([self.legs, added], ignore_index=True) if len(self.legs) else added)

    def with_sizes(self, quantity: ArrayLike, entry_price: ArrayLike) -> Book:
        """A new book with each leg's quantity and entry price replaced (arrays in leg order); legs
        brought to a zero quantity leave. Only the new numbers are checked: the rest already is."""
        quantity = np.asarray(quantity, dtype=np.float64)
        entry_price = np.asarray(entry_price, dtype=np.float64)
        if quantity.shape != (len(self.legs),) or entry_price.shape != quantity.shape:
            raise ConfigError(
                f"{self.name}: with_sizes needs one quantity and one entry price per leg ({len(self.legs)}), "
                f"got {quantity.shape} and {entry_price.shape}"
            )
        keep = quantity != 0
        legs = self.legs.assign(quantity=quantity, entry_price=entry_price)[keep].reset_index(drop=True)
        sources = legs["source"].to_numpy(object)
        names = legs["instrument"].to_numpy(object)
        _check_sizes(
            lambda bad, column, allowed, values: _fail(self.name, sources, values, bad, column, allowed),
            names,
            quantity[keep],
            entry_price[keep],
        )
        return self._with_table(self.layers, legs)

    def _with_table(self, layers: Sequence[LayerSpec], legs: pd.DataFrame) -> Book:
        """This book's name with ``layers`` and an already validated legs table."""
        book = object.__new__(Book)
        book.name, book.layers, book.legs = self.name, tuple(layers), legs
        return book

    def __repr__(self) -> str:
        counts = self.legs.groupby("layer", sort=False).size()
        parts = ", ".join(f"{layer.name} ({layer.role.value}): {counts.get(layer.name, 0)}" for layer in self.layers)
        return f"Book({self.name!r}, {len(self.legs)} legs; {parts})"


def _role(value: Role | str, where: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ConfigError(f"{where} = {value!r} is not allowed: use one of {allowed}") from None


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

    out["layer"] = legs["layer"].astype(str)
    layer_names = out["layer"].to_numpy(object)
    # one lookup for all legs: books may have thousands of layers
    position = pd.Index([layer.name for layer in layers]).get_indexer(layer_names)
    roles = np.array([layer.role.value for layer in layers] + [None], dtype=object)[position]
    fail(
        pd.isna(roles),
        "layer",
        f"one of the book's layers ({', '.join(layer.name for layer in layers)})",
    )

    instruments = legs["instrument"].astype(str).str.upper()
    names = instruments.to_numpy(object)
    fail(
        ~np.isin(names, [i.value for i in Instrument]),
        "instrument",
        "one of " + ", ".join(i.value for i in Instrument),
        legs["instrument"],
    )
    out["instrument"] = instruments
    out["expiry"] = _dates(legs, "expiry", fail, required=True)
    out["start"] = _dates(legs, "start", fail, required=False)
    for column in ("strike", "quantity", "entry_price", "realized_vol"):
        out[column] = _numbers(legs, column, fail)

    option = np.isin(names, [i.value for i in Instrument if i.is_option])
    future = np.isin(names, ["VX", "VXM"])
    swap = names == "VARSWAP"
    quantity, strike, entry, rv = (
        out[c].to_numpy(np.float64) for c in ("quantity", "strike", "entry_price", "realized_vol")
    )
    with np.errstate(invalid="ignore"):
        _check_sizes(fail, names, quantity, entry)
        fail((option | swap) & ~(strike > 0), "strike", "> 0 for options and variance swaps")
        fail(future & ~np.isnan(strike), "strike", "absent for futures")
        right = _text(legs["right"])
        right = right.str.lower() if isinstance(right.dtype, pd.StringDtype) else right.map(_lower)
        rights = right.to_numpy(object)
        present = ~pd.isna(rights)
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
    multiplier = np.zeros(len(legs))
    for instrument in Instrument:
        multiplier[names == instrument.value] = instrument.multiplier
    out["multiplier"] = pd.Series(multiplier, index=legs.index)
    return pd.DataFrame({c: out[c] for c in [*LEG_COLUMNS, "source", "role", "multiplier"]}, index=legs.index)


def _check_sizes(
    fail: Callable[[NDArray[np.bool_], str, str, Any], None],
    names: NDArray[Any],
    quantity: NDArray[np.float64],
    entry: NDArray[np.float64],
) -> None:
    """The checks of the legs' quantities and entry prices (``names``: their instruments), through
    ``fail(bad, column, allowed, values)``."""
    future = np.isin(names, ["VX", "VXM"])
    swap = names == "VARSWAP"
    has_entry = ~np.isnan(entry)
    with np.errstate(invalid="ignore"):
        fail(~np.isfinite(quantity) | (quantity == 0), "quantity", "a non-zero number of contracts", quantity)
        fail(has_entry & ~(entry >= 0), "entry_price", ">= 0", entry)
        fail(future & has_entry & ~(entry > 0), "entry_price", "> 0 for futures", entry)
        fail(swap & has_entry, "entry_price", "absent for variance swaps (entered at zero cost)", entry)


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
    converted = pd.to_datetime(values, errors="coerce")
    missing = converted.isna().to_numpy(bool)
    fail(values.notna().to_numpy(bool) & missing, column, "a date (YYYY-MM-DD)", values)
    if required:
        fail(missing, column, "a date (YYYY-MM-DD)", values)
    return converted.dt.normalize()


# --- files ------------------------------------------------------------------------------------


class _LegFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    instrument: str
    expiry: dt.date
    quantity: float
    strike: float | None = None
    right: str | None = None
    entry_price: float | None = None
    group: str | None = None
    start: dt.date | None = None
    realized_vol: float | None = None


class _LayerFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    role: str
    legs: list[_LegFile] = Field(default_factory=list)


class _BookFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = "book"
    layers: list[_LayerFile] = Field(min_length=1)


def load_book(path: str | Path, *, roles: dict[str, Role | str] | None = None) -> Book:
    """Read and validate a book: TOML (layers of legs, see ``alvh/data/example_book.toml``), or CSV
    or Parquet with one leg per row (columns :data:`LEG_COLUMNS`; ``roles`` names the layers'
    roles)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        data = read_toml(path)
        try:
            parsed = _BookFile.model_validate(data)
        except ValidationError as e:
            raise config_error(str(path), e, model=_BookFile) from None
        layers = [Layer(layer.name, layer.role, tuple(_file_leg(leg) for leg in layer.legs)) for layer in parsed.layers]
        return Book.from_layers(parsed.name, layers, source=str(path))
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ConfigError(f"{path}: unknown book format {suffix!r}; use .toml, .csv or .parquet")
    return Book.from_frame(frame, name=path.stem, roles=roles, source=str(path))


def _file_leg(leg: _LegFile) -> Leg:
    return Leg(
        instrument=leg.instrument,
        expiry=leg.expiry,
        quantity=leg.quantity,
        strike=leg.strike,
        right=leg.right,  # type: ignore[arg-type]  # validated with the book
        entry_price=leg.entry_price,
        group=leg.group,
        start=leg.start,
        realized_vol=leg.realized_vol,
    )
