"""The end-of-day vendor format: the sample reads to exact values (US and ISO dates, padded and
unpadded symbols, ^SPX), and every bad header, cell and mixed snapshot is named."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.market.quotes import read_vendor_chain
from tests.market.quotes.chain_files import SAMPLES, expected, variant

SAMPLE = "vendor_spx.csv"
HEADER = (SAMPLES / SAMPLE).read_text().splitlines()[0]


def test_the_sample() -> None:
    chain = read_vendor_chain(SAMPLES / SAMPLE)
    assert (chain.underlying, chain.underlying_last) == ("SPX", 5912.17)
    assert chain.quote_time == dt.datetime(2026, 11, 20, 16, 0)  # the quote date's close
    rows = [
        ("SPXW", "2026-11-27", 5900.0, "call", 61.8, 62.9, 62.3, 1520, 8821, 0.1432),
        ("SPXW", "2026-11-27", 5900.0, "put", 47.6, 48.5, 48.1, 2210, 10120, 0.1511),
        ("SPX", "2026-12-18", 5900.0, "call", 100.9, 102.4, 101.5, 35, 40211, 0.1520),
        ("SPX", "2026-12-18", 5900.0, "put", 0.0, 88.1, np.nan, 0, np.nan, np.nan),
    ]
    pd.testing.assert_frame_equal(chain.quotes, expected(dt.datetime(2026, 11, 20, 16, 0), rows))
    assert chain.rejects.empty


def test_columns_in_another_order(tmp_path: Path) -> None:
    frame = pd.read_csv(SAMPLES / SAMPLE, dtype=str, keep_default_na=False)
    path = tmp_path / "v.csv"
    frame[frame.columns[::-1]].to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_vendor_chain(path).quotes, read_vendor_chain(SAMPLES / SAMPLE).quotes)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (",optionalias", "", "line 1: header = '" + HEADER.removesuffix(",optionalias") + "' is not allowed: column"),
        (",optionalias", "", "column 'optionalias' is missing; the columns, in any order: underlying,underlying_last"),
        (",optionalias", ",optionalias,note", "column 'note' is unknown"),
        (",optionalias", ",optionalias,bid", "is not allowed: column 'bid' appears twice"),
    ],
)
def test_a_bad_header(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER.replace(old, new) + "\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        read_vendor_chain(path, on_invalid="skip")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("^SPX,", "NDX,", "line 4: underlying = 'NDX' is not allowed: must be SPX or VIX (^SPX, ^VIX too)"),
        ("^SPX,5912.17", "^SPX,0", "line 4: underlying_last = '0' is not allowed: must be a number > 0"),
        (",Call,", ",C,", "line 4: type = 'C' is not allowed: must be call or put"),
        (
            ",Call,",
            ",put,",
            "line 4: optionroot = 'SPX261218C05900000' is not allowed: must be of the row's type (put)",
        ),
        ("2026-12-18", "2026-12-19", "line 4: optionroot = 'SPX261218C05900000' is not allowed: must expire on the"),
        (
            "2026-12-18",
            "18.12.2026",
            "line 4: expiration = '18.12.2026' is not allowed: must be a date like '11/27/2026'",
        ),
        ("2026-12-18,2026-11-20", "2026-12-18,20/11/2026", "line 4: quotedate = '20/11/2026' is not allowed"),
        (
            ",5900.0,",
            ",5950.0,",
            "line 4: optionroot = 'SPX261218C05900000' is not allowed: must have the row's strike",
        ),
        (",5900.0,", ",-5900.0,", "line 4: strike = '-5900.0' is not allowed: must be a number > 0 (index points)"),
        (",SPX261218C05900000,,", ",SPX261218X05900000,,", "line 4: optionroot = 'SPX261218X05900000' is not allowed"),
        (
            ",SPX261218C05900000,,",
            ",VIX261218C05900000,,",
            "line 4: optionroot = 'VIX261218C05900000' is not allowed: ",
        ),
        (",100.9,", ",-100.9,", "line 4: bid = '-100.9' is not allowed: must be a number >= 0"),
        (",102.4,", ",1O2.4,", "line 4: ask = '1O2.4' is not allowed"),
        (",101.5,", ",-1,", "line 4: last = '-1' is not allowed"),
        (",35,40211,", ",3 5,40211,", "line 4: volume = '3 5' is not allowed: must be a number of contracts >= 0"),
        (",35,40211,", ",35,-1,", "line 4: openinterest = '-1' is not allowed"),
        (",0.1520,", ",15.2,", "line 4: impliedvol = '15.2' is not allowed: must be a decimal from 0 to 10"),
        (",-1.2,6.1,SPX261218C05900000", ",-1.2", "line 4: row = '^SPX,5912.17,*,SPX261218C05900000,"),
    ],
)
def test_a_bad_cell_names_the_line_and_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = variant(tmp_path, SAMPLE, old, new)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_vendor_chain(path)
    chain = read_vendor_chain(path, on_invalid="skip")
    assert chain.rejects["line"].tolist() == [4]
    assert len(chain.quotes) == 3


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("2026-12-18,2026-11-20", "2026-12-18,2026-11-19", "line 4: quotedate = '2026-11-19' is not allowed: one file"),
        (
            "^SPX,5912.17",
            "VIX,5912.17",
            "line 4: underlying = 'VIX' is not allowed: one file is one snapshot, and line 2",
        ),
        (
            "^SPX,5912.17",
            "^SPX,5912.18",
            "line 4: underlying_last = '5912.18' is not allowed: one file is one snapshot",
        ),
    ],
)
def test_one_file_is_one_snapshot(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = variant(tmp_path, SAMPLE, old, new)
    for on_invalid in ("raise", "skip"):
        with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
            read_vendor_chain(path, on_invalid=on_invalid)  # type: ignore[arg-type]


def test_the_snapshot_is_taken_from_the_first_valid_row(tmp_path: Path) -> None:
    # line 2's quote date is unreadable: skipped, and the file's date is line 3's
    path = variant(tmp_path, SAMPLE, "11/27/2026,11/20/2026,5900,62.3", "11/27/2026,x,5900,62.3")
    chain = read_vendor_chain(path, on_invalid="skip")
    assert chain.quote_time == dt.datetime(2026, 11, 20, 16, 0)
    assert chain.rejects[["line", "field", "value"]].to_numpy().tolist() == [[2, "quotedate", "x"]]
    every = tmp_path / "every.csv"
    every.write_text(HEADER + "\n" + "NDX,1,*,SPX261218C05900000,,call,12/18/2026,11/20/2026,5900,,,,,,,,,,,\n")
    with pytest.raises(
        InputError, match=re.escape(f"{every}: no line has a valid underlying: line 2 has underlying = 'NDX'")
    ):
        read_vendor_chain(every, on_invalid="skip")


def test_an_empty_file_or_a_header_alone(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_text("\n")
    with pytest.raises(InputError, match=re.escape(f"{empty}: empty file: a vendor chain needs its header row")):
        read_vendor_chain(empty)
    alone = tmp_path / "h.csv"
    alone.write_text(HEADER + "\n")
    with pytest.raises(InputError, match=re.escape(f"{alone}: no quotes after the header")):
        read_vendor_chain(alone)


def test_an_option_quoted_twice(tmp_path: Path) -> None:
    lines = (SAMPLES / SAMPLE).read_text().splitlines(keepends=True)
    path = tmp_path / "v.csv"
    path.write_text("".join([*lines, lines[2].replace("SPXW  261127P05900000", "SPXW261127P05900000")]))
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{path}: line 6: optionroot = 'SPXW261127P05900000' is not allowed: must quote each option once: line 3"
        ),
    ):
        read_vendor_chain(path)
