"""The legs table's helpers: the layer lookup every valuation and validation makes, and the table of
legs a caller checked itself (the backtest's ledger, the legs alvh's builders and engine build)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.book import Book, LayerSpec, Leg, Role
from alvh.book.builders import iron_condor, spx_future, vix_call_spread, vix_future
from alvh.book.legs import LegRow, built_legs_table, layer_positions, legs_frame, legs_table, validated_legs
from alvh.data import example_book, example_market
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


MARKET = example_market()


def _built_rows() -> list[LegRow]:
    """Legs as alvh's builders make them: a condor, a VIX call spread and futures (no right, no group)."""
    condor = iron_condor(MARKET, dt.date(2026, 12, 18), quantity=3.0, group="IC-1")
    spread = vix_call_spread(MARKET, dt.date(2027, 1, 20), long_strike=20.0, width=5.0, quantity=2.0, group="L1-1")
    futures = (vix_future(MARKET, dt.date(2026, 12, 16), -4.0), spx_future(MARKET, dt.date(2027, 3, 19), 1.0))
    legs = [("core", leg) for leg in condor] + [("L2", leg) for leg in (*spread, *futures)]
    return [(layer, f"added[{i}]", leg) for i, (layer, leg) in enumerate(legs)]


def test_built_legs_table_is_the_validated_table_of_the_same_legs() -> None:
    rows = _built_rows()
    validated = validated_legs(legs_frame(rows), LAYERS, "built")
    pd.testing.assert_frame_equal(built_legs_table(rows, LAYERS), validated, check_exact=True)


def test_built_legs_table_keeps_text_columns_as_text_when_every_cell_is_empty() -> None:
    # futures alone: the validated table has the empty right and group as objects, the built one as text
    rows = [row for row in _built_rows() if row[2].right is None]
    validated = validated_legs(legs_frame(rows), LAYERS, "built")
    built = built_legs_table(rows, LAYERS)
    assert built["right"].isna().all() and built["group"].isna().all()
    pd.testing.assert_frame_equal(built, validated.astype({"right": "str", "group": "str"}), check_exact=True)


def test_a_book_with_built_legs_trusted_is_the_book_with_them_validated() -> None:
    book = example_book()
    extra = [(layer, leg) for layer, _, leg in _built_rows()] + [("new", Leg("VXM", dt.date(2027, 1, 20), 2.0))]
    trusted = book.with_legs(extra, role_of_new_layers=Role.OUTER, trusted=True)
    validated = book.with_legs(extra, role_of_new_layers=Role.OUTER)
    assert trusted.layers == validated.layers
    pd.testing.assert_frame_equal(trusted.legs, validated.legs, check_exact=True)


@pytest.mark.parametrize(
    ("leg", "message"),
    [
        (Leg("vxm", dt.date(2027, 1, 20), 1.0), r"added\[0\]\.instrument = 'vxm' is not allowed"),
        (Leg("SPX", dt.date(2027, 1, 15), 1.0, strike=5000.0, right="Call"), r"added\[0\]\.right = 'Call'"),
    ],
)
def test_the_trusted_path_refuses_names_the_kernels_do_not_know(leg: Leg, message: str) -> None:
    """Legs taken without parsing (a public Trade's) keep their text as written: a name or right
    the kernels do not know would be valued with no multiplier or as a put, so it is refused."""
    with pytest.raises(ConfigError, match=message):
        example_book().with_legs([("L2", leg)], trusted=True)
