"""A generated chain written in each format the readers take (Cboe old and new layouts, the vendor
format with its columns in any order) reads back to the same table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from alvh.market.quotes import read_chain
from alvh.market.quotes.table import chain_table
from alvh.market.quotes.vendor import VENDOR_COLUMNS
from tests.market.quotes.chain_files import QUOTE_TIME, write_cboe, write_vendor

ROOTS = {"SPX": ["SPX", "SPXW"], "VIX": ["VIX", "VIXW"]}

price = st.one_of(st.just(np.nan), st.integers(0, 2_000_000).map(lambda cents: cents / 100))
count = st.one_of(st.just(np.nan), st.integers(0, 10**6).map(float))
iv = st.one_of(st.just(np.nan), st.integers(0, 50_000).map(lambda bp: bp / 10_000))


@st.composite
def chains(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    """An underlying and a chain on it: a call and a put per root, expiry and strike, calls first."""
    underlying = draw(st.sampled_from(sorted(ROOTS)))
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ROOTS[underlying]),
                st.dates(dt.date(2026, 11, 20), dt.date(2031, 12, 31)),
                st.integers(1, 40_000).map(lambda halves: halves / 2),
            ),
            min_size=1,
            max_size=12,
            unique=True,
        )
    )
    rows = []
    for root, expiry, strike in keys:
        for right in ("call", "put"):
            numbers = {name: draw(price) for name in ("bid", "ask", "last")}
            rows.append(
                {
                    "root": root,
                    "expiry": pd.Timestamp(expiry),
                    "strike": strike,
                    "right": right,
                    **numbers,
                    "volume": draw(count),
                    "open_interest": draw(count),
                    "iv": draw(iv),
                }
            )
    return underlying, chain_table(QUOTE_TIME, pd.DataFrame(rows).to_dict("list"))


def check_read(path: Path, expected: pd.DataFrame, underlying: str) -> None:
    chain = read_chain(path)
    pd.testing.assert_frame_equal(chain.quotes, expected)
    assert chain.rejects.empty
    assert (chain.underlying, chain.underlying_last, chain.source) == (underlying, 123.45, str(path))
    assert chain.quote_time == QUOTE_TIME


@given(chains(), st.sampled_from(["old", "new"]))
def test_a_cboe_file_reads_back_to_its_chain(tmp_path_factory, chain: tuple[str, pd.DataFrame], layout: str) -> None:  # type: ignore[no-untyped-def]
    underlying, quotes = chain
    path = write_cboe(
        tmp_path_factory.mktemp("cboe") / "c.csv", quotes, layout=layout, underlying=underlying, level=123.45
    )
    check_read(path, quotes.assign(iv=np.nan) if layout == "old" else quotes, underlying)  # no IV in the old layout


@given(chains(), st.permutations(VENDOR_COLUMNS))
def test_a_vendor_file_reads_back_to_its_chain(
    tmp_path_factory, chain: tuple[str, pd.DataFrame], columns: list[str]
) -> None:  # type: ignore[no-untyped-def]
    underlying, quotes = chain
    path = write_vendor(
        tmp_path_factory.mktemp("vendor") / "v.csv", quotes, underlying=underlying, level=123.45, columns=columns
    )
    check_read(path, quotes, underlying)


@given(chains(), st.sampled_from(["cboe", "vendor"]), st.data())
def test_skip_leaves_out_exactly_the_bad_quotes(  # type: ignore[no-untyped-def]
    tmp_path_factory, chain: tuple[str, pd.DataFrame], form: str, data: st.DataObject
) -> None:
    underlying, quotes = chain
    bad = sorted(data.draw(st.sets(st.integers(0, len(quotes) - 1), max_size=len(quotes) - 1)))
    corrupted = quotes.copy()
    corrupted.loc[bad, "bid"] = -1.0
    folder = tmp_path_factory.mktemp(form)
    if form == "cboe":
        path = write_cboe(folder / "c.csv", corrupted, layout="new", underlying=underlying, level=123.45)
        lines = [4 + row // 2 for row in bad]  # a call and a put per line, after 3 lines of head
        fields = [f"Bid ({'Calls' if row % 2 == 0 else 'Puts'})" for row in bad]
    else:
        path = write_vendor(
            folder / "v.csv", corrupted, underlying=underlying, level=123.45, columns=list(VENDOR_COLUMNS)
        )
        lines, fields = [2 + row for row in bad], ["bid"] * len(bad)
    chain_read = read_chain(path, on_invalid="skip")
    pd.testing.assert_frame_equal(chain_read.quotes, quotes.drop(index=bad).reset_index(drop=True))
    rejects = chain_read.rejects
    assert rejects["line"].tolist() == lines
    assert rejects["field"].tolist() == fields
    assert (rejects["value"] == "-1.0").all()
