"""The rules in force: :class:`Rules`, one parameter table per rule of the registry, read and
validated from a TOML file (:func:`load_rules`; the defaults ship as ``alvh/data/rules.toml``).

A rule's id, every field and its value are checked on load, and an error names the file, the rule,
the field and what is allowed. Each rule carries its description and the source of its default.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from alvh._config import config_error, read_toml
from alvh.exceptions import ConfigError
from alvh.method.rules.parameters import (
    BreakevenRule,
    CrowdedRule,
    DelayerRule,
    DeltaRule,
    DteRule,
    HedgeVegaRule,
    L3Rule,
    MacdLadderRule,
    MacdTightenRule,
    NetVegaRule,
    ReconRule,
    RollRule,
    RsiReduceRule,
    RuleConfig,
    ShortDeltaRule,
    SkewAddRule,
    SleeveVegaRule,
    StressRule,
    ThetaRule,
    VegaPerSpreadRule,
)
from alvh.method.rules.registry import RULE_SPECS, rule_spec

__all__ = ["DEFAULT_RULES_PATH", "Rules", "default_rules", "load_rules"]


DEFAULT_RULES_PATH = Path(str(resources.files("alvh") / "data" / "rules.toml"))
"""The rules shipped with alvh."""

_ID_OF_FIELD = {spec.field: spec.id.value for spec in RULE_SPECS}


class Rules(BaseModel):
    """Every rule of the method with its parameters (docs/method.md, Rules); each field's alias is
    its rule id (``R-DELTA``). The fields are typed here for the reader and the type checker;
    :data:`alvh.method.rules.RULE_SPECS` declares them, and importing this module checks the two
    agree."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, alias_generator=lambda name: _ID_OF_FIELD[name]
    )

    delta: DeltaRule
    hedge_vega: HedgeVegaRule
    sleeve_vega: SleeveVegaRule
    net_vega: NetVegaRule
    vega_per_spread: VegaPerSpreadRule
    theta: ThetaRule
    short_delta: ShortDeltaRule
    dte: DteRule
    breakeven: BreakevenRule
    crowded: CrowdedRule
    rsi_reduce: RsiReduceRule
    l3: L3Rule
    skew_add: SkewAddRule
    macd_ladder: MacdLadderRule
    macd_tighten: MacdTightenRule
    delayer: DelayerRule
    roll: RollRule
    recon: ReconRule
    stress: StressRule

    @classmethod
    def ids(cls) -> list[str]:
        """Every rule id, in table order."""
        return [spec.id.value for spec in RULE_SPECS]

    def by_id(self, rule_id: str) -> RuleConfig:
        """One rule's configuration."""
        rule: RuleConfig = getattr(self, rule_spec(rule_id).field)
        return rule

    def with_overrides(self, overrides: dict[str, dict[str, Any]], *, source: str = "rules") -> Rules:
        """These rules with some fields changed, e.g. ``{"R-DELTA": {"max_abs": 0.10}}``."""
        _check_tables(overrides, source)
        data = self.model_dump(by_alias=True)
        for rule_id, fields_ in overrides.items():
            data[rule_id] = {**data[rule_id], **fields_}
        return _validate(data, source)

    def tightened(self, share: float) -> Rules:
        """These rules with every limit R-MACD-TIGHTEN tightens (each spec's ``tightened`` fields)
        scaled by ``1 - share``."""
        scale = 1.0 - share
        update = {}
        for spec in RULE_SPECS:
            if spec.tightened:
                rule = getattr(self, spec.field)
                update[spec.field] = rule.model_copy(
                    update={name: getattr(rule, name) * scale for name in spec.tightened}
                )
        return self.model_copy(update=update)

    def in_force(self, tightening: bool) -> Rules:
        """These rules as they apply to a book: tightened while R-MACD-TIGHTEN fires there
        (``tightening``), as they are otherwise."""
        return self.tightened(self.macd_tighten.tighten) if tightening else self


def _check_registry() -> None:
    """The fields of :class:`Rules` are the registry's, in its order, with its models."""
    declared = [(name, info.annotation) for name, info in Rules.model_fields.items()]
    registered = [(spec.field, spec.config) for spec in RULE_SPECS]
    if declared != registered:
        raise TypeError(f"Rules fields {declared} differ from the rule registry {registered}")


_check_registry()


def _check_tables(data: dict[str, Any], source: str) -> None:
    """Every entry is a known rule given as a table of its own fields (named errors before merging)."""
    models = {spec.id.value: spec.config for spec in RULE_SPECS}
    for rule_id, fields_ in data.items():
        if rule_id not in models:
            raise ConfigError(f"{source}: unknown rule {rule_id!r}; rules: {', '.join(Rules.ids())}")
        if not isinstance(fields_, dict):
            raise ConfigError(f"{source}: {rule_id} = {fields_!r} is not allowed: a rule is a table ([{rule_id}])")
        model = models[rule_id]
        unknown = sorted(set(fields_) - set(model.model_fields))
        if unknown:
            raise ConfigError(
                f"{source}: {rule_id}.{unknown[0]}: unknown field; allowed: {', '.join(model.model_fields)}"
            )


def _validate(data: dict[str, Any], source: str) -> Rules:
    _check_tables(data, source)
    try:
        return Rules.model_validate(data)
    except ValidationError as e:
        raise config_error(source, e) from None


def default_rules() -> Rules:
    """The rules shipped with alvh (``alvh/data/rules.toml``)."""
    return load_rules(DEFAULT_RULES_PATH)


def load_rules(path: str | Path) -> Rules:
    """Read and validate a rules TOML file. A file may list only some rules: the others keep
    their defaults; within a rule, only the fields to change are needed."""
    path = Path(path)
    data = read_toml(path)
    if path.resolve() == DEFAULT_RULES_PATH.resolve():
        return _validate(data, str(path))
    return default_rules().with_overrides(data, source=str(path))
