"""The history and short runs the backtest tests share: a few weeks around 2015-08-24, in one
process."""

from __future__ import annotations

import pandas as pd

from alvh.backtest import BacktestConfig, BacktestResult, run_backtest
from alvh.market.history import load_history

HISTORY = load_history(start="2015-05-01", end="2015-09-30")
LAYERS = ["core", "L1", "L2", "L3", "static"]


def short_run(history: pd.DataFrame, start: str = "2015-08-10", **config: object) -> BacktestResult:
    return run_backtest(history, BacktestConfig(start=start, **config), workers=1)  # type: ignore[arg-type]
