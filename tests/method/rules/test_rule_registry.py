"""The rule registry: every rule declared once, and everything that lists rules agrees with it —
the RuleId enum, the Rules model (fields, aliases, models), the shipped rules.toml, the actions."""

from __future__ import annotations

import typing

import pytest

from alvh._config import read_toml
from alvh.exceptions import ConfigError
from alvh.method.actions import ActionType
from alvh.method.rules import (
    DEFAULT_RULES_PATH,
    RULE_SPECS,
    RuleId,
    Rules,
    default_rules,
    hedge_rules,
    rule_spec,
    rules_triggering,
)
from alvh.method.rules.parameters import RuleConfig


def test_every_rule_id_has_exactly_one_spec() -> None:
    ids = [spec.id for spec in RULE_SPECS]
    assert sorted(ids) == sorted(RuleId) and len(ids) == len(set(ids))
    assert all(rule_spec(rule_id) is spec for rule_id, spec in zip(ids, RULE_SPECS, strict=True))
    assert rule_spec("R-DELTA") is rule_spec(RuleId.DELTA)


def test_unknown_rule_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown rule 'R-NOPE'; rules: R-DELTA, R-HEDGE-VEGA"):
        rule_spec("R-NOPE")


def test_rules_model_fields_are_the_registry() -> None:
    fields = Rules.model_fields
    assert list(fields) == [spec.field for spec in RULE_SPECS]
    assert [info.alias for info in fields.values()] == [spec.id.value for spec in RULE_SPECS]
    assert [info.annotation for info in fields.values()] == [spec.config for spec in RULE_SPECS]
    assert Rules.ids() == [spec.id.value for spec in RULE_SPECS]
    rules = default_rules()
    for spec in RULE_SPECS:
        assert issubclass(spec.config, RuleConfig)
        assert rules.by_id(spec.id) is getattr(rules, spec.field)
        assert isinstance(rules.by_id(spec.id.value), spec.config)


def test_shipped_rules_file_lists_every_rule_of_the_registry_in_order() -> None:
    assert list(read_toml(DEFAULT_RULES_PATH)) == [spec.id.value for spec in RULE_SPECS]


def test_spec_actions_hedge_flags_and_tightened_fields() -> None:
    for spec in RULE_SPECS:
        assert all(isinstance(action, ActionType) for action in spec.actions)
        assert ActionType.HOLD not in spec.actions
        assert set(spec.tightened) <= set(spec.config.model_fields)
        assert all(typing.get_type_hints(spec.config)[name] is float for name in spec.tightened)
    assert rules_triggering(ActionType.HEDGE_DELTA) == (RuleId.DELTA, RuleId.STRESS)
    assert rules_triggering(ActionType.REDUCE) == (RuleId.CROWDED_BE,)
    assert rules_triggering(ActionType.ROLL_CORE) == (RuleId.ROLL,)
    assert rules_triggering(ActionType.ADD_L3) == (RuleId.L3,)
    assert rules_triggering(ActionType.DELAYER) == (RuleId.DELAYER,)
    assert rules_triggering(ActionType.ADD_THETA_LAYER) == (RuleId.SKEW_ADD, RuleId.MACD_LADDER)
    assert rules_triggering(ActionType.ADD_VEGA_HEDGE, ActionType.TRIM_HEDGE) == (
        RuleId.DELTA,
        RuleId.HEDGE_VEGA,
        RuleId.RSI_REDUCE,
        RuleId.STRESS,
    )  # R-NET-VEGA and R-VEGA-PER-SPREAD are checks: they trade nothing
    assert rules_triggering(ActionType.HOLD) == ()
    # every action but HOLD is triggered by some rule
    assert {a for spec in RULE_SPECS for a in spec.actions} == set(ActionType) - {ActionType.HOLD}


def test_hedge_rules_are_those_about_the_hedge_layers() -> None:
    assert hedge_rules() == (
        RuleId.DELTA,
        RuleId.HEDGE_VEGA,
        RuleId.SLEEVE_VEGA,
        RuleId.NET_VEGA,
        RuleId.VEGA_PER_SPREAD,
        RuleId.RSI_REDUCE,
        RuleId.L3,
        RuleId.DELAYER,
        RuleId.STRESS,
    )
    # every rule that trades hedges is a hedge rule; the core's rules are not
    hedge_trades = (ActionType.HEDGE_DELTA, ActionType.ADD_VEGA_HEDGE, ActionType.TRIM_HEDGE, ActionType.ADD_L3)
    assert set(rules_triggering(*hedge_trades, ActionType.DELAYER)) <= set(hedge_rules())
    assert not set(rules_triggering(ActionType.REDUCE, ActionType.ROLL_CORE, ActionType.ADD_THETA_LAYER)) & set(
        hedge_rules()
    )


def test_tightened_scales_only_the_named_limits() -> None:
    rules = default_rules()
    tight = rules.tightened(0.15)
    assert tight.sleeve_vega.max_drift == 12.0 * 0.85
    assert tight.net_vega.tolerance == 0.08 * 0.85
    assert (tight.vega_per_spread.min, tight.vega_per_spread.max) == (-0.15 * 0.85, 0.25 * 0.85)
    assert tight.vega_per_spread.alert == rules.vega_per_spread.alert
    assert tight.hedge_vega == rules.hedge_vega and tight.delta == rules.delta
