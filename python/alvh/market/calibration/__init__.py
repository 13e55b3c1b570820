"""Calibration of a market from quotes: SVI smiles fitted per expiry, checked and repaired for
butterfly and calendar arbitrage."""

from alvh.market.calibration.arbitrage import (
    ButterflyCheck,
    CalendarCheck,
    Repair,
    butterfly_violations,
    calendar_violations,
    repair_butterfly,
    repair_calendar,
)
from alvh.market.calibration.svi import SviParams, butterfly_g, fit_svi

__all__ = [
    "ButterflyCheck",
    "CalendarCheck",
    "Repair",
    "SviParams",
    "butterfly_g",
    "butterfly_violations",
    "calendar_violations",
    "fit_svi",
    "repair_butterfly",
    "repair_calendar",
]
