"""One strategy's positions and cash: fills, settlements and marks (docs/method.md, Backtest).

**Fills and costs.** A trade fills at the model mid plus (buy) or minus (sell) a half-spread per
unit of its instrument (sale prices floored at 0), and pays a commission per contract. New
positions therefore start with a P&L of −(half-spread × multiplier + commission) per contract.

**Settlement.** Legs expiring on or before the day leave the book at intrinsic value: SPX options
on the SPX close, VIX options and futures on the VIX close (a proxy for the Wednesday opening
quotation), each of the last trading day on or before the expiry (an expiry on an exchange holiday
settles on the close before it, as the exchange moves it).

**Accounting.** Cash starts at 0 and moves by premiums paid and received, futures P&L realised on
closing, settlement values and commissions; the mark-to-market (MTM) is the mid value of the
options held plus the open P&L of the futures held. Every cash flow is booked in its layer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alvh.backtest.config import CostConfig
from alvh.book import Book, Instrument, LayerSpec, Leg, entry_after_trade
from alvh.book.legs import legs_table
from alvh.risk.valuation import BookRisk

__all__ = ["DayFlows", "Ledger", "Position", "PositionKey", "leg_key", "position_prices"]

PositionKey = tuple[str, str, dt.date, str | None, float | None, str | None]
"""A position: (layer, instrument, expiry, right, strike, group)."""


@dataclass
class Position:
    quantity: float
    entry_price: float


@dataclass
class DayFlows:
    """What one strategy's trades did on one day: the cash flows per layer, the costs paid and the
    premium received opening core positions."""

    flows: dict[str, float] = field(default_factory=dict)
    costs: float = 0.0
    credit: float = 0.0

    def add(self, layer: str, amount: float) -> None:
        self.flows[layer] = self.flows.get(layer, 0.0) + amount


def leg_key(layer: str, leg: Leg) -> PositionKey:
    """The position a leg of ``layer`` is held in."""
    instrument = leg.instrument.value if isinstance(leg.instrument, Instrument) else str(leg.instrument)
    return (layer, instrument, leg.expiry, leg.right, leg.strike, leg.group)


def position_prices(risk: BookRisk) -> dict[PositionKey, float]:
    """Model mid price of each position of a valued book (futures: the futures price)."""
    legs = risk.legs
    out: dict[PositionKey, float] = {}
    # each column read once, as Python objects (iterating pandas columns costs more than the rest)
    for layer, instrument, expiry, right, strike, group, price in zip(
        legs["layer"].to_numpy(object).tolist(),
        legs["instrument"].to_numpy(object).tolist(),
        legs["expiry"].to_numpy("datetime64[D]").tolist(),
        legs["right"].to_numpy(object).tolist(),
        legs["strike"].to_numpy(np.float64).tolist(),
        legs["group"].to_numpy(object).tolist(),
        legs["price"].to_numpy(np.float64).tolist(),
        strict=True,
    ):
        key: PositionKey = (
            str(layer),
            str(instrument),
            expiry,
            None if pd.isna(right) else str(right),
            None if math.isnan(strike) else strike,
            None if pd.isna(group) else str(group),
        )
        out[key] = price
    return out


def _fill_price(costs: CostConfig, instrument: Instrument, quantity: float, mid: float) -> float:
    """The mid plus (buy) or minus (sell) the half-spread; an option's sale price floored at 0."""
    price = mid + math.copysign(costs.half_spread(instrument), quantity)
    return max(price, 0.0) if instrument.is_option else price


@dataclass
class Ledger:
    """The positions, cash and trade records of the strategy ``name`` (its book has ``layers``)."""

    name: str
    layers: tuple[LayerSpec, ...]
    costs: CostConfig
    positions: dict[PositionKey, Position] = field(default_factory=dict)
    cash: float = 0.0
    trades: list[dict[str, Any]] = field(default_factory=list)
    _book: Book | None = None

    @property
    def book(self) -> Book:
        """The positions as a :class:`Book` (rebuilt only after a change). Its legs are not
        validated again: every position comes from a validated book's legs or the engine's trades
        on them (:func:`alvh.book.legs.legs_table`)."""
        if self._book is None:
            keys = list(self.positions)
            text = [k[1] for k in keys]
            table = legs_table(
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
                },
                self.layers,
            )
            self._book = Book.from_table(self.name, self.layers, table)
        return self._book

    def fill(self, day: DayFlows, when: dt.date, action: str, key: PositionKey, quantity: float, mid: float) -> None:
        """Trade ``quantity`` of the position ``key`` at ``mid`` ± the half-spread, paying the
        commission, and book the cash flow in the key's layer."""
        layer, instrument = key[0], Instrument(key[1])
        multiplier = instrument.multiplier
        price = _fill_price(self.costs, instrument, quantity, mid)
        commission = self.costs.commission * abs(quantity)
        held = self.positions.get(key)
        before = held.quantity if held else 0.0
        closing = min(abs(quantity), abs(before)) if before * quantity < 0 else 0.0
        if instrument.is_option:
            flow = -price * quantity * multiplier
        else:  # futures: P&L is realised on the contracts closed
            assert held is not None or closing == 0
            flow = (price - held.entry_price) * math.copysign(closing, before) * multiplier if held else 0.0
        flow -= commission
        self._move(key, quantity, price)
        opening = abs(quantity) - closing
        day.add(layer, flow)
        day.costs += abs(price - mid) * abs(quantity) * multiplier + commission
        if layer == "core" and instrument.is_option and opening > 0:
            day.credit += -price * math.copysign(opening, quantity) * multiplier
        self.cash += flow
        self._record(when, action, key, quantity, mid, price, commission, flow, opening=opening > 0)

    def _move(self, key: PositionKey, quantity: float, price: float) -> None:
        """Change the position ``key`` by ``quantity`` traded at ``price``."""
        held = self.positions.get(key)
        before = held.quantity if held else 0.0
        after = before + quantity
        if abs(after) < 1e-12:
            self.positions.pop(key, None)
        elif held is None:
            self.positions[key] = Position(after, price)
        else:
            held.entry_price = entry_after_trade(before, held.entry_price, quantity, price)
            held.quantity = after
        self._book = None

    def add_legs(self, day: DayFlows, when: dt.date, action: str, layer: str, legs: tuple[Leg, ...]) -> None:
        """Trade new legs (their ``entry_price`` is the model mid)."""
        for leg in legs:
            assert leg.entry_price is not None
            self.fill(day, when, action, leg_key(layer, leg), leg.quantity, leg.entry_price)

    def settle(
        self,
        day: DayFlows,
        when: dt.date,
        spx_close: Callable[[dt.date], float],
        vix_close: Callable[[dt.date], float],
    ) -> None:
        """Legs expiring on or before ``when`` leave at intrinsic value (module docstring)."""
        for key in [k for k in self.positions if k[2] <= when]:
            layer, instrument, expiry, right, strike, _ = key
            position = self.positions.pop(key)
            on_spx = Instrument(instrument).is_spx_option or Instrument(instrument).is_spx_future
            level = spx_close(expiry) if on_spx else vix_close(expiry)
            multiplier = Instrument(instrument).multiplier
            if strike is None:  # futures converge to the settlement value
                value = (level - position.entry_price) * position.quantity * multiplier
            else:
                intrinsic = max(level - strike, 0.0) if right == "call" else max(strike - level, 0.0)
                value = intrinsic * position.quantity * multiplier
            day.add(layer, value)
            self.cash += value
            self._book = None
            self._record(when, "SETTLE", key, -position.quantity, level, level, 0.0, value, opening=False)

    def marks(self, prices: dict[PositionKey, float]) -> dict[str, float]:
        """Mark-to-market per layer: options at their mid value, futures at their open P&L."""
        out: dict[str, float] = {}
        for key, position in self.positions.items():
            multiplier = Instrument(key[1]).multiplier
            price = prices[key]
            value = (price - position.entry_price if key[4] is None else price) * position.quantity * multiplier
            out[key[0]] = out.get(key[0], 0.0) + value
        return out

    def _record(
        self,
        when: dt.date,
        action: str,
        key: PositionKey,
        quantity: float,
        mid: float,
        fill: float,
        commission: float,
        cash_flow: float,
        *,
        opening: bool,
    ) -> None:
        """Add a row to the trade records (:attr:`alvh.backtest.BacktestResult.trades`)."""
        layer, instrument, expiry, right, strike, group = key
        self.trades.append(
            {
                "date": pd.Timestamp(when),
                "strategy": self.name,
                "action": action,
                "layer": layer,
                "instrument": instrument,
                "expiry": expiry,
                "right": right,
                "strike": strike,
                "group": group,
                "quantity": quantity,
                "mid": mid,
                "fill": fill,
                "commission": commission,
                "cash_flow": cash_flow,
                "opening": opening,
            }
        )
