"""The signal rules' thresholds, values and messages, and R-MACD-TIGHTEN's tightening."""

from __future__ import annotations

from typing import Any

import pytest

from alvh.method.rules import RuleId, RuleInputs, RuleResult, Rules, RuleStatus, evaluate_rules
from alvh.method.signals import MacdTrend
from alvh.risk.valuation import value_book
from tests.method.rules.cases import (
    BOOK,
    DEFAULTS,
    MARKET,
    SPIKE,
    TIGHT_SLEEVE,
    Case,
    signals,
)


def _signal(rule_id: str, **inputs: Any) -> RuleResult:
    return evaluate_rules(RuleInputs(BOOK, MARKET, _RISK, **inputs), DEFAULTS)[Rules.ids().index(rule_id)]


_RISK = value_book(BOOK, MARKET)


@pytest.mark.parametrize(
    ("rule_id", "inputs", "fired"),
    [
        (RuleId.RSI_REDUCE, {"signals": signals(spx_rsi=66.0), "theta_ratio": 0.8}, True),
        (RuleId.RSI_REDUCE, {"signals": signals(spx_rsi=66.0), "theta_ratio": 1.0}, False),  # theta on projection
        (RuleId.RSI_REDUCE, {"signals": signals(spx_rsi=65.0), "theta_ratio": 0.5}, False),  # RSI not above 65
        (RuleId.L3, {"signals": signals(spx_rsi=68.5)}, True),
        (RuleId.L3, {"signals": signals(spx_rsi=68.0)}, False),
        (RuleId.L3, {"signals": signals(spx_rsi=50.0, ad_divergence=1)}, True),  # bearish breadth divergence
        (RuleId.L3, {"signals": signals(spx_rsi=50.0, ad_divergence=None)}, False),  # no A/D line
        (RuleId.SKEW_ADD, {"signals": signals(vix_future_rsi=34.0, spx_rsi=61.0)}, True),
        (RuleId.SKEW_ADD, {"signals": signals(vix_future_rsi=35.0, spx_rsi=61.0)}, False),
        (RuleId.SKEW_ADD, {"signals": signals(vix_future_rsi=20.0, spx_rsi=60.0)}, False),
        (RuleId.MACD_LADDER, {"signals": signals(vix_macd_trend=MacdTrend.COMPRESSING)}, True),
        (RuleId.MACD_LADDER, {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING)}, False),
        (RuleId.MACD_TIGHTEN, {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING), "inflation_rising": True}, True),
        (RuleId.MACD_TIGHTEN, {"signals": signals(vix_macd_trend=MacdTrend.NEUTRAL), "inflation_rising": True}, False),
        (RuleId.DELAYER, {"signals": signals(**SPIKE, vix_retracement=0.5)}, True),
        (RuleId.DELAYER, {"signals": signals(**SPIKE, vix_retracement=0.49)}, False),
        (RuleId.DELAYER, {"signals": signals()}, False),  # no spike: retracement NaN
    ],
)
def test_signal_rule_thresholds(rule_id: str, inputs: dict[str, Any], fired: bool) -> None:
    result = _signal(rule_id, **inputs)
    assert result.fired is fired, result.message
    assert result.status is (RuleStatus.BREACH if fired else RuleStatus.OK)


@pytest.mark.parametrize(
    ("rule_id", "inputs", "status"),
    [
        (RuleId.RSI_REDUCE, {"signals": signals(spx_rsi=66.0)}, RuleStatus.SKIPPED),  # RSI high, theta unknown
        (RuleId.RSI_REDUCE, {"signals": signals(spx_rsi=60.0)}, RuleStatus.OK),  # RSI alone rules it out
        (RuleId.MACD_TIGHTEN, {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING)}, RuleStatus.SKIPPED),
        (RuleId.MACD_TIGHTEN, {"signals": signals(vix_macd_trend=MacdTrend.NEUTRAL)}, RuleStatus.OK),
    ],
)
def test_signal_rules_with_an_unknown_second_input(rule_id: str, inputs: dict[str, Any], status: RuleStatus) -> None:
    """Two-part rules: when the part that is known already rules the rule out it is ok; when it holds
    and the other part is not given, the rule is skipped (never a silent ok)."""
    result = _signal(rule_id, **inputs)
    assert result.status is status, result.message


def test_signal_rule_values_and_messages() -> None:
    rsi = _signal(RuleId.RSI_REDUCE, signals=signals(spx_rsi=66.0), theta_ratio=0.8)
    assert rsi.value == 66.0 and "cut net short vega by 35%" in rsi.message
    assert _signal(RuleId.SKEW_ADD, signals=signals(vix_future_rsi=30.0, spx_rsi=62.0)).value == 30.0
    ladder = _signal(RuleId.MACD_LADDER, signals=signals(vix_macd_trend=MacdTrend.COMPRESSING, vix_macd_histogram=-0.2))
    assert ladder.value == -0.2 and "open a new high-theta layer" in ladder.message
    delayer = _signal(RuleId.DELAYER, signals=signals(**SPIKE, vix_retracement=0.875))
    assert delayer.value == 0.875 and "88%" in delayer.message
    assert _signal(RuleId.DELAYER, signals=signals()).value is None


def test_macd_tighten_tightens_the_vega_limits_by_15_percent() -> None:
    tight = Case(TIGHT_SLEEVE, inputs={"signals": signals()}).evaluate()
    drift = tight[RuleId.SLEEVE_VEGA].value
    assert drift is not None and 12 * 0.85 < drift < 12  # the case is the one intended
    assert tight[RuleId.SLEEVE_VEGA].status is RuleStatus.OK and "12.0" in tight[RuleId.SLEEVE_VEGA].limit
    expanding = signals(vix_macd_trend=MacdTrend.EXPANDING)
    tightened = Case(TIGHT_SLEEVE, inputs={"signals": expanding, "inflation_rising": True}).evaluate()
    assert tightened[RuleId.MACD_TIGHTEN].fired
    assert tightened[RuleId.SLEEVE_VEGA].status is RuleStatus.BREACH and "10.2" in tightened[RuleId.SLEEVE_VEGA].limit
    assert "-0.13 … +0.21" in tightened[RuleId.VEGA_PER_SPREAD].limit
    assert tightened[RuleId.SLEEVE_VEGA].value == drift
    # switched off, it tightens nothing
    off = DEFAULTS.with_overrides({RuleId.MACD_TIGHTEN: {"enabled": False}})
    untouched = Case(TIGHT_SLEEVE, inputs={"signals": expanding, "inflation_rising": True}, rules=off).evaluate()
    assert untouched[RuleId.SLEEVE_VEGA].status is RuleStatus.OK
