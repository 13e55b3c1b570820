"""A book written as TOML in the layout :func:`alvh.book.load_book` reads (``alvh/data/example_book.toml``):
its name, then each layer with its role and legs, each leg with the fields it has."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alvh._toml import toml_string, toml_value
from alvh.book.book import Book

__all__ = ["book_toml"]

_FIELDS = ("instrument", "expiry", "right", "strike", "quantity", "entry_price", "group", "start", "realized_vol")
_DATES = ("expiry", "start")


def book_toml(book: Book) -> str:
    """The book as TOML that :func:`alvh.book.load_book` reads back to the same layers (names and
    roles, in order) and legs (every field, in order; numbers exactly: floats are written with
    Python's shortest round-trip repr). A layer without legs is written without them."""
    lines = [f"name = {toml_string(book.name)}"]
    by_layer = dict(tuple(book.legs[["layer", *_FIELDS]].groupby("layer", sort=False)))
    for layer in book.layers:
        lines += ["", "[[layers]]", f"name = {toml_string(layer.name)}", f"role = {toml_string(layer.role.value)}"]
        legs = by_layer.get(layer.name, book.legs.iloc[:0])
        for record in legs[list(_FIELDS)].to_dict("records"):
            lines += ["", "[[layers.legs]]"]
            lines += [
                f"{field} = {_value(str(field), value)}" for field, value in record.items() if not _missing(value)
            ]
    return "\n".join(lines) + "\n"


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _value(field: str, value: Any) -> str:
    if field in _DATES:
        return pd.Timestamp(value).date().isoformat()
    return toml_value(value if isinstance(value, str) else float(value))  # a book's numbers are finite
