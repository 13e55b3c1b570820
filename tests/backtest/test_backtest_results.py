"""The result: the summary's figures, the tables written as CSV and Parquet, the equity plot."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.app import timelines
from alvh.backtest import BacktestResult
from alvh.backtest.config import STRATEGIES
from alvh.backtest.results import LABEL
from alvh.exceptions import ConfigError, InputError
from tests.backtest.runs import HISTORY
from tests.helpers import assert_png


def test_daily_table_shape(result: BacktestResult) -> None:
    daily = result.daily
    assert daily.index.names == ["date", "strategy"]
    assert list(daily.index.get_level_values("strategy")[:3]) == list(STRATEGIES)
    assert np.isfinite(daily.drop(columns="hedge_share").select_dtypes("number").to_numpy()).all()
    # the hedge share is NaN only on a day without a core to share; a naked book has no hedges
    naked = result.strategy("naked")
    assert (naked["hedge_share"].dropna() == 0).all() and naked["hedge_share"].notna().any()
    assert result.strategy("alvh")["hedge_share"].notna().any()
    spx = result.strategy("naked")["spx"]
    assert spx.equals(HISTORY.loc[spx.index, "spx"].rename("spx"))


def test_summary(result: BacktestResult) -> None:
    summary = result.summary()
    assert list(summary.index) == list(STRATEGIES)
    assert LABEL == "model-priced"
    assert (summary["pricing"] == LABEL).all()
    naked = result.strategy("naked")
    assert summary.loc["naked", "pnl_2015-08-24"] == naked.loc["2015-08-24", "pnl"]
    assert math.isnan(summary.loc["naked", "pnl_2018-02-05"])
    assert summary.loc["naked", "worst_day"] == naked["pnl"].min()
    assert summary.loc["naked", "max_drawdown"] == naked["drawdown"].min()
    assert summary.loc["naked", "hedge_pnl"] == 0.0
    alvh = result.strategy("alvh")
    hedge = alvh[["pnl_L1", "pnl_L2", "pnl_L3"]].to_numpy().sum()
    assert summary.loc["alvh", "hedge_pnl"] == pytest.approx(hedge)
    assert summary.loc["alvh", "core_credit"] == summary.loc["naked", "core_credit"] > 0
    returns = naked["pnl"] / result.capital
    assert summary.loc["naked", "sharpe"] == pytest.approx(returns.mean() / returns.std() * math.sqrt(252))
    for column in ("ann_return", "ann_vol", "sharpe", "sortino", "credit_kept", "peak_margin"):
        assert np.isfinite(summary[column].astype(float)).all(), column


def test_write_csv_and_parquet(result: BacktestResult, tmp_path: Path) -> None:
    csv = result.write(tmp_path / "daily.csv")
    back = pd.read_csv(csv, index_col=["date", "strategy"], parse_dates=["date"])
    np.testing.assert_allclose(back["equity"], result.daily["equity"])
    parquet = result.write(tmp_path / "daily.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), result.daily, check_freq=False)
    summary = result.write(tmp_path / "summary.csv", table="summary")
    assert "model-priced" in summary.read_text()
    result.write(tmp_path / "trades.parquet", table="trades")
    with pytest.raises(InputError, match=r"unknown format '\.xlsx'"):
        result.write(tmp_path / "daily.xlsx")
    with pytest.raises(InputError, match="table = 'x'"):
        result.write(tmp_path / "x.csv", table="x")  # type: ignore[arg-type]


def test_parquet_without_pyarrow_is_a_named_error(
    result: BacktestResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"daily\.parquet: Parquet files need pyarrow"):
        result.write(tmp_path / "daily.parquet")


def test_equity_curves_plot(result: BacktestResult, tmp_path: Path) -> None:
    path = timelines.equity_curves(result, tmp_path / "equity.png")
    assert_png(path)
