"""The parameters of each rule, as pydantic models: what a rules.toml table may hold, with the
allowed range of every field (docs/method.md, Rules). :class:`alvh.method.rules.Rules` gathers one
of each, as :data:`alvh.method.rules.RULE_SPECS` lists them."""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alvh.book import Role

__all__ = [
    "BreakevenRule",
    "CrowdedRule",
    "DelayerRule",
    "DeltaRule",
    "DteRule",
    "HedgeVegaRule",
    "HedgedViewRule",
    "L3Rule",
    "MacdLadderRule",
    "MacdTightenRule",
    "NetVegaRule",
    "ReconRule",
    "RollRule",
    "RsiReduceRule",
    "RuleConfig",
    "ShortDeltaRule",
    "SkewAddRule",
    "SleeveVegaRule",
    "ThetaRule",
    "VegaPerSpreadRule",
]


Severity = Literal["warn", "breach"]


class RuleConfig(BaseModel):
    """What every rule has: its description, the source of its default, a switch and the status
    a broken limit gets."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    description: str
    source: str
    enabled: bool = True
    severity: Severity = "breach"


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A share of something (of the core's vega, of margin): 0 to 1."""


def _ordered(rule: BaseModel, *names: str) -> None:
    """Check that the fields ``names`` are in non-decreasing order (a band's min <= max)."""
    values = [getattr(rule, name) for name in names]
    if any(a > b for a, b in itertools.pairwise(values)):
        shown = ", ".join(f"{name} = {value:g}" for name, value in zip(names, values, strict=True))
        raise ValueError(f"{shown}: need {' <= '.join(names)}")


class DeltaRule(RuleConfig):
    max_abs: float = Field(0.15, gt=0, allow_inf_nan=False)
    priority: Literal["delta", "vega"] = "delta"
    """Which band the VIX hedges hold when they cannot meet this one and R-HEDGE-VEGA's at once
    (they move SPX delta and vega in one ratio): ``delta`` (L2 keeps the delta band; docs/method.md,
    Layers) meets the delta band whatever the hedge vega becomes — a large breach then means many VIX
    futures sold or bought, a vol position; ``vega`` keeps the hedge-vega band and leaves the delta
    breach to the core (inside the band, VIX hedges move delta by thousandths per condor)."""


class HedgeVegaRule(RuleConfig):
    min_share: Share = 0.40
    max_share: Share = 0.60
    target_share: Share = 0.50

    @model_validator(mode="after")
    def _band(self) -> HedgeVegaRule:
        _ordered(self, "min_share", "target_share", "max_share")
        return self


class SleeveVegaRule(RuleConfig):
    max_drift: float = Field(12.0, gt=0, allow_inf_nan=False)
    targets: dict[str, float] = Field(default_factory=lambda: {"L1_theta_anchor": 0.6, "L2_delta_overlay": 0.4})

    @model_validator(mode="after")
    def _roles(self) -> SleeveVegaRule:
        roles = {r.value for r in Role if r.is_hedge}
        for role, share in self.targets.items():
            if role not in roles:
                raise ValueError(f"targets.{role}: unknown role; hedge roles are {', '.join(sorted(roles))}")
            if not 0 <= share <= 1:
                raise ValueError(f"targets.{role} = {share}: must be between 0 and 1")
        return self


class NetVegaRule(RuleConfig):
    tolerance: float = Field(0.08, gt=0, allow_inf_nan=False)
    target_per_condor: float | None = Field(None, allow_inf_nan=False)
    """The portfolio's net SPX vega target, $ per vol point per condor unit (negative: net short
    vol), which the user sets; None: no target, and the rule is skipped."""

    @model_validator(mode="after")
    def _target(self) -> NetVegaRule:
        if self.target_per_condor == 0:
            raise ValueError("target_per_condor = 0: a deviation from a zero target has no scale; set it non-zero")
        return self


class VegaPerSpreadRule(RuleConfig):
    """Net book SPX vega per condor unit in option-vega points per contract ($ per vol point /
    (condor units × 100))."""

    min: float = Field(-0.15, allow_inf_nan=False)
    max: float = Field(0.25, allow_inf_nan=False)
    alert: float = Field(0.40, allow_inf_nan=False)

    @model_validator(mode="after")
    def _band(self) -> VegaPerSpreadRule:
        _ordered(self, "min", "max", "alert")
        return self


class ThetaRule(RuleConfig):
    min_share_per_day: Share = 0.0008


class ShortDeltaRule(RuleConfig):
    min: float = Field(0.10, gt=0, lt=1, allow_inf_nan=False)
    max: float = Field(0.15, gt=0, lt=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _band(self) -> ShortDeltaRule:
        _ordered(self, "min", "max")
        return self


class DteRule(RuleConfig):
    min: int = Field(7, ge=0)
    max: int = Field(21, ge=0)

    @model_validator(mode="after")
    def _band(self) -> DteRule:
        _ordered(self, "min", "max")
        return self


class BreakevenRule(RuleConfig):
    pass


class HedgedViewRule(RuleConfig):
    """A core adjustment rule that may read the hedged book (R-ROLL, R-CROWDED-BE;
    :mod:`alvh.method.rules.hedged_view`)."""

    view: Literal["core", "hedged"] = "core"
    """``core``: the condors alone decide; ``hedged``: a condor is adjusted only when the hedges
    do not cover its adverse scenario."""
    cover: Share = 0.5
    """The share of the core's loss in that scenario the rest of the book must offset to cover it."""


class CrowdedRule(HedgedViewRule):
    proximity: float = Field(0.25, gt=0, allow_inf_nan=False)
    min_count: int = Field(2, ge=1)
    reduce_share: float = Field(0.33, gt=0, le=1, allow_inf_nan=False)


class RsiReduceRule(RuleConfig):
    rsi_above: float = Field(65.0, ge=0, le=100)
    theta_ratio_below: float = Field(1.0, gt=0, allow_inf_nan=False)
    cut_share: float = Field(0.35, gt=0, lt=1, allow_inf_nan=False)


class L3Rule(RuleConfig):
    rsi_above: float = Field(68.0, ge=0, le=100)
    vega_share: float = Field(0.10, gt=0, le=1, allow_inf_nan=False)


class SkewAddRule(RuleConfig):
    vix_rsi_below: float = Field(35.0, ge=0, le=100)
    spx_rsi_above: float = Field(60.0, ge=0, le=100)
    short_delta: float = Field(0.08, gt=0, lt=1, allow_inf_nan=False)
    width: float = Field(50.0, gt=0, allow_inf_nan=False)


class MacdLadderRule(RuleConfig):
    target_dte: int = Field(14, ge=1)
    short_delta: float = Field(0.12, gt=0, lt=0.5, allow_inf_nan=False)
    """|delta| of the new condor's short strikes (the backtest sets its ladder's)."""
    wing_width: float = Field(50.0, gt=0, allow_inf_nan=False)
    """Points between each short strike and its long wing (the backtest sets its ladder's)."""


class MacdTightenRule(RuleConfig):
    tighten: float = Field(0.15, gt=0, lt=1, allow_inf_nan=False)


class DelayerRule(RuleConfig):
    retracement: float = Field(0.5, gt=0, le=1, allow_inf_nan=False)


class RollRule(HedgedViewRule):
    sessions: int = Field(2, ge=1)
    roll_days: int = Field(7, ge=1)
    short_delta: float = Field(0.12, gt=0, lt=0.5, allow_inf_nan=False)
    """|delta| of the rolled condor's short strikes (the backtest sets its ladder's); its wings
    keep the width of the condor it replaces."""


class ReconRule(RuleConfig):
    shifts: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=lambda: [-10.0, -5.0, -2.0, 2.0, 5.0, 10.0], min_length=1
    )
