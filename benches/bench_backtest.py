"""Speed of the backtest's daily step (market, signals, the decision engine on three books, marks):
a month of 2015 including 2015-08-24, in one process. No ratio gate (nothing comparable exists);
the benchmark tracks the time per trading day and checks the accounting identity of its result."""

import numpy as np

from alvh.backtest import BacktestConfig, run_backtest
from alvh.market.history import load_history

HISTORY = load_history(start="2015-06-01", end="2015-08-31")


def test_backtest_month(benchmark) -> None:  # type: ignore[no-untyped-def]
    config = BacktestConfig(start="2015-08-03")
    result = benchmark.pedantic(lambda: run_backtest(HISTORY, config, workers=1), rounds=1, iterations=1)
    if benchmark.stats is not None:  # None when timing is disabled (benches run as plain tests)
        days = len(result.daily) // 3
        print(f"\nbacktest: {days} trading days x 3 strategies, {benchmark.stats['mean'] / days * 1e3:.0f} ms per day")
    layers = result.daily[[f"pnl_{layer}" for layer in ("core", "L1", "L2", "L3", "static")]].sum(axis=1)
    np.testing.assert_allclose(layers, result.daily["pnl"], atol=1e-6)
