"""OCC option symbols and futures codes: known examples, round trips, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.exceptions import InputError
from alvh.market.quotes.symbols import (
    MONTH_CODES,
    FutureSymbol,
    OptionSymbol,
    format_future,
    format_occ,
    parse_future,
    parse_occ,
)

AS_OF = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SPXW  261127P05600000", OptionSymbol("SPXW", dt.date(2026, 11, 27), "put", 5600.0)),
        ("SPXW261127P05600000", OptionSymbol("SPXW", dt.date(2026, 11, 27), "put", 5600.0)),
        (" spx   261218C06000500 ", OptionSymbol("SPX", dt.date(2026, 12, 18), "call", 6000.5)),
        ("VIX   261216C00022500", OptionSymbol("VIX", dt.date(2026, 12, 16), "call", 22.5)),
        ("SPXW  250117P05800000", OptionSymbol("SPXW", dt.date(2025, 1, 17), "put", 5800.0)),
    ],
)
def test_occ_examples(text: str, expected: OptionSymbol) -> None:
    assert parse_occ(text) == expected


def test_occ_format_is_the_padded_osi_form() -> None:
    assert format_occ(OptionSymbol("SPXW", dt.date(2026, 11, 27), "put", 5600.0)) == "SPXW  261127P05600000"
    assert format_occ(OptionSymbol("VIX", dt.date(2026, 12, 16), "call", 22.5)) == "VIX   261216C00022500"


@given(
    root=st.sampled_from(["SPX", "SPXW", "VIX", "VIXW", "XSP", "NDXP", "A", "ABCDEF"]),
    expiry=st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
    right=st.sampled_from(["call", "put"]),
    thousandths=st.integers(1, 99_999_999),
)
def test_occ_round_trips(root: str, expiry: dt.date, right: str, thousandths: int) -> None:
    symbol = OptionSymbol(root, expiry, right, thousandths / 1000)  # type: ignore[arg-type]
    text = format_occ(symbol)
    assert len(text) == 21
    assert parse_occ(text) == symbol
    assert parse_occ(text.replace(" ", "")) == symbol


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SPXW 261127X05600000", r"'SPXW 261127X05600000' is not an OCC option symbol: need root"),
        ("SPXW 261127P0560000", r"is not an OCC option symbol: need root"),
        ("SPX 261331C05600000", r"'SPX 261331C05600000' is not an OCC option symbol: 261331 is not a date"),
        ("SPX 261231C00000000", r"the strike must be > 0"),
        ("", r"'' is not an OCC option symbol"),
    ],
)
def test_occ_refusals(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_occ(text)


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        (OptionSymbol("SPXWEEK", dt.date(2026, 1, 2), "call", 1.0), r"root = 'SPXWEEK' is not allowed"),
        (OptionSymbol("SPX", dt.date(2126, 1, 2), "call", 1.0), r"expiry = 2126-01-02 is not allowed"),
        (OptionSymbol("SPX", dt.date(2026, 1, 2), "call", 5600.0001), r"strike = 5600.0001 is not allowed"),
        (OptionSymbol("SPX", dt.date(2026, 1, 2), "call", 100_000.0), r"strike = 100000.0 is not allowed"),
    ],
)
def test_occ_format_refusals(symbol: OptionSymbol, message: str) -> None:
    with pytest.raises(InputError, match=message):
        format_occ(symbol)


@pytest.mark.parametrize(
    ("text", "root", "year", "month", "expiry"),
    [
        ("VXF7", "VX", 2027, 1, dt.date(2027, 1, 20)),  # third Friday of Feb 2027 (19th) − 30 days
        ("VXMF27", "VXM", 2027, 1, dt.date(2027, 1, 20)),
        ("/VXZ6", "VX", 2026, 12, dt.date(2026, 12, 16)),
        ("VXX6", "VX", 2036, 11, dt.date(2036, 11, 19)),  # Nov 2026 expired on the 18th
        ("VXM5", "VX", 2035, 6, dt.date(2035, 6, 20)),  # VX June, not a VXM code without a month
        ("ESZ6", "ES", 2026, 12, dt.date(2026, 12, 18)),
        ("MESH2027", "MES", 2027, 3, dt.date(2027, 3, 19)),
        (" esm27 ", "ES", 2027, 6, dt.date(2027, 6, 18)),
    ],
)
def test_future_examples(text: str, root: str, year: int, month: int, expiry: dt.date) -> None:
    assert parse_future(text, as_of=AS_OF) == FutureSymbol(root, month, year, expiry)


@given(
    root=st.sampled_from(["VX", "VXM", "ES", "MES"]),
    month=st.integers(1, 12),
    year=st.integers(2000, 2099),
    as_of=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)),
)
def test_future_round_trips(root: str, month: int, year: int, as_of: dt.date) -> None:
    if root in ("ES", "MES"):
        month = 3 * ((month + 2) // 3)
    symbol = parse_future(f"{root}{MONTH_CODES[month - 1]}{year % 100:02d}", as_of=as_of)
    assert (symbol.root, symbol.month, symbol.year) == (root, month, year)
    assert parse_future(format_future(symbol), as_of=as_of) == symbol
    one_digit = parse_future(f"{root}{MONTH_CODES[month - 1]}{year % 10}", as_of=as_of)
    assert one_digit.expiry >= as_of  # the first such contract not yet expired
    assert one_digit.year % 10 == year % 10
    earlier = one_digit.year - 10
    assert earlier < as_of.year or parse_future(f"{root}{MONTH_CODES[month - 1]}{earlier}", as_of=as_of).expiry < as_of


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ESF6", r"'ESF6' is not a futures code: ES months are H, M, U and Z"),
        ("VXA6", r"'VXA6' is not a futures code: need a root \(VX, VXM, ES, MES\), a month letter"),
        ("NQZ6", r"'NQZ6' is not a futures code"),
        ("VXF123", r"'VXF123' is not a futures code"),
    ],
)
def test_future_refusals(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_future(text, as_of=AS_OF)
