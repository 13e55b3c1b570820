"""How the risk results show in a console and a notebook (:mod:`alvh._repr`): a valued book by its
headline Greeks and layer table, a scenario grid by its axes and worst cells, a stress by each
layer's P&L. Units are those of docs/method.md (Units): $, SPX shares, $ per SPX vol point, $ per
calendar day; numbers are written by :mod:`alvh._format` (no ``nan``, no ``-0``). A repr never
raises: a grid with no cells or no layers shows as one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh._format import count, days, dollars, number, scenario, share, signed, signed_g
from alvh._html import table
from alvh._repr import MAX_ROWS, bounded, html_block
from alvh._typing import FloatArray

if TYPE_CHECKING:  # the result classes call these functions from their own modules
    from alvh.risk.scenarios import ScenarioGrid
    from alvh.risk.stresses import StressResult
    from alvh.risk.valuation import BookRisk

__all__ = ["book_risk_html", "book_risk_text", "grid_html", "grid_text", "stress_html", "stress_text"]

WORST_CELLS = 5
"""How many of a grid's worst cells its HTML view lists."""

_LAYER_COLUMNS = {
    "role": "role",
    "legs": "legs",
    "spx_delta": "SPX delta (shares)",
    "spx_dollar_delta": "SPX $ delta",
    "spx_vega": "SPX vega ($/vol pt)",
    "tw_vega": "time-weighted vega",
    "theta": "theta ($/day)",
    "market_value": "market value ($)",
    "unrealized_pnl": "unrealized P&L ($)",
}
"""The layer table's columns (:attr:`BookRisk.layers` names → headers with units)."""

_CONDOR_COLUMNS = {
    "expiry": "expiry",
    "dte": "DTE",
    "units": "units",
    "credit": "credit ($)",
    "max_loss": "max loss ($)",
    "breakeven_low": "low break-even",
    "breakeven_high": "high break-even",
    "short_put_delta": "short put delta",
    "short_call_delta": "short call delta",
    "probability_of_profit": "P(profit)",
}


def _offset(fraction: float) -> str:
    """A hedge offset (share of the core's loss) in words."""
    return "no core loss to offset" if np.isnan(fraction) else f"hedges offset {share(fraction)} of the core's loss"


# --- a valued book ----------------------------------------------------------------------------


def _book_title(risk: BookRisk) -> str:
    return (
        f"BookRisk {risk.book!r} at {risk.as_of:%Y-%m-%d %H:%M}: {count(int(risk.total['legs']), 'leg')} in "
        f"{count(len(risk.layers), 'layer')}, {count(float(risk.core_units), 'condor unit')}"
    )


def _hedge_vega(fraction: float) -> str:
    return "no core vega to hedge" if np.isnan(fraction) else f"hedge vega {share(fraction, 1)} of the core's |vega|"


def book_risk_text(risk: BookRisk) -> str:
    """The title, the book's headline Greeks and one line per layer (at most :data:`MAX_ROWS`)."""
    total = risk.total
    layers = [
        f"{name} ({row['role']}): SPX delta {signed(row['spx_delta'])}, SPX vega {dollars(row['spx_vega'])}/vol pt, "
        f"theta {dollars(row['theta'])}/day"
        for name, row in risk.layers.iloc[: MAX_ROWS + 1].iterrows()
    ]
    return "\n".join(
        [
            _book_title(risk),
            f"  SPX delta {signed(total['spx_delta'])} shares ({signed(risk.delta_per_condor, 3)} per condor), "
            f"SPX vega {dollars(total['spx_vega'])}/vol pt, theta {dollars(total['theta'])}/day",
            f"  {_hedge_vega(risk.hedge_vega_share)}; market value {dollars(total['market_value'])}",
            *bounded(layers, "layers", total=len(risk.layers)),
        ]
    )


def book_risk_html(risk: BookRisk) -> str:
    """The layer table (the book's sums first) and the condor table."""
    shown = risk.layers.iloc[:MAX_ROWS]  # a book may have thousands of layers: draw what is shown
    book = pd.DataFrame([{"role": "", **risk.total.to_dict()}], index=["book (all layers)"])
    layers = pd.concat([book, shown])[list(_LAYER_COLUMNS)].rename(columns=_LAYER_COLUMNS)
    layers["legs"] = layers["legs"].astype(np.int64)
    layers.index.name = "layer"
    parts = [table(layers, caption="Greeks by layer", index=True, hidden=len(risk.layers) - len(shown))]
    if len(risk.condors):
        condors = risk.condors.iloc[:MAX_ROWS][list(_CONDOR_COLUMNS)].rename(columns=_CONDOR_COLUMNS)
        condors["expiry"] = condors["expiry"].astype(str)
        parts.append(table(condors, caption="Condors", index=True, hidden=len(risk.condors) - len(condors)))
    return html_block(_book_title(risk), *parts)


# --- a scenario grid --------------------------------------------------------------------------


def _span(values: FloatArray, *, scale: float = 1.0, signed_values: bool = True) -> str:
    """An axis as its first and last values (signed for moves, plain for levels)."""
    first, last = (signed_g(scale * float(v)) if signed_values else f"{scale * float(v):g}" for v in values[[0, -1]])
    return first if len(values) == 1 else f"{first} … {last}"


def _grid_title(grid: ScenarioGrid) -> str:
    single = len(grid.horizons) == 1
    horizons = days(grid.horizons[0]) if single else f"{_span(grid.horizons, signed_values=False)} days"
    axes = [
        f"{count(len(grid.spot_shocks), 'spot shock')} ({_span(grid.spot_shocks, scale=100)} %)",
        f"{count(len(grid.vol_shifts), 'vol shift')} ({_span(grid.vol_shifts)} vol pts)",
        f"{count(len(grid.horizons), 'horizon')} ({horizons})",
    ]
    if grid.vix_levels is not None:
        axes.append(f"{count(len(grid.vix_levels), 'VIX level')} ({_span(grid.vix_levels, signed_values=False)})")
    return f"ScenarioGrid: {' × '.join(axes)}, {count(len(grid.layers), 'layer')}"


def _empty(grid: ScenarioGrid) -> str | None:
    """The one line of a grid with nothing to show (no cell or no layer), else None."""
    if grid.pnl.size:
        return None
    shape = " × ".join(str(n) for n in grid.pnl.shape)
    return f"ScenarioGrid (empty: {shape} cells × layers)"


def grid_text(grid: ScenarioGrid, dynamics: str | None) -> str:
    """The axes, ``dynamics`` (how the grid moved the market; None: not known), the worst cell and
    the count of scenarios valued on a floored input."""
    empty = _empty(grid)
    if empty is not None:
        return empty
    (index,) = grid.worst_indices(1)
    worst = grid.cell_at(index)  # the worst cell, found once
    best = float("nan") if np.isnan(grid.book).all() else float(np.nanmax(grid.book))  # a NaN cell is no best
    lines = [
        _grid_title(grid),
        *([f"  {dynamics}"] if dynamics else []),
        f"  worst book P&L {dollars(worst['pnl'])} at {scenario(worst)} ({_offset(float(grid.hedge_offset[index]))})",
        f"  best book P&L {dollars(best)}",
    ]
    if grid.floored_scenarios:
        lines[-1] += f"; {count(grid.floored_scenarios, 'scenario')} valued a leg on a floored input"
    return "\n".join(lines)


def grid_html(grid: ScenarioGrid, dynamics: str | None) -> str:
    """The title, ``dynamics`` and the :data:`WORST_CELLS` worst cells: their coordinates, each
    layer's P&L, the book's, the hedge offset and the legs valued on a floored input. Coordinates
    are written with their units in the headers (spot in %, vol in vol points, horizon in days),
    and the layers' columns sit beside the others without replacing any (a layer may be called
    ``book``)."""
    empty = _empty(grid)
    if empty is not None:
        return html_block(empty)
    indices = grid.worst_indices(WORST_CELLS)
    spot, vol, horizon, vix = (list(axis) for axis in zip(*indices, strict=True))
    where = {
        "spot shock (%)": [signed_g(100 * float(grid.spot_shocks[i])) for i in spot],
        "vol shift (vol pts)": [signed_g(float(grid.vol_shifts[i])) for i in vol],
        "horizon (days)": [f"{float(grid.horizons[i]):g}" for i in horizon],
    }
    if grid.vix_levels is not None:
        where["VIX level"] = [f"{float(grid.vix_levels[i]):g}" for i in vix]
    cells = [pd.DataFrame(where)]
    cells.append(pd.DataFrame(grid.pnl[tuple(zip(*indices, strict=True))], columns=grid.layers))
    book, offset = grid.book, grid.hedge_offset
    cells.append(
        pd.DataFrame(
            {
                "book (all layers)": [float(book[index]) for index in indices],
                "hedge offset (%)": [number(100 * float(offset[index])) for index in indices],
                "floored legs": [int(grid.floored_legs[index]) for index in indices],
            }
        )
    )
    caption = f"Worst cells (P&L in $){'; ' + dynamics if dynamics else ''}"
    return html_block(_grid_title(grid), table(pd.concat(cells, axis=1), caption=caption, digits=0))


# --- a stress ---------------------------------------------------------------------------------


def _stress_title(stress: StressResult) -> str:
    preset = stress.preset
    ratio = preset.vix_ratio
    how = "through the log-beta" if ratio is None else f"×{ratio:.2f}"
    return (
        f"StressResult {preset.name}: SPX {100 * preset.spx_move:+.1f} %, VIX to {stress.vix_after:.1f} ({how}); "
        f"book {dollars(stress.book)}, {_offset(stress.hedge_offset)}"
    )


def stress_text(stress: StressResult) -> str:
    """The title and each layer's P&L (at most :data:`MAX_ROWS`)."""
    layers = [f"{name}: {dollars(float(pnl))}" for name, pnl in stress.layers.iloc[: MAX_ROWS + 1].items()]
    return "\n".join([_stress_title(stress), *bounded(layers, "layers", total=len(stress.layers))])


def stress_html(stress: StressResult) -> str:
    """Each layer's P&L and the book's, and where the preset comes from."""
    shown = stress.layers.iloc[:MAX_ROWS]
    pnl = pd.concat([pd.Series([stress.book], index=["book (all layers)"]), shown])
    frame = pd.DataFrame({"P&L ($)": pnl.to_numpy(np.float64)}, index=pd.Index(pnl.index, name="layer"))
    return html_block(
        _stress_title(stress),
        table(frame, caption=stress.preset.source, index=True, digits=0, hidden=len(stress.layers) - len(shown)),
    )
