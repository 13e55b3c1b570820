"""Notebook and console views of a Book: its layers with their roles and leg counts, in a few
lines however many layers it has; in HTML the layer table."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import alvh.book.book as book_module
from alvh._repr import MAX_ROWS
from alvh.book import Book, Layer
from alvh.data import example_book
from tests.html_tables import read_tables

BOOK = example_book()


def test_repr_lists_the_layers_with_roles_and_leg_counts() -> None:
    assert repr(BOOK).splitlines() == [
        "Book 'Example ALVH book': 17 legs in 4 layers",
        "  core (core): 12 legs",
        "  L1 (L1_theta_anchor): 2 legs",
        "  L2 (L2_delta_overlay): 1 leg",
        "  L3 (L3_adaptive): 2 legs",
    ]


def _one_future_per_layer(layers: int) -> Book:
    """A book of ``layers`` custom layers, one VX future each."""
    return Book.from_frame(
        pd.DataFrame(
            {
                "layer": [f"hedge{i}" for i in range(layers)],
                "role": "custom",
                "instrument": "VX",
                "expiry": dt.date(2026, 12, 16),
                "quantity": 1.0,
            }
        )
    )


def test_repr_of_a_book_with_many_layers_stays_short() -> None:
    layers = 1200
    book = _one_future_per_layer(layers)
    lines = repr(book).splitlines()
    assert lines[0] == "Book 'book': 1,200 legs in 1,200 layers"
    assert len(lines) == 1 + MAX_ROWS + 1 and lines[-1] == f"  … {layers - MAX_ROWS:,} more layers"
    _, (table,) = read_tables(book._repr_html_())
    assert len(table.rows) == MAX_ROWS + 1 and table.rows[-1] == [f"… {layers - MAX_ROWS:,} more rows"]


def test_html_is_the_layer_table() -> None:
    title, (table,) = read_tables(BOOK._repr_html_())
    assert title == "Book 'Example ALVH book': 17 legs in 4 layers"
    assert table.header == ["layer", "role", "legs", "instruments", "first expiry", "last expiry"]
    assert table.rows == [
        ["core", "core", "12", "SPXW", "2026-11-27", "2026-12-11"],
        ["L1", "L1_theta_anchor", "2", "VIX", "2026-12-16", "2026-12-16"],
        ["L2", "L2_delta_overlay", "1", "VXM", "2026-12-16", "2026-12-16"],
        ["L3", "L3_adaptive", "2", "VIX", "2027-01-20", "2027-01-20"],
    ]


def test_a_layer_without_legs_shows_empty_cells() -> None:
    book = Book.from_layers("empty", [Layer("core", "core")])
    assert repr(book).splitlines() == ["Book 'empty': 0 legs in 1 layer", "  core (core): 0 legs"]
    _, (table,) = read_tables(book._repr_html_())
    assert table.rows == [["core", "core", "0", "", "", ""]]


def test_html_of_a_book_with_many_layers_reads_only_the_layers_it_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """The instrument lists are a Python call per layer: built for the drawn layers only, a
    book of thousands of layers shows at once."""
    layers = 3000
    book = _one_future_per_layer(layers)
    calls = []
    listed = book_module._listed
    monkeypatch.setattr(book_module, "_listed", lambda instruments: calls.append(1) or listed(instruments))
    _, (table,) = read_tables(book._repr_html_())
    assert len(calls) <= MAX_ROWS
    assert table.rows[0] == ["hedge0", "custom", "1", "VX", "2026-12-16", "2026-12-16"]
    assert table.rows[-1] == [f"… {layers - MAX_ROWS:,} more rows"]
