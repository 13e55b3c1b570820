"""A rule whose measured value is NaN or infinite cannot be compared with its limit: it is a
breach that says so, never ok (docs/method.md, Rules)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from alvh.data import example_book, example_market
from alvh.method.rules import RuleId, RuleInputs, RuleStatus, default_rules, evaluate_rules
from alvh.method.rules.results import rule_result
from alvh.risk.valuation import value_book

BOOK, MARKET = example_book(), example_market()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("broken", [False, True])
def test_a_value_that_is_not_finite_is_a_breach(value: float, broken: bool) -> None:
    rules = default_rules()
    result = rule_result(RuleId.DTE, rules.dte, broken, value, "7 … 21 days", "DTE is fine.")
    assert rules.dte.severity == "warn"  # the severity does not soften it
    assert result.status is RuleStatus.BREACH
    assert result.message == (
        f"cannot be evaluated: the measured value is {value} (check the book's quantities and the market). DTE is fine."
    )
    assert result.to_dict()["status"] == "breach"


def test_net_vega_of_a_nan_total_is_a_breach_not_ok() -> None:
    risk = value_book(BOOK, MARKET)
    total = risk.total.copy()
    total["spx_vega"] = math.nan
    rules = default_rules().with_overrides({RuleId.NET_VEGA: {"target_per_condor": -100.0}})
    results = evaluate_rules(RuleInputs(BOOK, MARKET, dataclasses.replace(risk, total=total)), rules)
    net = next(r for r in results if r.id == RuleId.NET_VEGA.value)
    assert net.status is RuleStatus.BREACH
    assert net.message.startswith("cannot be evaluated: the measured value is nan")
    assert net.to_dict()["value"] is None
