"""The backtest's settings: read from TOML, per-strategy rule overrides, the shipped file, and bad
configurations and histories refused with clear errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from alvh.backtest import BacktestConfig, load_backtest_config, run_backtest
from alvh.backtest.config import HEDGE_RULES, LadderConfig
from alvh.exceptions import ConfigError, InputError
from tests.backtest.runs import HISTORY


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


def test_the_engines_new_condors_are_the_ladders() -> None:
    """R-ROLL's and R-MACD-LADDER's short delta and R-MACD-LADDER's wings come from [ladder],
    unless a strategy's overrides set them."""
    config = BacktestConfig(
        ladder=LadderConfig(short_delta=0.10, wing_width=25.0),
        overrides={"naked": {"R-MACD-LADDER": {"wing_width": 40.0}}},
    )
    rules = config.strategy_rules()
    for name in ("alvh", "static"):
        assert rules[name].roll.short_delta == rules[name].macd_ladder.short_delta == 0.10
        assert rules[name].macd_ladder.wing_width == 25.0
    assert rules["naked"].macd_ladder.wing_width == 40.0 and rules["naked"].macd_ladder.short_delta == 0.10


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
