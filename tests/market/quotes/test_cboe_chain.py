"""Cboe's delayed-quotes download: the samples (old and new layouts, SPX and VIX) read to exact
values, and every bad line, cell and header is named (file, line, field, value, what is allowed)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.market.quotes import REJECT_COLUMNS, read_cboe_chain
from tests.market.quotes.chain_files import SAMPLES, expected, variant

NAN = np.nan


def test_the_old_layout_sample() -> None:
    chain = read_cboe_chain(SAMPLES / "cboe_old_spx.csv")
    assert (chain.underlying, chain.underlying_last) == ("SPX", 2736.27)
    assert chain.quote_time == dt.datetime(2018, 11, 14, 14, 33)
    assert chain.source == str(SAMPLES / "cboe_old_spx.csv")
    rows = [
        ("SPX", "2018-11-16", 2700.0, "call", 44.60, 46.90, 45.10, 125, 10412, NAN),
        ("SPX", "2018-11-16", 2700.0, "put", 8.80, 9.40, 9.05, 2210, 22315, NAN),
        ("SPXW", "2018-11-16", 2750.0, "call", 13.00, 13.90, 13.30, 3021, 501, NAN),
        ("SPXW", "2018-11-16", 2750.0, "put", 26.10, 27.20, 26.50, 1204, 388, NAN),
        ("SPX", "2018-11-16", 2800.0, "call", NAN, 1.60, 1.45, 0, 9870, NAN),  # a blank bid is none
        ("SPX", "2018-11-16", 2800.0, "put", 63.40, 65.90, 0.0, NAN, NAN, NAN),
        ("SPX", "2018-12-21", 2750.0, "call", 57.40, 59.10, 58.00, 210, 30211, NAN),
        ("SPX", "2018-12-21", 2750.0, "put", 65.80, 67.50, 66.20, 155, 41200, NAN),
    ]
    pd.testing.assert_frame_equal(chain.quotes, expected(dt.datetime(2018, 11, 14, 14, 33), rows))
    assert list(chain.rejects.columns) == list(REJECT_COLUMNS)
    assert chain.rejects.empty


def test_the_new_layout_sample() -> None:
    chain = read_cboe_chain(SAMPLES / "cboe_new_spx.csv")
    assert (chain.underlying, chain.underlying_last) == ("SPX", 5912.17)
    assert chain.quote_time == dt.datetime(2026, 11, 20, 16, 15)
    rows = [
        ("SPXW", "2026-11-27", 5900.0, "call", 61.8, 62.9, 62.3, 1520, 8821, 0.1432),
        ("SPXW", "2026-11-27", 5900.0, "put", 47.6, 48.5, 48.1, 2210, 10120, 0.1511),
        ("SPXW", "2026-11-27", 5950.0, "call", 33.5, 34.4, 34.0, 980, 5120, 0.1391),
        ("SPXW", "2026-11-27", 5950.0, "put", 69.8, 71.1, 70.2, 510, 4410, 0.1463),
        ("SPX", "2026-12-18", 5900.0, "call", 100.9, 102.4, 101.5, 35, 40211, 0.1520),
        ("SPX", "2026-12-18", 5900.0, "put", 0.0, 88.1, NAN, 0, NAN, 0.1566),  # a 0 bid stays 0
    ]
    pd.testing.assert_frame_equal(chain.quotes, expected(dt.datetime(2026, 11, 20, 16, 15), rows))
    assert chain.rejects.empty


def test_the_vix_sample_takes_percent_and_decimal_ivs() -> None:
    chain = read_cboe_chain(SAMPLES / "cboe_new_vix.csv")
    assert (chain.underlying, chain.underlying_last, chain.quote_time) == (
        "VIX",
        16.42,
        dt.datetime(2026, 11, 20, 16, 15),
    )
    rows = [
        ("VIX", "2026-12-16", 17.5, "call", 1.5, 1.6, 1.55, 21000, 150200, 0.8421),
        ("VIX", "2026-12-16", 17.5, "put", 1.15, 1.25, 1.2, 9000, 90100, 0.6512),
        ("VIX", "2026-12-16", 20.0, "call", 0.8, 0.9, 0.85, 15000, 210300, 0.925),
        ("VIX", "2026-12-16", 20.0, "put", 3.0, 3.2, 3.1, 1200, 40500, 0.712),
        ("VIXW", "2026-12-23", 20.0, "call", 1.0, 1.2, 1.1, 300, 1200, 0.95),
        ("VIXW", "2026-12-23", 20.0, "put", 2.8, 3.05, 2.9, 100, 900, 0.70),
    ]
    pd.testing.assert_frame_equal(chain.quotes, expected(dt.datetime(2026, 11, 20, 16, 15), rows))


def test_a_crossed_quote_is_read_as_it_is(tmp_path: Path) -> None:
    # filtering crossed quotes is the calibration's business, not the reader's
    path = variant(tmp_path, "cboe_new_spx.csv", ",61.8,62.9,", ",63.0,62.9,")
    quotes = read_cboe_chain(path).quotes
    assert (quotes.loc[0, "bid"], quotes.loc[0, "ask"]) == (63.0, 62.9)


OLD = "cboe_old_spx.csv"
NEW = "cboe_new_spx.csv"
VIX = "cboe_new_vix.csv"


@pytest.mark.parametrize(
    ("sample", "old", "new", "message"),
    [
        (OLD, "SPX (S&P 500 INDEX)", "NDX (NASDAQ 100)", "line 1: underlying = 'NDX (NASDAQ 100)' is not allowed"),
        (OLD, "SPX (S&P 500 INDEX),2736.27", "SPX (S&P 500 INDEX),n/a", "line 1: last = 'n/a' is not allowed: must be"),
        (NEW, "SPX (S&P 500 INDEX),5912.17", "SPX (S&P 500 INDEX),-1", "line 1: last = '-1' is not allowed"),
        (NEW, "Nov 20 2026 @ 16:15 ET", "2026-11-20 16:15", "line 2: quote time = '2026-11-20 16:15' is not allowed"),
        (NEW, "Nov 20 2026 @ 16:15 ET", "Nov 20 2026 @ 16:15", "line 2: quote time = 'Nov 20 2026 @ 16:15' is not"),
        (NEW, "Expiration Date,Calls", "Expiry,Calls", "line 3: header = 'Expiry,Calls,Last Sale,"),
        (OLD, "Calls,Last Sale,Net,", "Calls,Last,Net,", "line 3: header = 'Calls,Last,Net,"),
    ],
)
def test_a_bad_file_head_always_raises(tmp_path: Path, sample: str, old: str, new: str, message: str) -> None:
    path = variant(tmp_path, sample, old, new)
    for on_invalid in ("raise", "skip"):
        with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
            read_cboe_chain(path, on_invalid=on_invalid)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sample", "old", "new", "message"),
    [
        # numbers
        (NEW, ",61.8,62.9,", ",-61.8,62.9,", "line 4: Bid (Calls) = '-61.8' is not allowed: must be a number >= 0 "),
        (NEW, ",47.6,48.5,", ",47.6,abc,", "line 4: Ask (Puts) = 'abc' is not allowed: must be a number >= 0 (index"),
        (NEW, "62.3,-5.1", "nan,-5.1", "line 4: Last Sale (Calls) = 'nan' is not allowed"),
        (NEW, "62.3,-5.1", "inf,-5.1", "line 4: Last Sale (Calls) = 'inf' is not allowed"),
        (NEW, "48.5,2210", "48.5,-3", "line 4: Vol (Puts) = '-3' is not allowed: must be a number of contracts >= 0"),
        (OLD, ",10412,", ",1e400,", "line 4: Open Int (Calls) = '1e400' is not allowed"),
        (NEW, "0.1432", "-0.1", "line 4: IV (Calls) = '-0.1' is not allowed: must be a decimal from 0 to 10"),
        (
            NEW,
            "0.1432",
            "14.32",
            "line 4: IV (Calls) = '14.32' is not allowed: must be a decimal from 0 to 10 (0.1432)",
        ),
        (NEW, "0.1432", "14%32", "line 4: IV (Calls) = '14%32' is not allowed"),
        # the new layout's shared cells and symbols
        (NEW, ",5900,SPXW261127P", ",0,SPXW261127P", "line 4: Strike = '0' is not allowed: must be a number > 0"),
        (NEW, ",5900,SPXW261127P", ",,SPXW261127P", "line 4: Strike = '' is not allowed: must be a number > 0"),
        (
            NEW,
            ",5950,",
            ",5955,",
            "line 5: Calls = 'SPXW261127C05950000' is not allowed: must have the row's Strike (5955)",
        ),
        (
            NEW,
            "Fri Dec 18 2026",
            "Fri 12/18/2026",
            "line 6: Expiration Date = 'Fri 12/18/2026' is not allowed: must be",
        ),
        (
            NEW,
            "Fri Dec 18 2026",
            "Thu Dec 18 2026",
            "line 6: Expiration Date = 'Thu Dec 18 2026' is not allowed: must ",
        ),
        (NEW, "Fri Dec 18 2026", "Fri Dec 11 2026", "line 6: Calls = 'SPX261218C05900000' is not allowed: must expire"),
        (
            NEW,
            "SPXW261127C05950000",
            "SPXW261127P05950000",
            "line 5: Calls = 'SPXW261127P05950000' is not allowed: must",
        ),
        (
            NEW,
            "SPXW261127C05950000",
            "SPXW2611X7C05950000",
            "line 5: Calls = 'SPXW2611X7C05950000' is not allowed: must be an OCC option symbol",
        ),
        (
            NEW,
            "SPXW261127C05950000",
            "SPXW261131C05950000",
            "line 5: Calls = 'SPXW261131C05950000' is not allowed: must be an OCC option symbol: 261131 is not a date",
        ),
        (
            NEW,
            "SPX261218P05900000",
            "VIX261218P05900000",
            "line 6: Puts = 'VIX261218P05900000' is not allowed: must be an option on SPX: roots SPX, SPXW",
        ),
        (
            VIX,
            "VIXW261223C00020000",
            "SPXW261223C00020000",
            "line 6: Calls = 'SPXW261223C00020000' is not allowed: must be an option on VIX",
        ),
        # the old layout's cells
        (
            OLD,
            "2018 Nov 16 2700.00 (SPX1816K2700)",
            "Nov 16 2700 SPX",
            "line 4: Calls = 'Nov 16 2700 SPX' is not allowed: must be like '2018 Nov 16 2750.00 (SPX1816K2750)'",
        ),
        (
            OLD,
            "(SPX1816K2800)",
            "(SPX1817K2800)",
            "line 6: Calls = '2018 Nov 16 2800.00 (SPX1817K2800)' is not allowed: must name one expiry: "
            "the date in the text is not the code's (2018-11-17)",
        ),
        (
            OLD,
            "(SPX1821L2750)",
            "(SPX1921L2750)",
            "line 7: Calls = '2018 Dec 21 2750.00 (SPX1921L2750)' is not allowed: must name one expiry",
        ),
        (
            OLD,
            "(SPX1816K2800)",
            "(SPX1816K2850)",
            "line 6: Calls = '2018 Nov 16 2800.00 (SPX1816K2850)' is not allowed: must name one strike: "
            "the strike in the text is not the code's (2850)",
        ),
        (
            OLD,
            "(SPX1816W2700)",
            "(SPX1816K2700)",
            "line 4: Puts = '2018 Nov 16 2700.00 (SPX1816K2700)' is not allowed: must be a put: code month letter M–X",
        ),
        (
            OLD,
            "(SPX1816K2700)",
            "(SPX1816W2700)",
            "line 4: Calls = '2018 Nov 16 2700.00 (SPX1816W2700)' is not allowed: "
            "must be a call: code month letter A–L",
        ),
        (
            OLD,
            "(SPX1816K2800)",
            "(SPX1831K2800)",
            "line 6: Calls = '2018 Nov 16 2800.00 (SPX1831K2800)' is not allowed: must be like",
        ),
        (
            OLD,
            "2018 Nov 16 2800.00 (SPX1816K2800)",
            "2018 Nov 31 2800.00 (SPX1816K2800)",
            "line 6: Calls = '2018 Nov 31 2800.00 (SPX1816K2800)' is not allowed: must be like",
        ),
        (
            OLD,
            "2018 Nov 16 2800.00 (SPX1816K2800)",
            "2018 Nov 16 0.00 (SPX1816K0)",
            "line 6: Calls = '2018 Nov 16 0.00 (SPX1816K0)' is not allowed: must have a strike > 0",
        ),
        # the shape of a row
        (NEW, ",10120\n", ",10120,1\n", "line 4: row = 'Fri Nov 27 2026,SPXW261127C05900000,"),
        (OLD, "27.20,1204,388,", "27.20,1204", "line 5: row = '2018 Nov 16 2750.00 (SPXW1816K2750-E),"),
    ],
)
def test_a_bad_cell_names_the_line_and_field(tmp_path: Path, sample: str, old: str, new: str, message: str) -> None:
    path = variant(tmp_path, sample, old, new)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_cboe_chain(path)


def test_the_first_bad_line_in_the_file_is_named(tmp_path: Path) -> None:
    # line 6 has a bad bid (checked late), line 5 a bad symbol (checked early): line 5 is first
    text = (SAMPLES / NEW).read_text().replace(",100.9,", ",-1,").replace("SPXW261127C05950000", "junk")
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"{path}: line 5: Calls = 'junk'")):
        read_cboe_chain(path)


def test_skip_lists_every_bad_quote_and_keeps_the_rest(tmp_path: Path) -> None:
    text = (
        (SAMPLES / NEW)
        .read_text()
        .replace(",61.8,62.9,", ",-61.8,62.9,")  # line 4: the call only
        .replace(",5950,", ",5955,")  # line 5: the strike disagrees with both symbols
        .replace(",0,88.1,", ",0,x,")  # line 6: the put's ask
    )
    path = tmp_path / "c.csv"
    path.write_text(text + "Fri Dec 18 2026,SPX261218C05950000\n")  # line 7: a short row
    chain = read_cboe_chain(path, on_invalid="skip")
    good = chain.quotes[["expiry", "strike", "right"]].astype({"expiry": str}).to_numpy().tolist()
    assert good == [["2026-11-27", 5900.0, "put"], ["2026-12-18", 5900.0, "call"]]
    rejects = chain.rejects
    assert list(rejects.columns) == list(REJECT_COLUMNS)
    assert (rejects["source"] == str(path)).all()
    assert rejects["line"].dtype == np.int64
    assert rejects[["line", "field", "value"]].to_numpy().tolist() == [
        [4, "Bid (Calls)", "-61.8"],
        [5, "Calls", "SPXW261127C05950000"],
        [5, "Puts", "SPXW261127P05950000"],
        [6, "Ask (Puts)", "x"],
        [7, "row", "Fri Dec 18 2026,SPX261218C05950000"],
    ]
    assert rejects["reason"].tolist() == [
        "must be a number >= 0 (index points), or blank for none",
        "must have the row's Strike (5955)",
        "must have the row's Strike (5955)",
        "must be a number >= 0 (index points), or blank for none",
        "must be a row of 22 cells (this one has 2)",
    ]


def test_a_bad_cell_shared_by_the_call_and_the_put_is_one_reject(tmp_path: Path) -> None:
    path = variant(tmp_path, NEW, ",5950,", ",-5950,")
    chain = read_cboe_chain(path, on_invalid="skip")
    assert chain.rejects[["line", "field", "value"]].to_numpy().tolist() == [[5, "Strike", "-5950"]]
    assert len(chain.quotes) == 4


def test_a_file_without_a_valid_quote_raises(tmp_path: Path) -> None:
    head = "".join((SAMPLES / NEW).read_text().splitlines(keepends=True)[:3])
    only_header = tmp_path / "h.csv"
    only_header.write_text(head + "\n\n")
    with pytest.raises(InputError, match=re.escape(f"{only_header}: no quotes after the header")):
        read_cboe_chain(only_header, on_invalid="skip")
    all_bad = tmp_path / "b.csv"
    all_bad.write_text(head + "Fri Nov 27 2026,x\n")
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{all_bad}: no quotes after the header: every quote has an error; the first: {all_bad}: line 4: row"
        ),
    ):
        read_cboe_chain(all_bad, on_invalid="skip")


def test_a_short_or_missing_or_binary_file(tmp_path: Path) -> None:
    short = tmp_path / "s.csv"
    short.write_text("SPX (S&P 500 INDEX),5912.17,-10.20\n")
    with pytest.raises(InputError, match=re.escape(f"{short}: 1 lines: a Cboe chain starts with the underlying")):
        read_cboe_chain(short)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'none.csv'}: no such file")):
        read_cboe_chain(tmp_path / "none.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"SPX (S&P 500 INDEX),1,0\n\xff\xfe\n")
    with pytest.raises(InputError, match=re.escape(f"{binary}: line 2: byte 0xff is not UTF-8 text")):
        read_cboe_chain(binary)


def test_on_invalid_must_be_raise_or_skip() -> None:
    with pytest.raises(InputError, match=re.escape("on_invalid = 'ignore' is not allowed: use 'raise' or 'skip'")):
        read_cboe_chain(SAMPLES / NEW, on_invalid="ignore")  # type: ignore[arg-type]


def test_a_leading_caret_a_byte_order_mark_and_padded_symbols(tmp_path: Path) -> None:
    text = (SAMPLES / NEW).read_text().replace("SPX (S&P", "^SPX (S&P").replace("SPX261218C", "SPX   261218C")
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    pd.testing.assert_frame_equal(read_cboe_chain(path).quotes, read_cboe_chain(SAMPLES / NEW).quotes)


def test_a_bad_header_lists_both_layouts(tmp_path: Path) -> None:
    path = variant(tmp_path, NEW, "Expiration Date,Calls", "Expiry,Calls")
    with pytest.raises(InputError) as error:
        read_cboe_chain(path)
    assert str(error.value).endswith(
        "is not allowed: must be 'Expiration Date,Calls,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int,Strike,"
        "Puts,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int' or (old layout) "
        "'Calls,Last Sale,Net,Bid,Ask,Vol,Open Int,Puts,Last Sale,Net,Bid,Ask,Vol,Open Int'"
    )


def test_an_option_quoted_twice(tmp_path: Path) -> None:
    lines = (SAMPLES / NEW).read_text().splitlines(keepends=True)
    path = tmp_path / "c.csv"
    path.write_text("".join([*lines, lines[3]]))  # line 7 repeats line 4
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{path}: line 7: Calls = 'SPXW261127C05900000' is not allowed: must quote each option once: line 4"
        ),
    ):
        read_cboe_chain(path)
    chain = read_cboe_chain(path, on_invalid="skip")
    assert chain.rejects[["line", "field", "reason"]].to_numpy().tolist() == [
        [7, "Calls", "must quote each option once: line 4 quotes it"],
        [7, "Puts", "must quote each option once: line 4 quotes it"],
    ]
    pd.testing.assert_frame_equal(chain.quotes, read_cboe_chain(SAMPLES / NEW).quotes)
