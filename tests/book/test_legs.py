"""The legs table's helpers: the layer lookup every valuation and validation makes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from alvh.book.legs import layer_positions

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
