"""The signal rules' thresholds, values and messages, and R-MACD-TIGHTEN's tightening."""

from __future__ import annotations

from typing import Any

import pytest

from alvh.method.rules import RuleInputs, RuleResult, Rules, RuleStatus, evaluate_rules
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
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=66.0), "theta_ratio": 0.8}, True),
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=66.0), "theta_ratio": 1.0}, False),  # theta on projection
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=65.0), "theta_ratio": 0.5}, False),  # RSI not above 65
        ("R-L3", {"signals": signals(spx_rsi=68.5)}, True),
        ("R-L3", {"signals": signals(spx_rsi=68.0)}, False),
        ("R-L3", {"signals": signals(spx_rsi=50.0, ad_divergence=1)}, True),  # bearish breadth divergence
        ("R-L3", {"signals": signals(spx_rsi=50.0, ad_divergence=None)}, False),  # no A/D line
        ("R-SKEW-ADD", {"signals": signals(vix_future_rsi=34.0, spx_rsi=61.0)}, True),
        ("R-SKEW-ADD", {"signals": signals(vix_future_rsi=35.0, spx_rsi=61.0)}, False),
        ("R-SKEW-ADD", {"signals": signals(vix_future_rsi=20.0, spx_rsi=60.0)}, False),
        ("R-MACD-LADDER", {"signals": signals(vix_macd_trend=MacdTrend.COMPRESSING)}, True),
        ("R-MACD-LADDER", {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING)}, False),
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING), "inflation_rising": True}, True),
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.NEUTRAL), "inflation_rising": True}, False),
        ("R-DELAYER", {"signals": signals(**SPIKE, vix_retracement=0.5)}, True),
        ("R-DELAYER", {"signals": signals(**SPIKE, vix_retracement=0.49)}, False),
        ("R-DELAYER", {"signals": signals()}, False),  # no spike: retracement NaN
    ],
)
def test_signal_rule_thresholds(rule_id: str, inputs: dict[str, Any], fired: bool) -> None:
    result = _signal(rule_id, **inputs)
    assert result.fired is fired, result.message
    assert result.status is (RuleStatus.BREACH if fired else RuleStatus.OK)


@pytest.mark.parametrize(
    ("rule_id", "inputs", "status"),
    [
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=66.0)}, RuleStatus.SKIPPED),  # RSI high, theta unknown
        ("R-RSI-REDUCE", {"signals": signals(spx_rsi=60.0)}, RuleStatus.OK),  # RSI alone rules it out
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.EXPANDING)}, RuleStatus.SKIPPED),
        ("R-MACD-TIGHTEN", {"signals": signals(vix_macd_trend=MacdTrend.NEUTRAL)}, RuleStatus.OK),
    ],
)
def test_signal_rules_with_an_unknown_second_input(rule_id: str, inputs: dict[str, Any], status: RuleStatus) -> None:
    """Two-part rules: when the part that is known already rules the rule out it is ok; when it holds
    and the other part is not given, the rule is skipped (never a silent ok)."""
    result = _signal(rule_id, **inputs)
    assert result.status is status, result.message


def test_signal_rule_values_and_messages() -> None:
    rsi = _signal("R-RSI-REDUCE", signals=signals(spx_rsi=66.0), theta_ratio=0.8)
    assert rsi.value == 66.0 and "cut net short vega by 35%" in rsi.message
    assert _signal("R-SKEW-ADD", signals=signals(vix_future_rsi=30.0, spx_rsi=62.0)).value == 30.0
    ladder = _signal("R-MACD-LADDER", signals=signals(vix_macd_trend=MacdTrend.COMPRESSING, vix_macd_histogram=-0.2))
    assert ladder.value == -0.2 and "open a new high-theta layer" in ladder.message
    delayer = _signal("R-DELAYER", signals=signals(**SPIKE, vix_retracement=0.875))
    assert delayer.value == 0.875 and "88%" in delayer.message
    assert _signal("R-DELAYER", signals=signals()).value is None


def test_macd_tighten_tightens_the_vega_limits_by_15_percent() -> None:
    tight = Case(TIGHT_SLEEVE, inputs={"signals": signals()}).evaluate()
    drift = tight["R-SLEEVE-VEGA"].value
    assert drift is not None and 12 * 0.85 < drift < 12  # the case is the one intended
    assert tight["R-SLEEVE-VEGA"].status is RuleStatus.OK and "12.0" in tight["R-SLEEVE-VEGA"].limit
    expanding = signals(vix_macd_trend=MacdTrend.EXPANDING)
    tightened = Case(TIGHT_SLEEVE, inputs={"signals": expanding, "inflation_rising": True}).evaluate()
    assert tightened["R-MACD-TIGHTEN"].fired
    assert tightened["R-SLEEVE-VEGA"].status is RuleStatus.BREACH and "10.2" in tightened["R-SLEEVE-VEGA"].limit
    assert "±6.8%" in tightened["R-NET-VEGA"].limit
    assert tightened["R-SLEEVE-VEGA"].value == drift
    # switched off, it tightens nothing
    off = DEFAULTS.with_overrides({"R-MACD-TIGHTEN": {"enabled": False}})
    untouched = Case(TIGHT_SLEEVE, inputs={"signals": expanding, "inflation_rising": True}, rules=off).evaluate()
    assert untouched["R-SLEEVE-VEGA"].status is RuleStatus.OK
