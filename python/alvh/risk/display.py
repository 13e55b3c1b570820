"""How the risk results show in a console and a notebook (:mod:`alvh._repr`): a valued book by its
headline Greeks and layer table, a scenario grid by its axes and worst cells, a stress by each
layer's P&L. Units are those of docs/method.md (Units): $, SPX shares, $ per SPX vol point, $ per
calendar day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh._html import table
from alvh._repr import MAX_ROWS, bounded, count, dollars, html_block
from alvh._typing import FloatArray

if TYPE_CHECKING:  # the result classes call these functions from their own modules
    from alvh.risk.scenarios import ScenarioGrid, StressResult
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


def _offset(share: float) -> str:
    """A hedge offset (share of the core's loss) in words."""
    return "no core loss to offset" if np.isnan(share) else f"hedges offset {100 * share:.0f} % of the core's loss"


# --- a valued book ----------------------------------------------------------------------------


def _book_title(risk: BookRisk) -> str:
    return (
        f"BookRisk {risk.book!r} at {risk.as_of:%Y-%m-%d %H:%M}: {count(int(risk.total['legs']), 'leg')} in "
        f"{count(len(risk.layers), 'layer')}, {risk.core_units:,g} condor units"
    )


def book_risk_text(risk: BookRisk) -> str:
    """The title, the book's headline Greeks and one line per layer (at most :data:`MAX_ROWS`)."""
    total = risk.total
    layers = [
        f"{name} ({row['role']}): SPX delta {row['spx_delta']:+,.0f}, SPX vega {dollars(row['spx_vega'])}/vol pt, "
        f"theta {dollars(row['theta'])}/day"
        for name, row in risk.layers.iterrows()
    ]
    return "\n".join(
        [
            _book_title(risk),
            f"  SPX delta {total['spx_delta']:+,.0f} shares ({risk.delta_per_condor:+.3f} per condor), "
            f"SPX vega {dollars(total['spx_vega'])}/vol pt, theta {dollars(total['theta'])}/day",
            f"  hedge vega {100 * risk.hedge_vega_share:.1f} % of the core's |vega|; market value "
            f"{dollars(total['market_value'])}",
            *bounded(layers, "layers"),
        ]
    )


def book_risk_html(risk: BookRisk) -> str:
    """The layer table (the book's sums first) and the condor table."""
    book = pd.DataFrame([{"role": "", **risk.total.to_dict()}], index=["book (all layers)"])
    layers = pd.concat([book, risk.layers])[list(_LAYER_COLUMNS)].rename(columns=_LAYER_COLUMNS)
    layers["legs"] = layers["legs"].astype(np.int64)
    layers.index.name = "layer"
    parts = [table(layers, caption="Greeks by layer", index=True, max_rows=MAX_ROWS + 1)]
    if len(risk.condors):
        condors = risk.condors[list(_CONDOR_COLUMNS)].rename(columns=_CONDOR_COLUMNS)
        condors["expiry"] = condors["expiry"].astype(str)
        parts.append(table(condors, caption="Condors", index=True, max_rows=MAX_ROWS))
    return html_block(_book_title(risk), *parts)


# --- a scenario grid --------------------------------------------------------------------------


def _span(values: FloatArray, *, scale: float = 1.0, sign: str = "+") -> str:
    """An axis as its first and last values (``sign``: ``+`` for moves, ``""`` for levels)."""
    first, last = (format(scale * float(v), f"{sign}g") for v in (values[0], values[-1]))
    return first if len(values) == 1 else f"{first} … {last}"


def _grid_title(grid: ScenarioGrid) -> str:
    axes = [
        f"{count(len(grid.spot_shocks), 'spot shock')} ({_span(grid.spot_shocks, scale=100)} %)",
        f"{count(len(grid.vol_shifts), 'vol shift')} ({_span(grid.vol_shifts)} vol pts)",
        f"{count(len(grid.horizons), 'horizon')} ({_span(grid.horizons, sign='')} days)",
    ]
    if grid.vix_levels is not None:
        axes.append(f"{count(len(grid.vix_levels), 'VIX level')} ({_span(grid.vix_levels, sign='')})")
    return f"ScenarioGrid: {' × '.join(axes)}, {count(len(grid.layers), 'layer')}"


def _where(cell: dict[str, float]) -> str:
    days = cell["horizon_days"]
    where = f"spot {100 * cell['spot_shock']:+g} %, vol {cell['vol_shift']:+g}, {days:g} day{'' if days == 1 else 's'}"
    return where + (f", VIX {cell['vix_level']:g}" if "vix_level" in cell else "")


def grid_text(grid: ScenarioGrid, dynamics: str | None) -> str:
    """The axes, ``dynamics`` (how the grid moved the market; None: not known), the worst cell and
    the count of scenarios valued on a floored input."""
    worst = grid.worst
    index = grid.worst_indices(1)[0]
    lines = [
        _grid_title(grid),
        *([f"  {dynamics}"] if dynamics else []),
        f"  worst book P&L {dollars(worst['pnl'])} at {_where(worst)} ({_offset(float(grid.hedge_offset[index]))})",
        f"  best book P&L {dollars(float(grid.book.max()))}",
    ]
    if grid.floored_scenarios:
        lines[-1] += f"; {count(grid.floored_scenarios, 'scenario')} valued a leg on a floored input"
    return "\n".join(lines)


def grid_html(grid: ScenarioGrid, dynamics: str | None) -> str:
    """The title, ``dynamics`` and the :data:`WORST_CELLS` worst cells: their coordinates, each
    layer's P&L, the book's, the hedge offset and the legs valued on a floored input."""
    indices = grid.worst_indices(WORST_CELLS)
    cells = pd.DataFrame(grid.worst_cells(WORST_CELLS))
    cells = cells[[name for name in cells.columns if name != "pnl"]]
    for i, name in enumerate(grid.layers):
        cells[name] = [float(grid.pnl[(*index, i)]) for index in indices]
    book, offset = grid.book, grid.hedge_offset  # each computed once, over the whole grid
    cells["book"] = [float(book[index]) for index in indices]
    cells["hedge offset"] = [float(offset[index]) for index in indices]
    cells["floored legs"] = [int(grid.floored_legs[index]) for index in indices]
    caption = f"Worst cells (P&L in $){'; ' + dynamics if dynamics else ''}"
    return html_block(_grid_title(grid), table(cells, caption=caption))


# --- a stress ---------------------------------------------------------------------------------


def _stress_title(stress: StressResult) -> str:
    preset = stress.preset
    return (
        f"StressResult {preset.name}: SPX {100 * preset.spx_move:+.1f} %, VIX to {stress.vix_after:.1f}; "
        f"book {dollars(stress.book)}, {_offset(stress.hedge_offset)}"
    )


def stress_text(stress: StressResult) -> str:
    """The title and each layer's P&L (at most :data:`MAX_ROWS`)."""
    layers = [f"{name}: {dollars(float(pnl))}" for name, pnl in stress.layers.items()]
    return "\n".join([_stress_title(stress), *bounded(layers, "layers")])


def stress_html(stress: StressResult) -> str:
    """Each layer's P&L and the book's, and where the preset comes from."""
    pnl = pd.concat([pd.Series([stress.book], index=["book"]), stress.layers])
    frame = pd.DataFrame({"P&L ($)": pnl.to_numpy(np.float64)}, index=pd.Index(pnl.index, name="layer"))
    return html_block(
        _stress_title(stress), table(frame, caption=stress.preset.source, index=True, max_rows=MAX_ROWS + 1)
    )
