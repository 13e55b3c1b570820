"""The rule table of the ALVH method (SPEC §1) as data, and its evaluation on a valued book.

Rules come from a TOML file (:func:`load_rules`; the defaults ship as ``alvh/data/rules.toml``),
validated on load: a rule's id, every field and its value are checked, and an error names the
rule, the field and what is allowed. Each rule carries its description and the source of its
default. :func:`evaluate_rules` gives one :class:`RuleResult` per rule: ok / warn / breach (or
info, or skipped when an input it needs — market signals, spot history — is missing), the
measured value, the limit, and a sentence a trader understands.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alvh._config import config_error, read_toml
from alvh._jsonable import jsonable
from alvh.book import Book, Role
from alvh.exceptions import ConfigError
from alvh.market.snapshot import Market
from alvh.method.signals import MacdTrend, Signals
from alvh.risk.scenarios import vega_reconciliation
from alvh.risk.valuation import BookRisk

__all__ = ["RuleId", "RuleInputs", "RuleResult", "RuleStatus", "Rules", "default_rules", "evaluate_rules", "load_rules"]


DEFAULT_RULES_PATH = Path(str(resources.files("alvh.data") / "rules.toml"))
"""The rules shipped with alvh."""


class RuleId(str, Enum):
    """The id of each rule of the method (docs/method.md, Rules), as rules.toml names it."""

    DELTA = "R-DELTA"
    HEDGE_VEGA = "R-HEDGE-VEGA"
    SLEEVE_VEGA = "R-SLEEVE-VEGA"
    NET_VEGA = "R-NET-VEGA"
    VEGA_PER_SPREAD = "R-VEGA-PER-SPREAD"
    THETA = "R-THETA"
    SHORT_DELTA = "R-SHORT-DELTA"
    DTE = "R-DTE"
    BREAKEVEN = "R-BREAKEVEN"
    CROWDED_BE = "R-CROWDED-BE"
    RSI_REDUCE = "R-RSI-REDUCE"
    L3 = "R-L3"
    SKEW_ADD = "R-SKEW-ADD"
    MACD_LADDER = "R-MACD-LADDER"
    MACD_TIGHTEN = "R-MACD-TIGHTEN"
    DELAYER = "R-DELAYER"
    ROLL = "R-ROLL"
    RECON = "R-RECON"


class RuleStatus(str, Enum):
    """The outcome of one rule."""

    OK = "ok"
    WARN = "warn"
    BREACH = "breach"
    INFO = "info"
    SKIPPED = "skipped"


Severity = Literal["warn", "breach"]


class _Rule(BaseModel):
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


class DeltaRule(_Rule):
    max_abs: float = Field(0.15, gt=0, allow_inf_nan=False)
    priority: Literal["delta", "vega"] = "delta"
    """Which band the VIX hedges hold when they cannot meet this one and R-HEDGE-VEGA's at once
    (they move SPX delta and vega in one ratio): ``delta`` (SPEC §1: L2 keeps the delta band)
    meets the delta band whatever the hedge vega becomes — a large breach then means many VIX
    futures sold or bought, a vol position; ``vega`` keeps the hedge-vega band and leaves the delta
    breach to the core (inside the band, VIX hedges move delta by thousandths per condor)."""


class HedgeVegaRule(_Rule):
    min_share: Share = 0.40
    max_share: Share = 0.60
    target_share: Share = 0.50

    @model_validator(mode="after")
    def _band(self) -> HedgeVegaRule:
        _ordered(self, "min_share", "target_share", "max_share")
        return self


class SleeveVegaRule(_Rule):
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


class NetVegaRule(_Rule):
    tolerance: float = Field(0.08, gt=0, allow_inf_nan=False)


class VegaPerSpreadRule(_Rule):
    min: float = Field(-0.15, allow_inf_nan=False)
    max: float = Field(0.25, allow_inf_nan=False)
    alert: float = Field(0.40, allow_inf_nan=False)

    @model_validator(mode="after")
    def _band(self) -> VegaPerSpreadRule:
        _ordered(self, "min", "max", "alert")
        return self


class ThetaRule(_Rule):
    min_share_per_day: Share = 0.0008


class ShortDeltaRule(_Rule):
    min: float = Field(0.10, gt=0, lt=1, allow_inf_nan=False)
    max: float = Field(0.15, gt=0, lt=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _band(self) -> ShortDeltaRule:
        _ordered(self, "min", "max")
        return self


class DteRule(_Rule):
    min: int = Field(7, ge=0)
    max: int = Field(21, ge=0)

    @model_validator(mode="after")
    def _band(self) -> DteRule:
        _ordered(self, "min", "max")
        return self


class BreakevenRule(_Rule):
    pass


class CrowdedRule(_Rule):
    proximity: float = Field(0.25, gt=0, allow_inf_nan=False)
    min_count: int = Field(2, ge=1)
    reduce_share: float = Field(0.33, gt=0, le=1, allow_inf_nan=False)


class RsiReduceRule(_Rule):
    rsi_above: float = Field(65.0, ge=0, le=100)
    theta_ratio_below: float = Field(1.0, gt=0, allow_inf_nan=False)
    cut_share: float = Field(0.35, gt=0, lt=1, allow_inf_nan=False)


class L3Rule(_Rule):
    rsi_above: float = Field(68.0, ge=0, le=100)
    vega_share: float = Field(0.10, gt=0, le=1, allow_inf_nan=False)


class SkewAddRule(_Rule):
    vix_rsi_below: float = Field(35.0, ge=0, le=100)
    spx_rsi_above: float = Field(60.0, ge=0, le=100)
    short_delta: float = Field(0.08, gt=0, lt=1, allow_inf_nan=False)
    width: float = Field(50.0, gt=0, allow_inf_nan=False)


class MacdLadderRule(_Rule):
    target_dte: int = Field(14, ge=1)


class MacdTightenRule(_Rule):
    tighten: float = Field(0.15, gt=0, lt=1, allow_inf_nan=False)


class DelayerRule(_Rule):
    retracement: float = Field(0.5, gt=0, le=1, allow_inf_nan=False)


class RollRule(_Rule):
    sessions: int = Field(2, ge=1)
    roll_days: int = Field(7, ge=1)


class ReconRule(_Rule):
    shifts: list[float] = Field(default_factory=lambda: [-10.0, -5.0, -2.0, 2.0, 5.0, 10.0], min_length=1)


class Rules(BaseModel):
    """Every rule of SPEC §1 with its parameters; field aliases are the rule ids (``R-DELTA``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    delta: DeltaRule = Field(alias="R-DELTA")
    hedge_vega: HedgeVegaRule = Field(alias="R-HEDGE-VEGA")
    sleeve_vega: SleeveVegaRule = Field(alias="R-SLEEVE-VEGA")
    net_vega: NetVegaRule = Field(alias="R-NET-VEGA")
    vega_per_spread: VegaPerSpreadRule = Field(alias="R-VEGA-PER-SPREAD")
    theta: ThetaRule = Field(alias="R-THETA")
    short_delta: ShortDeltaRule = Field(alias="R-SHORT-DELTA")
    dte: DteRule = Field(alias="R-DTE")
    breakeven: BreakevenRule = Field(alias="R-BREAKEVEN")
    crowded: CrowdedRule = Field(alias="R-CROWDED-BE")
    rsi_reduce: RsiReduceRule = Field(alias="R-RSI-REDUCE")
    l3: L3Rule = Field(alias="R-L3")
    skew_add: SkewAddRule = Field(alias="R-SKEW-ADD")
    macd_ladder: MacdLadderRule = Field(alias="R-MACD-LADDER")
    macd_tighten: MacdTightenRule = Field(alias="R-MACD-TIGHTEN")
    delayer: DelayerRule = Field(alias="R-DELAYER")
    roll: RollRule = Field(alias="R-ROLL")
    recon: ReconRule = Field(alias="R-RECON")

    @classmethod
    def ids(cls) -> list[str]:
        """Every rule id, in table order."""
        return [f.alias for f in cls.model_fields.values() if f.alias]

    def by_id(self, rule_id: str) -> _Rule:
        """One rule's configuration."""
        for name, info in type(self).model_fields.items():
            if info.alias == rule_id:
                rule: _Rule = getattr(self, name)
                return rule
        raise ConfigError(f"unknown rule {rule_id!r}; rules: {', '.join(self.ids())}")

    def with_overrides(self, overrides: dict[str, dict[str, Any]], *, source: str = "rules") -> Rules:
        """These rules with some fields changed, e.g. ``{"R-DELTA": {"max_abs": 0.10}}``."""
        _check_tables(overrides, source)
        data = self.model_dump(by_alias=True)
        for rule_id, fields_ in overrides.items():
            data[rule_id] = {**data[rule_id], **fields_}
        return _validate(data, source)


def _check_tables(data: dict[str, Any], source: str) -> None:
    """Every entry is a known rule given as a table of its own fields (named errors before merging)."""
    models = {info.alias: cast(type[_Rule], info.annotation) for info in Rules.model_fields.values()}
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


@dataclass(frozen=True)
class RuleInputs:
    """What the rules read: the book, the market and the book's risk there; market signals
    (optional), the SPX closes before today (for R-ROLL's sessions), whether CPI/PPI are rising
    (R-MACD-TIGHTEN), and the core's realised/projected theta ratio (R-RSI-REDUCE)."""

    book: Book
    market: Market
    risk: BookRisk
    signals: Signals | None = None
    spx_history: pd.Series | None = None
    inflation_rising: bool | None = None
    theta_ratio: float | None = None


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome."""

    id: str
    status: RuleStatus
    value: float | None
    limit: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        """Whether the rule calls for action (breach, or a triggered signal rule)."""
        return self.status in (RuleStatus.BREACH, RuleStatus.WARN)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        out = asdict(self)
        out["status"] = self.status.value
        out["value"] = jsonable(self.value)
        out["details"] = jsonable(self.details)
        return out


def _result(
    rule_id: str, rule: _Rule, broken: bool, value: float | None, limit: str, message: str, **details: Any
) -> RuleResult:
    status = (RuleStatus.BREACH if rule.severity == "breach" else RuleStatus.WARN) if broken else RuleStatus.OK
    return RuleResult(rule_id, status, value, limit, message, details)


def _skipped(rule_id: str, why: str) -> RuleResult:
    return RuleResult(rule_id, RuleStatus.SKIPPED, None, "", why)


def evaluate_rules(inputs: RuleInputs, rules: Rules | None = None) -> list[RuleResult]:
    """Evaluate every enabled rule (disabled ones are reported as skipped), in table order."""
    rules = rules or default_rules()
    tighten = _macd_tighten(inputs, rules)
    scale = 1.0 - rules.macd_tighten.tighten if tighten.fired else 1.0
    evaluators = {
        "R-DELTA": lambda: _delta(inputs, rules),
        "R-HEDGE-VEGA": lambda: _hedge_vega(inputs, rules),
        "R-SLEEVE-VEGA": lambda: _sleeve_vega(inputs, rules, scale),
        "R-NET-VEGA": lambda: _net_vega(inputs, rules, scale),
        "R-VEGA-PER-SPREAD": lambda: _vega_per_spread(inputs, rules, scale),
        "R-THETA": lambda: _theta(inputs, rules),
        "R-SHORT-DELTA": lambda: _short_delta(inputs, rules),
        "R-DTE": lambda: _dte(inputs, rules),
        "R-BREAKEVEN": lambda: _breakeven(inputs, rules),
        "R-CROWDED-BE": lambda: _crowded(inputs, rules),
        "R-RSI-REDUCE": lambda: _rsi_reduce(inputs, rules),
        "R-L3": lambda: _l3(inputs, rules),
        "R-SKEW-ADD": lambda: _skew_add(inputs, rules),
        "R-MACD-LADDER": lambda: _macd_ladder(inputs, rules),
        "R-MACD-TIGHTEN": lambda: tighten,
        "R-DELAYER": lambda: _delayer(inputs, rules),
        "R-ROLL": lambda: _roll(inputs, rules),
        "R-RECON": lambda: _recon(inputs, rules),
    }
    results = []
    for rule_id in Rules.ids():
        if not rules.by_id(rule_id).enabled:
            results.append(_skipped(rule_id, "switched off in the rules file"))
        else:
            results.append(evaluators[rule_id]())
    return results


# --- book rules -----------------------------------------------------------------------------


def _target_net_vega(risk: BookRisk, rules: Rules) -> float:
    """The portfolio vega target: the core's vega net of the target hedge share."""
    return risk.core_vega * (1.0 - rules.hedge_vega.target_share)


def _delta(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, value = rules.delta, inputs.risk.delta_per_condor
    if not np.isfinite(value):
        return _skipped("R-DELTA", "the book has no core condors to measure delta per condor unit")
    broken = abs(value) > rule.max_abs
    action = " Hedge with VX/VXM futures." if broken else ""
    return _result(
        "R-DELTA",
        rule,
        broken,
        value,
        f"|delta| <= {rule.max_abs:g} per condor unit",
        f"Net SPX delta per condor unit is {value:+.3f} (band ±{rule.max_abs:g}).{action}",
        spx_delta=inputs.risk.total["spx_delta"],
        condor_units=inputs.risk.core_units,
    )


def _hedge_vega(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, share = rules.hedge_vega, inputs.risk.hedge_vega_share
    if not np.isfinite(share):
        return _skipped("R-HEDGE-VEGA", "the core has no vega to hedge")
    under, over = share < rule.min_share, share > rule.max_share
    state = "under-hedged" if under else "over-hedged: it inverts the theta profile" if over else "inside the band"
    return _result(
        "R-HEDGE-VEGA",
        rule,
        under or over,
        share,
        f"{rule.min_share:.0%}-{rule.max_share:.0%} of core vega (target {rule.target_share:.0%})",
        f"Hedge layers carry {share:.0%} of the core's vega, {state}.",
        direction="under" if under else "over" if over else "inside",
        core_vega=inputs.risk.core_vega,
    )


def _sleeve_vega(inputs: RuleInputs, rules: Rules, scale: float) -> RuleResult:
    rule, risk = rules.sleeve_vega, inputs.risk
    units = risk.core_units
    if not units or not rule.targets:
        return _skipped("R-SLEEVE-VEGA", "needs core condors and hedge-vega targets per role")
    hedge_target = abs(risk.core_vega) * rules.hedge_vega.target_share
    limit = rule.max_drift * scale
    drifts = {}
    vega = risk.layers["spx_vega"].to_numpy(np.float64)
    for layer, role, layer_vega in zip(risk.layers.index, risk.layers["role"].to_numpy(object), vega, strict=True):
        if role in rule.targets:
            drifts[str(layer)] = float(layer_vega - hedge_target * rule.targets[role]) / units
    if not drifts:
        return _skipped("R-SLEEVE-VEGA", "no hedge layer has a vega target")
    worst = max(drifts, key=lambda k: abs(drifts[k]))
    broken = abs(drifts[worst]) > limit
    return _result(
        "R-SLEEVE-VEGA",
        rule,
        broken,
        drifts[worst],
        f"|drift| <= {limit:.1f} $/vol pt per condor unit",
        f"Largest sleeve drift: {worst} at {drifts[worst]:+.1f} $/vol pt per condor unit from its target.",
        drifts=drifts,
    )


def _net_vega(inputs: RuleInputs, rules: Rules, scale: float) -> RuleResult:
    rule = rules.net_vega
    target = _target_net_vega(inputs.risk, rules)
    if target == 0:
        return _skipped("R-NET-VEGA", "the core has no vega, so there is no net vega target")
    net = float(inputs.risk.total["spx_vega"])
    deviation = (net - target) / abs(target)
    tolerance = rule.tolerance * scale
    return _result(
        "R-NET-VEGA",
        rule,
        abs(deviation) > tolerance,
        deviation,
        f"within ±{tolerance:.1%} of the target {target:,.0f} $/vol pt",
        f"Net vega {net:,.0f} $/vol pt is {deviation:+.1%} from its target {target:,.0f}.",
        net_vega=net,
        target=target,
    )


def _vega_per_spread(inputs: RuleInputs, rules: Rules, scale: float) -> RuleResult:
    rule = rules.vega_per_spread
    core = inputs.risk.core_vega
    if core == 0:
        return _skipped("R-VEGA-PER-SPREAD", "the core has no vega")
    value = (float(inputs.risk.total["spx_vega"]) - _target_net_vega(inputs.risk, rules)) / abs(core)
    low, high = rule.min * scale, rule.max * scale
    alert = value > rule.alert
    result = _result(
        "R-VEGA-PER-SPREAD",
        rule,
        not low <= value <= high,
        value,
        f"{low:+.2f} … {high:+.2f} of one condor's vega around the target (alert above {rule.alert:+.2f})",
        f"Net vega per condor unit is {value:+.2f} condor-vegas from the target" + (" — ALERT." if alert else "."),
        alert=alert,
    )
    return result


def _farthest(values: NDArray[Any], middle: float) -> float:
    """The value farthest from ``middle`` (the first on a tie)."""
    return float(values[np.abs(values - middle).argmax()])


def _min(values: NDArray[np.float64]) -> float:
    """The smallest value, NaN ignored (NaN if there is none)."""
    values = values[~np.isnan(values)]
    return float(values.min()) if len(values) else float("nan")


def _max(values: NDArray[np.float64]) -> float:
    """The largest value, NaN ignored (NaN if there is none)."""
    values = values[~np.isnan(values)]
    return float(values.max()) if len(values) else float("nan")


def _margin(risk: BookRisk) -> float:
    return float(risk.condors["max_loss"].sum()) if len(risk.condors) else 0.0


def _theta(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, margin = rules.theta, _margin(inputs.risk)
    if margin <= 0:
        return _skipped("R-THETA", "the core has no defined-risk margin")
    share = float(inputs.risk.total["theta"]) / margin
    return _result(
        "R-THETA",
        rule,
        share < rule.min_share_per_day,
        share,
        f">= {rule.min_share_per_day:.2%} of margin per day",
        f"Theta is ${inputs.risk.total['theta']:,.0f}/day, {share:.3%} of the ${margin:,.0f} margin.",
        margin=margin,
    )


def _short_delta(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.short_delta, inputs.risk.condors
    if not len(condors):
        return _skipped("R-SHORT-DELTA", "no core condors")
    names = np.tile(condors.index.to_numpy(object), 2)
    deltas = np.abs(np.concatenate([condors["short_put_delta"].to_numpy(), condors["short_call_delta"].to_numpy()]))
    names, deltas = names[~np.isnan(deltas)], deltas[~np.isnan(deltas)]
    beyond = (deltas < rule.min) | (deltas > rule.max)
    outside = deltas[beyond]
    worst = _farthest(outside, (rule.min + rule.max) / 2) if len(outside) else _max(deltas)
    return _result(
        "R-SHORT-DELTA",
        rule,
        len(outside) > 0,
        worst,
        f"|delta| {rule.min:.2f}-{rule.max:.2f}",
        f"{len(outside)} short strike(s) outside the {rule.min:.2f}-{rule.max:.2f} delta band."
        if len(outside)
        else "Short strikes inside the delta band.",
        outside=sorted(set(names[beyond])),
    )


def _dte(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.dte, inputs.risk.condors
    if not len(condors):
        return _skipped("R-DTE", "no core condors")
    dte = condors["dte"].to_numpy()
    beyond = (dte < rule.min) | (dte > rule.max)
    outside, names = dte[beyond], condors.index.to_numpy(object)[beyond].tolist()
    return _result(
        "R-DTE",
        rule,
        len(outside) > 0,
        _farthest(outside, (rule.min + rule.max) / 2) if len(outside) else float(dte.min()),
        f"{rule.min}-{rule.max} DTE",
        f"{len(outside)} condor(s) outside {rule.min}-{rule.max} DTE: {', '.join(map(str, names))}."
        if len(outside)
        else f"All condors at {int(dte.min())}-{int(dte.max())} DTE.",
        outside=names,
    )


def _breakeven(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.breakeven, inputs.risk.condors
    if not len(condors):
        return _skipped("R-BREAKEVEN", "no core condors")
    spot = inputs.market.spx.spot
    low, high, move = (condors[c].to_numpy() for c in ("breakeven_low", "breakeven_high", "expected_move"))
    inside = condors.index.to_numpy(object)[~((low < spot - move) & (high > spot + move))].tolist()
    room = _min(np.minimum((spot - low) / move, (high - spot) / move))
    return _result(
        "R-BREAKEVEN",
        rule,
        len(inside) > 0,
        room,
        "break-evens beyond 1 expected move",
        f"{len(inside)} condor(s) with a break-even inside the 1-SD move: {', '.join(map(str, inside))}."
        if len(inside)
        else f"Break-evens at least {room:.2f} expected moves from spot.",
        inside=inside,
    )


def near_breakeven(risk: BookRisk, market: Market, proximity: float) -> list[str]:
    """Core groups whose spot is within ``proximity`` expected moves of a break-even."""
    condors = risk.condors
    if not len(condors):
        return []
    spot = market.spx.spot
    low, high, move = (condors[c].to_numpy() for c in ("breakeven_low", "breakeven_high", "expected_move"))
    distance = np.minimum(np.abs(spot - low), np.abs(high - spot))
    return [str(g) for g in condors.index.to_numpy(object)[distance <= proximity * move]]


def _crowded(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule = rules.crowded
    near = near_breakeven(inputs.risk, inputs.market, rule.proximity)
    return _result(
        "R-CROWDED-BE",
        rule,
        len(near) >= rule.min_count,
        float(len(near)),
        f"fewer than {rule.min_count} condors near a break-even",
        f"{len(near)} condor(s) near their break-evens: reduce size, do not close."
        if near
        else "No condor near its break-evens.",
        near=near,
    )


def _roll(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.roll, inputs.risk.condors
    if not len(condors):
        return _skipped("R-ROLL", "no core condors")
    closes = [inputs.market.spx.spot]
    if inputs.spx_history is not None:
        before = np.asarray(inputs.spx_history.index < pd.Timestamp(inputs.market.as_of.date()), dtype=bool)
        history = inputs.spx_history.to_numpy()[before]
        closes = [*history[-(rule.sessions - 1) :].tolist(), inputs.market.spx.spot] if rule.sessions > 1 else closes
    rolled, sessions_beyond = [], {}
    puts, calls = condors["short_put_strike"].to_numpy(), condors["short_call_strike"].to_numpy()
    for group, put, call in zip(condors.index, puts, calls, strict=True):
        beyond = [(s < put) or (s > call) for s in closes]
        count = 0
        for b in reversed(beyond):
            if not b:
                break
            count += 1
        sessions_beyond[str(group)] = count
        if count >= rule.sessions:
            rolled.append(str(group))
    known = len(closes) >= rule.sessions
    worst = max(sessions_beyond.values())
    message = (
        f"True technical break: {', '.join(rolled)} beyond a short strike for {rule.sessions}+ sessions"
        " — roll out in time."
        if rolled
        else f"No condor beyond a short strike for {rule.sessions} sessions: hedge externally, leave strikes alone."
    )
    if not known and not rolled:
        message += " (No SPX history given: only today's close was checked.)"
    return _result(
        "R-ROLL",
        rule,
        bool(rolled),
        float(worst),
        f"< {rule.sessions} sessions beyond a short strike",
        message,
        rolled=rolled,
        sessions=sessions_beyond,
    )


def _recon(inputs: RuleInputs, rules: Rules) -> RuleResult:
    table = vega_reconciliation(inputs.book, inputs.market, shifts=rules.recon.shifts)
    shifts, columns, rows = table.index.tolist(), table.columns.tolist(), table.to_numpy().tolist()
    return RuleResult(
        "R-RECON",
        RuleStatus.INFO,
        None,
        "P&L at IV shifts " + ", ".join(f"{s:+g}" for s in rules.recon.shifts),
        "Book P&L at IV shifts (vol pts: $): "
        + ", ".join(f"{s:+g}: {v:+,.0f}" for s, v in zip(shifts, table["book"].to_numpy(), strict=True)),
        {"table": {str(k): dict(zip(columns, row, strict=True)) for k, row in zip(shifts, rows, strict=True)}},
    )


# --- signal rules ---------------------------------------------------------------------------


def _needs_signals(rule_id: str) -> RuleResult:
    return _skipped(rule_id, "needs market signals (SPX and VIX closes; --signals on the command line)")


def _rsi_reduce(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.rsi_reduce, inputs.signals
    if s is None:
        return _needs_signals("R-RSI-REDUCE")
    if s.spx_rsi > rule.rsi_above and inputs.theta_ratio is None:  # half the condition holds; the other is unknown
        return _skipped(
            "R-RSI-REDUCE",
            f"SPX RSI {s.spx_rsi:.1f} > {rule.rsi_above:g}, but the core's realised/projected theta ratio is "
            "needed too (theta_ratio; --theta-ratio on the command line)",
        )
    slow_theta = inputs.theta_ratio is not None and inputs.theta_ratio < rule.theta_ratio_below
    fired = bool(s.spx_rsi > rule.rsi_above and slow_theta)
    theta_text = (
        f"theta ratio {inputs.theta_ratio:.2f}" if inputs.theta_ratio is not None else "no realised theta given"
    )
    return _result(
        "R-RSI-REDUCE",
        rule,
        fired,
        float(s.spx_rsi),
        f"RSI > {rule.rsi_above:g} and theta ratio < {rule.theta_ratio_below:g}",
        f"SPX RSI {s.spx_rsi:.1f}, {theta_text}"
        + (f": cut net short vega by {rule.cut_share:.0%} with hedges, not a roll." if fired else "."),
    )


def _l3(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.l3, inputs.signals
    if s is None:
        return _needs_signals("R-L3")
    divergence = s.ad_divergence is not None and s.ad_divergence != 0
    fired = bool(s.spx_rsi > rule.rsi_above or divergence)
    return _result(
        "R-L3",
        rule,
        fired,
        float(s.spx_rsi),
        f"RSI > {rule.rsi_above:g} or A/D divergence",
        f"SPX RSI {s.spx_rsi:.1f}"
        + (", A/D divergence" if divergence else "")
        + (": add L3 VIX put spreads." if fired else "."),
    )


def _skew_add(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.skew_add, inputs.signals
    if s is None:
        return _needs_signals("R-SKEW-ADD")
    fired = bool(s.vix_future_rsi < rule.vix_rsi_below and s.spx_rsi > rule.spx_rsi_above)
    return _result(
        "R-SKEW-ADD",
        rule,
        fired,
        float(s.vix_future_rsi),
        f"VIX future RSI < {rule.vix_rsi_below:g} and SPX RSI > {rule.spx_rsi_above:g}",
        f"Front VIX future RSI {s.vix_future_rsi:.1f}, SPX RSI {s.spx_rsi:.1f}"
        + (": add short-dated put spreads on the lower-delta side." if fired else "."),
    )


def _macd_ladder(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.macd_ladder, inputs.signals
    if s is None:
        return _needs_signals("R-MACD-LADDER")
    fired = s.vix_macd_trend is MacdTrend.COMPRESSING
    return _result(
        "R-MACD-LADDER",
        rule,
        fired,
        float(s.vix_macd_histogram),
        "VIX MACD histogram compressing",
        f"VIX MACD histogram {s.vix_macd_histogram:+.3f} ({s.vix_macd_trend.value})"
        + (": open a new high-theta layer." if fired else "."),
    )


def _macd_tighten(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.macd_tighten, inputs.signals
    if not rule.enabled:
        return _skipped("R-MACD-TIGHTEN", "switched off in the rules file")
    if s is None:
        return _needs_signals("R-MACD-TIGHTEN")
    if s.vix_macd_trend is MacdTrend.EXPANDING and inputs.inflation_rising is None:
        return _skipped(
            "R-MACD-TIGHTEN",
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
    return _result(
        "R-MACD-TIGHTEN",
        rule,
        fired,
        float(s.vix_macd_histogram),
        "VIX MACD expanding while CPI/PPI rise",
        f"VIX MACD {s.vix_macd_trend.value}, {inflation}"
        + (f": vega limits tightened by {rule.tighten:.0%}." if fired else "."),
    )


def _delayer(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, s = rules.delayer, inputs.signals
    if s is None:
        return _needs_signals("R-DELAYER")
    retraced = s.vix_retracement if s.vix_retracement is not None and np.isfinite(s.vix_retracement) else None
    fired = retraced is not None and retraced >= rule.retracement
    return _result(
        "R-DELAYER",
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
