"""The instruments a leg can be, and everything that follows from which one it is: the multiplier,
the settlement, what kind of product it is and how the Rust kernels price it
(docs/method.md, Models)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alvh.market.expiries import Settlement

__all__ = ["Instrument", "LegKind", "instrument_mask"]


class LegKind(IntEnum):
    """How the Rust kernels value a leg: the per-leg ``kind`` code they take (the core's
    ``LegKind``, in ``rust/core/src/book/legs.rs``)."""

    SPX_OPTION = 0
    """BSM on SPX spot."""
    VIX_OPTION = 1
    """Black-76 on the VIX future of its expiry."""
    VIX_FUTURE = 2
    """Linear in its own future."""
    VARIANCE_SWAP = 3
    """Replicated from the SPX smile."""
    SPX_FUTURE = 4
    """The SPX forward to its expiry (ES, MES)."""


class Instrument(str, Enum):
    """The instruments a leg can be."""

    SPX = "SPX"
    SPXW = "SPXW"
    VIX = "VIX"
    VX = "VX"
    VXM = "VXM"
    VARSWAP = "VARSWAP"
    ES = "ES"
    MES = "MES"

    @property
    def multiplier(self) -> float:
        """$ per point of the price: VX 1000, VXM and options 100, ES 50, MES 5, a variance swap 1
        (its notional)."""
        return {Instrument.VX: 1000.0, Instrument.VARSWAP: 1.0, Instrument.ES: 50.0, Instrument.MES: 5.0}.get(
            self, 100.0
        )

    @property
    def settlement(self) -> Settlement:
        """SPXW and variance swaps settle at the close of the expiry day, the others (ES and MES at
        the Special Opening Quotation) at the open."""
        return Settlement.PM if self in (Instrument.SPXW, Instrument.VARSWAP) else Settlement.AM

    @property
    def is_option(self) -> bool:
        return self in (Instrument.SPX, Instrument.SPXW, Instrument.VIX)

    @property
    def is_spx_option(self) -> bool:
        """An SPX option (AM-settled SPX or PM-settled SPXW), priced with BSM on spot."""
        return self in (Instrument.SPX, Instrument.SPXW)

    @property
    def is_future(self) -> bool:
        """A VIX future (VX or mini VXM): linear, delta 1 per point of its own price."""
        return self in (Instrument.VX, Instrument.VXM)

    @property
    def is_spx_future(self) -> bool:
        """An S&P 500 future (ES or micro MES): the SPX forward to its quarterly expiry. Not
        :attr:`is_future`, which is a VIX future."""
        return self in (Instrument.ES, Instrument.MES)

    @property
    def is_vix(self) -> bool:
        return self in (Instrument.VIX, Instrument.VX, Instrument.VXM)

    @property
    def leg_kind(self) -> LegKind:
        """How the kernels value it."""
        if self.is_spx_option:
            return LegKind.SPX_OPTION
        if self is Instrument.VIX:
            return LegKind.VIX_OPTION
        if self.is_spx_future:
            return LegKind.SPX_FUTURE
        return LegKind.VIX_FUTURE if self.is_future else LegKind.VARIANCE_SWAP


def instrument_mask(instruments: NDArray[Any], test: Callable[[Instrument], bool]) -> NDArray[np.bool_]:
    """Which legs of a legs table's ``instrument`` column (codes) are instruments that pass
    ``test``, e.g. ``instrument_mask(column, lambda i: i.is_future)``."""
    return np.isin(instruments, [i.value for i in Instrument if test(i)])
