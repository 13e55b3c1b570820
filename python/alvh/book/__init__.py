"""The book layer: legs grouped in layers with roles, read from TOML/CSV/Parquet or imported from
broker positions, written as TOML, and builders for the structures traders use (iron condors,
verticals, VIX spreads and futures)."""

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
from alvh.book.grouping import Grouping, group_legs
from alvh.book.instruments import Instrument
from alvh.book.legs import LEG_COLUMNS, Leg, entry_after_trade
from alvh.book.positions import PositionsImport, import_positions
from alvh.book.roles import LayerSpec, Role
from alvh.book.to_toml import book_toml

__all__ = [
    "LEG_COLUMNS",
    "Book",
    "Grouping",
    "Instrument",
    "Layer",
    "LayerSpec",
    "Leg",
    "PositionsImport",
    "Role",
    "book_toml",
    "broken_wing_butterfly",
    "entry_after_trade",
    "group_legs",
    "import_positions",
    "iron_condor",
    "load_book",
    "strike_for_delta",
    "vertical",
    "vix_call_spread",
    "vix_future",
    "vix_put_spread",
]
