"""The book layer: legs grouped in layers with roles, read from TOML/CSV/Parquet, and builders for
the structures traders use (iron condors, verticals, VIX spreads and futures)."""

from alvh.book.book import Book, Layer, load_book
from alvh.book.builders import (
    broken_wing_butterfly,
    iron_condor,
    strike_for_delta,
    vertical,
    vix_call_spread,
    vix_future,
    vix_put_spread,
)
from alvh.book.instruments import Instrument
from alvh.book.legs import LEG_COLUMNS, Leg, entry_after_trade
from alvh.book.roles import LayerSpec, Role

__all__ = [
    "LEG_COLUMNS",
    "Book",
    "Instrument",
    "Layer",
    "LayerSpec",
    "Leg",
    "Role",
    "broken_wing_butterfly",
    "entry_after_trade",
    "iron_condor",
    "load_book",
    "strike_for_delta",
    "vertical",
    "vix_call_spread",
    "vix_future",
    "vix_put_spread",
]
