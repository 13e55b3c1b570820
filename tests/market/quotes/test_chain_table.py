"""The neutral chain table's columns and dtypes, as the calibration reads them, whatever the format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.market.quotes import CHAIN_COLUMNS, REJECT_COLUMNS, read_chain
from tests.market.quotes.chain_files import SAMPLES

SAMPLE_FILES = ["cboe_old_spx.csv", "cboe_new_spx.csv", "cboe_new_vix.csv", "vendor_spx.csv"]


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_columns_and_dtypes(sample: str) -> None:
    quotes = read_chain(SAMPLES / sample).quotes
    assert tuple(quotes.columns) == CHAIN_COLUMNS
    assert quotes["quote_time"].dtype == np.dtype("datetime64[ns]")
    assert quotes["expiry"].dtype == np.dtype("datetime64[ns]")
    assert (quotes["expiry"] == quotes["expiry"].dt.normalize()).all()  # dates at midnight
    for name in ("strike", "bid", "ask", "last", "volume", "open_interest", "iv"):
        assert quotes[name].dtype == np.float64, name
    for name in ("root", "right"):
        assert pd.api.types.is_string_dtype(quotes[name]), name
        assert all(isinstance(value, str) for value in quotes[name]), name
    assert set(quotes["right"]) == {"call", "put"}
    assert isinstance(quotes.index, pd.RangeIndex)


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_rejects_columns_and_dtypes(sample: str) -> None:
    rejects = read_chain(SAMPLES / sample, on_invalid="skip").rejects
    assert tuple(rejects.columns) == REJECT_COLUMNS
    assert rejects["line"].dtype == np.int64
    assert rejects.empty
