"""The market layer: snapshots (spot, rates, smiles, VIX and its futures), the model market the
backtest builds from daily closes, expiry calendars, scheduled events and price history."""

from alvh.market.events import Event, load_events, next_event
from alvh.market.expiries import Settlement, third_friday, vix_expiry
from alvh.market.history import load_history
from alvh.market.model import ModelParams, market_from_closes
from alvh.market.snapshot import (
    Market,
    QuadraticSmile,
    SpxMarket,
    SviSmile,
    VixFuture,
    VixLink,
    VixLinkEstimate,
    VixMarket,
    estimate_vix_link,
    load_market,
)

__all__ = [
    "Event",
    "Market",
    "ModelParams",
    "QuadraticSmile",
    "Settlement",
    "SpxMarket",
    "SviSmile",
    "VixFuture",
    "VixLink",
    "VixLinkEstimate",
    "VixMarket",
    "estimate_vix_link",
    "load_events",
    "load_history",
    "load_market",
    "market_from_closes",
    "next_event",
    "third_friday",
    "vix_expiry",
]
