"""The hedged view of the core's adjustment rules (docs/method.md, Rules: R-ROLL and R-CROWDED-BE
with ``view = "hedged"``): a condor the core-only rule would adjust is adjusted only when the hedges
do not cover it.

The method claims the hedges prevent forced adjustments; read on the core alone, the adjustments
are the same in every strategy by construction. Here each condor gets its adverse scenario — spot
one expected move beyond its threatened break-even (the one nearer spot), one day on, the spot–vol
link on, the whole book fully revalued (:func:`alvh.risk.scenarios.scenario_grid`) — and the hedges
cover it when the book's P&L there is at least ``(1 − cover)`` × the core's alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alvh.book import Role
from alvh.method.rules.parameters import HedgedViewRule
from alvh.method.rules.results import RuleInputs
from alvh.risk.scenarios import scenario_grid

__all__ = ["Cover", "hedge_cover"]

HORIZON_DAYS = 1.0
"""The adverse scenario's horizon (calendar days)."""


@dataclass(frozen=True)
class Cover:
    """One condor's adverse scenario: the spot there, the core's and the whole book's P&L ($),
    and whether the hedges cover it."""

    spot: float
    core_pnl: float
    book_pnl: float
    covered: bool

    @property
    def hedge_offset(self) -> float:
        """The share of the core's loss the rest of the book offsets there (1 − book / core)."""
        return 1.0 - self.book_pnl / self.core_pnl if self.core_pnl else 0.0

    def to_dict(self) -> dict[str, float | bool]:
        return {
            "scenario_spot": self.spot,
            "core_pnl": self.core_pnl,
            "book_pnl": self.book_pnl,
            "hedge_offset": self.hedge_offset,
            "covered": self.covered,
        }


def hedge_cover(inputs: RuleInputs, groups: Sequence[str], rule: HedgedViewRule) -> dict[str, Cover]:
    """Per core group of ``groups``, its adverse scenario and whether the hedges cover it (book P&L
    >= ``(1 − rule.cover)`` × core P&L), in one revaluation of the book."""
    if not groups:
        return {}
    condors = inputs.risk.condors.loc[list(groups)]
    spot = inputs.market.spx.spot
    low, high, move = (condors[c].to_numpy(np.float64) for c in ("breakeven_low", "breakeven_high", "expected_move"))
    lower_threatened = np.abs(spot - low) <= np.abs(high - spot)
    spots = np.where(lower_threatened, low - move, high + move)
    grid = scenario_grid(
        inputs.book,
        inputs.market,
        spot_shocks=np.maximum(spots / spot - 1.0, -0.99),
        vol_shifts=[0.0],
        horizons=[HORIZON_DAYS],
        spot_vol_link=True,
    )
    pnl = grid.pnl[:, 0, 0, 0, :]  # (scenario, layer)
    core = pnl[:, np.asarray(grid.roles, dtype=object) == Role.CORE.value].sum(axis=1)
    book = pnl.sum(axis=1)
    return {
        str(group): Cover(float(s), float(c), float(b), bool(b >= (1.0 - rule.cover) * c))
        for group, s, c, b in zip(groups, spots, core, book, strict=True)
    }
