"""The backtest: the method replayed day by day on real SPX and VIX closes, with model prices,
against a naked core and a static hedge (docs/method.md, Backtest).

:mod:`~alvh.backtest.config` holds the settings, :mod:`~alvh.backtest.ledger` one strategy's
positions and cash, :mod:`~alvh.backtest.strategy` its daily step, :mod:`~alvh.backtest.replay`
the day loop and :mod:`~alvh.backtest.results` the tables and headline figures."""

from alvh.backtest.config import BacktestConfig, load_backtest_config
from alvh.backtest.replay import run_backtest
from alvh.backtest.results import BacktestResult

__all__ = ["BacktestConfig", "BacktestResult", "load_backtest_config", "run_backtest"]
