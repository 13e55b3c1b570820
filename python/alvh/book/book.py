"""What a trader holds: legs grouped in layers (an SPX iron-condor core and VIX hedge layers).

A :class:`Book` keeps its legs as one validated pandas DataFrame (struct-of-arrays, so that a book
of millions of legs is valued by the Rust kernels without a Python loop per leg), plus its layers'
names and roles. Build one from :class:`Leg` objects (``Book.from_layers``, the builders in
:mod:`alvh.book.builders`), from a DataFrame of bulk legs (``Book.from_frame``), from a file
(:func:`load_book`: TOML with layers of legs, or CSV/Parquet with one leg per row), or from broker
positions (:func:`alvh.book.import_positions`). A table or file of legs states each layer's role
and each core condor's group, or asks for the grouping by strikes: nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alvh._config import config_error, read_csv, read_parquet, read_toml
from alvh._format import count
from alvh._html import table
from alvh._repr import MAX_ROWS, bounded, html_block
from alvh.book.grouping import group_legs
from alvh.book.instruments import instrument_mask
from alvh.book.legs import LEG_COLUMNS, Leg, built_legs_table, check_sizes, legs_frame, validated_legs
from alvh.book.roles import LayerSpec, Role
from alvh.exceptions import ConfigError

__all__ = ["Book", "Layer", "load_book"]


@dataclass(frozen=True)
class Layer:
    """A named group of legs with a role."""

    name: str
    role: Role | str
    legs: tuple[Leg, ...] = field(default_factory=tuple)


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
            rows += [(layer.name, f"layers[{i}].legs[{j}]", leg) for j, leg in enumerate(layer.legs)]
        return cls(name, specs, legs_frame(rows), source=source)

    @classmethod
    def from_table(cls, name: str, layers: Sequence[LayerSpec], legs: pd.DataFrame) -> Book:
        """A book from a legs table already in the form :attr:`legs` has (that of
        :func:`alvh.book.legs.legs_table`, of legs checked before), taken as it is: not validated
        again."""
        book = object.__new__(Book)
        book.name, book.layers, book.legs = name, tuple(layers), legs
        return book

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        name: str = "book",
        roles: Mapping[str, Role | str] | None = None,
        source: str = "legs",
        group: Literal["given", "auto"] = "given",
    ) -> Book:
        """A book from a legs table (bulk legs). Layers are the distinct values of ``layer``, in
        order of appearance.

        Each layer's role comes from ``roles`` (layer name → role; it takes precedence), else from
        the table's ``role`` column (one value per layer), else from the layer's name when it is a
        role's value (``core``, ``L1_theta_anchor``…, ``custom``); a layer with none of these is an
        error, never a silent ``custom``.

        A core layer's SPX and SPXW legs need a ``group`` (the position id: condor metrics and
        condor units are per group). ``group="given"`` (the default) refuses a core SPX leg
        without one; ``group="auto"`` gives every option leg without a group the one
        :func:`alvh.book.group_legs` finds by expiry and strikes (call that function on the legs
        for the reason per leg).
        """
        missing = [c for c in ("layer", "instrument", "expiry", "quantity") if c not in frame.columns]
        if missing:
            raise ConfigError(f"{source}: missing column {missing[0]!r} (need layer, instrument, expiry, quantity)")
        unknown = sorted(set(frame.columns) - set(LEG_COLUMNS) - {"source", "role"})
        if unknown:
            raise ConfigError(f"{source}: unknown column {unknown[0]!r}; allowed: {', '.join(LEG_COLUMNS)}, role")
        legs = frame.copy()
        if "source" not in legs.columns:
            legs["source"] = [f"row {i + 1}" for i in range(len(legs))]
        unnamed = legs["layer"].isna().to_numpy() | (legs["layer"].astype(str).str.strip() == "").to_numpy()
        if unnamed.any():
            where = legs["source"].iloc[int(np.flatnonzero(unnamed)[0])]
            raise ConfigError(f"{source}: {where}.layer is missing: every leg needs the name of its layer")
        book = cls(name, _layer_roles(legs, roles or {}, source), legs, source=source)
        if group == "auto":
            book.legs["group"] = group_legs(book.legs).group
        elif group != "given":
            raise ConfigError(f"group = {group!r} is not allowed: 'given' or 'auto'")
        ungrouped = (
            (book.legs["role"].to_numpy(object) == Role.CORE.value)
            & instrument_mask(book.legs["instrument"].to_numpy(object), lambda i: i.is_spx_option)
            & pd.isna(book.legs["group"].to_numpy(object))
        )
        if ungrouped.any():
            row = int(np.flatnonzero(ungrouped)[0])
            layer, where = book.legs["layer"].iloc[row], book.legs["source"].iloc[row]
            raise ConfigError(
                f"{source}: {where}.group is missing: the SPX options of core layer {layer!r} need the id of their "
                "position (condor metrics are per group); add a group column, load with group='auto' to group them "
                "by expiry and strikes, or import broker positions with `alvh book import`"
            )
        return book

    # --- views ------------------------------------------------------------------------------

    @property
    def core_layers(self) -> list[str]:
        """Names of the layers with role ``core``."""
        return [layer.name for layer in self.layers if layer.role is Role.CORE]

    def with_legs(
        self,
        extra: Iterable[tuple[str, Leg]],
        *,
        role_of_new_layers: Role | Mapping[str, Role] = Role.CUSTOM,
        trusted: bool = False,
    ) -> Book:
        """A new book with ``(layer_name, leg)`` pairs added (new layers are appended, with
        ``role_of_new_layers``: one role, or one per layer name, custom for the others). Only the
        added legs are validated: this book's legs already are, and their layers keep their roles.
        ``trusted``: the legs are alvh's own (the decision engine's trades), only their sizes
        checked (:func:`alvh.book.legs.built_legs_table`)."""
        rows = [(layer, f"added[{i}]", leg) for i, (layer, leg) in enumerate(extra)]
        known = {layer.name for layer in self.layers}
        roles = role_of_new_layers
        specs = list(self.layers) + [
            LayerSpec(name, roles if isinstance(roles, Role) else roles.get(name, Role.CUSTOM))
            for name in dict.fromkeys(layer for layer, _, _ in rows)
            if name not in known
        ]
        if not rows:
            return self._with_table(specs, self.legs.copy())
        added = built_legs_table(rows, specs) if trusted else validated_legs(legs_frame(rows), specs, self.name)
        if not len(self.legs):
            return self._with_table(specs, added)
        # text columns keep the table's string dtype when every added cell is empty (an ES has no right)
        text = {
            c: t
            for c, t in self.legs.dtypes.items()
            if isinstance(t, pd.StringDtype) and c in added and added[c].dtype != t
        }
        added = added.astype(text) if text else added  # a no-op astype still copies every column
        return self._with_table(specs, pd.concat([self.legs, added], ignore_index=True))

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
        check_sizes(self.name, sources, names, quantity[keep], entry_price[keep])
        return self._with_table(self.layers, legs)

    def _with_table(self, layers: Sequence[LayerSpec], legs: pd.DataFrame) -> Book:
        """This book's name with ``layers`` and an already validated legs table."""
        return Book.from_table(self.name, layers, legs)

    def __repr__(self) -> str:
        shown = self.layers[: MAX_ROWS + 1]
        counts = self.legs["layer"].value_counts(sort=False)
        lines = [
            f"{layer.name} ({layer.role.value}): {count(int(counts.get(layer.name, 0)), 'leg')}" for layer in shown
        ]
        return "\n".join([self._title(), *bounded(lines, "layers", total=len(self.layers))])

    def _repr_html_(self) -> str:
        """The layer table of the first :data:`~alvh._repr.MAX_ROWS` layers (role, legs,
        instruments and expiries; only their legs are read: a book may have thousands of layers)
        and a row counting the others."""
        shown = self.layers[:MAX_ROWS]
        names = [layer.name for layer in shown]
        legs = self.legs[self.legs["layer"].isin(names)].groupby("layer", sort=False)
        layers = pd.DataFrame(
            {
                "layer": names,
                "role": [layer.role.value for layer in shown],
                "legs": legs.size().reindex(names, fill_value=0).to_numpy(np.int64),
                "instruments": legs["instrument"].agg(_listed).reindex(names, fill_value="").to_numpy(object),
                "first expiry": legs["expiry"].min().reindex(names).dt.strftime("%Y-%m-%d").to_numpy(object),
                "last expiry": legs["expiry"].max().reindex(names).dt.strftime("%Y-%m-%d").to_numpy(object),
            }
        )
        return html_block(self._title(), table(layers, hidden=len(self.layers) - len(shown)))

    def _title(self) -> str:
        return f"Book {self.name!r}: {count(len(self.legs), 'leg')} in {count(len(self.layers), 'layer')}"


def _listed(instruments: pd.Series) -> str:
    """A layer's distinct instruments, comma-separated."""
    return ", ".join(instruments.astype(str).unique())


def _role(value: Role | str, where: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ConfigError(f"{where} = {value!r} is not allowed: use one of {allowed}") from None


def _layer_roles(legs: pd.DataFrame, roles: Mapping[str, Role | str], source: str) -> list[LayerSpec]:
    """Each layer's name and role (the order of :meth:`Book.from_frame`'s docstring)."""
    names = legs["layer"].astype(str)
    column = pd.Series(dtype=object)
    if "role" in legs.columns:
        text = legs["role"].astype("string").str.strip()
        column = text[text.notna() & (text != "")]
    # one pass over the legs: books may have thousands of layers
    stated = column.groupby(names[column.index], sort=False).unique() if len(column) else pd.Series(dtype=object)
    specs = []
    for layer in dict.fromkeys(names):
        values = list(stated.get(layer, []))
        if len(values) > 1:
            row = column.index[(names[column.index] == layer) & (column != values[0])][0]
            raise ConfigError(
                f"{source}: {legs['source'].loc[row]}.role = {values[1]!r} is not allowed: layer {layer!r} already "
                f"has role {values[0]!r} (one role per layer)"
            )
        if layer in roles:  # the caller's word over the table's (bulk Greeks value every layer as custom)
            role = _role(roles[layer], f"roles[{layer!r}]")
        elif values:
            role = _role(values[0], f"{source}: layer {layer!r}: role")
        elif layer in {r.value for r in Role}:
            role = Role(layer)
        else:
            allowed = ", ".join(r.value for r in Role)
            raise ConfigError(
                f"{source}: layer {layer!r} has no role: give it in a role column or roles= (one of {allowed}; "
                "custom for none of the method's), or name the layer after its role"
            )
        specs.append(LayerSpec(layer, role))
    return specs


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


def load_book(
    path: str | Path,
    *,
    roles: Mapping[str, Role | str] | None = None,
    group: Literal["given", "auto"] = "given",
) -> Book:
    """Read and validate a book: TOML (layers of legs, see ``alvh/data/example_book.toml``), or CSV
    or Parquet with one leg per row (columns :data:`LEG_COLUMNS` and an optional ``role``;
    ``roles`` and ``group`` as in :meth:`Book.from_frame`: a layer's role must be given, and a
    core layer's SPX legs need a group unless ``group="auto"``). For TOML books ``roles`` and
    ``group`` do not apply: every layer states its role and every leg is as written."""
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
        frame = read_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame = read_parquet(path)
    else:
        raise ConfigError(f"{path}: unknown book format {suffix!r}; use .toml, .csv or .parquet")
    return Book.from_frame(frame, name=path.stem, roles=roles, source=str(path), group=group)


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
