"""The result: the summary's figures, the tables written as CSV and Parquet, the equity plot."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.app import timelines
from alvh.backtest import BacktestResult
from alvh.backtest.config import STRATEGIES
from alvh.backtest.results import (
    LABEL,
    expected_shortfall,
    hedge_layer_figures,
    negative_share_days,
    period_pnl,
    summary_metrics,
)
from alvh.exceptions import InputError, MissingDependencyError
from tests.backtest.experiment_cases import NAKED_PNL, hedged_result, synthetic_result
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
    summary = result.summary
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
    with pytest.raises(MissingDependencyError, match=r"daily\.parquet: reading or writing Parquet needs pyarrow \(pip"):
        result.write(tmp_path / "daily.parquet")


def test_equity_curves_plot(result: BacktestResult, tmp_path: Path) -> None:
    path = timelines.equity_curves(result, tmp_path / "equity.png")
    assert_png(path)


# --- the figures the experiment adds, on synthetic results with hand-checked numbers -------------


def test_expected_shortfall_averages_the_worst_whole_days() -> None:
    pnl = pd.Series([-10.0, -5.0, 0.0, 5.0, 10.0, -20.0, 3.0, 2.0, 1.0, 4.0])
    assert expected_shortfall(pnl, 0.05) == -20.0  # ceil(0.5) = 1 day
    assert expected_shortfall(pnl, 0.2) == -15.0  # the 2 worst: (-20 - 10) / 2
    assert expected_shortfall(pnl, 0.25) == pytest.approx(-35.0 / 3)  # ceil(2.5) = 3 days
    assert expected_shortfall(pnl, 1.0) == pytest.approx(pnl.mean())
    hundred = pd.Series(np.arange(100.0))
    assert expected_shortfall(hundred, 0.05) == 2.0  # 5 % of 100 days is 5 days (0 … 4), not 6
    assert math.isnan(expected_shortfall(pd.Series([], dtype=float), 0.05))
    with pytest.raises(InputError, match=r"level = 0: the tail share must be in \(0, 1\]"):
        expected_shortfall(pnl, 0)


def test_summary_reports_expected_shortfall_and_hedge_trading() -> None:
    summary = summary_metrics(hedged_result(), "alvh")
    assert summary["es_1pct"] == summary["es_5pct"] == -600.0  # five days: the worst one
    assert summary["hedge_contracts"] == 5.0  # L1 3 + L2 2; the settlement and the core not counted
    assert summary["hedge_costs"] == pytest.approx(70.0)
    assert summary["hedge_premium"] == pytest.approx(315.0)


def test_hedge_layer_figures_from_the_trades() -> None:
    layers = hedge_layer_figures(hedged_result(), "alvh")
    assert list(layers.index) == ["L1", "L2", "L3", "static"]
    # L1: 3 VIX calls 0.05 over mid: 0.05 × 3 × 100 + 3 commission; L2: 2 VX 0.025 over: 0.025 × 2 × 1000 + 2
    np.testing.assert_allclose(layers["costs"], [18.0, 52.0, 0.0, 0.0])
    np.testing.assert_allclose(layers["contracts"], [3.0, 2.0, 0.0, 0.0])
    np.testing.assert_allclose(layers["pnl"], [242.0, 38.0, 0.0, 0.0])
    np.testing.assert_allclose(layers["pnl_before_costs"], [260.0, 90.0, 0.0, 0.0])


def test_negative_share_days_counts_days_below_zero() -> None:
    assert negative_share_days(hedged_result(), "alvh") == 2  # -0.1 and -2.0; NaN not counted
    without = synthetic_result("alvh", {"core": NAKED_PNL})
    with pytest.raises(InputError, match="no hedge_share column"):
        negative_share_days(without, "alvh")


def test_period_pnl_needs_the_whole_period() -> None:
    pnl = hedged_result().strategy("alvh")["pnl"]
    assert period_pnl(pnl, dt.date(2015, 8, 24), dt.date(2015, 8, 24)) == -600.0
    assert period_pnl(pnl, dt.date(2015, 8, 21), dt.date(2015, 8, 25)) == pytest.approx(-270.0 - 600.0 + 130.0)
    assert math.isnan(period_pnl(pnl, dt.date(2015, 8, 1), dt.date(2015, 8, 24)))  # starts before the data


def test_repr_is_a_few_lines_per_strategy() -> None:
    """Not the dataclass repr, which dumps the daily table and the config. Total P&L: the naked
    core's -950 plus L1's +242 and L2's +38; the deepest drawdown below the running peak."""
    assert repr(hedged_result()).splitlines() == [
        "BacktestResult 2015-08-20 to 2015-08-26 (5 days, model-priced): 4 fills, starting capital 1,000,000 $",
        "  alvh: total P&L -670 $, max drawdown -870 $",
    ]
