"""Compact legs (:mod:`alvh.book.compact`): a book's legs in numeric dtypes take at most 150
bytes per leg in memory and value exactly as the book they came from (per leg, per layer, per
condor), and a table that is not compact is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.book import Book
from alvh.book.compact import NO_DATE, compact_book, compact_legs, is_compact
from alvh.data import example_book, example_market
from alvh.exceptions import ConfigError
from alvh.risk.valuation import value_book
from tests.helpers import random_legs

MARKET = example_market()
EVERY_KIND = [0.2, 0.3, 0.2, 0.05, 0.05, 0.1, 0.05, 0.05]
MAX_BYTES_PER_LEG = 150


def mixed_book(n: int, seed: int = 5) -> Book:
    """``n`` random legs of every instrument in four layers, each leg a position of its own (a
    group per leg: the costliest case for the group column)."""
    frame = random_legs(
        MARKET, n, seed=seed, layers=["core", "L1", "L2", "hedge"], kind_weights=EVERY_KIND, entry_prices=True
    )
    frame["group"] = [f"IC-{i // 4}" for i in range(n)]
    return Book.from_frame(frame, roles={"L1": "custom", "L2": "custom", "hedge": "custom"})


def bytes_per_leg(table: pd.DataFrame) -> float:
    return float(table.memory_usage(deep=True).sum()) / len(table)


def test_compact_legs_take_at_most_150_bytes_each() -> None:
    book = mixed_book(20_000)
    compact = compact_legs(book.legs)
    assert is_compact(compact)
    assert bytes_per_leg(compact) <= MAX_BYTES_PER_LEG
    # what it saves: the validated table holds text per leg (source, role, layer, group...)
    assert bytes_per_leg(compact) < bytes_per_leg(book.legs) / 2


def test_compact_dtypes_are_numeric() -> None:
    compact = compact_legs(mixed_book(500).legs)
    assert {c: str(t) for c, t in compact.dtypes.items()} == {
        "layer": "category",
        "instrument": "category",
        "expiry": "int32",
        "right": "int8",
        "strike": "float64",
        "quantity": "float64",
        "entry_price": "float64",
        "group": "category",
        "start": "int32",
        "realized_vol": "float64",
    }
    swaps = compact["instrument"] == "VARSWAP"
    assert (compact.loc[~swaps, "start"] == NO_DATE).all() and (compact.loc[swaps, "start"] != NO_DATE).all()
    assert set(compact["right"]) == {-1, 0, 1}


@pytest.mark.parametrize("book", [example_book(), mixed_book(3_000)], ids=["example", "every instrument"])
def test_a_compact_book_values_exactly_as_the_book(book: Book) -> None:
    compact = compact_legs(book.legs, [layer.name for layer in book.layers])
    again = compact_book(compact, name=book.name, layers=book.layers)
    want, got = value_book(book, MARKET), value_book(again, MARKET)
    pd.testing.assert_frame_equal(got.layers, want.layers)
    pd.testing.assert_series_equal(got.total, want.total)
    pd.testing.assert_frame_equal(got.condors, want.condors)
    pd.testing.assert_frame_equal(got.legs.drop(columns="source"), want.legs.drop(columns="source"))


def test_default_layers_are_custom_in_order_of_first_appearance() -> None:
    book = mixed_book(400)
    again = compact_book(compact_legs(book.legs))
    assert [layer.name for layer in again.layers] == list(dict.fromkeys(book.legs["layer"]))
    assert {layer.role.value for layer in again.layers} == {"custom"}
    assert again.legs["source"].iloc[:2].tolist() == ["row 1", "row 2"]


def test_a_table_that_is_not_compact_is_refused() -> None:
    book = example_book()
    with pytest.raises(ConfigError, match="not a compact legs table"):
        compact_book(book.legs)
    loose = compact_legs(book.legs).assign(expiry=lambda t: t["expiry"].astype(np.int64))
    with pytest.raises(ConfigError, match="not a compact legs table"):
        compact_book(loose)


def test_a_right_code_other_than_1_minus_1_0_is_refused() -> None:
    compact = compact_legs(example_book().legs)
    compact.loc[2, "right"] = np.int8(-2)  # would index "call" from the end without the check
    with pytest.raises(ConfigError, match=r"row 3\.right = -2 is not allowed: 1 \(call\), -1 \(put\) or 0"):
        compact_book(compact)
