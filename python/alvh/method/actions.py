"""The actions the decision engine can propose, and one proposed action with the book after it
(docs/method.md, Decisions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from alvh._jsonable import jsonable
from alvh.method.display import action_html, action_text
from alvh.method.trades import Trade

if TYPE_CHECKING:  # the rule registry imports ActionType: the state (which evaluates rules) cannot be imported here
    from alvh.method.rules import RuleResult
    from alvh.method.state import BookState

__all__ = ["Action", "ActionType"]


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


@dataclass(frozen=True)
class Action:
    """One proposed action and the book after it (and the actions before it)."""

    type: ActionType
    rules: tuple[str, ...]
    reason: str
    numbers: dict[str, float]
    trades: tuple[Trade, ...]
    feasible: bool = True
    after: BookState = field(kw_only=True, repr=False, compare=False)
    """The book state the trades leave (the state before them when there are none)."""

    @property
    def greeks_after(self) -> dict[str, float]:
        """The headline numbers of the book after this action (valued when first read)."""
        return self.after.greeks

    @property
    def rules_after(self) -> tuple[RuleResult, ...]:
        """The rules as evaluated on the book after this action (evaluated when first read)."""
        return self.after.results

    @property
    def cost(self) -> float:
        """$ paid for the trades' premium (negative: received; futures cost nothing here)."""
        return float(sum(t.cost for t in self.trades))

    def __repr__(self) -> str:
        return action_text(self)

    def _repr_html_(self) -> str:
        return action_html(self)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(
            {
                "type": self.type.value,
                "rules": list(self.rules),
                "reason": self.reason,
                "feasible": self.feasible,
                "numbers": self.numbers,
                "trades": [t.to_dict() for t in self.trades],
                "cost": round(self.cost, 2),
                "greeks_after": self.greeks_after,
                "rules_after": [r.to_dict() for r in self.rules_after],
            }
        )
        return data
