"""Bulk Greeks (:class:`alvh.risk.bulk.LegStream`): the per-layer running sums and the per-leg output
equal :func:`alvh.risk.valuation.value_book` on the whole file whatever the chunk size, errors name the
file's row even in later chunks, unknown formats are refused, and Parquet round-trips.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.book import LEG_COLUMNS, Book
from alvh.data import example_book, example_market
from alvh.exceptions import ConfigError
from alvh.market.snapshot import Market
from alvh.risk.bulk import LegStream
from alvh.risk.valuation import BUCKETS, METRICS, BookRisk, value_book

MARKET = example_market()
SUMS = [*METRICS, *BUCKETS]
NUMERIC_OUTPUT = ["strike", "quantity", "entry_price", "realized_vol", "years", "dte", "underlying", "vol", "price"]
TEXT_OUTPUT = ["layer", "instrument", "right", "group"]


def make_legs(copies: int = 4) -> pd.DataFrame:
    """The example book's legs, ``copies`` times: odd copies in layers of their own (``core-b``…)
    and each copy with its own size, so that rows and layers differ."""
    legs = example_book().legs[LEG_COLUMNS]
    frames = []
    for k in range(copies):
        copy = legs.copy()
        copy["quantity"] = copy["quantity"] * (k + 1)
        if k % 2:
            copy["layer"] = copy["layer"] + "-b"
        frames.append(copy)
    frame = pd.concat(frames, ignore_index=True)
    frame["expiry"] = frame["expiry"].dt.strftime("%Y-%m-%d")
    return frame.drop(columns=["start"])


def whole_file_risk(legs: pd.DataFrame, market: Market = MARKET) -> BookRisk:
    """The library's valuation of every leg at once, layers valued as ``custom`` like LegStream."""
    names = list(dict.fromkeys(legs["layer"].astype(str)))
    return value_book(Book.from_frame(legs, roles=dict.fromkeys(names, "custom")), market)


def assert_legs_output(output: pd.DataFrame, expected: pd.DataFrame) -> None:
    """A per-leg output file's rows equal the library's per-leg table (same order)."""
    assert list(output.columns) == [*LEG_COLUMNS, "years", "dte", "underlying", "vol", "price", *METRICS]
    assert len(output) == len(expected)
    for column in TEXT_OUTPUT:
        got = output[column].astype(object).where(output[column].notna(), "")
        want = expected[column].astype(object).where(expected[column].notna(), "")
        assert got.astype(str).tolist() == want.astype(str).tolist(), column
    assert (pd.to_datetime(output["expiry"]).to_numpy() == pd.to_datetime(expected["expiry"]).to_numpy()).all()
    for column in NUMERIC_OUTPUT + METRICS:
        np.testing.assert_allclose(
            output[column].to_numpy(np.float64),
            expected[column].to_numpy(np.float64),
            rtol=1e-12,
            atol=1e-9,
            equal_nan=True,
            err_msg=column,
        )


def assert_sums(layers: pd.DataFrame, expected: pd.DataFrame, *, rtol: float = 1e-9) -> None:
    assert list(layers.index) == list(expected.index)
    assert list(layers.columns) == SUMS
    scale = expected[SUMS].abs().to_numpy().max()
    np.testing.assert_allclose(
        layers[SUMS].to_numpy(), expected[SUMS].to_numpy(np.float64), rtol=rtol, atol=rtol * scale
    )


@pytest.fixture(scope="module")
def legs() -> pd.DataFrame:
    return make_legs()


@pytest.fixture(scope="module")
def expected(legs: pd.DataFrame) -> BookRisk:
    return whole_file_risk(legs)


@pytest.fixture(scope="module")
def csv_path(legs: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "legs.csv"
    legs.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def parquet_path(legs: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "legs.parquet"
    legs.to_parquet(path, index=False)
    return path


def test_legs_file_has_several_layers_and_instruments(legs: pd.DataFrame) -> None:
    assert len(legs) == 68
    assert legs["layer"].nunique() == 8
    assert set(legs["instrument"]) == {"SPXW", "VIX", "VXM"}


@pytest.mark.parametrize("chunk_size", [3, 17, 1000])
def test_sums_equal_value_book_on_the_whole_file(csv_path: Path, expected: BookRisk, chunk_size: int) -> None:
    stream = LegStream(csv_path, MARKET, chunk_size=chunk_size)
    assert stream.total_rows == 68
    done = list(stream)
    assert done == [min(chunk_size, 68 - i) for i in range(0, 68, chunk_size)]
    assert stream.rows == 68
    assert_sums(stream.layers, expected.layers)


def test_sums_do_not_depend_on_the_chunk_size(csv_path: Path) -> None:
    results = []
    for chunk_size in (2, 5, 68):
        stream = LegStream(csv_path, MARKET, chunk_size=chunk_size)
        list(stream)
        results.append(stream.layers)
    for other in results[1:]:
        assert_sums(other, results[0])


def test_same_file_gives_the_same_sums_every_run(csv_path: Path) -> None:
    first, second = LegStream(csv_path, MARKET, chunk_size=7), LegStream(csv_path, MARKET, chunk_size=7)
    list(first), list(second)
    pd.testing.assert_frame_equal(first.layers, second.layers)


@pytest.mark.parametrize(("row", "chunk_size"), [(1, 3), (5, 3), (9, 3), (5, 1000), (68, 10)])
def test_errors_name_the_file_row_in_later_chunks(
    legs: pd.DataFrame, tmp_path: Path, row: int, chunk_size: int
) -> None:
    bad = legs.astype({"strike": object})
    bad.loc[row - 1, "strike"] = "abc"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    stream = LegStream(path, MARKET, chunk_size=chunk_size)
    with pytest.raises(ConfigError, match=rf"bad\.csv: row {row}\.strike = 'abc' is not allowed: a number"):
        list(stream)
    assert stream.rows == (row - 1) // chunk_size * chunk_size  # the chunks before it were done


def test_valuation_errors_name_the_file_row(legs: pd.DataFrame, tmp_path: Path) -> None:
    expired = legs.copy()
    expired.loc[6, "expiry"] = "2026-01-02"  # row 7, before the market's date
    path = tmp_path / "expired.csv"
    expired.to_csv(path, index=False)
    with pytest.raises(ConfigError, match=r"row 7\.expiry = 2026-01-02 is before the market's as_of"):
        list(LegStream(path, MARKET, chunk_size=3))


def test_missing_column_is_named(legs: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "nolayer.csv"
    legs.drop(columns=["quantity"]).to_csv(path, index=False)
    with pytest.raises(ConfigError, match=r"nolayer\.csv: missing column 'quantity'"):
        list(LegStream(path, MARKET))


def test_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ConfigError, match=r"empty\.csv: cannot read as CSV"):
        list(LegStream(empty, MARKET))
    garbage = tmp_path / "garbage.parquet"
    garbage.write_text("not parquet\n")
    with pytest.raises(ConfigError, match=r"garbage\.parquet: cannot read as Parquet"):
        LegStream(garbage, MARKET)


def test_header_only_file_has_no_legs(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(LEG_COLUMNS) + "\n")
    stream = LegStream(path, MARKET)
    assert stream.total_rows == 0
    assert sum(stream) == 0
    assert stream.layers.empty and list(stream.layers.columns) == SUMS


def test_row_count_without_final_newline(legs: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "nonl.csv"
    path.write_text(legs.head(5).to_csv(index=False).rstrip("\n"))
    stream = LegStream(path, MARKET, chunk_size=2)
    assert stream.total_rows == 5
    assert sum(stream) == 5


@pytest.mark.parametrize(
    ("source", "output", "message"),
    [
        ("legs.txt", None, r"legs.txt: unknown legs format '\.txt'; use \.csv or \.parquet"),
        ("legs.json", None, r"unknown legs format '\.json'"),
        ("legs.csv", "out.json", r"out.json: unknown output format '\.json'; use \.parquet or \.csv"),
        ("legs.csv", "out", r"out: unknown output format ''"),
    ],
)
def test_unknown_formats(tmp_path: Path, source: str, output: str | None, message: str) -> None:
    path = tmp_path / source
    path.write_text("layer,instrument,expiry,quantity\n")
    with pytest.raises(ConfigError, match=message):
        LegStream(path, MARKET, output=None if output is None else tmp_path / output)


def test_chunk_size_must_be_positive(csv_path: Path) -> None:
    with pytest.raises(ConfigError, match="chunk_size = 0 is not allowed: at least 1"):
        LegStream(csv_path, MARKET, chunk_size=0)


@pytest.mark.parametrize("chunk_size", [5, 1000])
def test_parquet_round_trip(
    parquet_path: Path, tmp_path: Path, expected: BookRisk, legs: pd.DataFrame, chunk_size: int
) -> None:
    output = tmp_path / "out.parquet"
    stream = LegStream(parquet_path, MARKET, chunk_size=chunk_size, output=output)
    assert stream.total_rows == len(legs)
    assert sum(stream) == len(legs)
    assert_sums(stream.layers, expected.layers)
    assert_legs_output(pd.read_parquet(output), expected.legs)


def test_parquet_output_with_one_leg_per_chunk(legs: pd.DataFrame, tmp_path: Path) -> None:
    """Chunks of one leg: the future's chunk has its text columns right and group all missing and
    still gets the first chunk's schema."""
    one_copy = legs.head(17)
    assert (one_copy["instrument"] == "VXM").sum() == 1
    source = tmp_path / "one.parquet"
    one_copy.to_parquet(source, index=False)
    output = tmp_path / "out.parquet"
    stream = LegStream(source, MARKET, chunk_size=1, output=output)
    assert list(stream) == [1] * 17
    expected = whole_file_risk(one_copy)
    assert_sums(stream.layers, expected.layers)
    assert_legs_output(pd.read_parquet(output), expected.legs)


def test_csv_output_equals_parquet_output(csv_path: Path, tmp_path: Path, expected: BookRisk) -> None:
    list(LegStream(csv_path, MARKET, chunk_size=4, output=tmp_path / "out.csv"))
    list(LegStream(csv_path, MARKET, chunk_size=9, output=tmp_path / "out.parquet"))
    from_csv = pd.read_csv(tmp_path / "out.csv")
    assert_legs_output(from_csv, expected.legs)
    assert_legs_output(pd.read_parquet(tmp_path / "out.parquet"), from_csv)


def test_output_is_replaced_not_appended(csv_path: Path, tmp_path: Path, legs: pd.DataFrame) -> None:
    for output in (tmp_path / "again.csv", tmp_path / "again.parquet"):
        for _ in range(2):
            list(LegStream(csv_path, MARKET, chunk_size=10, output=output))
        frame = pd.read_csv(output) if output.suffix == ".csv" else pd.read_parquet(output)
        assert len(frame) == len(legs)
