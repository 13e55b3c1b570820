"""Backtest of the ALVH method on daily SPX and VIX history: naked condors, ALVH-hedged condors and
a static VIX-call hedge, on identical condor entries — **model-priced** (no historical option
prices: every leg is priced from the day's closes by :mod:`alvh.market.model`).

Each trading day t, for each strategy, in this order (everything uses data up to t only):

1. **Market.** The day's model market from the SPX and VIX closes of t (and the anchor, an
   average of VIX closes up to t; quoted ``vx1``… futures when the history has them).
2. **Settlement.** Legs expiring on or before t leave the book at intrinsic value: SPX options on
   the SPX close, VIX options and futures on the VIX close (a proxy for the Wednesday opening
   quotation), each of the last trading day on or before the expiry (an expiry on an exchange
   holiday settles on the close before it, as the exchange moves it).
3. **The ladder** (identical for all three strategies): core condors are closed at the close on
   which their DTE falls to ``exit_dte`` or below (0: held to expiry), and on each
   ``entry_weekday`` ``units`` iron condors are sold (short strikes at ``short_delta``, wings
   ``wing_width`` points out, the SPXW Friday expiry nearest ``entry_dte`` days ahead).
4. **Static hedge** (strategy ``static`` only): Cboe VXTH-style. On the first day and on the
   first trading day on or after each monthly VIX expiry, buy VIX calls of the next expiry (about
   one month) at ``call_delta``, for a share of the equity that depends on the front VIX future
   (VXTH's tiers by default: 0 % up to 15, 1 % up to 30, 0.5 % up to 50, none above), held to
   expiry.
5. **Management: the same code path as** ``alvh report``: :func:`alvh.method.decisions.decide` on the book,
   the day's market, the rules, the signals of :func:`alvh.method.signals.signal_snapshot` on the closes
   up to t (every day's at once, by :func:`alvh.method.signals.signal_history`), the event calendar, the
   SPX closes up to t and the core's theta realisation over the five sessions to the previous
   close; every trade of every action is executed. ``alvh`` uses the
   rules as configured; ``naked`` and ``static`` switch off the hedge rules (:data:`HEDGE_RULES`),
   so the core is still rolled, reduced and laddered by R-ROLL, R-CROWDED-BE, R-MACD-LADDER and
   R-SKEW-ADD — those rules read only the core and the signals, so the core's trades are the same
   in all three strategies and the comparison isolates the hedges.
6. **Marks.** The book is marked at model mid prices (futures at the model futures price).

**Fills and costs.** A trade fills at the model mid plus (buy) or minus (sell) a half-spread per
unit of its instrument (sale prices floored at 0), and pays a commission per contract. New
positions therefore start with a P&L of −(half-spread × multiplier + commission) per contract.

**Accounting.** Per strategy, cash starts at 0 and moves by premiums paid and received, futures
P&L realised on closing, settlement values and commissions; the mark-to-market (MTM) is the mid
value of the options held plus the open P&L of the futures held; equity = capital + cash + MTM;
the daily P&L is the change in equity, and per layer the change in the layer's MTM plus its cash
flows — the layers sum to the total.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alvh._config import config_error, read_toml
from alvh.book import Book, Instrument, Layer, LayerSpec, Leg, Role, entry_after_trade
from alvh.book.builders import iron_condor, strike_for_delta
from alvh.exceptions import AlvhError, ConfigError, InputError
from alvh.market.events import Event, load_events
from alvh.market.expiries import vix_expiry
from alvh.market.history import check_history
from alvh.market.model import ModelParams, market_from_closes, spx_expiries, vix_anchor
from alvh.market.snapshot import Market
from alvh.method.decisions import ActionType, decide
from alvh.method.rules import Rules, default_rules, load_rules
from alvh.method.signals import Signals, signal_history, theta_realisation
from alvh.risk.bulk import pyarrow_parquet
from alvh.risk.valuation import BookRisk, value_book

__all__ = [
    "HEDGE_RULES",
    "LABEL",
    "STRATEGIES",
    "STRESS_DAYS",
    "BacktestConfig",
    "BacktestResult",
    "BudgetTier",
    "CostConfig",
    "LadderConfig",
    "StaticHedgeConfig",
    "load_backtest_config",
    "run_backtest",
    "summary_metrics",
]

LABEL = "model-priced"
"""Every backtest result says how it was priced."""

STRATEGIES = ("naked", "alvh", "static")
"""Naked condors, ALVH-hedged condors, condors with a static (VXTH-style) VIX-call hedge."""

HEDGE_RULES = (
    "R-DELTA",
    "R-HEDGE-VEGA",
    "R-SLEEVE-VEGA",
    "R-NET-VEGA",
    "R-VEGA-PER-SPREAD",
    "R-RSI-REDUCE",
    "R-L3",
    "R-DELAYER",
)
"""The rules about the hedge layers (the decision engine trades hedges on them); switched off for
``naked`` and ``static``."""

STRESS_DAYS = {
    "2015-08-24": (dt.date(2015, 8, 24), dt.date(2015, 8, 24)),
    "2016-06-24": (dt.date(2016, 6, 24), dt.date(2016, 6, 24)),
    "2018-02-05": (dt.date(2018, 2, 5), dt.date(2018, 2, 5)),
    "Q4-2018": (dt.date(2018, 10, 1), dt.date(2018, 12, 31)),
}
"""Stress periods whose P&L the summary reports (first and last day, inclusive)."""

TRADING_DAYS = 252
_LAYERS = {
    "naked": (LayerSpec("core", Role.CORE),),
    "alvh": (
        LayerSpec("core", Role.CORE),
        LayerSpec("L1", Role.THETA_ANCHOR),
        LayerSpec("L2", Role.DELTA_OVERLAY),
        LayerSpec("L3", Role.ADAPTIVE),
    ),
    "static": (LayerSpec("core", Role.CORE), LayerSpec("static", Role.OUTER)),
}
LAYER_NAMES = ("core", "L1", "L2", "L3", "static")
"""Every layer of the three strategies, in the daily table's column order."""
_HEDGE_ACTIONS = {
    ActionType.HEDGE_DELTA,
    ActionType.ADD_VEGA_HEDGE,
    ActionType.TRIM_HEDGE,
    ActionType.ADD_L3,
    ActionType.DELAYER,
}


# --- configuration ------------------------------------------------------------------------------


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class LadderConfig(_Config):
    """The core condor ladder (SPEC §1: short strikes at 10–15 delta, 7–21 DTE, staggered entries;
    ``entry_dte = 45, exit_dte = 21`` gives the 30–45 DTE variant)."""

    short_delta: float = Field(default=0.12, gt=0, lt=0.5)
    """|delta| of the short strikes at entry (R-SHORT-DELTA: 0.10–0.15)."""
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


class CostConfig(_Config):
    """Trading costs. Defaults: about a retail broker's commission and exchange fees, and half of
    typical quoted spreads (SPX options 0.20–0.40 wide at these deltas, VIX options 0.05–0.10,
    VIX futures one 0.05 tick)."""

    commission: float = Field(default=1.0, ge=0)
    """$ per contract traded, every instrument."""
    spx_half_spread: float = Field(default=0.15, ge=0)
    """Index points per SPX/SPXW option."""
    vix_option_half_spread: float = Field(default=0.05, ge=0)
    """VIX points per VIX option."""
    vix_future_half_spread: float = Field(default=0.025, ge=0)
    """VIX points per VX/VXM future."""

    def half_spread(self, instrument: str) -> float:
        """The half-spread of an instrument, in its price units."""
        if instrument in ("SPX", "SPXW"):
            return self.spx_half_spread
        return self.vix_option_half_spread if instrument == "VIX" else self.vix_future_half_spread


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
        """The rules of each strategy (a :class:`ConfigError` names a bad override)."""
        rules = load_rules(self.rules) if self.rules is not None else default_rules()
        off = rules.with_overrides({rule: {"enabled": False} for rule in HEDGE_RULES}, source="backtest")
        out = {"naked": off, "alvh": rules, "static": off}
        for name, changes in self.overrides.items():
            out[name] = out[name].with_overrides(changes, source=f"overrides.{name}")
        return out

    def calendar(self) -> list[Event]:
        """The event calendar the decisions use."""
        if self.events is not None:
            return load_events(self.events)
        return load_events(Path(str(resources.files("alvh.data") / "events_history.toml")))


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


# --- result -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    """A backtest's output (every $ figure in dollars, every figure model-priced).

    ``daily`` is indexed by (``date``, ``strategy``) with columns ``spx``, ``vix`` (the day's
    closes), ``pnl`` (the day's P&L), ``pnl_core`` … ``pnl_static`` (per layer, 0 where a
    strategy has no such layer), ``cash_flow`` (the day's), ``cash`` (cumulative), ``mtm``,
    ``equity``, ``drawdown`` ($ below the running peak of equity, <= 0), ``drawdown_pct`` (share
    of that peak), ``costs`` (the day's half-spreads and commissions), ``credit`` (premium
    received opening core positions that day) and ``margin`` (the core's defined-risk margin at
    the close: its condors' max losses). ``trades`` lists every fill.
    """

    daily: pd.DataFrame
    trades: pd.DataFrame
    actions: pd.DataFrame
    """Every action other than HOLD, per day and strategy: columns ``date``, ``strategy``,
    ``type``, ``rules`` (the ids that fired it), ``trades`` (count), ``condors`` (the condors a
    roll or a reduction names) and ``feasible``."""
    capital: float
    config: BacktestConfig
    label: str = LABEL

    @property
    def start(self) -> dt.date:
        return pd.Timestamp(self.daily.index.get_level_values("date")[0]).date()

    @property
    def end(self) -> dt.date:
        return pd.Timestamp(self.daily.index.get_level_values("date")[-1]).date()

    def strategy(self, name: str) -> pd.DataFrame:
        """The daily table of one strategy, indexed by date."""
        if name not in STRATEGIES:
            raise InputError(f"strategy = {name!r} is not one of {', '.join(STRATEGIES)}")
        frame = self.daily.xs(name, level="strategy")
        assert isinstance(frame, pd.DataFrame)
        return frame

    def summary(self) -> pd.DataFrame:
        """One row per strategy (see :func:`summary_metrics` for the columns)."""
        rows = {name: summary_metrics(self, name) for name in STRATEGIES}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "strategy"
        return frame

    def write(self, path: str | Path, *, table: Literal["daily", "summary", "trades", "actions"] = "daily") -> Path:
        """Write a table (default the daily one) as CSV (``.csv``) or Parquet (``.parquet``,
        ``.pq``), chosen by the suffix; returns the path."""
        path = Path(path)
        frames: dict[str, Callable[[], pd.DataFrame]] = {
            "daily": lambda: self.daily,
            "summary": self.summary,  # computed only when asked for
            "trades": lambda: self.trades,
            "actions": lambda: self.actions,
        }
        if table not in frames:
            raise InputError(f"table = {table!r} is not one of {', '.join(frames)}")
        frame = frames[table]()
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame.to_csv(path)
        elif suffix in (".parquet", ".pq"):
            pyarrow_parquet(path)  # a named error without the optional pyarrow
            frame.to_parquet(path)
        else:
            raise InputError(f"{path}: unknown format {suffix!r}; use .csv or .parquet")
        return path


def summary_metrics(result: BacktestResult, name: str) -> dict[str, Any]:
    """The headline figures of one strategy:

    ``pricing`` (always "model-priced"), ``start``, ``end``, ``days``, ``capital``, ``final_equity``,
    ``total_pnl``; ``ann_return`` (mean daily return × 252, a day's return being its P&L over the
    starting capital: an options book's margin does not compound, and the ratio stays defined if
    equity falls to zero), ``ann_vol`` (daily sd × √252), ``sharpe`` and ``sortino`` (both with a
    zero risk-free rate; Sortino's downside deviation is the root mean square of the negative
    daily returns, zeros counted for the others); ``max_drawdown`` ($) and ``max_drawdown_pct``
    (of the running peak of equity); ``peak_margin`` (the largest defined-risk margin of the core
    at a close, $); ``worst_day`` ($) and ``worst_day_date``; ``pnl_<stress>`` for each of
    :data:`STRESS_DAYS` (NaN when outside the run); ``hedge_pnl`` (P&L of all hedge layers),
    ``hedge_premium`` (net premium paid opening hedge options), ``costs`` (half-spreads and
    commissions, all layers); ``core_credit`` (premium received opening core positions),
    ``core_pnl``, ``credit_kept_core`` (core P&L / core credit) and ``credit_kept`` (total P&L /
    core credit); the counts of actions that traded: ``core_rolls`` (R-ROLL; ``condors_rolled``
    the condors they rolled), ``core_reductions`` (R-CROWDED-BE cuts), ``core_adjustments`` (the
    two together: the forced adjustments of the core the hedges are meant to avoid),
    ``theta_layers`` (R-MACD-LADDER / R-SKEW-ADD additions) and ``hedge_actions``."""
    daily = result.strategy(name)
    pnl = daily["pnl"]
    returns = pnl / result.capital
    mean, sd = float(returns.mean()), float(returns.std(ddof=1)) if len(returns) > 1 else float("nan")
    downside = float(np.sqrt(np.mean(np.minimum(returns.to_numpy(), 0.0) ** 2)))
    annual = mean * TRADING_DAYS
    trades = result.trades[result.trades["strategy"] == name] if len(result.trades) else result.trades
    actions = result.actions[result.actions["strategy"] == name] if len(result.actions) else result.actions
    hedge_layers = [layer for layer in LAYER_NAMES if layer != "core"]
    hedge_buys = (
        trades[trades["layer"].isin(hedge_layers) & trades["opening"] & (trades["instrument"] == "VIX")]
        if len(trades)
        else trades
    )
    credit = float(daily["credit"].sum())
    total = float(pnl.sum())
    core = float(daily["pnl_core"].sum())
    worst = int(np.argmin(pnl.to_numpy()))
    out: dict[str, Any] = {
        "pricing": LABEL,
        "start": pd.Timestamp(daily.index[0]).date(),
        "end": pd.Timestamp(daily.index[-1]).date(),
        "days": len(daily),
        "capital": result.capital,
        "final_equity": float(daily["equity"].iloc[-1]),
        "total_pnl": total,
        "ann_return": annual,
        "ann_vol": sd * math.sqrt(TRADING_DAYS),
        "sharpe": annual / (sd * math.sqrt(TRADING_DAYS)) if sd > 0 else float("nan"),
        "sortino": annual / (downside * math.sqrt(TRADING_DAYS)) if downside > 0 else float("nan"),
        "max_drawdown": float(daily["drawdown"].min()),
        "max_drawdown_pct": float(daily["drawdown_pct"].min()),
        "peak_margin": float(daily["margin"].max()),
        "worst_day": float(pnl.iloc[worst]),
        "worst_day_date": pd.Timestamp(daily.index[worst]).date(),
    }
    for label, (first, last) in STRESS_DAYS.items():
        inside = daily.loc[pd.Timestamp(first) : pd.Timestamp(last), "pnl"]
        covered = daily.index[0] <= pd.Timestamp(first) and pd.Timestamp(last) <= daily.index[-1]
        out[f"pnl_{label}"] = float(inside.sum()) if covered and len(inside) else float("nan")
    out |= {
        "hedge_pnl": float(daily[[f"pnl_{layer}" for layer in hedge_layers]].to_numpy().sum()),
        "hedge_premium": float((hedge_buys["fill"] * hedge_buys["quantity"] * 100.0).sum()) if len(trades) else 0.0,
        "costs": float(daily["costs"].sum()),
        "core_credit": credit,
        "core_pnl": core,
        "credit_kept_core": core / credit if credit else float("nan"),
        "credit_kept": total / credit if credit else float("nan"),
        "core_rolls": int(_count(actions, ActionType.ROLL_CORE)),
        "condors_rolled": int(_count(actions, ActionType.ROLL_CORE, "condors")),
        "core_reductions": int(_count(actions, ActionType.REDUCE)),
        "core_adjustments": int(_count(actions, ActionType.ROLL_CORE) + _count(actions, ActionType.REDUCE)),
        "theta_layers": int(_count(actions, ActionType.ADD_THETA_LAYER)),
        "hedge_actions": int(sum(_count(actions, kind) for kind in _HEDGE_ACTIONS)),
    }
    return out


def _count(actions: pd.DataFrame, kind: ActionType, column: str | None = None) -> float:
    """How many actions of a kind traded (or the sum of ``column`` over them)."""
    if not len(actions):
        return 0.0
    rows = actions[(actions["type"] == kind.value) & (actions["trades"] > 0)]
    return float(rows[column].sum()) if column else float(len(rows))


# --- the run ------------------------------------------------------------------------------------

_Key = tuple[str, str, dt.date, str | None, float | None, str | None]
"""A position: (layer, instrument, expiry, right, strike, group)."""


@dataclass
class _Position:
    quantity: float
    entry_price: float


@dataclass
class _Day:
    """What one strategy did on one day (the cash flows and costs per layer)."""

    flows: dict[str, float] = field(default_factory=dict)
    costs: float = 0.0
    credit: float = 0.0

    def add(self, layer: str, amount: float) -> None:
        self.flows[layer] = self.flows.get(layer, 0.0) + amount


@dataclass
class _Strategy:
    """One strategy's book, cash and records as the days go by."""

    name: str
    rules: Rules
    config: BacktestConfig
    positions: dict[_Key, _Position] = field(default_factory=dict)
    cash: float = 0.0
    mtm: dict[str, float] = field(default_factory=dict)
    core_theta: float = float("nan")
    core_pnl: list[float] = field(default_factory=list)
    projected_theta: list[float] = field(default_factory=list)
    pnl_dates: list[pd.Timestamp] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    _book: Book | None = None

    @property
    def layers(self) -> tuple[LayerSpec, ...]:
        return _LAYERS[self.name]

    # --- the book -------------------------------------------------------------------------

    def book(self) -> Book:
        """The positions as a :class:`Book` (rebuilt only after a change; columns typed as the
        book keeps them, so that validating it is cheap)."""
        if self._book is None:
            keys = list(self.positions)
            text = [k[1] for k in keys]
            frame = pd.DataFrame(
                {
                    "layer": pd.array([k[0] for k in keys], dtype="str"),
                    "instrument": pd.array(text, dtype="str"),
                    "expiry": pd.to_datetime(np.array([k[2] for k in keys], dtype="datetime64[s]")),
                    "right": pd.array([k[3] for k in keys], dtype="str"),
                    "strike": np.array([np.nan if k[4] is None else k[4] for k in keys], dtype=np.float64),
                    "quantity": np.array([p.quantity for p in self.positions.values()], dtype=np.float64),
                    "entry_price": np.array([p.entry_price for p in self.positions.values()], dtype=np.float64),
                    "group": pd.array([k[5] for k in keys], dtype="str"),
                    "start": np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[s]"),
                    "realized_vol": np.full(len(keys), np.nan),
                    "source": pd.array([f"{k[0]}:{k[5] or k[1]}" for k in keys], dtype="str"),
                }
            )
            self._book = Book(self.name, self.layers, frame, source=self.name)
        return self._book

    def fill(
        self,
        day: _Day,
        when: dt.date,
        action: str,
        key: _Key,
        quantity: float,
        mid: float,
    ) -> None:
        """Trade ``quantity`` of the position ``key`` at ``mid`` ± the half-spread, paying the
        commission, and book the cash flow in the key's layer."""
        layer, instrument = key[0], key[1]
        costs = self.config.costs
        multiplier = Instrument(instrument).multiplier
        option = Instrument(instrument).is_option
        price = mid + math.copysign(costs.half_spread(instrument), quantity)
        price = max(price, 0.0) if option else price
        commission = costs.commission * abs(quantity)
        held = self.positions.get(key)
        before = held.quantity if held else 0.0
        after = before + quantity
        closing = min(abs(quantity), abs(before)) if before * quantity < 0 else 0.0
        if option:
            flow = -price * quantity * multiplier
        else:  # futures: P&L is realised on the contracts closed
            assert held is not None or closing == 0
            flow = (price - held.entry_price) * math.copysign(closing, before) * multiplier if held else 0.0
        flow -= commission
        if abs(after) < 1e-12:
            self.positions.pop(key, None)
        elif held is None:
            self.positions[key] = _Position(after, price)
        else:
            held.entry_price = entry_after_trade(before, held.entry_price, quantity, price)
            held.quantity = after
        self._book = None
        opening = abs(quantity) - closing
        day.add(layer, flow)
        day.costs += abs(price - mid) * abs(quantity) * multiplier + commission
        if layer == "core" and option and opening > 0:
            day.credit += -price * math.copysign(opening, quantity) * multiplier
        self.cash += flow
        self.trades.append(
            {
                "date": pd.Timestamp(when),
                "strategy": self.name,
                "action": action,
                "layer": layer,
                "instrument": instrument,
                "expiry": key[2],
                "right": key[3],
                "strike": key[4],
                "group": key[5],
                "quantity": quantity,
                "mid": mid,
                "fill": price,
                "commission": commission,
                "cash_flow": flow,
                "opening": opening > 0,
            }
        )

    def add_legs(self, day: _Day, when: dt.date, action: str, layer: str, legs: tuple[Leg, ...]) -> None:
        """Trade new legs (their ``entry_price`` is the model mid)."""
        for leg in legs:
            assert leg.entry_price is not None
            self.fill(day, when, action, _leg_key(layer, leg), leg.quantity, leg.entry_price)

    # --- the day's steps ------------------------------------------------------------------

    def settle(
        self, day: _Day, when: dt.date, spx_close: Callable[[dt.date], float], vix_close: Callable[[dt.date], float]
    ) -> None:
        """Legs expiring on or before ``when`` leave at intrinsic value (module docstring)."""
        for key in [k for k in self.positions if k[2] <= when]:
            layer, instrument, expiry, right, strike, _ = key
            position = self.positions.pop(key)
            level = spx_close(expiry) if instrument in ("SPX", "SPXW") else vix_close(expiry)
            multiplier = Instrument(instrument).multiplier
            if strike is None:  # futures converge to the settlement value
                value = (level - position.entry_price) * position.quantity * multiplier
            else:
                intrinsic = max(level - strike, 0.0) if right == "call" else max(strike - level, 0.0)
                value = intrinsic * position.quantity * multiplier
            day.add(layer, value)
            self.cash += value
            self._book = None
            self.trades.append(
                {
                    "date": pd.Timestamp(when),
                    "strategy": self.name,
                    "action": "SETTLE",
                    "layer": layer,
                    "instrument": instrument,
                    "expiry": expiry,
                    "right": right,
                    "strike": strike,
                    "group": key[5],
                    "quantity": -position.quantity,
                    "mid": level,
                    "fill": level,
                    "commission": 0.0,
                    "cash_flow": value,
                    "opening": False,
                }
            )

    def exit_core(self, day: _Day, when: dt.date, market: Market) -> None:
        """Close core positions at or below ``exit_dte`` days to expiry."""
        limit = self.config.ladder.exit_dte
        keys = [k for k in self.positions if k[0] == "core" and (k[2] - when).days <= limit]
        if not limit or not keys:
            return
        prices = _prices(value_book(self.book(), market))
        for key in keys:
            self.fill(day, when, "EXIT", key, -self.positions[key].quantity, prices[key])

    def static_hedge(self, day: _Day, when: dt.date, market: Market, equity: float) -> None:
        """Buy the month's VIX calls (module docstring, step 4)."""
        settings = self.config.static_hedge
        front = min(market.vix.futures, key=lambda f: f.expiry)
        share = settings.share(front.price)
        if share <= 0:
            return
        strike = strike_for_delta(market, front.expiry, "call", settings.call_delta, instrument=Instrument.VIX)
        probe = Leg(Instrument.VIX, front.expiry, 1.0, strike=strike, right="call", group=f"VXTH-{front.expiry}")
        key = _leg_key("static", probe)
        mid = _prices(value_book(Book.from_layers("probe", [_probe(probe)]), market))[_leg_key("probe", probe)]
        cost = (mid + self.config.costs.vix_option_half_spread) * 100.0 + self.config.costs.commission
        contracts = math.floor(share * equity / cost)
        if contracts > 0:
            self.fill(day, when, "STATIC_HEDGE", key, float(contracts), mid)

    def manage(
        self,
        day: _Day,
        when: dt.date,
        market: Market,
        signals: Signals,
        events: list[Event],
        spx_history: pd.Series,
    ) -> tuple[BookRisk, dict[_Key, float], bool]:
        """Run the decision engine on the book and execute its trades. Returns the risk of the
        book as it was given to the engine, the mid price of every position held after the
        trades, and whether the engine traded the core."""
        decision = decide(
            self.book(),
            market,
            rules=self.rules,
            signals=signals,
            events=events,
            spx_history=spx_history,
            theta_ratio=self.theta_ratio(),
        )
        prices = _prices(decision.risk)
        core_traded = False
        for action in decision.actions:
            for trade in action.trades:
                key: _Key = (trade.layer, trade.instrument, trade.expiry, trade.right, trade.strike, trade.group)
                self.fill(day, when, action.type.value, key, float(trade.quantity), trade.price)
                prices[key] = trade.price
                core_traded |= trade.layer == "core"
            if action.type is not ActionType.HOLD:
                self.actions.append(
                    {
                        "date": pd.Timestamp(when),
                        "strategy": self.name,
                        "type": action.type.value,
                        "rules": ",".join(action.rules),
                        "trades": len(action.trades),
                        "condors": action.numbers.get("condors", 0.0),
                        "feasible": action.feasible,
                    }
                )
        return decision.risk, prices, core_traded

    def theta_ratio(self) -> float | None:
        """The core's realised P&L over its projected theta, five sessions to the previous close
        (:func:`alvh.method.signals.theta_realisation`); None until there are five."""
        window = 5
        if len(self.core_pnl) < window:
            return None
        index = pd.DatetimeIndex(self.pnl_dates[-window:])
        ratio = theta_realisation(
            pd.Series(self.core_pnl[-window:], index=index),
            pd.Series(self.projected_theta[-window:], index=index),
            window=window,
        ).iloc[-1]
        return float(ratio) if np.isfinite(ratio) else None

    def close_day(
        self,
        day: _Day,
        when: dt.date,
        market: Market,
        managed: tuple[BookRisk, dict[_Key, float], bool],
        previous: dt.date | None,
    ) -> None:
        """Mark the book at the mids the day's valuation gave (and the fills' mids), record the
        day's row. The core's theta and margin come from the valuation before the engine's
        trades, unless the engine traded the core: then the book is valued again."""
        risk, prices, core_traded = managed
        if core_traded:
            risk = value_book(self.book(), market)
            prices = _prices(risk)
        marks = self.marks(prices)
        pnl = {
            layer: marks.get(layer, 0.0) - self.mtm.get(layer, 0.0) + day.flows.get(layer, 0.0) for layer in LAYER_NAMES
        }
        if previous is not None and np.isfinite(self.core_theta):
            self.core_pnl.append(pnl["core"])
            self.projected_theta.append(self.core_theta * (when - previous).days)
            self.pnl_dates.append(pd.Timestamp(when))
        self.mtm = marks
        core = risk.layers["role"].to_numpy(object) == Role.CORE.value
        self.core_theta = float(risk.layers["theta"].to_numpy()[core].sum()) if self.positions else float("nan")
        self.rows.append(
            {
                "date": pd.Timestamp(when),
                "strategy": self.name,
                "spx": market.spx.spot,
                "vix": market.vix.spot,
                "pnl": float(sum(pnl.values())),
                **{f"pnl_{layer}": pnl[layer] for layer in LAYER_NAMES},
                "cash_flow": float(sum(day.flows.values())),
                "cash": self.cash,
                "mtm": float(sum(marks.values())),
                "costs": day.costs,
                "credit": day.credit,
                "margin": float(risk.condors["max_loss"].sum()) if len(risk.condors) else 0.0,
            }
        )

    def marks(self, prices: dict[_Key, float]) -> dict[str, float]:
        """Mark-to-market per layer: options at their mid value, futures at their open P&L."""
        out: dict[str, float] = {}
        for key, position in self.positions.items():
            multiplier = Instrument(key[1]).multiplier
            price = prices[key]
            value = (price - position.entry_price if key[4] is None else price) * position.quantity * multiplier
            out[key[0]] = out.get(key[0], 0.0) + value
        return out


def _leg_key(layer: str, leg: Leg) -> _Key:
    instrument = leg.instrument.value if isinstance(leg.instrument, Instrument) else str(leg.instrument)
    return (layer, instrument, leg.expiry, leg.right, leg.strike, leg.group)


def _probe(leg: Leg) -> Layer:
    return Layer("probe", Role.CUSTOM, (leg,))


def _prices(risk: BookRisk) -> dict[_Key, float]:
    """Model mid price of each position of a valued book (futures: the futures price)."""
    legs = risk.legs
    out: dict[_Key, float] = {}
    for layer, instrument, expiry, right, strike, group, price in zip(
        legs["layer"],
        legs["instrument"],
        legs["expiry"],
        legs["right"],
        legs["strike"],
        legs["group"],
        legs["price"],
        strict=True,
    ):
        key: _Key = (
            str(layer),
            str(instrument),
            expiry.date(),
            None if pd.isna(right) else str(right),
            None if pd.isna(strike) else float(strike),
            None if pd.isna(group) else str(group),
        )
        out[key] = float(price)
    return out


def _entry_expiry(when: dt.date, target_dte: int, listed_days: int) -> dt.date:
    """The listed SPXW Friday nearest ``target_dte`` days ahead (ties: the later)."""
    expiries = spx_expiries(when, listed_days)
    return min(expiries, key=lambda e: (abs((e - when).days - target_dte), -(e - when).days))


def _roll_day(previous: dt.date | None, when: dt.date) -> bool:
    """The first trading day of the run, or the first on or after a monthly VIX expiry."""
    if previous is None:
        return True
    months = {(previous.year, previous.month), (when.year, when.month)}
    return any(previous < vix_expiry(y, m) <= when for y, m in months)


def run_backtest(
    history: pd.DataFrame,
    config: BacktestConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> BacktestResult:
    """Replay the three strategies over ``history`` (:func:`alvh.market.history.load_history`'s
    frame) — see the module docstring.

    Parameters
    ----------
    history
        Daily closes indexed by date (:func:`~alvh.market.history.check_history` rules).
    config
        The run's settings (default :class:`BacktestConfig`).
    progress
        Called as ``progress(days_done, days_total)`` after each day (of the ALVH strategy when
        the work is spread over processes).
    workers
        Processes to spread the strategies over: the ALVH strategy runs in this one, the others
        in ``workers - 1`` worker processes (they are independent; results are identical for any
        number). Default: one per CPU, at most 3, for runs of at least :data:`PARALLEL_DAYS`
        days, else 1 (a worker takes about a second to start).

    Raises
    ------
    InputError
        A bad history, or fewer than ``config.warmup`` days of it before the first trading day.
    """
    config = config or BacktestConfig()
    check_history(history)
    dates = history.index
    first = max(config.warmup, int(dates.searchsorted(pd.Timestamp(config.start)))) if config.start else config.warmup
    last = int(dates.searchsorted(pd.Timestamp(config.end), side="right")) if config.end else len(dates)
    if first >= last:
        raise InputError(
            f"history: no trading day between {config.start or 'the start'} and {config.end or 'the end'} with "
            f"{config.warmup} days of history before it (history runs {dates[0].date()} to {dates[-1].date()})"
        )
    if workers is None:
        workers = min(len(STRATEGIES), os.cpu_count() or 1) if last - first >= PARALLEL_DAYS else 1
    if workers < 1:
        raise InputError(f"workers = {workers} is not allowed: use at least 1")
    run = _Run(history, config, first, last, config.capital)
    # the slowest strategy (ALVH) runs here and reports the progress; the others in worker processes
    groups = [tuple(str(n) for n in g) for g in np.array_split(["naked", "static"], workers - 1)] if workers > 1 else []
    waits = [_start_worker(run, group) for group in groups if group]
    records = _replay(run, ("alvh",) if waits else STRATEGIES, progress)
    for wait in waits:
        records |= wait()
    return _result({name: records[name] for name in STRATEGIES}, run)


def _start_worker(run: _Run, names: tuple[str, ...]) -> Callable[[], dict[str, _Records]]:
    """Start a Python process that replays ``names``; returns the function that waits for its
    records. A plain subprocess rather than :mod:`multiprocessing`: it never re-runs the
    caller's main module (a script without a ``__main__`` guard works) and never forks a process
    holding kernel threads."""
    folder = Path(tempfile.mkdtemp(prefix="alvh-backtest-"))
    job, out = folder / "job.pkl", folder / "records.pkl"
    job.write_bytes(pickle.dumps((run, names)))
    command = "import sys; from alvh.backtest.backtest import _work; _work(sys.argv[1], sys.argv[2])"
    # the worker's stdout is dropped: the MILP solver may print to it
    process = subprocess.Popen([sys.executable, "-c", command, str(job), str(out)], stdout=subprocess.DEVNULL)

    def wait() -> dict[str, _Records]:
        try:
            code = process.wait()
            if not out.exists():
                raise AlvhError(f"the backtest worker for {', '.join(names)} stopped (exit code {code})")
            status, value = pickle.loads(out.read_bytes())
            if status == "error":
                raise value
            records: dict[str, _Records] = value
            return records
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return wait


def _work(job: str, out: str) -> None:
    """A worker process's job (see :func:`_start_worker`): replay, write the records or the error."""
    run, names = pickle.loads(Path(job).read_bytes())
    try:
        result: tuple[str, Any] = ("ok", _replay(run, names))
    except Exception as error:  # handed to the parent, which raises it
        result = ("error", error)
    Path(out).write_bytes(pickle.dumps(result))


PARALLEL_DAYS = 120
"""Runs at least this long spread the strategies over processes by default."""


@dataclass(frozen=True)
class _Run:
    """What every process of a run shares."""

    history: pd.DataFrame
    config: BacktestConfig
    first: int
    last: int
    capital: float


_Records = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
"""A strategy's daily rows, trades and actions."""


def _replay(
    run: _Run, names: tuple[str, ...], progress: Callable[[int, int], None] | None = None
) -> dict[str, _Records]:
    """Run the strategies ``names`` over the trading days (module docstring, steps 1–6)."""
    history, config = run.history, run.config
    spx, vix = history["spx"], history["vix"]
    futures = [c for c in history.columns if c.startswith("vx")]
    anchor = vix_anchor(vix, config.market)
    dates = history.index
    events = config.calendar()
    rules = config.strategy_rules()
    signals_by_day = signal_history(
        spx_closes=spx, vix_closes=vix, front_future_closes=history.get("vx1"), ad_line=history.get("ad_line")
    )
    strategies = [_Strategy(name, rules[name], config) for name in names]
    ladder = config.ladder

    def close_on(series: pd.Series, i: int) -> Callable[[dt.date], float]:
        # the close of the last trading day on or before a date, among days up to i
        def close(day: dt.date) -> float:
            j = min(int(dates.searchsorted(pd.Timestamp(day), side="right")) - 1, i)
            return float(series.iloc[j])

        return close

    previous: dt.date | None = None
    for n, i in enumerate(range(run.first, run.last)):
        when = dates[i].date()
        market = market_from_closes(
            when,
            float(spx.iloc[i]),
            float(vix.iloc[i]),
            params=config.market,
            anchor=float(anchor.iloc[i]),
            vix_futures=[float(history[c].iloc[i]) for c in futures],
        )
        past = history.iloc[: i + 1]
        signals = signals_by_day[dates[i]]
        entry = (
            _entry_expiry(when, ladder.entry_dte, config.market.spx_expiry_days)
            if when.weekday() == ladder.entry_weekday
            else None
        )
        # the same condors for every strategy: identical entries
        entry_legs = None
        if entry is not None:
            entry_legs = iron_condor(
                market, entry, short_delta=ladder.short_delta, wing_width=ladder.wing_width, quantity=ladder.units
            )
        for strategy in strategies:
            day = _Day()
            equity = run.capital + strategy.cash + sum(strategy.mtm.values())
            strategy.settle(day, when, close_on(spx, i), close_on(vix, i))
            strategy.exit_core(day, when, market)
            if entry_legs is not None:
                strategy.add_legs(day, when, "ENTRY", "core", entry_legs)
            if strategy.name == "static" and _roll_day(previous, when):
                strategy.static_hedge(day, when, market, equity)
            managed = strategy.manage(day, when, market, signals, events, past["spx"])
            strategy.close_day(day, when, market, managed, previous)
        previous = when
        if progress is not None:
            progress(n + 1, run.last - run.first)
    return {s.name: (s.rows, s.trades, s.actions) for s in strategies}


def _result(records: dict[str, _Records], run: _Run) -> BacktestResult:
    frames = []
    unit = run.history.index.dtype  # dates keep the history's resolution
    for rows, _, _ in records.values():
        frame = pd.DataFrame(rows)
        frame["date"] = frame["date"].astype(unit)
        frame["equity"] = run.capital + frame["cash"] + frame["mtm"]
        peak = np.maximum.accumulate(np.maximum(frame["equity"].to_numpy(), run.capital))
        frame["drawdown"] = frame["equity"] - peak
        frame["drawdown_pct"] = frame["drawdown"] / peak
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True).set_index(["date", "strategy"])
    dates = pd.DatetimeIndex(frames[0]["date"])
    daily = daily.reindex(pd.MultiIndex.from_product([dates, list(records)], names=["date", "strategy"]))
    trade_columns = ["date", "strategy", "action", "layer", "instrument", "expiry", "right", "strike", "group",
                     "quantity", "mid", "fill", "commission", "cash_flow", "opening"]  # fmt: skip
    trades = pd.DataFrame([t for _, ts, _ in records.values() for t in ts], columns=trade_columns)
    action_columns = ["date", "strategy", "type", "rules", "trades", "condors", "feasible"]
    actions = pd.DataFrame([a for _, _, acts in records.values() for a in acts], columns=action_columns)
    trades["date"], actions["date"] = trades["date"].astype(unit), actions["date"].astype(unit)
    return BacktestResult(daily=daily, trades=trades, actions=actions, capital=run.capital, config=run.config)
