"""The ledger's accounting, seen in a run: the layers sum to the total, the P&L is the change in
cash plus marks, expiries settle at intrinsic and costs are charged as configured."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import BacktestResult
from alvh.backtest.config import STRATEGIES, CostConfig
from alvh.book import Instrument
from tests.backtest.runs import HISTORY, LAYERS, short_run


def test_layers_sum_to_the_total(result: BacktestResult) -> None:
    daily = result.daily
    layers = daily[[f"pnl_{layer}" for layer in LAYERS]].sum(axis=1)
    np.testing.assert_allclose(layers, daily["pnl"], rtol=1e-12, atol=1e-6)


def test_pnl_is_the_change_in_mtm_plus_cash(result: BacktestResult) -> None:
    for name in STRATEGIES:
        daily = result.strategy(name)
        value = daily["cash"] + daily["mtm"]
        change = value.diff().fillna(value.iloc[0])
        np.testing.assert_allclose(daily["pnl"], change, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(daily["cash"], daily["cash_flow"].cumsum(), rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(daily["equity"], result.capital + value, rtol=1e-12)
        peak = np.maximum.accumulate(np.maximum(daily["equity"], result.capital))
        np.testing.assert_allclose(daily["drawdown"], daily["equity"] - peak, atol=1e-6)
        trades = result.trades[result.trades["strategy"] == name]
        flows = trades.groupby("date")["cash_flow"].sum().reindex(daily.index, fill_value=0.0)
        np.testing.assert_allclose(daily["cash_flow"], flows, rtol=1e-12, atol=1e-6)


def test_expiries_settle_at_intrinsic(result: BacktestResult) -> None:
    settled = result.trades[result.trades["action"] == "SETTLE"]
    assert len(settled) and {"SPXW", "VIX"} <= set(settled["instrument"])
    closes = HISTORY
    for row in settled.itertuples():
        instrument = Instrument(row.instrument)
        column = "spx" if instrument.is_spx_option or instrument.is_spx_future else "vix"
        level = closes.loc[: pd.Timestamp(row.expiry), column].iloc[-1]
        assert row.fill == level
        if row.strike is None or (isinstance(row.strike, float) and math.isnan(row.strike)):
            continue  # futures: checked by the identities
        intrinsic = max(level - row.strike, 0.0) if row.right == "call" else max(row.strike - level, 0.0)
        multiplier = 100.0
        assert row.cash_flow == pytest.approx(-row.quantity * intrinsic * multiplier, abs=1e-9)


def test_costs_are_charged(result: BacktestResult) -> None:
    costs = CostConfig()
    trades = result.trades[result.trades["action"] != "SETTLE"]
    spx = trades[trades["instrument"] == "SPXW"]
    expected = np.where(
        spx["quantity"] > 0, spx["mid"] + costs.spx_half_spread, np.maximum(spx["mid"] - costs.spx_half_spread, 0.0)
    )
    np.testing.assert_allclose(spx["fill"], expected, rtol=1e-12)
    np.testing.assert_allclose(trades["commission"], costs.commission * trades["quantity"].abs())
    np.testing.assert_allclose(spx["cash_flow"], -spx["fill"] * spx["quantity"] * 100 - spx["commission"], rtol=1e-12)
    for name in STRATEGIES:
        mine = trades[trades["strategy"] == name]
        multiplier = mine["instrument"].map(lambda i: Instrument(i).multiplier)
        charged = (mine["fill"] - mine["mid"]).abs() * mine["quantity"].abs() * multiplier + mine["commission"]
        per_day = charged.groupby(mine["date"]).sum().reindex(result.strategy(name).index, fill_value=0.0)
        np.testing.assert_allclose(result.strategy(name)["costs"], per_day, rtol=1e-9, atol=1e-9)


def test_free_trading_earns_more() -> None:
    history = HISTORY.loc[:"2015-08-21"]
    charged = short_run(history)
    free = short_run(history, costs=CostConfig(commission=0, spx_half_spread=0, vix_option_half_spread=0))
    assert (free.daily["costs"] == 0).sum() > 0
    assert free.summary.loc["naked", "total_pnl"] > charged.summary.loc["naked", "total_pnl"]
