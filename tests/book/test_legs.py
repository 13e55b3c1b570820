"""The legs table's helpers: the layer lookup every valuation and validation makes, and the table of
legs a caller checked itself (the backtest's ledger)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.book import Book, LayerSpec, Role
from alvh.book.legs import layer_positions, legs_table, validated_legs
from alvh.exceptions import ConfigError

_NAMES = st.text(alphabet="abcL123_ ", min_size=0, max_size=4)


@given(
    layers=st.lists(_NAMES, unique=True, max_size=8),
    values=st.lists(st.one_of(_NAMES, st.just(None), st.just(float("nan"))), max_size=30),
)
def test_layer_positions_are_those_of_a_pandas_index_lookup(layers: list[str], values: list[object]) -> None:
    # the sorted lookup gives what pandas' hash lookup gives: the position of each leg's layer, -1 for a
    # layer the book does not have and for a missing one
    column = np.array(values, dtype=object)
    expected = pd.Index(layers, dtype=object).get_indexer(column)
    expected[pd.isna(column)] = -1
    np.testing.assert_array_equal(layer_positions(layers, column), expected)


def test_layer_positions_of_a_book_with_many_layers() -> None:
    layers = [f"layer-{i}" for i in range(5000)][::-1]
    column = np.array([f"layer-{i}" for i in range(0, 5000, 7)] + ["layer-5000"], dtype=object)
    np.testing.assert_array_equal(layer_positions(layers, column), [4999 - i for i in range(0, 5000, 7)] + [-1])


def _typed_columns() -> dict[str, object]:
    """Three legs as a caller that checked them holds them (the backtest's ledger)."""
    text = lambda *values: pd.array(list(values), dtype="str")  # noqa: E731
    return {
        "layer": text("core", "core", "L2"),
        "instrument": text("SPXW", "SPXW", "VX"),
        "expiry": pd.to_datetime(np.array(["2027-01-15", "2027-01-15", "2027-01-20"], dtype="datetime64[s]")),
        "right": text("put", "call", None),
        "strike": np.array([4000.0, 5000.0, np.nan]),
        "quantity": np.array([-2.0, -2.0, 3.0]),
        "entry_price": np.array([10.0, 8.0, 18.5]),
        "group": text("IC-1", "IC-1", None),
        "start": np.full(3, np.datetime64("NaT"), dtype="datetime64[s]"),
        "realized_vol": np.full(3, np.nan),
        "source": text("core:IC-1", "core:IC-1", "L2:VX"),
    }


LAYERS = [LayerSpec("core", Role.CORE), LayerSpec("L2", Role.DELTA_OVERLAY)]


def test_legs_table_is_the_validated_table_of_the_same_legs() -> None:
    columns = _typed_columns()
    validated = validated_legs(pd.DataFrame(columns), LAYERS, "ledger")
    pd.testing.assert_frame_equal(legs_table(columns, LAYERS), validated, check_exact=True)
    assert validated["multiplier"].tolist() == [100.0, 100.0, 1000.0]
    assert validated["role"].tolist() == ["core", "core", "L2_delta_overlay"]


def test_legs_table_refuses_a_leg_outside_the_layers_and_a_zero_size() -> None:
    with pytest.raises(ConfigError, match=r"L2:VX\.layer is none of the book's layers"):
        legs_table(_typed_columns(), LAYERS[:1])
    columns = _typed_columns() | {"quantity": np.array([-2.0, 0.0, 3.0])}
    with pytest.raises(ConfigError, match=r"core:IC-1\.quantity = 0\.0 is not allowed"):
        legs_table(columns, LAYERS)


def test_a_book_from_the_table_is_the_book_validated_from_the_same_legs() -> None:
    columns = _typed_columns()
    checked = Book.from_table("ledger", LAYERS, legs_table(columns, LAYERS))
    parsed = Book("ledger", LAYERS, pd.DataFrame(columns))
    assert checked.layers == parsed.layers
    pd.testing.assert_frame_equal(checked.legs, parsed.legs, check_exact=True)
