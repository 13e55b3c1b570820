"""The backtest's settings: the three strategies and their layers, the core condor ladder, trading
costs, the static hedge's budget and :class:`BacktestConfig`, which holds them all
(:func:`load_backtest_config` reads it from TOML)."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alvh._config import config_error, read_toml
from alvh.book import LayerSpec, Role
from alvh.exceptions import ConfigError
from alvh.market.events import Event, load_events
from alvh.market.model import ModelParams
from alvh.method.costs import TradingCosts
from alvh.method.rules import RuleId, Rules, default_rules, hedge_rules, load_rules

__all__ = [
    "HEDGE_RULES",
    "LAYER_NAMES",
    "STRATEGIES",
    "STRATEGY_LAYERS",
    "BacktestConfig",
    "BudgetTier",
    "CostConfig",
    "LadderConfig",
    "StaticHedgeConfig",
    "load_backtest_config",
]

STRATEGIES = ("naked", "alvh", "static")
"""Naked condors, ALVH-hedged condors, condors with a static (VXTH-style) VIX-call hedge."""

STRATEGY_LAYERS = {
    "naked": (LayerSpec("core", Role.CORE),),
    "alvh": (
        LayerSpec("core", Role.CORE),
        LayerSpec("L1", Role.THETA_ANCHOR),
        LayerSpec("L2", Role.DELTA_OVERLAY),
        LayerSpec("L3", Role.ADAPTIVE),
    ),
    "static": (LayerSpec("core", Role.CORE), LayerSpec("static", Role.OUTER)),
}
"""The layers of each strategy's book."""

LAYER_NAMES = ("core", "L1", "L2", "L3", "static")
"""Every layer of the three strategies, in the daily table's column order."""

HEDGE_RULES = hedge_rules()
"""The rules about the hedge layers (the registry's hedge flag: the decision engine trades hedges on
them); switched off for ``naked`` and ``static``."""


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class LadderConfig(_Config):
    """The core condor ladder (docs/method.md, Layers: short strikes at 10–15 delta, 7–21 DTE,
    staggered entries; ``entry_dte = 45, exit_dte = 21`` gives the 30–45 DTE variant)."""

    short_delta: float = Field(default=0.12, gt=0, lt=0.5)
    """|delta| of the short strikes at entry (docs/method.md, Rules: R-SHORT-DELTA: 0.10–0.15)."""
    wing_width: float = Field(default=50.0, gt=0)
    """Points between each short strike and its long wing (a multiple of 5)."""
    units: int = Field(default=10, ge=1)
    """Condors sold at each entry."""
    entry_weekday: int = Field(default=4, ge=0, le=4)
    """Weekday of the entries (0 Monday … 4 Friday); a week whose entry day is a holiday has none."""
    entry_dte: int = Field(default=21, ge=1, le=90)
    """Target days to expiry at entry: the SPXW Friday expiry nearest it (ties: the later)."""
    exit_dte: int = Field(default=0, ge=0)
    """Close core positions at the first close with DTE <= this; 0 holds them to expiry."""

    @model_validator(mode="after")
    def _check(self) -> LadderConfig:
        if abs(self.wing_width / 5.0 - round(self.wing_width / 5.0)) > 1e-9:
            raise ValueError(f"wing_width = {self.wing_width:g} must be a multiple of 5 (the SPX strike grid)")
        if self.exit_dte >= self.entry_dte:
            raise ValueError(f"exit_dte = {self.exit_dte} must be below entry_dte = {self.entry_dte}")
        return self


CostConfig = TradingCosts
"""The ``[costs]`` table: :class:`alvh.method.costs.TradingCosts`, which the decision engine sizes
hedges with too."""


class BudgetTier(_Config):
    """Spend ``share`` of equity when the front VIX future is at most ``front_future_max``."""

    front_future_max: float = Field(gt=0)
    share: float = Field(ge=0, le=0.2)


class StaticHedgeConfig(_Config):
    """The static baseline: a monthly VIX-call allocation in the style of the Cboe S&P 500 VIX
    Tail Hedge index (VXTH), which buys one-month 30-delta VIX calls each VIX expiration for a
    share of the portfolio set by the VIX futures level."""

    call_delta: float = Field(default=0.30, gt=0, lt=1)
    budget: list[BudgetTier] = Field(
        default_factory=lambda: [
            BudgetTier(front_future_max=15.0, share=0.0),
            BudgetTier(front_future_max=30.0, share=0.01),
            BudgetTier(front_future_max=50.0, share=0.005),
        ]
    )
    """Tiers in increasing ``front_future_max``; above the last, nothing is bought (VXTH's)."""

    @model_validator(mode="after")
    def _increasing(self) -> StaticHedgeConfig:
        levels = [t.front_future_max for t in self.budget]
        if levels != sorted(levels) or len(set(levels)) != len(levels):
            raise ValueError("budget: front_future_max must increase from tier to tier")
        return self

    def share(self, front_future: float) -> float:
        """The share of equity to spend at this front-future level."""
        return next((t.share for t in self.budget if front_future <= t.front_future_max), 0.0)


class BacktestConfig(_Config):
    """Everything a backtest run depends on (:func:`load_backtest_config` reads it from TOML)."""

    start: dt.date | None = Field(default=None, strict=False)
    """First trading day (default: the first with ``warmup`` days of history before it); a date or
    "YYYY-MM-DD"."""
    end: dt.date | None = Field(default=None, strict=False)
    """Last trading day (default: the history's last)."""
    warmup: int = Field(default=40, ge=34)
    """Days of history before the first trading day, used only by the signals (MACD(12, 26, 9)
    needs 34 closes)."""
    capital: float = Field(default=1_000_000.0, gt=0)
    """Starting equity ($). The default ladder holds about $150,000 of defined-risk margin on its
    schedule (10 condors 50 points wide, three at a time), but the decision engine adds to the
    core (R-MACD-LADDER, R-SKEW-ADD, rolls): the core's margin is reported day by day
    (``margin``) and its peak in the summary. Returns are on this capital; Sharpe and Sortino do
    not depend on it."""
    rules: str | None = None
    """A rules TOML file (default: the rules alvh ships); ``naked`` and ``static`` also switch
    off :data:`HEDGE_RULES`."""
    events: str | None = None
    """An event calendar (default: the bundled 2014–2019 calendar, FOMC exact, CPI/PPI
    approximated — see ``events_history.toml``)."""
    overrides: dict[Literal["naked", "alvh", "static"], dict[str, dict[str, Any]]] = Field(
        default_factory=dict, strict=False
    )
    """Rule changes for one strategy, e.g. ``{"naked": {"R-ROLL": {"sessions": 1}}}`` (in TOML
    ``[overrides.naked.R-ROLL]``): by default the core's rules are the same in all three, so they
    adjust the core identically; a naked book has no hedge to lean on, and a trader may well
    adjust it sooner."""
    ladder: LadderConfig = LadderConfig()
    costs: CostConfig = CostConfig()
    static_hedge: StaticHedgeConfig = StaticHedgeConfig()
    market: ModelParams = ModelParams()

    @model_validator(mode="after")
    def _check(self) -> BacktestConfig:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"start = {self.start} is after end = {self.end}")
        if self.ladder.entry_dte + 7 > self.market.spx_expiry_days:
            raise ValueError(
                f"ladder.entry_dte = {self.ladder.entry_dte} needs market.spx_expiry_days >= "
                f"{self.ladder.entry_dte + 7} (SPXW expiries listed that far)"
            )
        return self

    def strategy_rules(self) -> dict[str, Rules]:
        """The rules of each strategy (a :class:`ConfigError` names a bad override). The engine's
        new condors are the ladder's: R-ROLL's and R-MACD-LADDER's ``short_delta`` and
        R-MACD-LADDER's ``wing_width`` are ``[ladder]``'s, unless a strategy's overrides set them."""
        rules = load_rules(self.rules) if self.rules is not None else default_rules()
        ladder = self.ladder
        rules = rules.with_overrides(
            {
                RuleId.ROLL.value: {"short_delta": ladder.short_delta},
                RuleId.MACD_LADDER.value: {"short_delta": ladder.short_delta, "wing_width": ladder.wing_width},
            },
            source="ladder",
        )
        off = rules.with_overrides({rule.value: {"enabled": False} for rule in HEDGE_RULES}, source="backtest")
        out = {"naked": off, "alvh": rules, "static": off}
        for name, changes in self.overrides.items():
            out[name] = out[name].with_overrides(changes, source=f"overrides.{name}")
        return out

    def calendar(self) -> list[Event]:
        """The event calendar the decisions use."""
        if self.events is not None:
            return load_events(self.events)
        return load_events(Path(str(resources.files("alvh") / "data" / "events_history.toml")))


def load_backtest_config(path: str | Path) -> BacktestConfig:
    """Read and validate a backtest TOML file: top-level ``start``, ``end``, ``warmup``,
    ``capital``, ``rules``, ``events`` and the tables ``[overrides.<strategy>.<rule id>]``,
    ``[ladder]``, ``[costs]``,
    ``[static_hedge]`` (with ``[[static_hedge.budget]]`` tiers) and ``[market]`` (the fields of
    :class:`~alvh.market.model.ModelParams`); anything left out keeps its default. Relative
    ``rules`` and ``events`` paths are read from the file's folder."""
    path = Path(path)
    data = read_toml(path)
    for key in ("rules", "events"):
        if isinstance(data.get(key), str):
            data[key] = str(path.parent / data[key])
    try:
        config = BacktestConfig.model_validate(data)
    except ValidationError as e:
        raise config_error(str(path), e, model=BacktestConfig) from None
    try:
        config.strategy_rules()  # rule files and overrides are checked now, not mid-run
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    return config
