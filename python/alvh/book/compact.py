"""Compact legs: a validated legs table in columnar numeric dtypes, for books of millions of legs
held in memory or shipped to workers (README, Scale-out).

========================  ===================================================================
``layer``, ``group``      categoricals (``layer``'s categories are the book's layers, in order)
``instrument``            categorical over every :class:`~alvh.book.Instrument` (the same
                          categories in every table, so tables concatenate without re-coding)
``right``                 int8: 1 call, -1 put, 0 none (not an option)
``expiry``, ``start``     int32 days since 1970-01-01 (``start``: :data:`NO_DATE` where absent)
``strike``, ``quantity``, float64 (NaN where absent)
``entry_price``,
``realized_vol``
========================  ===================================================================

Left out, as they follow from the rest: the multiplier (from the instrument), the role (from the
layer) and the ``source`` of each leg (its row, ``row N`` from the table's index, for errors).
The table is already validated: :func:`compact_book` turns it back into a :class:`Book` without
checking the legs again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alvh.book.book import Book
from alvh.book.instruments import Instrument
from alvh.book.legs import LEG_COLUMNS, legs_table
from alvh.book.roles import LayerSpec, Role
from alvh.exceptions import ConfigError

__all__ = ["COMPACT_COLUMNS", "NO_DATE", "compact_book", "compact_legs", "is_compact"]

NO_DATE = np.iinfo(np.int32).min
"""The day count of an absent date (``start`` of a leg that is not a variance swap)."""

COMPACT_COLUMNS = LEG_COLUMNS
"""The columns of a compact table: those of a legs table, in the same order."""

_INSTRUMENTS = pd.CategoricalDtype([i.value for i in Instrument])
_RIGHT_CODES = {"call": 1, "put": -1}
_EPOCH = np.datetime64("1970-01-01", "D")


def compact_legs(legs: pd.DataFrame, layers: Sequence[str] | None = None) -> pd.DataFrame:
    """The compact form of a validated legs table (:attr:`Book.legs`).

    Parameters
    ----------
    legs
        A validated legs table, as a book holds it.
    layers
        The layer names in order (the categories of ``layer``); default: in order of first
        appearance.

    Returns
    -------
    pandas.DataFrame
        One row per leg, the columns of :data:`COMPACT_COLUMNS` in the dtypes of the module
        docstring; the index is kept.
    """
    names = list(dict.fromkeys(legs["layer"].astype(str))) if layers is None else list(layers)
    rights = legs["right"].to_numpy(object)
    right = np.zeros(len(legs), dtype=np.int8)
    for text, code in _RIGHT_CODES.items():
        right[rights == text] = code
    return pd.DataFrame(
        {
            "layer": pd.Categorical(legs["layer"].astype(str), categories=names),
            "instrument": pd.Categorical(legs["instrument"].astype(str), dtype=_INSTRUMENTS),
            "expiry": _days(legs["expiry"]),
            "right": right,
            "strike": legs["strike"].to_numpy(np.float64),
            "quantity": legs["quantity"].to_numpy(np.float64),
            "entry_price": legs["entry_price"].to_numpy(np.float64),
            "group": _text_categories(legs["group"]),
            "start": _days(legs["start"]),
            "realized_vol": legs["realized_vol"].to_numpy(np.float64),
        },
        index=legs.index,
    )


def is_compact(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is a compact table (:func:`compact_legs`): its columns and dtypes."""
    return (
        list(frame.columns) == COMPACT_COLUMNS
        and isinstance(frame["layer"].dtype, pd.CategoricalDtype)
        and frame["instrument"].dtype == _INSTRUMENTS
        and frame["right"].dtype == np.int8
        and frame["expiry"].dtype == np.int32
        and frame["start"].dtype == np.int32
    )


def compact_book(compact: pd.DataFrame, *, name: str = "book", layers: Sequence[LayerSpec] | None = None) -> Book:
    """The :class:`Book` of a compact table, not validated again (it was, before it was compacted).

    Parameters
    ----------
    compact
        A compact table (:func:`compact_legs`).
    name
        The book's name.
    layers
        The book's layers, at least every category of ``layer``; default: each category as a
        ``custom`` layer, in category order.

    Raises
    ------
    ConfigError
        ``compact`` is not a compact table, or a ``right`` code is none of 1, -1, 0.
    """
    if not is_compact(compact):
        raise ConfigError(f"{name}: not a compact legs table (see alvh.book.compact.compact_legs)")
    specs = (
        [LayerSpec(str(layer), Role.CUSTOM) for layer in compact["layer"].cat.categories]
        if layers is None
        else list(layers)
    )
    codes = compact["right"].to_numpy(np.int8)
    if not np.isin(codes, [-1, 0, 1]).all():
        row = int(np.flatnonzero(~np.isin(codes, [-1, 0, 1]))[0])
        raise ConfigError(f"{name}: row {row + 1}.right = {codes[row]} is not allowed: 1 (call), -1 (put) or 0")
    right = np.array([None, "call", "put"], dtype=object)[codes]  # -1 is put
    rows = pd.Series(np.arange(1, len(compact) + 1) if compact.index.dtype.kind not in "iu" else compact.index + 1)
    table = legs_table(
        {
            "layer": compact["layer"].astype("str").array,
            "instrument": compact["instrument"].astype("str").array,
            "expiry": _dates(compact["expiry"]),
            "right": pd.array(right, dtype="str"),
            "strike": compact["strike"].to_numpy(np.float64),
            "quantity": compact["quantity"].to_numpy(np.float64),
            "entry_price": compact["entry_price"].to_numpy(np.float64),
            "group": pd.array(compact["group"].to_numpy(object), dtype="str"),
            "start": _dates(compact["start"]),
            "realized_vol": compact["realized_vol"].to_numpy(np.float64),
            "source": ("row " + rows.astype("str")).array,
        },
        specs,
    )
    return Book.from_table(name, specs, table)


def _text_categories(values: pd.Series) -> pd.Categorical:
    """A text column as a categorical whose categories are text even when every value is missing
    (Parquet cannot read back a dictionary of null type)."""
    text = values.astype("str")
    return pd.Categorical(text, categories=pd.Index(text.dropna().unique(), dtype="str"))


def _days(dates: pd.Series) -> np.ndarray:
    """Dates (``datetime64``, NaT where absent) as int32 days since 1970 (:data:`NO_DATE`)."""
    days = dates.to_numpy("datetime64[D]")
    counts = (days - _EPOCH).astype(np.int64)
    return np.where(np.isnat(days), NO_DATE, counts).astype(np.int32)


def _dates(days: pd.Series) -> np.ndarray:
    """int32 day counts back to ``datetime64[s]`` (NaT for :data:`NO_DATE`)."""
    counts = days.to_numpy(np.int64)
    dates = (_EPOCH + counts.astype("timedelta64[D]")).astype("datetime64[s]")
    return np.where(counts == NO_DATE, np.datetime64("NaT", "s"), dates)
