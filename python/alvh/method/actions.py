"""The actions the decision engine can propose (docs/method.md, Decisions)."""

from __future__ import annotations

from enum import Enum

__all__ = ["ActionType"]


class ActionType(str, Enum):
    """What the engine proposes."""

    HOLD = "HOLD"
    HEDGE_DELTA = "HEDGE_DELTA"
    ADD_VEGA_HEDGE = "ADD_VEGA_HEDGE"
    TRIM_HEDGE = "TRIM_HEDGE"
    ADD_L3 = "ADD_L3"
    ADD_THETA_LAYER = "ADD_THETA_LAYER"
    ROLL_CORE = "ROLL_CORE"
    REDUCE = "REDUCE"
    DELAYER = "DELAYER"
