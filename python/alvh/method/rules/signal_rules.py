"""The rules on market signals (docs/method.md, Rules and Signals): SPX and VIX RSI, the VIX MACD,
the A/D line and VIX spikes. Each is skipped when no signals are given."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alvh.method.rules.ids import RuleId
from alvh.method.rules.results import RuleInputs, RuleResult, rule_result, skipped
from alvh.method.signals import MacdTrend

if TYPE_CHECKING:
    from alvh.method.rules.config import Rules

__all__ = ["delayer", "l3", "macd_ladder", "macd_tighten", "rsi_reduce", "skew_add"]


def _needs_signals(rule_id: RuleId) -> RuleResult:
    return skipped(rule_id, "needs market signals (SPX and VIX closes; --signals on the command line)")


def rsi_reduce(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.rsi_reduce, inputs.signals
    if s is None:
        return _needs_signals(RuleId.RSI_REDUCE)
    if s.spx_rsi > rule.rsi_above and inputs.theta_ratio is None:  # half the condition holds; the other is unknown
        return skipped(
            RuleId.RSI_REDUCE,
            f"SPX RSI {s.spx_rsi:.1f} > {rule.rsi_above:g}, but the core's realised/projected theta ratio is "
            "needed too (theta_ratio; --theta-ratio on the command line)",
        )
    slow_theta = inputs.theta_ratio is not None and inputs.theta_ratio < rule.theta_ratio_below
    fired = bool(s.spx_rsi > rule.rsi_above and slow_theta)
    theta_text = (
        f"theta ratio {inputs.theta_ratio:.2f}" if inputs.theta_ratio is not None else "no realised theta given"
    )
    return rule_result(
        RuleId.RSI_REDUCE,
        rule,
        fired,
        float(s.spx_rsi),
        f"RSI > {rule.rsi_above:g} and theta ratio < {rule.theta_ratio_below:g}",
        f"SPX RSI {s.spx_rsi:.1f}, {theta_text}"
        + (f": cut net short vega by {rule.cut_share:.0%} with hedges, not a roll." if fired else "."),
    )


def l3(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.l3, inputs.signals
    if s is None:
        return _needs_signals(RuleId.L3)
    divergence = s.ad_divergence is not None and s.ad_divergence != 0
    fired = bool(s.spx_rsi > rule.rsi_above or divergence)
    return rule_result(
        RuleId.L3,
        rule,
        fired,
        float(s.spx_rsi),
        f"RSI > {rule.rsi_above:g} or A/D divergence",
        f"SPX RSI {s.spx_rsi:.1f}"
        + (", A/D divergence" if divergence else "")
        + (": add L3 VIX put spreads." if fired else "."),
    )


def skew_add(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.skew_add, inputs.signals
    if s is None:
        return _needs_signals(RuleId.SKEW_ADD)
    fired = bool(s.vix_future_rsi < rule.vix_rsi_below and s.spx_rsi > rule.spx_rsi_above)
    return rule_result(
        RuleId.SKEW_ADD,
        rule,
        fired,
        float(s.vix_future_rsi),
        f"VIX future RSI < {rule.vix_rsi_below:g} and SPX RSI > {rule.spx_rsi_above:g}",
        f"Front VIX future RSI {s.vix_future_rsi:.1f}, SPX RSI {s.spx_rsi:.1f}"
        + (": add short-dated put spreads on the lower-delta side." if fired else "."),
    )


def macd_ladder(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.macd_ladder, inputs.signals
    if s is None:
        return _needs_signals(RuleId.MACD_LADDER)
    fired = s.vix_macd_trend is MacdTrend.COMPRESSING
    return rule_result(
        RuleId.MACD_LADDER,
        rule,
        fired,
        float(s.vix_macd_histogram),
        "VIX MACD histogram compressing",
        f"VIX MACD histogram {s.vix_macd_histogram:+.3f} ({s.vix_macd_trend.value})"
        + (": open a new high-theta layer." if fired else "."),
    )


def macd_tighten(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.macd_tighten, inputs.signals
    if s is None:
        return _needs_signals(RuleId.MACD_TIGHTEN)
    if s.vix_macd_trend is MacdTrend.EXPANDING and inputs.inflation_rising is None:
        return skipped(
            RuleId.MACD_TIGHTEN,
            "VIX MACD expanding, but CPI/PPI readings are needed too (cpi/ppi columns of the --signals CSV)",
        )
    fired = s.vix_macd_trend is MacdTrend.EXPANDING and bool(inputs.inflation_rising)
    inflation = (
        "CPI/PPI rising"
        if inputs.inflation_rising
        else "CPI/PPI not rising"
        if inputs.inflation_rising is not None
        else "no CPI/PPI data"
    )
    return rule_result(
        RuleId.MACD_TIGHTEN,
        rule,
        fired,
        float(s.vix_macd_histogram),
        "VIX MACD expanding while CPI/PPI rise",
        f"VIX MACD {s.vix_macd_trend.value}, {inflation}"
        + (f": vega limits tightened by {rule.tighten:.0%}." if fired else "."),
    )


def delayer(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.delayer, inputs.signals
    if s is None:
        return _needs_signals(RuleId.DELAYER)
    retraced = s.vix_retracement if s.vix_retracement is not None and np.isfinite(s.vix_retracement) else None
    fired = retraced is not None and retraced >= rule.retracement
    return rule_result(
        RuleId.DELAYER,
        rule,
        fired,
        retraced,
        f"retracement >= {rule.retracement:.0%} of the spike",
        (
            f"VIX has given back {retraced:.0%} of its spike: take hedge layers off, capture their gain."
            if fired
            else f"VIX spike retracement {retraced:.0%}."
            if retraced is not None
            else "No VIX spike in progress."
        ),
    )
