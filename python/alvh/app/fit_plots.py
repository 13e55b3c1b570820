"""PNG plots of a market calibrated from option chains: each expiry's fitted smile over the bid/ask
IV bars of its quotes, and the term structure of at-the-money vol.

Same conventions as :mod:`alvh.app.plots`: one figure size, Agg without pyplot, labelled axes
with units, a title saying what and as of when.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.app.figures import eastern_time, new_axes, save_png
from alvh.market.calibration import Calibration

__all__ = ["atm_term_structure", "calibration_plots", "smile_fit"]


def smile_fit(calibration: Calibration, expiry: dt.date, settlement: str, path: str | Path) -> Path:
    """The fitted smile of one SPX expiry and settlement (``"am"``/``"pm"``): the fitted raw SVI
    (line, vol points over log-moneyness ln(K/F)) over the bid–ask IV bar of every quote (fitted:
    blue; filtered out: grey)."""
    points, report = calibration.points, calibration.report
    rows = points[(points["expiry"] == pd.Timestamp(expiry)) & (points["settlement"] == settlement)]
    line = report[(report["expiry"] == expiry) & (report["settlement"] == settlement)].iloc[0]
    figure, ax = new_axes()
    for used, colour, label in ((True, "tab:blue", "bid–ask IV (fitted)"), (False, "0.7", "bid–ask IV (filtered)")):
        chosen = rows[rows["used"] == used]
        low, high = 100 * chosen["bid_iv"].to_numpy(), 100 * chosen["ask_iv"].to_numpy()
        shown = np.isfinite(low) & np.isfinite(high)
        if shown.any():
            ax.vlines(chosen["k"].to_numpy()[shown], low[shown], high[shown], colors=colour, linewidth=1.5, label=label)
    fitted = rows.sort_values("k")
    ax.plot(fitted["k"], 100 * fitted["fitted_iv"], color="tab:red", linewidth=1.2, label="fitted raw SVI")
    ax.set_xlabel("log-moneyness ln(K/F)")
    ax.set_ylabel("implied vol (vol points)")
    ax.legend(loc="upper right")
    ax.set_title(
        f"{line['root']} smile {expiry:%Y-%m-%d} ({settlement.upper()}-settled), as of "
        f"{eastern_time(calibration.market.as_of)}\nRMSE {line['rmse_vol_points']:.2f} vol points, "
        f"{100 * line['inside_band']:.0f} % of fitted IVs inside the bid–ask IV band"
    )
    return save_png(figure, path)


def atm_term_structure(calibration: Calibration, path: str | Path) -> Path:
    """At-the-forward vol (vol points) of the calibrated market against days to expiry, the
    quoted expiries marked."""
    market = calibration.market
    report = calibration.report.sort_values("years")
    years = report["years"].to_numpy(np.float64)
    grid = np.linspace(years.min(), years.max(), 200)
    figure, ax = new_axes()
    ax.plot(365 * grid, [100 * market.atm_vol(t) for t in grid], color="tab:blue", label="ATM vol (interpolated)")
    ax.plot(365 * years, [100 * market.atm_vol(t) for t in years], "o", color="tab:red", label="quoted expiries")
    ax.set_xlabel("days to expiry")
    ax.set_ylabel("at-the-forward implied vol (vol points)")
    ax.legend(loc="lower right")
    ax.set_title(f"SPX ATM vol term structure, as of {eastern_time(market.as_of)}")
    return save_png(figure, path)


def calibration_plots(calibration: Calibration, directory: str | Path) -> list[Path]:
    """The term structure (``atm_term_structure.png``) and one :func:`smile_fit` per expiry
    (``smile_<expiry>_<settlement>.png``) written to ``directory``; returns their paths."""
    directory = Path(directory)
    paths = [atm_term_structure(calibration, directory / "atm_term_structure.png")]
    for expiry, settlement in calibration.report[["expiry", "settlement"]].itertuples(index=False):
        paths.append(
            smile_fit(calibration, expiry, settlement, directory / f"smile_{expiry:%Y-%m-%d}_{settlement}.png")
        )
    return paths
