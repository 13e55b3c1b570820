"""What trading costs: a commission per contract and half of the quoted spread per unit of each
instrument (docs/method.md, Bands and sizing). The decision engine sizes hedges in these dollars
and the backtest fills its trades at them, so both read one table."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from alvh.book import Instrument

__all__ = ["TradingCosts"]


class TradingCosts(BaseModel):
    """Trading costs. Defaults: about a retail broker's commission and exchange fees, and half of
    typical quoted spreads (SPX options 0.20–0.40 wide at these deltas, VIX options 0.05–0.10,
    VIX futures one 0.05 tick, E-mini S&P 500 futures one 0.25 tick)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    commission: float = Field(default=1.0, ge=0)
    """$ per contract traded, every instrument."""
    spx_half_spread: float = Field(default=0.15, ge=0)
    """Index points per SPX/SPXW option."""
    vix_option_half_spread: float = Field(default=0.05, ge=0)
    """VIX points per VIX option."""
    vix_future_half_spread: float = Field(default=0.025, ge=0)
    """VIX points per VX/VXM future."""
    spx_future_half_spread: float = Field(default=0.125, ge=0)
    """Index points per ES/MES future."""

    def half_spread(self, instrument: Instrument) -> float:
        """The half-spread of an instrument, in its price units."""
        if instrument.is_spx_option:
            return self.spx_half_spread
        if instrument.is_spx_future:
            return self.spx_future_half_spread
        return self.vix_option_half_spread if instrument.is_option else self.vix_future_half_spread

    def per_contract(self, instrument: Instrument) -> float:
        """$ paid to trade one contract, in or out: the commission and the half-spread times the
        multiplier."""
        return self.commission + self.half_spread(instrument) * instrument.multiplier

    def scaled(self, factor: float) -> TradingCosts:
        """Every cost times ``factor`` (the experiment's costs ×0.5 and ×2)."""
        return TradingCosts(**{name: getattr(self, name) * factor for name in type(self).model_fields})
