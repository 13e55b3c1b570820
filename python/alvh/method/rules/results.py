"""What the rules read (:class:`RuleInputs`) and what each gives (:class:`RuleResult`): ok / warn /
breach (or info, or skipped when an input it needs is missing), the measured value, the limit, and
a sentence a trader understands."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import pandas as pd

from alvh._jsonable import jsonable
from alvh.book import Book
from alvh.market.snapshot import Market
from alvh.method.rules.ids import RuleId
from alvh.method.rules.parameters import RuleConfig
from alvh.method.signals import Signals
from alvh.risk.cache import ValuationCache
from alvh.risk.valuation import BookRisk

__all__ = ["RuleInputs", "RuleResult", "RuleStatus", "rule_result", "skipped"]


class RuleStatus(str, Enum):
    """The outcome of one rule."""

    OK = "ok"
    WARN = "warn"
    BREACH = "breach"
    INFO = "info"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RuleInputs:
    """What the rules read: the book, the market and the book's risk there; market signals
    (optional), the SPX closes before today (for R-ROLL's sessions), whether CPI/PPI are rising
    (R-MACD-TIGHTEN), the core's realised/projected theta ratio (R-RSI-REDUCE), the core groups
    opened today (R-SHORT-DELTA judges condors at entry; None: not known, e.g. a user's book) and
    the core's vega at the previous closes (R-HEDGE-VEGA)."""

    book: Book
    market: Market
    risk: BookRisk
    signals: Signals | None = None
    spx_history: pd.Series | None = None
    inflation_rising: bool | None = None
    theta_ratio: float | None = None
    opened_today: tuple[str, ...] | None = None
    core_vega_history: tuple[float, ...] = ()
    """The core's vega at the previous closes, oldest first (R-HEDGE-VEGA's smoothed denominator)."""
    cache: ValuationCache | None = None
    """Valuations of the book to share (R-RECON's and R-STRESS's scenario grids reuse its inputs)."""


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


def rule_result(
    rule_id: RuleId, rule: RuleConfig, broken: bool, value: float | None, limit: str, message: str, **details: Any
) -> RuleResult:
    """The result of a rule that measured ``value``: ok, or its severity when ``broken``. A value
    that is NaN or infinite cannot be compared with the limit: such a rule is a breach (a limit
    that cannot be checked is not met), whatever its severity."""
    if value is not None and not math.isfinite(value):
        why = f"cannot be evaluated: the measured value is {value} (check the book's quantities and the market)"
        return RuleResult(rule_id.value, RuleStatus.BREACH, value, limit, f"{why}. {message}", details)
    status = (RuleStatus.BREACH if rule.severity == "breach" else RuleStatus.WARN) if broken else RuleStatus.OK
    return RuleResult(rule_id.value, status, value, limit, message, details)


def skipped(rule_id: RuleId, why: str) -> RuleResult:
    """The result of a rule that could not be evaluated, and why."""
    return RuleResult(rule_id.value, RuleStatus.SKIPPED, None, "", why)
