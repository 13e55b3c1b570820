"""Quotes in: option chains (Cboe's delayed-quotes download, the common end-of-day vendor format)
read into one neutral table (:mod:`alvh.market.quotes.table`), VIX futures prices, and the
symbols that name options and futures (:mod:`alvh.market.quotes.symbols`)."""

from pathlib import Path

from alvh.exceptions import InputError
from alvh.market.quotes.cboe import UNDERLYING, read_cboe_chain
from alvh.market.quotes.futures import read_vix_futures
from alvh.market.quotes.symbols import (
    MONTH_CODES,
    FutureSymbol,
    OptionSymbol,
    format_future,
    format_occ,
    parse_future,
    parse_occ,
)
from alvh.market.quotes.table import CHAIN_COLUMNS, REJECT_COLUMNS, ChainQuotes, OnInvalid, first_row
from alvh.market.quotes.vendor import read_vendor_chain

__all__ = [
    "CHAIN_COLUMNS",
    "MONTH_CODES",
    "REJECT_COLUMNS",
    "ChainQuotes",
    "FutureSymbol",
    "OnInvalid",
    "OptionSymbol",
    "format_future",
    "format_occ",
    "parse_future",
    "parse_occ",
    "read_cboe_chain",
    "read_chain",
    "read_vendor_chain",
    "read_vix_futures",
]


def read_chain(path: str | Path, *, on_invalid: OnInvalid = "raise") -> ChainQuotes:
    """Read an option-chain file in either format, told apart by its first line: a Cboe
    delayed-quotes download (:func:`read_cboe_chain`) starts with its underlying
    (``SPX (S&P 500 INDEX),…``), a vendor file (:func:`read_vendor_chain`) with its header.

    Raises
    ------
    InputError
        A file in neither format (naming its first line), or whatever the reader raises.
    """
    line, first = first_row(Path(path)) or (1, [])
    if first and UNDERLYING.match(first[0]):
        return read_cboe_chain(path, on_invalid=on_invalid)
    if {"underlying", "optionroot"} <= set(first):
        return read_vendor_chain(path, on_invalid=on_invalid)
    raise InputError(
        f"{path}: line {line}: {','.join(first)!r} is not allowed: a chain file must start like Cboe's "
        "delayed-quotes download ('SPX (S&P 500 INDEX),5912.17,-10.20') or with the vendor format's header "
        "(underlying,underlying_last,…,optionroot,…)"
    )
