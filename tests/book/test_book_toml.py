"""Books written as TOML (alvh.book.book_toml) read back by load_book to the same book: the
example book, imported positions, and random books of every kind of leg with any text in names."""

from __future__ import annotations

import datetime as dt
import tempfile
import tomllib
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from alvh.book import Book, Layer, LayerSpec, Leg, Role, book_toml, import_positions, load_book
from alvh.data import example_book, example_market, example_positions_path
from tests.helpers import random_legs

SAMPLE = example_positions_path()
MARKET = example_market()


def assert_same_book(read: Book, written: Book) -> None:
    """Name, layers (names and roles, in order) and legs (every field, in order) are equal."""
    assert read.name == written.name
    assert read.layers == written.layers
    columns = [c for c in read.legs.columns if c != "source"]  # where each leg was read from differs
    pd.testing.assert_frame_equal(_text_values(read.legs[columns]), _text_values(written.legs[columns]))


def _text_values(legs: pd.DataFrame) -> pd.DataFrame:
    """The legs with their optional text columns as objects and None where empty: pandas holds
    them as object or str columns (None or NaN), by how the table was made."""
    return legs.assign(**{c: legs[c].astype(object).where(legs[c].notna(), None) for c in ("right", "group")})


def round_trip(book: Book, tmp_path: Path) -> Book:
    path = tmp_path / "book.toml"
    path.write_text(book_toml(book), encoding="utf-8")
    return load_book(path)


def test_the_example_book_round_trips(tmp_path: Path) -> None:
    book = example_book()
    text = book_toml(book)
    assert text.startswith(
        'name = "Example ALVH book"\n\n[[layers]]\nname = "core"\nrole = "core"\n\n[[layers.legs]]\n'
    )
    assert 'instrument = "VXM"\nexpiry = 2026-12-16\nquantity = 10.0\nentry_price = 17.15\n' in text  # no empty fields
    assert_same_book(round_trip(book, tmp_path), book)


def test_imported_positions_round_trip(tmp_path: Path) -> None:
    book = import_positions(SAMPLE, as_of=MARKET.as_of.date()).book
    assert_same_book(round_trip(book, tmp_path), book)


def test_a_layer_without_legs_and_text_that_needs_escapes_round_trip(tmp_path: Path) -> None:
    name = 'a "quoted"\\ name\twith\ncontrol \x7f\x01 and ünïcode ✓'
    book = Book.from_layers(
        name,
        [
            Layer("core", Role.CORE, (Leg("SPXW", dt.date(2026, 12, 4), -1, 5700.0, "put", group=name),)),
            Layer("empty", Role.OUTER),
        ],
    )
    assert tomllib.loads(book_toml(book))["layers"][1] == {"name": "empty", "role": "outer"}
    assert_same_book(round_trip(book, tmp_path), book)


@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 40),
    name=st.text(max_size=20),
    group=st.text(max_size=12),
)
def test_random_books_round_trip(seed: int, size: int, name: str, group: str) -> None:
    frame = random_legs(
        MARKET, size, seed=seed, layers=["core", "x"], kind_weights=[0.3, 0.3, 0.2, 0.05, 0.1, 0.05], entry_prices=True
    )
    frame["group"] = [f"{group}{i % 3}" if i % 4 else None for i in range(size)]
    frame = frame.sort_values("layer", kind="stable", ignore_index=True)  # a TOML book holds legs by layer
    book = Book(name, [LayerSpec("core", Role.CORE), LayerSpec("x", Role.CUSTOM)], frame.assign(source="row"))
    with tempfile.TemporaryDirectory() as folder:
        assert_same_book(round_trip(book, Path(folder)), book)
