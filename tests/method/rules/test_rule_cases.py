"""Every rule trips on a book / market / signal case built for it and stays quiet on one that is
not (a test checks that every id has both); switched-off and signal rules without signals are
skipped; results come in table order and serialise."""

from __future__ import annotations

import json
import math

import pytest

from alvh.method.rules import RuleId, RuleInputs, Rules, RuleStatus, evaluate_rules
from alvh.risk.valuation import value_book
from tests.method.rules.cases import (
    BOOK,
    CASES,
    DEFAULTS,
    MARKET,
    SPIKE,
    Case,
    signals,
)


def test_every_rule_has_a_trip_and_a_no_trip_case() -> None:
    assert len(Rules.ids()) == 19
    assert list(CASES) == Rules.ids()


@pytest.mark.parametrize("rule_id", Rules.ids())
def test_rule_trips_and_does_not(rule_id: str) -> None:
    trip, quiet = (case.evaluate()[rule_id] for case in CASES[rule_id])
    if rule_id == RuleId.RECON:
        assert (trip.status, quiet.status) == (RuleStatus.INFO, RuleStatus.SKIPPED)
        assert not trip.fired
        return
    severity = DEFAULTS.by_id(rule_id).severity
    assert trip.status is (RuleStatus.BREACH if severity == "breach" else RuleStatus.WARN), trip.message
    assert trip.fired
    assert quiet.status is RuleStatus.OK, quiet.message
    assert not quiet.fired
    for result in (trip, quiet):
        assert result.id == rule_id
        assert result.limit and result.message
        assert result.value is not None and math.isfinite(result.value)
    assert trip.message != quiet.message


@pytest.mark.parametrize("rule_id", Rules.ids())
def test_switched_off_rule_is_skipped(rule_id: str) -> None:
    trip = CASES[rule_id][0]
    off = Case(trip.book, trip.market, trip.inputs, DEFAULTS.with_overrides({rule_id: {"enabled": False}}))
    result = off.evaluate()[rule_id]
    assert result.status is RuleStatus.SKIPPED
    assert result.message == "switched off in the rules file"
    # the others are unchanged
    others = {k: v.status for k, v in off.evaluate().items() if k not in (rule_id, RuleId.MACD_TIGHTEN)}
    assert others == {k: v.status for k, v in trip.evaluate().items() if k not in (rule_id, RuleId.MACD_TIGHTEN)}


SIGNAL_RULES = [RuleId.RSI_REDUCE, RuleId.L3, RuleId.SKEW_ADD, RuleId.MACD_LADDER, RuleId.MACD_TIGHTEN, RuleId.DELAYER]


def test_signal_rules_are_skipped_without_signals() -> None:
    results = Case().evaluate()
    for rule_id in SIGNAL_RULES:
        assert results[rule_id].status is RuleStatus.SKIPPED
        assert "needs market signals" in results[rule_id].message
    assert results[RuleId.STRESS].status is RuleStatus.SKIPPED  # off by default
    # R-NET-VEGA has no target until the user sets one
    assert results[RuleId.NET_VEGA].status is RuleStatus.SKIPPED and "target" in results[RuleId.NET_VEGA].message
    skippable = (*SIGNAL_RULES, RuleId.STRESS, RuleId.NET_VEGA)
    assert {r.status for k, r in results.items() if k not in skippable} <= {
        RuleStatus.OK,
        RuleStatus.BREACH,
        RuleStatus.WARN,
        RuleStatus.INFO,
    }


def test_results_come_in_table_order_and_serialise() -> None:
    risk = value_book(BOOK, MARKET)
    results = evaluate_rules(RuleInputs(BOOK, MARKET, risk, signals=signals(**SPIKE, vix_retracement=0.6)))
    assert [r.id for r in results] == Rules.ids()
    as_json = json.loads(json.dumps([r.to_dict() for r in results], allow_nan=False))
    for r, d in zip(results, as_json, strict=True):
        assert d["id"] == r.id and d["status"] == r.status.value and d["message"] == r.message
        assert d["value"] == (None if r.value is None else pytest.approx(r.value, rel=1e-15))
