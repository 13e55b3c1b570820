"""Trades the decision engine proposes, and the book with them done (docs/method.md, Decisions):
a trade on a position held changes its size, any other opens a new leg in its layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh.book import Book, Instrument, Leg, Role, entry_after_trade
from alvh.risk.valuation import BookRisk

__all__ = ["Trade", "apply_trades", "closing_trades", "layer_for", "role_of_layer", "trade_of_leg"]


@dataclass(frozen=True)
class Trade:
    """One proposed order: a leg bought (quantity > 0) or sold, into a layer."""

    layer: str
    instrument: str
    expiry: dt.date
    quantity: int
    right: str | None
    strike: float | None
    price: float
    """Model price per unit (premium; futures: the futures price)."""
    group: str | None = None

    @property
    def cost(self) -> float:
        """$ paid (negative: received): premium × quantity × multiplier; 0 for futures."""
        instrument = Instrument(self.instrument)
        if instrument.is_future or instrument.is_spx_future:
            return 0.0
        return self.quantity * instrument.multiplier * self.price

    def to_leg(self) -> Leg:
        return Leg(
            instrument=self.instrument,
            expiry=self.expiry,
            quantity=float(self.quantity),
            strike=self.strike,
            right=self.right,  # type: ignore[arg-type]
            entry_price=self.price,
            group=self.group,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "instrument": self.instrument,
            "expiry": self.expiry.isoformat(),
            "right": self.right,
            "strike": self.strike,
            "quantity": self.quantity,
            "price": round(self.price, 4),
            "cost": round(self.cost, 2),
            "group": self.group,
        }


def trade_of_leg(layer: str, leg: Leg, quantity: int) -> Trade:
    """``quantity`` of ``leg`` (at its entry price) into ``layer``."""
    return Trade(
        layer=layer,
        instrument=Instrument(leg.instrument).value,
        expiry=leg.expiry,
        quantity=int(quantity),
        right=leg.right,
        strike=leg.strike,
        price=float(leg.entry_price if leg.entry_price is not None else 0.0),
        group=leg.group,
    )


def closing_trades(risk: BookRisk, rows: pd.DataFrame, share: float = 1.0) -> list[Trade]:
    """Trades closing ``share`` of the given legs (rows of ``risk.legs``) at their current model
    prices (futures: the futures price); each leg's cut is rounded to whole contracts, and a leg
    whose cut rounds to none is not traded."""
    trades = []
    for _, leg in rows.iterrows():
        quantity = -int(np.sign(leg["quantity"]) * round(abs(leg["quantity"]) * share))
        if not quantity:
            continue
        price = float(leg["underlying"]) if Instrument(leg["instrument"]).is_future else float(leg["price"])
        trades.append(
            Trade(
                layer=str(leg["layer"]),
                instrument=str(leg["instrument"]),
                expiry=leg["expiry"].date(),
                quantity=quantity,
                right=text_cell(leg["right"]),
                strike=None if pd.isna(leg["strike"]) else float(leg["strike"]),
                price=price,
                group=text_cell(leg["group"]),
            )
        )
    return trades


def text_cell(value: Any) -> str | None:
    """A legs-table text cell (``right``, ``group``): None where it is empty (NaN)."""
    return None if pd.isna(value) else str(value)


def apply_trades(book: Book, trades: Iterable[Trade]) -> Book:
    """The book with the trades done. A trade on a leg held (same layer, instrument, expiry, right,
    strike and group) changes that leg's quantity, and a leg closed to zero goes, so that a closed
    condor no longer counts (as condor units, margin, break-evens); other trades are new legs, in
    new layers with the role their default name says (L1, L2, L3, core). The trades are the
    decision engine's, so their legs are not parsed again (:meth:`Book.with_legs`, trusted)."""
    trades = list(trades)
    legs = book.legs
    keys = {column: legs[column].to_numpy(object) for column in ("layer", "instrument", "right", "group")}
    keys["expiry"] = legs["expiry"].to_numpy("datetime64[D]")
    keys["strike"] = legs["strike"].to_numpy(np.float64)
    quantity = legs["quantity"].to_numpy(np.float64, copy=True)
    entry = legs["entry_price"].to_numpy(np.float64, copy=True)
    new = []
    for t in trades:
        held = _held_row(keys, quantity, t)
        if held is None:
            new.append((t.layer, t.to_leg()))
            continue
        entry[held] = entry_after_trade(quantity[held], entry[held], t.quantity, t.price)
        quantity[held] += t.quantity
    roles = {t.layer: role_of_layer(book, t.layer) for t in trades}
    return book.with_sizes(quantity, entry).with_legs(new, role_of_new_layers=roles, trusted=True)


def _held_row(keys: dict[str, NDArray[Any]], quantity: NDArray[np.float64], trade: Trade) -> int | None:
    """The position of the first open leg (of the legs whose key columns are ``keys``) that
    ``trade`` trades, or None."""
    same = (
        (keys["layer"] == trade.layer)
        & (keys["instrument"] == trade.instrument)
        & (keys["expiry"] == np.datetime64(trade.expiry, "D"))
        & (quantity != 0)
    )
    for column, value in (("right", trade.right), ("strike", trade.strike), ("group", trade.group)):
        same &= pd.isna(keys[column]) if value is None else keys[column] == value
    return int(np.argmax(same)) if same.any() else None


_DEFAULT_ROLES = {"core": Role.CORE, "L1": Role.THETA_ANCHOR, "L2": Role.DELTA_OVERLAY, "L3": Role.ADAPTIVE}


def role_of_layer(book: Book, layer: str) -> Role:
    """The role a layer has (or will have, for the default core/L1/L2/L3 names)."""
    for spec in book.layers:
        if spec.name == layer:
            return spec.role
    return _DEFAULT_ROLES.get(layer, Role.CUSTOM)


def layer_for(book: Book, role: Role, default: str) -> str:
    """The first layer of ``book`` with ``role``, or ``default`` (a new layer) when it has none."""
    return next((layer.name for layer in book.layers if layer.role is role), default)
