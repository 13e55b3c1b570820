"""What a trader holds: legs grouped in layers (an SPX iron-condor core and VIX hedge layers).

A :class:`Book` keeps its legs as one validated pandas DataFrame (struct-of-arrays, so that a book
of millions of legs is valued by the Rust kernels without a Python loop per leg), plus its layers'
names and roles. Build one from :class:`Leg` objects (``Book.from_layers``, the builders in
:mod:`alvh.book.builders`), from a DataFrame of bulk legs (``Book.from_frame``), or from a file
(:func:`load_book`: TOML with layers of legs, or CSV/Parquet with one leg per row).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alvh._config import config_error, read_csv, read_parquet, read_toml
from alvh.book.legs import LEG_COLUMNS, Leg, check_sizes, leg_record, validated_legs
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
        check_sizes(self.name, sources, names, quantity[keep], entry_price[keep])
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
        frame = read_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame = read_parquet(path)
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
