"""The backtest: deterministic, accounting identities hold every day, no look-ahead, the three
strategies share their core entries, the naked book never hedges, expiries settle at intrinsic,
costs are charged as configured, and bad configurations are refused with clear errors.

Ordinary tests run a few weeks around 2015-08-24 (one process); the full 2014–2018 run is
marked slow."""

from __future__ import annotations

import math
import re
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.app import plots
from alvh.backtest.backtest import (
    HEDGE_RULES,
    LABEL,
    STRATEGIES,
    BacktestConfig,
    BacktestResult,
    CostConfig,
    LadderConfig,
    load_backtest_config,
    run_backtest,
)
from alvh.exceptions import ConfigError, InputError
from alvh.market.history import load_history
from tests.helpers import assert_png

HISTORY = load_history(start="2015-05-01", end="2015-09-30")
LAYERS = ["core", "L1", "L2", "L3", "static"]


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    return run_backtest(HISTORY, BacktestConfig(start="2015-07-01"), workers=1)


def short_run(history: pd.DataFrame, start: str = "2015-08-10", **config: object) -> BacktestResult:
    return run_backtest(history, BacktestConfig(start=start, **config), workers=1)  # type: ignore[arg-type]


# --- determinism and look-ahead -----------------------------------------------------------------


def test_runs_are_deterministic() -> None:
    history = HISTORY.loc[:"2015-08-28"]
    first, second = short_run(history), short_run(history)
    pd.testing.assert_frame_equal(first.daily, second.daily, check_exact=True)
    pd.testing.assert_frame_equal(first.trades, second.trades, check_exact=True)
    pd.testing.assert_frame_equal(first.actions, second.actions, check_exact=True)


def test_processes_change_nothing() -> None:
    history = HISTORY.loc[:"2015-08-21"]
    one = short_run(history)
    spread = run_backtest(history, BacktestConfig(start="2015-08-10"), workers=2)
    pd.testing.assert_frame_equal(one.daily, spread.daily, check_exact=True)
    pd.testing.assert_frame_equal(one.trades, spread.trades, check_exact=True)


def test_no_look_ahead() -> None:
    """Results up to day t are bit-identical whether the history stops at t or goes on with
    different data after it."""
    t = pd.Timestamp("2015-08-24")
    truncated = short_run(HISTORY.loc[:t])
    altered = HISTORY.loc[:"2015-09-11"].copy()
    after = altered.index > t
    altered.loc[after, "spx"] *= 0.8
    altered.loc[after, "vix"] *= 2.0
    extended = short_run(altered)
    assert extended.end > truncated.end == t.date()
    upto = extended.daily.loc[:t]
    pd.testing.assert_frame_equal(upto, truncated.daily, check_exact=True)
    for name in ("trades", "actions"):
        table = getattr(extended, name)
        pd.testing.assert_frame_equal(
            table[table["date"] <= t].reset_index(drop=True), getattr(truncated, name), check_exact=True
        )


# --- accounting ---------------------------------------------------------------------------------


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


def test_daily_table_shape(result: BacktestResult) -> None:
    daily = result.daily
    assert daily.index.names == ["date", "strategy"]
    assert list(daily.index.get_level_values("strategy")[:3]) == list(STRATEGIES)
    assert np.isfinite(daily.select_dtypes("number").to_numpy()).all()
    spx = result.strategy("naked")["spx"]
    assert spx.equals(HISTORY.loc[spx.index, "spx"].rename("spx"))


# --- the strategies -----------------------------------------------------------------------------


def test_core_entries_and_management_are_identical(result: BacktestResult) -> None:
    trades = result.trades
    core = trades[trades["layer"] == "core"].drop(columns="strategy")
    per_strategy = [core[trades.loc[core.index, "strategy"] == name].reset_index(drop=True) for name in STRATEGIES]
    assert len(per_strategy[0]) > 0 and (per_strategy[0]["action"] == "ENTRY").any()
    for other in per_strategy[1:]:
        pd.testing.assert_frame_equal(per_strategy[0], other, check_exact=True)
    pnl = result.daily["pnl_core"].unstack("strategy")
    assert (pnl["naked"] == pnl["alvh"]).all() and (pnl["naked"] == pnl["static"]).all()


def test_naked_never_hedges(result: BacktestResult) -> None:
    trades = result.trades
    naked = trades[trades["strategy"] == "naked"]
    assert set(naked["layer"]) == {"core"}
    naked_actions = result.actions[result.actions["strategy"] == "naked"]
    assert not set(naked_actions["type"]) & {"HEDGE_DELTA", "ADD_VEGA_HEDGE", "TRIM_HEDGE", "ADD_L3", "DELAYER"}
    assert (result.strategy("naked")[[f"pnl_{layer}" for layer in LAYERS[1:]]] == 0).all().all()
    static = trades[(trades["strategy"] == "static") & (trades["layer"] != "core")]
    assert set(static["layer"]) == {"static"}
    bought = static[static["action"] == "STATIC_HEDGE"]
    assert len(bought) and (bought["instrument"] == "VIX").all() and (bought["right"] == "call").all()
    assert (bought["quantity"] > 0).all()
    assert {"ADD_VEGA_HEDGE", "TRIM_HEDGE"} & set(result.actions.loc[result.actions["strategy"] == "alvh", "type"])
    assert set(HEDGE_RULES) >= {"R-DELTA", "R-HEDGE-VEGA", "R-L3", "R-DELAYER"}


def test_expiries_settle_at_intrinsic(result: BacktestResult) -> None:
    settled = result.trades[result.trades["action"] == "SETTLE"]
    assert len(settled) and {"SPXW", "VIX"} <= set(settled["instrument"])
    closes = HISTORY
    for row in settled.itertuples():
        column = "spx" if row.instrument in ("SPX", "SPXW") else "vix"
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
        multiplier = np.where(mine["instrument"] == "VX", 1000.0, 100.0)
        charged = (mine["fill"] - mine["mid"]).abs() * mine["quantity"].abs() * multiplier + mine["commission"]
        per_day = charged.groupby(mine["date"]).sum().reindex(result.strategy(name).index, fill_value=0.0)
        np.testing.assert_allclose(result.strategy(name)["costs"], per_day, rtol=1e-9, atol=1e-9)


def test_free_trading_earns_more() -> None:
    history = HISTORY.loc[:"2015-08-21"]
    charged = short_run(history)
    free = short_run(history, costs=CostConfig(commission=0, spx_half_spread=0, vix_option_half_spread=0))
    assert (free.daily["costs"] == 0).sum() > 0
    assert free.summary().loc["naked", "total_pnl"] > charged.summary().loc["naked", "total_pnl"]


# --- summary and files --------------------------------------------------------------------------


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
    path = plots.equity_curves(result, tmp_path / "equity.png")
    assert_png(path)


# --- configuration ------------------------------------------------------------------------------


def test_config_from_toml(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text("[R-DELTA]\nmax_abs = 0.10\n")
    path = tmp_path / "bt.toml"
    path.write_text(
        'start = 2015-07-01\ncapital = 250000\nrules = "rules.toml"\n'
        "[ladder]\nunits = 5\nentry_dte = 45\nexit_dte = 21\n"
        "[costs]\ncommission = 0.65\n"
        "[market]\nrate = 0.02\n"
        "[[static_hedge.budget]]\nfront_future_max = 20.0\nshare = 0.02\n"
    )
    config = load_backtest_config(path)
    assert config.capital == 250000.0 and config.ladder.units == 5 and config.costs.commission == 0.65
    assert config.market.rate == 0.02 and config.static_hedge.share(19.0) == 0.02 and config.static_hedge.share(21) == 0
    rules = config.strategy_rules()
    assert rules["alvh"].delta.max_abs == 0.10 and rules["alvh"].delta.enabled
    assert not any(rules["naked"].by_id(rule).enabled for rule in HEDGE_RULES)
    assert BacktestConfig().capital == 1_000_000.0


def test_overrides_change_one_strategy(tmp_path: Path) -> None:
    path = tmp_path / "bt.toml"
    path.write_text("[overrides.naked.R-ROLL]\nsessions = 1\n")
    rules = load_backtest_config(path).strategy_rules()
    assert rules["naked"].roll.sessions == 1 and rules["alvh"].roll.sessions == rules["static"].roll.sessions == 2
    path.write_text("[overrides.naked.R-ROLL]\nsesions = 1\n")
    with pytest.raises(ConfigError, match=r"bt\.toml: overrides\.naked"):
        load_backtest_config(path)
    path.write_text("[overrides.hedged.R-ROLL]\nsessions = 1\n")
    with pytest.raises(ConfigError, match=r"overrides\.hedged"):
        load_backtest_config(path)


def test_shipped_config_is_the_defaults() -> None:
    path = Path(str(resources.files("alvh.data") / "backtest.toml"))
    assert load_backtest_config(path) == BacktestConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[ladder]\nunits = 0\n", "ladder.units = 0: Input should be greater than or equal to 1"),
        ("[ladder]\nwing_width = 52.0\n", "must be a multiple of 5"),
        ("[ladder]\nentry_dte = 14\nexit_dte = 14\n", "exit_dte = 14 must be below entry_dte = 14"),
        ("[ladder]\nshort_delta = '0.12'\n", "ladder.short_delta = '0.12'"),
        ("[costs]\nspread = 1.0\n", "costs.spread = 1.0: unknown field; allowed: commission, spx_half_spread"),
        ("start = 2016-01-01\nend = 2015-01-01\n", "start = 2016-01-01 is after end = 2015-01-01"),
        ("[market]\nskew_eta = 1.5\n", "butterfly arbitrage"),
        (
            "[[static_hedge.budget]]\nfront_future_max = 30.0\nshare = 0.01\n[[static_hedge.budget]]\n"
            "front_future_max = 20.0\nshare = 0.01\n",
            "must increase",
        ),
        ("capital = -5\n", "capital = -5: Input should be greater than 0"),
        ("[market]\nrate = '0.01'\n", "market.rate = '0.01'"),
        ("ladder = 3\n", "ladder = 3"),
        ("start = ", "not valid TOML"),
    ],
)
def test_bad_configs(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bt.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"bt\.toml") as error:
        load_backtest_config(path)
    assert message in str(error.value)


def test_config_and_history_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_backtest_config(tmp_path / "none.toml")
    with pytest.raises(InputError, match="40 days of history before it"):
        run_backtest(HISTORY.iloc[:30], workers=1)
    with pytest.raises(InputError, match="workers = 0"):
        run_backtest(HISTORY, workers=0)
    bad = HISTORY.copy()
    bad.iloc[5, 0] = -1.0
    with pytest.raises(InputError, match="spx = -1 is not allowed"):
        run_backtest(bad, workers=1)
    with pytest.raises(ValueError, match="exit_dte"):
        LadderConfig(entry_dte=7, exit_dte=7)


# --- the whole history --------------------------------------------------------------------------


@pytest.mark.slow
def test_full_history() -> None:
    result = run_backtest(load_history())
    summary = result.summary()
    assert list(summary.index) == list(STRATEGIES)
    assert result.start.isoformat() == "2014-03-04" and result.end.isoformat() == "2018-12-31"
    numeric = summary.drop(columns=["pricing", "start", "end", "worst_day_date"]).astype(float)
    assert np.isfinite(numeric.to_numpy()).all()
    for day in ("2015-08-24", "2016-06-24", "2018-02-05"):
        assert pd.Timestamp(day) in result.daily.index.get_level_values("date")
    assert (summary["core_credit"] > 0).all()
    for column in ("core_rolls", "core_reductions"):  # the same core rules
        assert (summary[column] == summary.loc["naked", column]).all()
    _check_readme_figures(summary)


README_ROWS = {
    "total P&L": "total_pnl",
    "annual return": "ann_return",
    "Sharpe": "sharpe",
    "max drawdown": "max_drawdown",
    "worst day": "worst_day",
    "P&L 2015-08-24": "pnl_2015-08-24",
    "P&L 2016-06-24": "pnl_2016-06-24",
    "P&L 2018-02-05": "pnl_2018-02-05",
    "P&L Q4 2018": "pnl_Q4-2018",
    "hedge P&L": "hedge_pnl",
    "hedge premium paid": "hedge_premium",
    "costs": "costs",
    "share of credit kept": "credit_kept",
    "hedge actions": "hedge_actions",
}


def _check_readme_figures(summary: pd.DataFrame) -> None:
    """The README's headline table is this run's. naked and static do not size hedges with the
    MILP and match to the rounding shown; alvh's equally good hedge solutions are broken by HiGHS,
    so its figures may move a little with the scipy/HiGHS version (the README says so)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Backtest", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0]: cells[1:]
        for line in section.splitlines()
        if line.startswith("| ") and (cells := [c.strip() for c in line.strip("|").split("|")])[0] in README_ROWS
    }
    assert set(rows) == set(README_ROWS)
    rolls, reductions = re.search(r"\((\d+) rolls, (\d+) reductions in each\)", section).groups()  # type: ignore[union-attr]
    assert summary.loc["naked", ["core_rolls", "core_reductions"]].tolist() == [int(rolls), int(reductions)]
    for label, column in README_ROWS.items():
        for name, shown in zip(("naked", "alvh", "static"), rows[label], strict=True):
            percent = shown.endswith("%")
            value = float(shown.rstrip(" %").replace(",", "")) / (100 if percent else 1)
            actual = float(summary.loc[name, column])
            if name == "alvh":
                assert value == pytest.approx(actual, rel=0.10, abs=0.02 if percent or column == "sharpe" else 1.0), (
                    label
                )
            else:
                digits = 3 if percent else 2 if column == "sharpe" else 0
                assert round(actual, digits) == pytest.approx(value, abs=1e-9), (label, name)
