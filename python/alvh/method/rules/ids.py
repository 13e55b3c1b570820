"""The id of every rule of the method, as rules.toml names it (docs/method.md, Rules)."""

from __future__ import annotations

from enum import Enum

__all__ = ["RuleId"]


class RuleId(str, Enum):
    """The id of each rule of the method (docs/method.md, Rules), as rules.toml names it.

    A ``str`` enum: ``RuleId.DELTA == "R-DELTA"``, and ``str()`` and f-strings give the id too
    (as ``enum.StrEnum`` would; alvh supports Python 3.10, which lacks it)."""

    DELTA = "R-DELTA"
    HEDGE_VEGA = "R-HEDGE-VEGA"
    SLEEVE_VEGA = "R-SLEEVE-VEGA"
    NET_VEGA = "R-NET-VEGA"
    VEGA_PER_SPREAD = "R-VEGA-PER-SPREAD"
    THETA = "R-THETA"
    SHORT_DELTA = "R-SHORT-DELTA"
    DTE = "R-DTE"
    BREAKEVEN = "R-BREAKEVEN"
    CROWDED_BE = "R-CROWDED-BE"
    RSI_REDUCE = "R-RSI-REDUCE"
    L3 = "R-L3"
    SKEW_ADD = "R-SKEW-ADD"
    MACD_LADDER = "R-MACD-LADDER"
    MACD_TIGHTEN = "R-MACD-TIGHTEN"
    DELAYER = "R-DELAYER"
    ROLL = "R-ROLL"
    RECON = "R-RECON"
    STRESS = "R-STRESS"

    def __str__(self) -> str:
        return self.value
