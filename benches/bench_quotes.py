"""Speed of the chain readers on a full-size SPX chain (40 expiries x 200 strikes, 8,000 strike
lines, 16,000 quotes) in each format; each read is checked against the chain written. No ratio
gate (nothing comparable exists): the time per file is printed (issue 13 asks for well under
0.5 s)."""

from pathlib import Path

import pandas as pd
import pytest

from alvh.market.quotes import read_chain
from alvh.market.quotes.vendor import VENDOR_COLUMNS
from tests.market.quotes.chain_files import full_chain, write_cboe, write_vendor


@pytest.mark.parametrize("form", ["cboe-new", "cboe-old", "vendor"])
def test_read_full_chain(benchmark, tmp_path: Path, form: str) -> None:  # type: ignore[no-untyped-def]
    quotes = full_chain()
    path = tmp_path / "chain.csv"
    if form == "vendor":
        write_vendor(path, quotes, underlying="SPX", level=5900.0, columns=list(VENDOR_COLUMNS))
    else:
        write_cboe(path, quotes, layout=form.removeprefix("cboe-"), underlying="SPX", level=5900.0)
        quotes = quotes.assign(iv=float("nan")) if form == "cboe-old" else quotes  # the old layout has no IV
    chain = benchmark.pedantic(lambda: read_chain(path), rounds=5, iterations=1)
    if benchmark.stats is not None:  # None when timing is disabled (benches run as plain tests)
        print(f"\n{form}: {len(quotes)} quotes read in {benchmark.stats['min'] * 1e3:.0f} ms (best of 5)")
    pd.testing.assert_frame_equal(chain.quotes, quotes)
