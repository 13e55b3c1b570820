"""The backtest tests' shared run: 2015-07-01 to 2015-09-30, in one process, computed once."""

from __future__ import annotations

import pytest

from alvh.backtest import BacktestConfig, BacktestResult, run_backtest
from tests.backtest.runs import HISTORY


@pytest.fixture(scope="session")
def result() -> BacktestResult:
    return run_backtest(HISTORY, BacktestConfig(start="2015-07-01"), workers=1)
