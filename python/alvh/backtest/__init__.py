"""The backtest: the method replayed day by day on real SPX and VIX closes, with model prices,
against a naked core and a static hedge (docs/method.md, Backtest).

:mod:`~alvh.backtest.config` holds the settings, :mod:`~alvh.backtest.ledger` one strategy's
positions and cash, :mod:`~alvh.backtest.strategy` its daily step, :mod:`~alvh.backtest.replay`
the day loop, :mod:`~alvh.backtest.results` the tables and headline figures, and
:mod:`~alvh.backtest.sweeps` runs many backtests on a Dask cluster (a plan of
:mod:`~alvh.backtest.sweep_config`)."""

from alvh.backtest.config import BacktestConfig, load_backtest_config
from alvh.backtest.replay import run_backtest
from alvh.backtest.results import BacktestResult
from alvh.backtest.sweep_config import Sweep, load_sweep, sweep_plan
from alvh.backtest.sweeps import SweepResult, sweep

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Sweep",
    "SweepResult",
    "load_backtest_config",
    "load_sweep",
    "run_backtest",
    "sweep",
    "sweep_plan",
]
