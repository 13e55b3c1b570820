"""The book layer: legs grouped in layers with roles, read from TOML/CSV/Parquet, and builders for
the structures traders use (iron condors, verticals, VIX spreads and futures)."""

from alvh.book.book import Book, Instrument, Layer, Leg, Role, load_book
from alvh.book.builders import (
    broken_wing_butterfly,
    iron_condor,
    strike_for_delta,
    vertical,
    vix_call_spread,
    vix_future,
    vix_put_spread,
)

__all__ = [
    "Book",
    "Instrument",
    "Layer",
    "Leg",
    "Role",
    "broken_wing_butterfly",
    "iron_condor",
    "load_book",
    "strike_for_delta",
    "vertical",
    "vix_call_spread",
    "vix_future",
    "vix_put_spread",
]
