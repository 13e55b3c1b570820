"""How a scenario grid moves the market beyond its shocks: SPX implied vols with spot
(:class:`Dynamics`), a vol shift across maturities (:class:`VolShiftScaling`), and the line that
says it all under a table or a plot (:func:`describe_dynamics`; docs/method.md, Scenarios and
stresses)."""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = ["DYNAMICS_SETTINGS", "Dynamics", "VolShiftScaling", "describe_dynamics"]


class Dynamics(str, Enum):
    """How SPX implied vols move with spot."""

    STICKY_STRIKE = "sticky_strike"
    """Each leg keeps its vol (plus the shift)."""
    STICKY_MONEYNESS = "sticky_moneyness"
    """Each leg's vol is re-read from its smile at the new moneyness (plus the shift)."""


class VolShiftScaling(str, Enum):
    """How a vol shift (quoted at 30 days) applies across maturities."""

    PARALLEL = "parallel"
    SQRT_TIME = "sqrt_time"
    """Scaled by √(30/DTE), as risk systems do."""


DYNAMICS_SETTINGS = {"dynamics", "vol_shift_scaling", "spot_vol_link", "log_beta", "vvol_beta"}
"""The settings :func:`describe_dynamics` reads."""


def describe_dynamics(settings: dict[str, Any]) -> str:
    """One line saying how a grid moved the market (for plot titles and table headers), from
    :attr:`ScenarioGrid.settings`."""
    vols = "sticky moneyness" if settings["dynamics"] == Dynamics.STICKY_MONEYNESS.value else "sticky strike"
    sqrt_time = settings["vol_shift_scaling"] == VolShiftScaling.SQRT_TIME.value
    scaling = "vol shifts × √(30/DTE)" if sqrt_time else "parallel vol shifts"
    link = f"on (β {settings['log_beta']:g})" if settings["spot_vol_link"] else "off"
    return f"{vols}, {scaling}, spot–vol link {link}, VIX-option vol × (VIX′/VIX)^{settings['vvol_beta']:g}"
