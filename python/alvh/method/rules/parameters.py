"""The parameters of each rule, as pydantic models: what a rules.toml table may hold, with the
allowed range of every field (docs/method.md, Rules). :class:`alvh.method.rules.Rules` gathers one
of each, as :data:`alvh.method.rules.RULE_SPECS` lists them."""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alvh.book import Role
from alvh.risk.stresses import STRESS_PRESETS

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
    "StressRule",
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
    """The trigger: nothing is traded while |delta| per condor unit stays inside it."""
    target_abs: float = Field(0.10, gt=0, allow_inf_nan=False)
    """A breach is traded back to this edge, not to 0 (hysteresis)."""
    instrument: Literal["es", "vix"] = "es"
    """What hedges the delta: ``es`` (E-mini and Micro E-mini S&P 500 futures, delta only, in the
    delta-overlay layer) or ``vix`` (VX/VXM futures, the articles' L2 overlay: they move SPX delta
    through the SPX–VIX link and add vega with it, up to ``vix_vega_cap``)."""
    vix_vega_cap: float = Field(0.25, ge=0, allow_inf_nan=False)
    """The VIX futures' SPX vega at most this share of the core's |vega| (they may not build a vol
    position, whether to hold a delta band or as vega hedges)."""
    priority: Literal["delta", "vega"] = "delta"
    """With ``instrument = "vix"``, which band holds when the VIX futures cannot meet this one and
    R-HEDGE-VEGA's at once (they move SPX delta and vega in one ratio): ``delta`` meets the delta
    band and moves hedge vega as far toward its band as that allows; ``vega`` keeps the hedge-vega
    band and leaves the delta breach to the core."""

    @model_validator(mode="after")
    def _band(self) -> DeltaRule:
        _ordered(self, "target_abs", "max_abs")
        return self


class HedgeVegaRule(RuleConfig):
    min_share: Share = 0.40
    max_share: Share = 0.60
    """The trigger band: nothing is traded while the hedge share stays inside it."""
    target_min: Share = 0.45
    target_max: Share = 0.55
    """The target band: a breach is traded to its nearest edge (``trade_to = "edge"``)."""
    target_share: Share = 0.50
    """The centre: what ``trade_to = "centre"`` trades to, and what the sleeve targets share."""
    trade_to: Literal["edge", "centre"] = "edge"
    """``edge``: to the target band's nearest edge, at least cost; ``centre``: as close to
    ``target_share`` as integer contracts get (the engine before hysteresis)."""
    objective: Literal["dollars", "contracts"] = "dollars"
    """What the sizing minimises: dollars of trading costs (commission, half-spread, the futures'
    expected roll-down) or contracts."""
    min_hold_days: int = Field(5, ge=0)
    """After a hedge is taken off (a trim or a de-layering), no vega hedge is added for this many
    calendar days."""
    smoothing_days: int = Field(1, ge=1)
    """The share's denominator: the core's |vega| averaged over this many closes (1: today's)."""
    holding_days: float = Field(5.0, ge=0, allow_inf_nan=False)
    """Days a hedge is expected to be held: a VIX future's expected roll-down over them is a cost
    of trading it."""

    @model_validator(mode="after")
    def _band(self) -> HedgeVegaRule:
        _ordered(self, "min_share", "target_min", "target_share", "target_max", "max_share")
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
    gain_only: bool = True
    """Take a hedge layer off only when it shows a gain (the method: capture the gain)."""


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


Finite = Annotated[float, Field(allow_inf_nan=False)]


class StressRule(RuleConfig):
    """R-STRESS, the stress-budgeted hedge sizing (docs/method.md, Stress-budgeted sizing): the
    book's worst P&L over a scenario set against a loss limit, and the hedge budget."""

    loss_limit: float = Field(0.8, gt=0, allow_inf_nan=False)
    """The loss limit as a share of the core's defined-risk margin (the condors' max loss)."""
    target: float = Field(0.9, gt=0, le=1, allow_inf_nan=False)
    """A breach is traded back until the worst loss is this share of the limit (hysteresis: no
    trade while the worst loss is inside the limit)."""
    trim_below: float = Field(0.5, ge=0, lt=1, allow_inf_nan=False)
    """Held hedges are sold while the worst loss is under this share of the limit (0: never),
    keeping it inside ``target``."""
    budget_share: float = Field(0.5, ge=0, allow_inf_nan=False)
    """Premium of the hedges held and bought plus the trade's costs, as a share of the core's
    credit (the premium received on its open condors)."""
    max_vega_share: float = Field(1.0, ge=0, allow_inf_nan=False)
    """The hedges are never sized past this share of the core's |vega| (1: the book never turns
    net long vol)."""
    hold_delta_band: bool = True
    min_hold_days: int = Field(5, ge=0)
    """After a hedge is taken off (a trim or a de-layering), none is bought for this many calendar
    days (as R-HEDGE-VEGA's)."""
    """Whether the trade keeps R-DELTA's band (a book already outside it is not pushed further)."""
    shortfall: Literal["worst", "mean"] = "worst"
    """What is minimised when no integer mix within the budget meets the limit: the worst
    scenario's shortfall below it, or the mean over the scenarios."""
    horizons: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [1.0, 5.0], min_length=1
    )
    """Calendar days of the grid's scenarios."""
    spot_shocks: list[Annotated[float, Field(gt=-1, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [-0.10, -0.07, -0.05, -0.03, -0.01, 0.0], min_length=1
    )
    """Relative SPX moves of the grid (−0.05 = −5 %); the spot–vol link moves VIX with them."""
    vol_shifts: list[Finite] = Field(default_factory=lambda: [0.0, 5.0, 10.0], min_length=1)
    """SPX vol points at 30 days (scaled by √(30/DTE)), on top of the spot–vol link."""
    presets: list[str] = Field(default_factory=lambda: list(STRESS_PRESETS))
    """Historical stresses (:data:`alvh.risk.STRESS_PRESETS`), one day each."""

    @model_validator(mode="after")
    def _check(self) -> StressRule:
        if self.trim_below >= self.target:  # equal would trim back to the trigger: a trade a day
            raise ValueError(f"trim_below = {self.trim_below:g}, target = {self.target:g}: need trim_below < target")
        unknown = [name for name in self.presets if name not in STRESS_PRESETS]
        if unknown:
            raise ValueError(f"presets: unknown preset {unknown[0]!r}; presets: {', '.join(STRESS_PRESETS)}")
        return self
