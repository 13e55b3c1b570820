"""Calibration from option quotes (docs/method.md, Calibration): SPX chains to SVI smiles and
forwards, VIX futures and options to the VIX curve and its vol-of-vol smiles, all to a
:class:`~alvh.market.snapshot.Market` and its TOML."""

from alvh.market.calibration.build import Calibration, calibrate_market, market_toml
from alvh.market.calibration.filters import REASONS, QuoteFilters
from alvh.market.calibration.parity import ParityFit, fit_parity
from alvh.market.calibration.spx import SpxCalibration, calibrate_spx
from alvh.market.calibration.vix import VixCalibration, calibrate_vix

__all__ = [
    "REASONS",
    "Calibration",
    "ParityFit",
    "QuoteFilters",
    "SpxCalibration",
    "VixCalibration",
    "calibrate_market",
    "calibrate_spx",
    "calibrate_vix",
    "fit_parity",
    "market_toml",
]
