"""read_chain tells the formats apart by the first line, and names a file in neither."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.market.quotes import read_cboe_chain, read_chain, read_vendor_chain
from tests.market.quotes.chain_files import SAMPLES


@pytest.mark.parametrize(
    ("sample", "reader"),
    [
        ("cboe_old_spx.csv", read_cboe_chain),
        ("cboe_new_spx.csv", read_cboe_chain),
        ("cboe_new_vix.csv", read_cboe_chain),
        ("vendor_spx.csv", read_vendor_chain),
    ],
)
def test_each_sample_goes_to_its_reader(sample: str, reader) -> None:  # type: ignore[no-untyped-def]
    chain, direct = read_chain(SAMPLES / sample, on_invalid="skip"), reader(SAMPLES / sample)
    pd.testing.assert_frame_equal(chain.quotes, direct.quotes)
    assert (chain.underlying, chain.underlying_last, chain.quote_time) == (
        direct.underlying,
        direct.underlying_last,
        direct.quote_time,
    )


def test_on_invalid_reaches_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text((SAMPLES / "cboe_new_spx.csv").read_text().replace(",61.8,", ",-61.8,"))
    with pytest.raises(InputError, match="line 4: Bid"):
        read_chain(path)
    assert read_chain(path, on_invalid="skip").rejects["line"].tolist() == [4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n\ndate,spx,vix\n", "line 3: 'date,spx,vix' is not allowed: a chain file must start like Cboe's"),
        # shaped like a Cboe download: the Cboe reader says what is wrong
        ("NDX (NASDAQ 100),1,2\nNov 20 2026 @ 16:15 ET\nCalls\n", "line 1: underlying = 'NDX (NASDAQ 100)' is not"),
        ("", "line 1: '' is not allowed"),
    ],
)
def test_a_file_in_neither_format(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_chain(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'none.csv'}: no such file")):
        read_chain(tmp_path / "none.csv")
