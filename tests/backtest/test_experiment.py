"""The experiment's replays: variants and settings turned into configurations, the jobs checked
before any runs, and results that are the backtest's own, the same for any number of workers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from alvh.backtest import BacktestConfig, run_backtest
from alvh.backtest import experiment as experiment_module
from alvh.backtest.experiment import (
    BASE,
    VARIANTS,
    Setting,
    Variant,
    robustness_settings,
    run_experiment,
    variant_config,
)
from alvh.exceptions import ConfigError, InputError
from tests.backtest.runs import HISTORY

WINDOW = {"start": "2015-08-17", "end": "2015-09-04"}
SMALL = (
    Variant("naked", "naked", "no hedge"),
    Variant("static", "static", "VIX calls"),
    Variant("as-configured", "alvh", "the rules as configured"),
    Variant("no-stress", "alvh", "R-STRESS off", {"R-STRESS": {"enabled": False}}),
)
SETTINGS = (BASE, Setting("costs x2", cost_factor=2.0))


def test_variant_rules_go_over_the_configured_overrides_field_by_field() -> None:
    config = BacktestConfig(overrides={"alvh": {"R-HEDGE-VEGA": {"min_share": 0.3}, "R-ROLL": {"sessions": 1}}})
    changed = variant_config(config, Variant("v", "alvh", "", {"R-HEDGE-VEGA": {"max_share": 0.7}}))
    assert changed.overrides["alvh"] == {
        "R-HEDGE-VEGA": {"min_share": 0.3, "max_share": 0.7},
        "R-ROLL": {"sessions": 1},
    }
    assert config.overrides["alvh"]["R-HEDGE-VEGA"] == {"min_share": 0.3}  # the configuration is left as it was
    rules = changed.strategy_rules()["alvh"]
    assert (rules.hedge_vega.min_share, rules.hedge_vega.max_share, rules.roll.sessions) == (0.3, 0.7, 1)


def test_settings_scale_costs_and_move_the_curve_premium() -> None:
    config = BacktestConfig()
    assert [s.name for s in robustness_settings(config)] == ["base", "costs x0.5", "costs x2", "premium 0", "premium 5"]
    doubled = Setting("costs x2", cost_factor=2.0).apply(config)
    assert doubled.costs.commission == 2 * config.costs.commission
    assert doubled.costs.vix_future_half_spread == 2 * config.costs.vix_future_half_spread
    flat = Setting("premium 0", anchor_premium=0.0).apply(config)
    assert flat.market.anchor_premium == 0.0 and config.market.anchor_premium == 3.0
    assert flat.market.model_copy(update={"anchor_premium": 3.0}) == config.market  # nothing else moves
    five = BacktestConfig.model_validate({"market": {"anchor_premium": 5.0}})
    assert [s.name for s in robustness_settings(five)][-2:] == ["premium 0", "premium 3"]


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ((SMALL[2],), "exactly one naked variant"),
        ((SMALL[0], SMALL[0]), "names must be unique"),
        ((SMALL[0], Variant("x", "other", "")), "strategy must be one of"),  # type: ignore[arg-type]
    ],
)
def test_bad_variant_lists_are_refused(variants: tuple[Variant, ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run_experiment(HISTORY, BacktestConfig(**WINDOW), variants=variants, workers=1)  # type: ignore[arg-type]


def test_bad_rule_changes_name_the_variant_before_any_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_replay(*args: object) -> None:
        raise AssertionError("a replay ran before the variants were checked")

    monkeypatch.setattr(experiment_module, "replay", no_replay)
    bad = Variant("typo", "alvh", "", {"R-HEDGE-VEGA": {"min_shar": 0.3}})
    with pytest.raises(ConfigError, match=r"variant typo: .*min_shar"):
        run_experiment(HISTORY, BacktestConfig(**WINDOW), variants=(*SMALL, bad), workers=1)


def test_the_default_variants_are_valid_rules() -> None:
    config = BacktestConfig()
    for variant in VARIANTS:
        variant_config(config, variant).strategy_rules()


@pytest.fixture(scope="module")
def one_process() -> experiment_module.Experiment:
    return run_experiment(HISTORY, BacktestConfig(**WINDOW), variants=SMALL, settings=SETTINGS, workers=1)


def test_replays_are_the_backtests(one_process: experiment_module.Experiment) -> None:
    backtest = run_backtest(HISTORY, BacktestConfig(**WINDOW), workers=1)
    for variant, strategy in (("naked", "naked"), ("static", "static"), ("as-configured", "alvh")):
        pd.testing.assert_frame_equal(one_process.daily("base", variant), backtest.strategy(strategy))
    hedged = one_process.result("base", "as-configured").actions
    unstressed = one_process.result("base", "no-stress").actions
    assert "R-STRESS" in ",".join(hedged["rules"]) and "R-STRESS" not in ",".join(unstressed["rules"])
    doubled = one_process.daily("costs x2", "naked")["costs"].sum()
    assert doubled == pytest.approx(2 * one_process.daily("base", "naked")["costs"].sum(), rel=1e-9)
    assert list(one_process.results) == [(s.name, v.name) for s in SETTINGS for v in SMALL]


def test_the_same_for_any_number_of_workers(one_process: experiment_module.Experiment, dask_client: Any) -> None:
    progress: list[tuple[int, int]] = []
    spread = run_experiment(
        HISTORY,
        BacktestConfig(**WINDOW),
        variants=SMALL,
        settings=SETTINGS,
        scheduler=dask_client.scheduler.address,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert progress == [(i, 6) for i in range(1, 7)]  # 2 settings x (2 ALVH variants + naked and static)
    assert list(spread.results) == list(one_process.results)
    for key, result in one_process.results.items():
        pd.testing.assert_frame_equal(spread.results[key].daily, result.daily)
        pd.testing.assert_frame_equal(spread.results[key].trades, result.trades)


def test_quoted_futures_replace_the_model_curve() -> None:
    quoted = HISTORY.assign(vx1=HISTORY["vix"] + 2.0, vx2=HISTORY["vix"] + 3.0)
    config = BacktestConfig(**WINDOW)
    run = run_experiment(quoted, config, variants=SMALL[:3], settings=(BASE,), workers=1)
    model = run_experiment(HISTORY, config, variants=SMALL[:3], settings=(BASE,), workers=1)
    assert run.quoted_futures == ("vx1", "vx2") and model.quoted_futures == ()
    static = run.result("base", "static").trades
    assert not static["fill"].equals(
        model.result("base", "static").trades["fill"]
    )  # the calls priced off other futures
