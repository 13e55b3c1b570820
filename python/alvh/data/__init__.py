"""Example data shipped with alvh: a book, a market snapshot and the daily history before it, and the
same book and market as a broker and an exchange would give them — positions and option chains (used
by ``alvh demo``, the docs and the tests). All are illustrative, not market records."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from alvh.book import Book, load_book
from alvh.market.history import load_history
from alvh.market.snapshot import Market, load_market

__all__ = [
    "example_book",
    "example_book_path",
    "example_history",
    "example_history_path",
    "example_market",
    "example_market_path",
    "example_positions_path",
    "example_spx_chain_path",
    "example_sweep_path",
    "example_vix_chain_path",
    "example_vix_futures_path",
]


def example_book_path() -> Path:
    """Path of the example book TOML."""
    return Path(str(resources.files("alvh.data") / "example_book.toml"))


def example_market_path() -> Path:
    """Path of the example market snapshot TOML."""
    return Path(str(resources.files("alvh.data") / "example_market.toml"))


def example_positions_path() -> Path:
    """Path of the example book's positions as a broker exports them (``symbol,quantity,average_price``;
    :func:`alvh.book.import_positions` reads it)."""
    return Path(str(resources.files("alvh.data") / "example_positions.csv"))


def example_spx_chain_path() -> Path:
    """Path of the example SPX option chain (Cboe delayed-quotes layout), priced from the example
    market (written by ``scripts/make_example_chains.py``)."""
    return Path(str(resources.files("alvh.data") / "example_spx_chain.csv"))


def example_sweep_path() -> Path:
    """Path of the example sweep TOML (``alvh sweep``; README, Sweeps): three short deltas, three
    stress loss limits, four years."""
    return Path(str(resources.files("alvh.data") / "example_sweep.toml"))


def example_vix_chain_path() -> Path:
    """Path of the example VIX option chain (Cboe delayed-quotes layout): Black-76 on each
    expiry's future with a vol-of-vol smile."""
    return Path(str(resources.files("alvh.data") / "example_vix_chain.csv"))


def example_vix_futures_path() -> Path:
    """Path of the example VIX futures quotes (``symbol,price``)."""
    return Path(str(resources.files("alvh.data") / "example_vix_futures.csv"))


def example_book() -> Book:
    """The example ALVH book: a 12-delta SPXW condor ladder (7, 14, 21 DTE) with an L1 VIX call
    spread, an L2 VXM position and an L3 VIX put spread."""
    return load_book(example_book_path())


def example_market() -> Market:
    """The example market: SPX 5,900, VIX 16, a VIX futures curve in contango (2026-11-20 close)."""
    return load_market(example_market_path())


def example_history_path() -> Path:
    """Path of the example history CSV (``date,spx,vix,vx1,ad_line``)."""
    return Path(str(resources.files("alvh.data") / "example_history.csv"))


def example_history() -> pd.DataFrame:
    """120 sessions of illustrative SPX, VIX, front VIX future and A/D-line closes ending on the
    example market's date (written by ``scripts/make_example_history.py``): the signals'
    input for ``alvh demo``."""
    return load_history(example_history_path())
