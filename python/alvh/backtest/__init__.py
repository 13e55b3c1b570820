"""The backtest: the method replayed day by day on real SPX and VIX closes, with model prices,
against a naked core and a static hedge."""

from alvh.backtest.backtest import BacktestConfig, BacktestResult, load_backtest_config, run_backtest

__all__ = ["BacktestConfig", "BacktestResult", "load_backtest_config", "run_backtest"]
