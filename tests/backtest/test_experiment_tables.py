"""The experiment's figures on a synthetic experiment with hand-checked numbers (no replay)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import BacktestConfig
from alvh.backtest.experiment import BASE, Experiment, Setting, Variant
from alvh.backtest.experiment_tables import (
    best_variant,
    bootstrap_table,
    figures_table,
    max_drawdown,
    period_table,
    settings_table,
)
from tests.backtest.experiment_cases import synthetic_experiment


def test_figures_of_each_variant() -> None:
    figures = figures_table(synthetic_experiment())
    assert list(figures.columns) == ["naked", "static", "hedged"]
    hedged, naked, static = figures["hedged"], figures["naked"], figures["static"]
    assert hedged["hedge_contracts"] == 5.0 and hedged["hedge_costs"] == pytest.approx(70.0)
    assert (hedged["L1_pnl_before_costs"], hedged["L1_pnl"]) == pytest.approx((260.0, 242.0))
    assert (hedged["L2_pnl_before_costs"], hedged["L2_pnl"]) == pytest.approx((90.0, 38.0))
    assert (hedged["hedge_pnl_before_costs"], hedged["hedge_pnl"]) == pytest.approx((350.0, 280.0))
    assert math.isnan(hedged["static_pnl"]) and math.isnan(naked["L1_pnl"])  # layers a strategy lacks
    assert static["static_pnl"] == 390.0
    assert (hedged["total_pnl"], naked["total_pnl"]) == (-670.0, -950.0)
    assert hedged["max_drawdown"] == -870.0  # +30, then -270 and -600
    assert hedged["worst_day"] == hedged["es_5pct"] == hedged["pnl_2015-08-24"] == -600.0
    assert math.isnan(hedged["pnl_Q4-2018"])  # outside the run
    assert hedged["negative_share_days"] == 2.0 and math.isnan(naked["negative_share_days"])
    assert hedged["core_adjustments"] == 1.0  # the roll
    # ES 5 % -600 against naked's -1,000, for 315 $ of premium and 70 $ of costs
    assert hedged["es_5pct_reduction"] == 400.0
    assert hedged["risk_reduction_per_dollar"] == pytest.approx(400.0 / 385.0)
    assert math.isnan(naked["risk_reduction_per_dollar"])
    assert math.isnan(static["risk_reduction_per_dollar"])  # it spent nothing in this synthetic run


def test_max_drawdown_from_the_running_peak() -> None:
    # cumulative 0, 10, -20, -15, -25, 15: 35 below the peak of 10
    assert max_drawdown(pd.Series([10.0, -30.0, 5.0, -10.0, 40.0])) == -35.0
    assert max_drawdown(pd.Series([-5.0, 1.0])) == -5.0  # the start counts as a peak
    assert max_drawdown(pd.Series([1.0, 2.0])) == 0.0


def _figures(totals: dict[str, float], ratios: dict[str, float]) -> tuple[Experiment, pd.DataFrame]:
    variants = (Variant("naked", "naked", ""), *(Variant(name, "alvh", "") for name in totals))
    experiment = Experiment(BacktestConfig(), variants, (BASE,), {}, ())
    figures = pd.DataFrame(
        {"total_pnl": {"naked": 0.0, **totals}, "risk_reduction_per_dollar": {"naked": np.nan, **ratios}}
    ).T
    return experiment, figures


def test_best_variant_by_the_stated_criterion() -> None:
    experiment, figures = _figures(
        {"method-today": -100.0, "cheap": -50.0, "rich": -200.0, "flat": -90.0},
        {"method-today": 0.5, "cheap": 0.8, "rich": 3.0, "flat": float("nan")},
    )
    best, reason = best_variant(experiment, figures)
    assert best == "cheap"  # "rich" buys more protection per $ but loses more than method-today
    assert "0.8000 $ of 5 % ES reduction per $ spent" in reason and "eligible: method-today, cheap" in reason
    experiment, figures = _figures({"method-today": -100.0}, {"method-today": float("nan")})
    assert best_variant(experiment, figures)[0] is None


def test_bootstrap_of_the_difference_to_naked() -> None:
    table = bootstrap_table(synthetic_experiment())
    assert list(table.index) == ["static", "hedged"]
    assert table.loc["hedged", "difference"] == pytest.approx(280.0)
    assert table.loc["hedged", "low"] <= 280.0 <= table.loc["hedged", "high"]


def test_periods_are_slices_of_the_run() -> None:
    table = period_table(synthetic_experiment())
    assert list(table.columns) == ["2014-2017 pnl", "2014-2017 vs_naked", "2014-2017 es_5pct", "2014-2017 max_drawdown"]
    assert table.loc["hedged"].tolist() == pytest.approx([-670.0, 280.0, -600.0, -870.0])


def test_settings_table_compares_with_naked_in_the_same_setting() -> None:
    settings = (BASE, Setting("costs x2", cost_factor=2.0))
    table = settings_table(synthetic_experiment(settings))
    assert list(table.index) == [(s.name, v) for s in settings for v in ("naked", "static", "hedged")]
    assert table.loc[("costs x2", "hedged"), "vs_naked"] == pytest.approx(280.0)
    assert table.loc[("base", "naked"), "vs_naked"] == 0.0
