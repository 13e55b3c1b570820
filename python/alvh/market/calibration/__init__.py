"""Calibration from option quotes (docs/method.md, Calibration): SPX chains to raw SVI smiles
(fitted per expiry, checked and repaired for butterfly and calendar arbitrage) and forwards, VIX
futures and options to the VIX curve and its vol-of-vol smiles, all to a
:class:`~alvh.market.snapshot.Market` and its TOML."""

from alvh.market.calibration.arbitrage import (
    ButterflyCheck,
    CalendarCheck,
    Repair,
    butterfly_violations,
    calendar_violations,
    repair_butterfly,
    repair_calendar,
)
from alvh.market.calibration.build import Calibration, calibrate_market, market_toml
from alvh.market.calibration.filters import REASONS, QuoteFilters
from alvh.market.calibration.parity import ParityFit, fit_parity
from alvh.market.calibration.spx import SpxCalibration, calibrate_spx
from alvh.market.calibration.svi import SviParams, butterfly_g, fit_svi
from alvh.market.calibration.vix import VixCalibration, calibrate_vix

__all__ = [
    "REASONS",
    "ButterflyCheck",
    "CalendarCheck",
    "Calibration",
    "ParityFit",
    "QuoteFilters",
    "Repair",
    "SpxCalibration",
    "SviParams",
    "VixCalibration",
    "butterfly_g",
    "butterfly_violations",
    "calendar_violations",
    "calibrate_market",
    "calibrate_spx",
    "calibrate_vix",
    "fit_parity",
    "fit_svi",
    "market_toml",
    "repair_butterfly",
    "repair_calendar",
]
