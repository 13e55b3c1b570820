"""One strategy as the days go by: its ledger, rules and records, and its daily step — settle,
exit, enter, hedge, manage, mark (the steps of :mod:`alvh.backtest.replay`)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alvh.backtest.config import LAYER_NAMES, STRATEGY_LAYERS, BacktestConfig
from alvh.backtest.ledger import DayFlows, Ledger, PositionKey, leg_key, position_prices
from alvh.backtest.results import Records
from alvh.book import Book, Instrument, Layer, Leg, Role
from alvh.book.builders import strike_for_delta
from alvh.market.events import Event
from alvh.market.snapshot import Market
from alvh.method.decisions import Action, ActionType, decide
from alvh.method.rules import Rules
from alvh.method.signals import Signals
from alvh.method.signals.book_inputs import latest_theta_realisation
from alvh.method.state import HedgeHistory
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import BookRisk, value_book

__all__ = ["Strategy", "Today"]

THETA_WINDOW = 5
"""Sessions of the core's theta realisation the decision engine reads."""


@dataclass(frozen=True)
class Today:
    """What one trading day gives every strategy (the same for all three)."""

    when: dt.date
    previous: dt.date | None
    """The trading day before (None on the first)."""
    market: Market
    signals: Signals
    events: list[Event]
    spx_history: pd.Series
    """SPX closes up to ``when``."""
    inflation_rising: bool | None
    """Whether CPI/PPI are rising as of ``when`` (None: unknown, no ``cpi``/``ppi`` history)."""
    spx_close: Callable[[dt.date], float]
    """The SPX close of the last trading day on or before a date (up to ``when``)."""
    vix_close: Callable[[dt.date], float]
    entry_legs: tuple[Leg, ...] | None
    """The core condors sold today (None on days without an entry)."""
    vix_roll: bool
    """The first day, or the first on or after a monthly VIX expiry: the static hedge buys."""
    cache: ValuationCache = field(default_factory=ValuationCache)
    """The day's valuations on ``market``, shared by the strategies replayed in one process: their
    cores hold the same condors, whose tables and probabilities of profit are then computed once."""


@dataclass(frozen=True)
class _Managed:
    """The decision engine's day: the risk of the book it was given, the mid price of every
    position held after its trades, whether it traded the core, and the hedge share it left."""

    risk: BookRisk
    prices: dict[PositionKey, float]
    core_traded: bool
    hedge_share: float


_HEDGE_EXITS = (ActionType.TRIM_HEDGE, ActionType.DELAYER)
"""Actions that take a hedge off when they trade (R-HEDGE-VEGA's holding time runs from them)."""

SMOOTHING_MEMORY = 60
"""Closes of the core's vega the strategy remembers (R-HEDGE-VEGA's ``smoothing_days`` at most)."""


@dataclass
class Strategy:
    """One strategy's ledger, marks and records as the days go by."""

    name: str
    rules: Rules
    config: BacktestConfig
    ledger: Ledger = field(init=False)
    mtm: dict[str, float] = field(default_factory=dict)
    """Mark-to-market per layer at the last close."""
    core_theta: float = float("nan")
    """The core's theta at the last close."""
    core_pnl: list[float] = field(default_factory=list)
    projected_theta: list[float] = field(default_factory=list)
    """The core's daily P&L and the theta projected for it at the close before, day by day (the
    theta ratio's inputs)."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    core_vega: list[float] = field(default_factory=list)
    """The core's vega at each close so far (R-HEDGE-VEGA's smoothed denominator)."""
    last_hedge_exit: dt.date | None = None
    """The last day a hedge was taken off (R-HEDGE-VEGA's holding time)."""

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.name, STRATEGY_LAYERS[self.name], self.config.costs)

    @property
    def records(self) -> Records:
        """The daily rows, trades and actions so far."""
        return self.rows, self.ledger.trades, self.actions

    def step(self, today: Today) -> None:
        """Trade and mark one day (:mod:`alvh.backtest.replay`, steps 2–6)."""
        day = DayFlows()
        equity = self.config.capital + self.ledger.cash + sum(self.mtm.values())
        self.ledger.settle(day, today.when, today.spx_close, today.vix_close)
        self._exit_core(day, today)
        if today.entry_legs is not None:
            self.ledger.add_legs(day, today.when, "ENTRY", "core", today.entry_legs)
        if self.name == "static" and today.vix_roll:
            self._static_hedge(day, today, equity)
        self._close(day, today, self._manage(day, today))

    def _exit_core(self, day: DayFlows, today: Today) -> None:
        """Close core positions at or below ``exit_dte`` days to expiry."""
        limit = self.config.ladder.exit_dte
        keys = [k for k in self.ledger.positions if k[0] == "core" and (k[2] - today.when).days <= limit]
        if not limit or not keys:
            return
        prices = position_prices(value_book(self.ledger.book, today.market, cache=today.cache))
        for key in keys:
            self.ledger.fill(day, today.when, "EXIT", key, -self.ledger.positions[key].quantity, prices[key])

    def _static_hedge(self, day: DayFlows, today: Today, equity: float) -> None:
        """Buy the month's VIX calls for the budget's share of ``equity`` (replay, step 4)."""
        settings, market = self.config.static_hedge, today.market
        front = min(market.vix.futures, key=lambda f: f.expiry)
        share = settings.share(front.price)
        if share <= 0:
            return
        strike = strike_for_delta(market, front.expiry, "call", settings.call_delta, instrument=Instrument.VIX)
        call = Leg(Instrument.VIX, front.expiry, 1.0, strike=strike, right="call", group=f"VXTH-{front.expiry}")
        probe = Book.from_layers("probe", [Layer("probe", Role.CUSTOM, (call,))])
        mid = position_prices(value_book(probe, market, cache=today.cache))[leg_key("probe", call)]
        costs = self.config.costs
        cost = (mid + costs.vix_option_half_spread) * Instrument.VIX.multiplier + costs.commission
        contracts = math.floor(share * equity / cost)
        if contracts > 0:
            self.ledger.fill(day, today.when, "STATIC_HEDGE", leg_key("static", call), float(contracts), mid)

    def _manage(self, day: DayFlows, today: Today) -> _Managed:
        """Run the decision engine on the book and execute every trade of every action."""
        decision = decide(
            self.ledger.book,
            today.market,
            rules=self.rules,
            signals=today.signals,
            events=today.events,
            spx_history=today.spx_history,
            inflation_rising=today.inflation_rising,
            opened_today=tuple({str(leg.group) for leg in today.entry_legs or ()}),
            theta_ratio=self._theta_ratio(),
            cache=today.cache,
            costs=self.config.costs,
            history=HedgeHistory(tuple(self.core_vega[-SMOOTHING_MEMORY:]), self.last_hedge_exit),
            all_rules=False,  # the replay records actions, not rules
        )
        self.core_vega.append(decision.risk.core_vega)
        prices = position_prices(decision.risk)
        core_traded = False
        for action in decision.actions:
            core_traded |= self._execute(day, today.when, action, prices)
            if action.type is not ActionType.HOLD:
                self._record_action(today.when, action)
            if action.type in _HEDGE_EXITS and action.trades:
                self.last_hedge_exit = today.when
        after = decision.actions[-1].after.risk  # the book the day's trades leave
        return _Managed(decision.risk, prices, core_traded, after.hedge_vega_share)

    def _execute(self, day: DayFlows, when: dt.date, action: Action, prices: dict[PositionKey, float]) -> bool:
        """Fill an action's trades at their model prices (which become the positions' mids);
        returns whether it traded the core."""
        core_traded = False
        for trade in action.trades:
            key: PositionKey = (trade.layer, trade.instrument, trade.expiry, trade.right, trade.strike, trade.group)
            self.ledger.fill(day, when, action.type.value, key, float(trade.quantity), trade.price)
            prices[key] = trade.price
            core_traded |= trade.layer == "core"
        return core_traded

    def _record_action(self, when: dt.date, action: Action) -> None:
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

    def _theta_ratio(self) -> float | None:
        """The core's realised P&L over its projected theta, five sessions to the previous close
        (:func:`alvh.method.signals.theta_realisation`); None until there are five."""
        if len(self.core_pnl) < THETA_WINDOW:
            return None
        ratio = latest_theta_realisation(self.core_pnl, self.projected_theta, window=THETA_WINDOW)
        return ratio if np.isfinite(ratio) else None

    def _close(self, day: DayFlows, today: Today, managed: _Managed) -> None:
        """Mark the book at the mids the day's valuation gave (and the fills' mids), record the
        day's row. The core's theta and margin come from the valuation before the engine's
        trades, unless the engine traded the core: then the book is valued again."""
        risk, prices = managed.risk, managed.prices
        if managed.core_traded:
            risk = value_book(self.ledger.book, today.market, cache=today.cache)
            prices = position_prices(risk)
        marks = self.ledger.marks(prices)
        pnl = {
            layer: marks.get(layer, 0.0) - self.mtm.get(layer, 0.0) + day.flows.get(layer, 0.0) for layer in LAYER_NAMES
        }
        self._track_theta(pnl["core"], today)
        self.mtm = marks
        core = risk.layers["role"].to_numpy(object) == Role.CORE.value
        self.core_theta = float(risk.layers["theta"].to_numpy()[core].sum()) if self.ledger.positions else float("nan")
        self._record_day(today, day, pnl, risk, managed.hedge_share)

    def _track_theta(self, core_pnl: float, today: Today) -> None:
        """Keep the core's P&L next to the theta projected at the close before (for the ratio)."""
        if today.previous is not None and np.isfinite(self.core_theta):
            self.core_pnl.append(core_pnl)
            self.projected_theta.append(self.core_theta * (today.when - today.previous).days)

    def _record_day(
        self, today: Today, day: DayFlows, pnl: dict[str, float], risk: BookRisk, hedge_share: float
    ) -> None:
        self.rows.append(
            {
                "date": pd.Timestamp(today.when),
                "strategy": self.name,
                "spx": today.market.spx.spot,
                "vix": today.market.vix.spot,
                "pnl": float(sum(pnl.values())),
                **{f"pnl_{layer}": pnl[layer] for layer in LAYER_NAMES},
                "cash_flow": float(sum(day.flows.values())),
                "cash": self.ledger.cash,
                "mtm": float(sum(self.mtm.values())),
                "costs": day.costs,
                "credit": day.credit,
                "margin": float(risk.condors["max_loss"].sum()) if len(risk.condors) else 0.0,
                "hedge_share": hedge_share,
            }
        )
