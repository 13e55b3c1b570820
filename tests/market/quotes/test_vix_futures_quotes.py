"""VIX futures prices by expiry or by VX/VXM code, and every bad file, row and cell named."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.market.quotes import read_vix_futures
from tests.market.quotes.chain_files import SAMPLES

AS_OF = dt.date(2026, 11, 20)
CURVE = pd.DataFrame(
    {
        "expiry": pd.to_datetime(["2026-12-16", "2027-01-20", "2027-02-17"]).astype("datetime64[ns]"),
        "price": [17.85, 18.60, 19.10],
        "root": ["VX", "VX", "VXM"],
    }
)


def test_by_expiry() -> None:
    curve = read_vix_futures(SAMPLES / "vix_futures_by_expiry.csv", as_of=AS_OF)
    pd.testing.assert_frame_equal(curve, CURVE.assign(root="VX"), check_dtype=False)
    assert curve["expiry"].dtype == "datetime64[ns]"


def test_by_code() -> None:
    # VXZ6 (one-digit year: the first not expired), VXF27, /VXMG2027
    curve = read_vix_futures(SAMPLES / "vix_futures_by_code.csv", as_of=AS_OF)
    pd.testing.assert_frame_equal(curve, CURVE, check_dtype=False)


def test_rows_are_sorted_by_expiry(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("expiry,price\n2027-01-20,18.6\n2026-12-16,17.85\n")
    assert read_vix_futures(path, as_of=AS_OF)["price"].tolist() == [17.85, 18.6]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file: VIX futures need a header row, expiry,price or symbol,price"),
        ("date,price\n2026-12-16,17\n", "line 1: header = 'date,price' is not allowed: must be 'expiry,price' or"),
        ("expiry,price\n", "no prices after the header"),
        ("expiry,price\n2026-12-16,17,1\n", "line 2: row = '2026-12-16,17,1' is not allowed: must be a row of 2 cells"),
        ("expiry,price\nDec 16 2026,17\n", "line 2: expiry = 'Dec 16 2026' is not allowed: must be a date like"),
        ("expiry,price\n2026-11-18,17\n", "line 2: expiry = '2026-11-18' is not allowed: must not expire before as_of"),
        ("expiry,price\n2026-12-16,0\n", "line 2: price = '0' is not allowed: must be a number > 0 (index points)"),
        ("expiry,price\n2026-12-16,\n", "line 2: price = '' is not allowed: must be a number > 0"),
        ("expiry,price\n2026-12-16,nan\n", "line 2: price = 'nan' is not allowed"),
        (
            "symbol,price\nVXQ,17\n",
            "line 2: symbol = 'VXQ' is not allowed: must be a VX or VXM futures code like VXF27",
        ),
        ("symbol,price\nESZ6,5900\n", "line 2: symbol = 'ESZ6' is not allowed: must be a VIX future: VX or VXM"),
        ("symbol,price\nVXX25,17\n", "line 2: symbol = 'VXX25' is not allowed: must not expire before as_of"),
        (
            "symbol,price\nVXZ6,17.85\nVXMZ26,17.9\n",
            "line 3: symbol = 'VXMZ26' is not allowed: must be one row per expiry: "
            "line 2 has the same expiry 2026-12-16",
        ),
        ("expiry,price\n2026-12-16,17\n\n2026-12-16,17\n", "line 4: expiry = '2026-12-16' is not allowed: must be one"),
        (
            "expiry,price\n12/16/2026,17\n",
            "line 2: expiry = '12/16/2026' is not allowed: must be a date like 2026-12-16",
        ),
    ],
)
def test_a_bad_file_names_the_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_vix_futures(path, as_of=AS_OF)
