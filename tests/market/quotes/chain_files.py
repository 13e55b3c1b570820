"""Chain files for the reader tests: writers of each format the readers take, from a chain table
(one call and one put per root, expiry and strike, calls first), for the round trips; the samples
and variants of them; the expected table of a few rows."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.market.quotes import CHAIN_COLUMNS
from alvh.market.quotes.symbols import OptionSymbol, format_occ
from alvh.market.quotes.table import chain_table
from alvh.market.quotes.vendor import VENDOR_COLUMNS

SAMPLES = Path(__file__).parent / "samples"
QUOTE_TIME = dt.datetime(2026, 11, 20, 16, 0)
LINE_1 = {"SPX": "SPX (S&P 500 INDEX)", "VIX": "VIX (CBOE VOLATILITY INDEX)"}


def cell(value: float) -> str:
    """A number as the file writes it: blank for NaN, else the shortest text that reads back exactly."""
    return "" if math.isnan(value) else repr(float(value))


def occ(row: pd.Series, *, padded: bool) -> str:
    symbol = format_occ(OptionSymbol(row["root"], row["expiry"].date(), row["right"], row["strike"]))
    return symbol if padded else symbol.replace(" ", "")


def expected(quote_time: dt.datetime, rows: list[tuple[object, ...]]) -> pd.DataFrame:
    names = CHAIN_COLUMNS[1:]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    return chain_table(quote_time, {**columns, "expiry": pd.to_datetime(columns["expiry"])})


def variant(tmp_path: Path, sample: str, old: str, new: str, *, count: int = 1) -> Path:
    """The sample with ``old`` replaced by ``new`` (``old`` must occur ``count`` times)."""
    text = (SAMPLES / sample).read_text()
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {sample}"
    path = tmp_path / sample
    path.write_text(text.replace(old, new))
    return path


def _pairs(quotes: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    calls, puts = quotes.iloc[0::2], quotes.iloc[1::2]
    assert (calls["right"] == "call").all() and (puts["right"] == "put").all()
    return [(call, put) for (_, call), (_, put) in zip(calls.iterrows(), puts.iterrows(), strict=True)]


def write_cboe(path: Path, quotes: pd.DataFrame, *, layout: str, underlying: str, level: float) -> Path:
    """A Cboe delayed-quotes download of ``quotes`` (old or new layout; Net, Delta, Gamma left blank)."""
    moment: dt.datetime = quotes["quote_time"].iloc[0].to_pydatetime()
    lines = [f"{LINE_1[underlying]},{cell(level)},0.5,", f"{moment:%b %d %Y @ %H:%M} ET,Bid: 0,Ask: 0,"]
    if layout == "old":
        lines.append("Calls,Last Sale,Net,Bid,Ask,Vol,Open Int,Puts,Last Sale,Net,Bid,Ask,Vol,Open Int,")
        for call, put in _pairs(quotes):
            sides = [",".join([_old_cell(row), cell(row["last"]), "", *_numbers(row)]) for row in (call, put)]
            lines.append(",".join(sides) + ",")
    else:
        lines.append(
            "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int,Strike,"
            "Puts,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int"
        )
        for call, put in _pairs(quotes):
            sides = [_new_side(row) for row in (call, put)]
            expiry = f"{call['expiry']:%a %b %d %Y}"
            lines.append(",".join([expiry, *sides[0], cell(call["strike"]), *sides[1]]))
    path.write_text("\n".join(lines) + "\n")
    return path


def _old_cell(row: pd.Series) -> str:
    expiry, strike = row["expiry"], row["strike"]
    letter = chr(ord("A") + expiry.month - 1 + (12 if row["right"] == "put" else 0))
    return f"{expiry:%Y %b %d} {strike:.2f} ({row['root']}{expiry:%y%d}{letter}{strike:g})"


def _new_side(row: pd.Series) -> list[str]:
    bid, ask, volume, open_interest = _numbers(row)
    return [occ(row, padded=False), cell(row["last"]), "", bid, ask, volume, cell(row["iv"]), "", "", open_interest]


def _numbers(row: pd.Series) -> list[str]:
    return [cell(row[name]) for name in ("bid", "ask", "volume", "open_interest")]


def write_vendor(path: Path, quotes: pd.DataFrame, *, underlying: str, level: float, columns: list[str]) -> Path:
    """A vendor end-of-day file of ``quotes`` with its columns in the order ``columns``."""
    assert sorted(columns) == sorted(VENDOR_COLUMNS)
    rows = [",".join(columns)]
    for _, row in quotes.iterrows():
        values = {
            "underlying": underlying,
            "underlying_last": cell(level),
            "exchange": "*",
            "optionroot": occ(row, padded=True),
            "optionext": "",
            "type": row["right"],
            "expiration": f"{row['expiry']:%m/%d/%Y}",
            "quotedate": f"{row['quote_time']:%m/%d/%Y}",
            "strike": cell(row["strike"]),
            "last": cell(row["last"]),
            "bid": cell(row["bid"]),
            "ask": cell(row["ask"]),
            "volume": cell(row["volume"]),
            "openinterest": cell(row["open_interest"]),
            "impliedvol": cell(row["iv"]),
            "delta": "0.5",
            "gamma": "0.01",
            "theta": "-1",
            "vega": "2",
            "optionalias": occ(row, padded=False),
        }
        rows.append(",".join(values[name] for name in columns))
    path.write_text("\n".join(rows) + "\n")
    return path


def full_chain() -> pd.DataFrame:
    """A full-size SPXW chain: 40 weekly expiries x 200 strikes x 2 rights, quoted at
    :data:`QUOTE_TIME`."""
    rng = np.random.default_rng(7)
    expiries = pd.date_range("2026-11-27", periods=40, freq="W-FRI")
    grid = pd.MultiIndex.from_product([expiries, 4000.0 + 10.0 * np.arange(200), ["call", "put"]])
    keys = grid.to_frame(index=False, name=["expiry", "strike", "right"])
    n = len(keys)
    bid = rng.integers(0, 50_000, n) / 100
    return chain_table(
        QUOTE_TIME,
        {
            "root": "SPXW",
            **keys,
            "bid": bid,
            "ask": bid + 0.5,
            "last": bid + 0.2,
            "volume": rng.integers(0, 5000, n).astype(float),
            "open_interest": rng.integers(0, 50_000, n).astype(float),
            "iv": rng.integers(500, 9000, n) / 10_000,
        },
    )
