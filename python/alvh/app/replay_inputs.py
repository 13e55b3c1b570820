"""What the replay commands (``alvh backtest``, ``alvh experiment``) read: the backtest settings
with ``--start``/``--end`` applied, and the daily closes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from alvh._config import config_error
from alvh.app.console import existing
from alvh.backtest import BacktestConfig, load_backtest_config
from alvh.market.history import load_history

__all__ = ["replay_inputs"]


def replay_inputs(
    config: Path | None, data: Path | None, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[BacktestConfig, pd.DataFrame]:
    """The settings (``config``, or the defaults) with the dates given, and the history (``data``,
    or the bundled 2014–2018 closes); errors name the option."""
    settings = load_backtest_config(existing(config, "config")) if config else BacktestConfig()
    dates = {k: v.date() for k, v in (("start", start), ("end", end)) if v is not None}
    try:
        settings = BacktestConfig.model_validate(settings.model_dump() | dates)
    except ValidationError as e:
        raise config_error("--start/--end", e) from None
    return settings, load_history(existing(data, "data")) if data else load_history()
