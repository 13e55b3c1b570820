"""Calibration of a market from quotes: SVI smiles fitted per expiry, checked and repaired for
butterfly and calendar arbitrage."""

from alvh.market.calibration.svi import SviParams, butterfly_g, fit_svi

__all__ = ["SviParams", "butterfly_g", "fit_svi"]
