"""The strategies: they share their core entries and management, the naked book never hedges and
the static one buys only its VIX calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import BacktestResult, strategy
from alvh.backtest.config import HEDGE_RULES, STRATEGIES
from alvh.method.decisions import Decision, decide
from alvh.method.rules import RuleId, RuleStatus
from tests.backtest.runs import HISTORY, LAYERS, short_run


def test_core_entries_and_management_are_identical(result: BacktestResult) -> None:
    trades = result.trades
    core = trades[trades["layer"] == "core"].drop(columns="strategy")
    per_strategy = [core[trades.loc[core.index, "strategy"] == name].reset_index(drop=True) for name in STRATEGIES]
    assert len(per_strategy[0]) > 0 and (per_strategy[0]["action"] == "ENTRY").any()
    for other in per_strategy[1:]:
        pd.testing.assert_frame_equal(per_strategy[0], other, check_exact=True)
    pnl = result.daily["pnl_core"].unstack("strategy")
    assert (pnl["naked"] == pnl["alvh"]).all() and (pnl["naked"] == pnl["static"]).all()


def test_rolls_and_theta_layers_are_the_ladders_condors() -> None:
    """A 10-delta, 25-point ladder through August 2015: the condors the engine rolls into and the
    theta layers it opens are 25 points wide too (they were 50, at 12 delta, whatever the ladder)."""
    result = short_run(HISTORY, start="2015-07-27", end="2015-08-31", ladder={"short_delta": 0.10, "wing_width": 25.0})
    trades = result.trades[result.trades["strategy"] == "naked"]
    opened = trades[trades["action"].isin(["ROLL_CORE", "ADD_THETA_LAYER"]) & trades["opening"]]
    assert set(opened["action"]) == {"ROLL_CORE", "ADD_THETA_LAYER"}
    for (_, _, right), legs in opened.groupby(["date", "group", "right"]):
        assert legs["strike"].max() - legs["strike"].min() == 25.0, right


def test_macd_tighten_fires_in_the_backtest_with_cpi_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    """With rising ``cpi`` releases in the history, R-MACD-TIGHTEN fires on the days the VIX MACD
    expands (August 2015) — the backtest passes decide() whether inflation is rising, as ``alvh
    report`` does. Without the readings it is never known, so it never fires."""
    history = HISTORY.copy()
    releases = pd.Series(np.nan, index=history.index)
    for k, day in enumerate(["2015-05-15", "2015-06-16", "2015-07-17", "2015-08-19", "2015-09-16"]):
        releases.iloc[history.index.searchsorted(pd.Timestamp(day))] = 237.0 + 0.3 * k
    history["cpi"] = releases
    seen = _record_rule(monkeypatch, RuleId.MACD_TIGHTEN)
    short_run(history, start="2015-08-17", end="2015-08-26")
    assert RuleStatus.BREACH in {status for _, status in seen}
    seen.clear()
    short_run(HISTORY, start="2015-08-17", end="2015-08-26")
    assert seen and all(status is not RuleStatus.BREACH for _, status in seen)


def _record_rule(monkeypatch: pytest.MonkeyPatch, rule_id: str) -> list[tuple[dt.date, RuleStatus]]:
    """The day and status of ``rule_id`` in every decision the backtest makes from now on (every
    rule evaluated on the backtest's inputs, as ``alvh report`` would: the backtest itself
    evaluates only those its steps read, whose actions tests/method/test_decisions.py checks are
    the same, and test_replay.py's full-history figures pin)."""
    seen: list[tuple[dt.date, RuleStatus]] = []

    def recording(*args: Any, **kwargs: Any) -> Decision:
        decision = decide(*args, **{**kwargs, "all_rules": True})
        seen.append((decision.as_of.date(), next(r.status for r in decision.rules if r.id == rule_id)))
        return decision

    monkeypatch.setattr(strategy, "decide", recording)
    return seen


def test_short_delta_is_judged_on_the_days_condors_are_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through August 2015 the ladder's condors drift far from their entry delta; R-SHORT-DELTA
    judges each at entry only (it warned on almost every day of the full run): a 12-delta ladder
    never warns, a 20-delta one warns on its entry days (Fridays) alone."""
    seen = _record_rule(monkeypatch, RuleId.SHORT_DELTA)
    short_run(HISTORY, start="2015-08-10", end="2015-08-31")
    assert {status for _, status in seen} == {RuleStatus.OK, RuleStatus.SKIPPED}  # skipped before the first entry
    seen.clear()
    short_run(HISTORY, start="2015-08-10", end="2015-08-31", ladder={"short_delta": 0.20})
    warned = {day for day, status in seen if status is RuleStatus.WARN}
    assert warned and {day.weekday() for day in warned} == {4}
    assert {day for day, _ in seen if day.weekday() == 4} == warned


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
    assert set(HEDGE_RULES) >= {RuleId.DELTA, RuleId.HEDGE_VEGA, RuleId.L3, RuleId.DELAYER}
