"""PNG plots of a book's risk: scenario P&L heat maps, the risk profile at several horizons and
SPX vega by maturity bucket and layer (plots over time are in :mod:`alvh.app.timelines`).

Every function takes the library's result objects, writes one PNG of :data:`FIGURE_SIZE_PX`
pixels (10 × 6 inches at 100 dpi) and returns its path; each has a ``*_figure`` twin that returns
the :class:`matplotlib.figure.Figure` instead (for a notebook, or
:func:`alvh.app.figures.png_bytes` for a page that inlines its images). Every plot has labelled axes with units, a
title saying what it shows and as of when, and a legend where it has several series.

matplotlib is imported inside the functions, so ``import alvh`` (and every command that draws
nothing) does not pay for loading it. Figures are built as
:class:`matplotlib.figure.Figure` objects and written with the Agg renderer, without pyplot: no
global matplotlib state (backend, rcParams, open figures) is read or changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alvh._format import compact
from alvh.app.figures import FIGURE_SIZE_PX, eastern_time, money_formatter, new_axes, save_png
from alvh.book import Book
from alvh.exceptions import InputError
from alvh.market.snapshot import Market
from alvh.risk.scenarios import ScenarioGrid, describe_dynamics, scenario_grid
from alvh.risk.valuation import BookRisk, value_book

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "FIGURE_SIZE_PX",
    "heatmap_file_name",
    "risk_profile",
    "risk_profile_figure",
    "scenario_heatmap",
    "scenario_heatmap_figure",
    "scenario_heatmaps",
    "vega_buckets",
    "vega_buckets_figure",
]

_ANNOTATE_MAX_CELLS = 15
"""Heat maps with at most this many cells along each axis get their values written in the cells."""

_MAX_TICKS = 15


# --- scenario heat maps -------------------------------------------------------------------------


def scenario_heatmap(
    grid: ScenarioGrid, path: str | Path, *, horizon: int = 0, layer: str | None = None, vix: int = 0
) -> Path:
    """Write :func:`scenario_heatmap_figure` (same arguments) to the PNG ``path``."""
    return save_png(scenario_heatmap_figure(grid, horizon=horizon, layer=layer, vix=vix), path)


def scenario_heatmap_figure(grid: ScenarioGrid, *, horizon: int = 0, layer: str | None = None, vix: int = 0) -> Figure:
    """Heat map of P&L ($) over spot shock (x, %) × SPX vol shift (y, vol points) at one horizon,
    for the book (``layer=None``, the sum of all layers) or one layer.

    Parameters
    ----------
    grid
        A :func:`alvh.risk.scenarios.scenario_grid` result.
    horizon
        Index into ``grid.horizons`` (not days).
    layer
        A layer name, or None for the whole book.
    vix
        Index into ``grid.vix_levels`` when the grid has explicit VIX levels (else 0).

    The colour map is diverging and centred at $0 (red: loss, blue: gain); grids of at most
    15 × 15 cells have their P&L written in each cell.

    Raises
    ------
    InputError
        Unknown layer, or an index out of range.
    """
    days = grid.horizons[_index("horizon", horizon, len(grid.horizons), "grid.horizons")]
    vix_levels = grid.vix_levels
    level = _index("vix", vix, 1 if vix_levels is None else len(vix_levels), "grid.vix_levels")
    if layer is None:
        values, what = grid.book, "book (all layers)"
    else:
        values = grid.layer(layer)
        role = grid.roles[grid.layers.index(layer)]
        what = f"layer {layer}" + (f" ({role})" if role != layer else "")
    pnl = values[:, :, horizon, level]  # (spot, vol)
    if vix_levels is not None:
        what += f", VIX {vix_levels[level]:g}"

    from matplotlib.colors import Normalize  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)

    figure, ax = new_axes()
    finite = np.abs(pnl[np.isfinite(pnl)])
    half_range = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(
        pnl.T, origin="lower", aspect="auto", cmap="RdBu", norm=Normalize(vmin=-half_range, vmax=half_range)
    )
    colorbar = figure.colorbar(image, ax=ax)
    colorbar.set_label("$ P&L")
    colorbar.ax.yaxis.set_major_formatter(money_formatter())
    _category_ticks(ax, "x", [f"{100 * s:+g}%" for s in grid.spot_shocks])
    _category_ticks(ax, "y", [f"{v:+g}" for v in grid.vol_shifts])
    ax.set_xlabel("SPX spot shock (%)")
    ax.set_ylabel("SPX implied-vol shift (vol points)")
    if pnl.shape[0] <= _ANNOTATE_MAX_CELLS and pnl.shape[1] <= _ANNOTATE_MAX_CELLS:
        for (i, j), value in np.ndenumerate(pnl):
            dark = np.isfinite(value) and abs(value) > 0.6 * half_range
            ax.text(
                i,
                j,
                compact(value, sign=False),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    ax.set_title(
        f"Scenario P&L, {what}, horizon +{days:g} d (full revaluation)\n"
        f"as of {eastern_time(grid.settings.get('as_of'))}",
    )
    _dynamics_caption(figure, grid)
    return figure


def heatmap_file_name(grid: ScenarioGrid, *, horizon: int = 0, layer: str | None = None) -> str:
    """The file name of a heat map in :func:`scenario_heatmaps`: ``scenario_pnl_book_<days>d.png``
    or ``scenario_pnl_layer_<layer>_<days>d.png`` (the layer's name made safe for a file name)."""
    days = grid.horizons[_index("horizon", horizon, len(grid.horizons), "grid.horizons")]
    what = "book" if layer is None else "layer_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", layer)
    return f"scenario_pnl_{what}_{days:g}d.png"


def scenario_heatmaps(grid: ScenarioGrid, directory: str | Path, *, horizon: int = 0) -> list[Path]:
    """One :func:`scenario_heatmap` PNG for the book and one per layer, written to ``directory``
    (created if missing), named by :func:`heatmap_file_name`; returns their paths, the book's first.

    Separate files, each with its own colour scale, keep small hedge layers readable next to the
    core (on one shared scale they would be a single colour)."""
    directory = Path(directory)
    _index("horizon", horizon, len(grid.horizons), "grid.horizons")  # before the folder is made
    directory.mkdir(parents=True, exist_ok=True)
    return [
        scenario_heatmap(
            grid, directory / heatmap_file_name(grid, horizon=horizon, layer=layer), horizon=horizon, layer=layer
        )
        for layer in (None, *grid.layers)
    ]


# --- risk profile -------------------------------------------------------------------------------


def risk_profile(
    book: Book,
    market: Market,
    path: str | Path,
    *,
    horizons: Sequence[float] = (0, 7, 14),
    spot_range: tuple[float, float] = (-0.10, 0.10),
    points: int = 81,
    spot_vol_link: bool = True,
) -> Path:
    """Write :func:`risk_profile_figure` (same arguments) to the PNG ``path``."""
    figure = risk_profile_figure(
        book, market, horizons=horizons, spot_range=spot_range, points=points, spot_vol_link=spot_vol_link
    )
    return save_png(figure, path)


def risk_profile_figure(
    book: Book,
    market: Market,
    *,
    horizons: Sequence[float] = (0, 7, 14),
    spot_range: tuple[float, float] = (-0.10, 0.10),
    points: int = 81,
    spot_vol_link: bool = True,
) -> Figure:
    """The book's P&L ($, full revaluation) against the SPX level, one line per horizon (calendar
    days forward; legs expiring before a horizon settle at intrinsic). With ``spot_vol_link`` (the
    default) each spot level moves SPX vols and VIX through the market's log-beta, as a trader
    expects (the VIX hedges show their value only so); without it vols and VIX stay where they
    are. The dynamics are written under the plot.

    Marked: today's spot; each core condor's break-evens at expiry (vertical dashed lines, from
    :func:`alvh.risk.valuation.value_book`'s ``condors``); and, shaded, the ±1-SD expected move
    S·σ·√(DTE/365) to the front condor's expiry — the move rule R-BREAKEVEN tests the break-evens
    against. A book without core condors gets neither.

    Parameters
    ----------
    horizons
        Days forward (>= 0), one line each.
    spot_range
        Lowest and highest relative spot move plotted (-0.10 = -10 %).
    points
        Number of spot levels (>= 2).
    spot_vol_link
        Move vols and VIX with spot (docs/method.md, Scenarios and stresses).
    """
    low, high = _spot_range(spot_range)
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 2:
        raise InputError(f"points = {points!r} is not allowed: must be an integer >= 2")
    horizon_list = list(horizons)
    if not horizon_list:
        raise InputError("horizons must hold at least one horizon (days forward)")
    shocks = np.linspace(low, high, int(points))
    grid = scenario_grid(
        book, market, spot_shocks=shocks, vol_shifts=[0.0], horizons=horizon_list, spot_vol_link=spot_vol_link
    )
    spot = market.spx.spot
    levels = spot * (1.0 + shocks)
    condors = value_book(book, market).condors

    figure, ax = new_axes()
    if len(condors):
        front = condors.sort_values("dte", kind="stable").iloc[0]
        move = float(front["expected_move"])
        if math.isfinite(move):
            ax.axvspan(
                spot - move,
                spot + move,
                color="tab:gray",
                alpha=0.18,
                label=f"±1 SD expected move to {front['expiry']} ({int(front['dte'])} DTE): ±{move:,.0f} pts",
            )
        colours = ["tab:purple", "tab:brown", "tab:olive", "tab:cyan", "tab:pink"]
        for k, (group, row) in enumerate(condors.iterrows()):
            colour = colours[k % len(colours)]
            lines = [float(row[name]) for name in ("breakeven_low", "breakeven_high")]
            label: str | None = f"break-evens {group} ({int(row['dte'])} DTE)"
            for level in lines:
                if math.isfinite(level):
                    ax.axvline(level, color=colour, linestyle="--", linewidth=1.0, label=label)
                    label = None
    for h, days in enumerate(grid.horizons):
        name = "today (T+0)" if days == 0 else f"T+{days:g} d"
        ax.plot(levels, grid.book[:, 0, h, 0], linewidth=2.0, label=f"P&L {name}")
    ax.axvline(spot, color="black", linewidth=1.2, label=f"spot {spot:,.2f}")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xlim(levels[0], levels[-1])
    ax.set_xlabel("SPX level (index points)")
    ax.set_ylabel("book P&L ($)")
    ax.yaxis.set_major_formatter(money_formatter())

    def to_move(level: Any) -> Any:
        return 100.0 * (np.asarray(level) / spot - 1.0)

    def to_level(move: Any) -> Any:
        return spot * (1.0 + np.asarray(move) / 100.0)

    top = ax.secondary_xaxis("top", functions=(to_move, to_level))
    top.set_xlabel("SPX move (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower center", fontsize=8, ncols=2)
    ax.set_title(f"{book.name}: risk profile, P&L vs SPX\nas of {eastern_time(market.as_of)}")
    _dynamics_caption(figure, grid)
    return figure


def _dynamics_caption(figure: Figure, grid: ScenarioGrid) -> None:
    """Write how the scenarios moved the market (spot–vol link, β, vol dynamics, shift scaling)
    under a scenario plot, and how many scenarios hit a floor."""
    caption = f"Dynamics: {describe_dynamics(grid.settings)}"
    if grid.floored_scenarios:
        caption += f"\n{grid.floored_scenarios} scenarios valued legs on a floored vol or VIX (P&L of the floor)"
    figure.supxlabel(caption, fontsize=7, color="dimgray")


def _spot_range(spot_range: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in spot_range)
    except (TypeError, ValueError):
        raise InputError(f"spot_range = {spot_range!r} is not allowed: must be (low, high) relative moves") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not -1.0 < low < high:
        raise InputError(
            f"spot_range = {spot_range!r} is not allowed: must be (low, high) with -1 < low < high "
            "(relative moves: -0.10 is -10 %)"
        )
    return low, high


# --- vega by bucket -----------------------------------------------------------------------------


def vega_buckets(risk: BookRisk, path: str | Path) -> Path:
    """Write :func:`vega_buckets_figure` to the PNG ``path``."""
    return save_png(vega_buckets_figure(risk), path)


def vega_buckets_figure(risk: BookRisk) -> Figure:
    """Stacked bars of SPX vega ($ per SPX vol point) by maturity bucket (days to expiry) and
    layer — each layer's positive vega stacked up from zero, its negative vega down — with each
    bucket's net vega marked."""
    table = risk.vega_by_bucket
    buckets = [str(c) for c in table.columns]
    x = np.arange(len(buckets))
    figure, ax = new_axes()
    up = np.zeros(len(buckets))
    down = np.zeros(len(buckets))
    roles = dict(zip(risk.layers.index.astype(str), risk.layers["role"].astype(str), strict=True))
    for name, row in table.iterrows():
        values = row.to_numpy(dtype=np.float64)
        role = roles[str(name)]
        label = f"{name} ({role})" if role != name else str(name)
        bottom = np.where(values >= 0, up, down)
        ax.bar(x, values, bottom=bottom, width=0.6, label=label)
        up += np.maximum(values, 0.0)
        down += np.minimum(values, 0.0)
    net = table.sum(axis=0).to_numpy(dtype=np.float64)
    ax.plot(x, net, linestyle="none", marker="D", markersize=8, color="black", label="net (all layers)")
    for xi, value in zip(x, net, strict=True):
        ax.annotate(
            compact(value, sign=False), (xi, value), xytext=(12, 0), textcoords="offset points", va="center", fontsize=8
        )
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.margins(y=0.08)
    ax.set_xticks(x, [f"{b} d" for b in buckets])
    ax.set_xlabel("maturity bucket (days to expiry)")
    ax.set_ylabel("SPX vega ($ per SPX vol point)")
    ax.yaxis.set_major_formatter(money_formatter())
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{risk.book}: SPX vega by maturity bucket and layer\nas of {eastern_time(risk.as_of)}")
    return figure


# --- helpers ------------------------------------------------------------------------------------


def _index(name: str, value: int, size: int, axis: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < size:
        raise InputError(f"{name} = {value!r} is out of range: {axis} has {size} entries (indices 0 to {size - 1})")
    return int(value)


def _category_ticks(ax: Axes, which: str, labels: list[str]) -> None:
    """Label the cells of a heat-map axis, at most :data:`_MAX_TICKS` of them (evenly thinned)."""
    step = max(1, math.ceil(len(labels) / _MAX_TICKS))
    positions = list(range(0, len(labels), step))
    shown = [labels[i] for i in positions]
    if which == "x":
        ax.set_xticks(positions, shown)
    else:
        ax.set_yticks(positions, shown)
