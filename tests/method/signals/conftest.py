"""Real market data for the signal tests: S&P 500 (1999-2018) and VIX (2014-2018) closes from
``arch``, and on-balance volume as a stand-in A/D line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500 as arch_sp500
from arch.data import vix as arch_vix


@pytest.fixture(scope="module")
def sp500_frame() -> pd.DataFrame:
    frame: pd.DataFrame = arch_sp500.load()
    return frame


@pytest.fixture(scope="module")
def spx(sp500_frame: pd.DataFrame) -> pd.Series:
    """Real S&P 500 adjusted closes, 1999-01-04 .. 2018-12-31 (5031 days)."""
    return sp500_frame["Adj Close"].rename("spx")


@pytest.fixture(scope="module")
def vix_raw() -> pd.Series:
    return arch_vix.load()["vix"]


@pytest.fixture(scope="module")
def vix_series(vix_raw: pd.Series) -> pd.Series:
    """Real VIX closes, 2014-01-03 .. 2019-01-03; the file has NaN rows on holidays, dropped."""
    return vix_raw.dropna()


@pytest.fixture(scope="module")
def obv(sp500_frame: pd.DataFrame) -> pd.Series:
    """A real cumulative line to stand in for an A/D line (arch ships no breadth data): on-balance
    volume, the running sum of +-volume by the sign of the day's change (Granville 1963)."""
    close = sp500_frame["Adj Close"]
    sign = np.sign(close.diff().fillna(0.0))
    return (sign * sp500_frame["Volume"].astype(float)).cumsum().rename("obv")
