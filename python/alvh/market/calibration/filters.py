"""Which option quotes a calibration uses: :class:`QuoteFilters` (configurable, documented
defaults) and :func:`quote_rejections`, the reason each quote is refused ("" when it is used).

Every quote is either used or refused for one named reason, the first that applies in the order
of :data:`REASONS`; the calibration report counts them per expiry. Nothing is dropped silently.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from alvh._typing import FloatArray

__all__ = ["REASONS", "QuoteFilters", "quote_rejections", "rejection_counts"]

REASONS = (
    "expired",
    "no forward",
    "no bid",
    "no ask",
    "crossed",
    "below minimum price",
    "too wide",
    "zero-volume wing",
    "beyond the smile range",
    "in the money",
    "no implied vol",
    "too few quotes",
)
"""Every reason a quote is refused, in the order they are tested (the first that applies is
reported). ``expired``: the expiry has settled by the quote time; ``no forward``: put–call parity
gave no forward for the expiry (too few pairs), or (VIX) no future of that expiry is quoted;
``beyond the smile range``: |ln(K/F)| beyond the range the market holds its smiles on (flat
further out), so no smile can match it there; ``in the money``: the out-of-the-money side of the
strike is used instead; ``no implied vol``: the IV kernel has no solution for the mid (its status
is kept beside); ``too few quotes``: the expiry has fewer usable quotes than a smile needs
(``QuoteFilters.min_svi_quotes``), so it gets none."""


class QuoteFilters(BaseModel):
    """The limits a quote must meet to be used (prices in index points)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_price: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.05
    """Quotes with a mid below this are refused (a 0.05 mid is one tick: its IV says nothing)."""
    max_relative_spread: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 0.5
    """Quotes with (ask − bid)/mid above this are refused as too wide ..."""
    tiny_price: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    """... unless the mid is below this: a wing priced 0.10–0.30 is wide in relative terms but
    only by the tick size, and is kept."""
    wing_moneyness: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 0.6
    """Quotes with no volume are refused beyond |ln(K/F)|/√T > this (about three standard
    deviations at 20 % vol): far wings nobody traded today."""
    parity_strikes: Annotated[int, Field(ge=2)] = 20
    """Put–call parity uses the call/put pairs of this many strikes nearest the forward."""
    min_parity_pairs: Annotated[int, Field(ge=2)] = 5
    """An expiry with fewer usable call/put pairs gets no forward: reported, not guessed."""
    min_svi_quotes: Annotated[int, Field(ge=5)] = 8
    """An expiry with fewer used quotes gets no smile (SVI has five parameters)."""


def quote_rejections(
    filters: QuoteFilters,
    *,
    bid: FloatArray,
    ask: FloatArray,
    volume: FloatArray,
    log_moneyness: FloatArray,
    years: FloatArray,
    out_of_the_money: NDArray[np.bool_],
    k_range: float,
) -> NDArray[np.str_]:
    """The reason each quote is refused by the price filters ("" when it passes): no bid (NaN or
    0), no ask, crossed, below minimum price, too wide, zero-volume wing, beyond the smile range
    (|k| > ``k_range``), in the money, in that order. Arrays of one length; ``years`` > 0
    (expired quotes are refused before)."""
    mid = (bid + ask) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        relative_spread = (ask - bid) / mid
        standardised = np.abs(log_moneyness) / np.sqrt(years)
    conditions = [
        ~(bid > 0),
        ~np.isfinite(ask),
        bid > ask,
        mid < filters.min_price,
        (relative_spread > filters.max_relative_spread) & (mid >= filters.tiny_price),
        (volume == 0) & (standardised > filters.wing_moneyness),  # NaN volume: unknown, kept
        np.abs(log_moneyness) > k_range,
        ~out_of_the_money,
    ]
    choices = list(REASONS[REASONS.index("no bid") : REASONS.index("in the money") + 1])  # in the same order
    reasons: NDArray[np.str_] = np.select(conditions, choices, default="").astype(np.str_)
    return reasons


def rejection_counts(reasons: pd.Series) -> dict[str, int]:
    """How many quotes each reason of :data:`REASONS` refused, keyed by the reason as a column
    name (spaces and dashes as underscores: ``zero_volume_wing``)."""
    counts = reasons.value_counts()
    return {r.replace(" ", "_").replace("-", "_"): int(counts.get(r, 0)) for r in REASONS}
