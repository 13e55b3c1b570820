"""PNG plots of alvh's results: scenario P&L heat maps, the risk profile at several horizons,
SPX vega by maturity bucket and layer, and the risk journal's trend.

Every function takes the library's result objects, writes one PNG of :data:`FIGURE_SIZE_PX`
pixels (10 × 6 inches at 100 dpi) and returns its path. Every plot has labelled axes with units, a
title saying what it shows and as of when, and a legend where it has several series.

matplotlib is imported inside the functions, so ``import alvh`` (and every command that draws
nothing) does not pay for loading it. Figures are built as
:class:`matplotlib.figure.Figure` objects and written with the Agg renderer, without pyplot: no
global matplotlib state (backend, rcParams, open figures) is read or changed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alvh.book import Book
from alvh.exceptions import InputError
from alvh.market.snapshot import Market
from alvh.risk.scenarios import ScenarioGrid, describe_dynamics, scenario_grid
from alvh.risk.valuation import BookRisk, value_book

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter

    from alvh.backtest import BacktestResult

__all__ = [
    "FIGURE_SIZE_PX",
    "equity_curves",
    "journal_trend",
    "risk_profile",
    "scenario_heatmap",
    "scenario_heatmaps",
    "vega_buckets",
]

_SIZE_INCHES = (10.0, 6.0)
_DPI = 100
FIGURE_SIZE_PX = (int(_SIZE_INCHES[0] * _DPI), int(_SIZE_INCHES[1] * _DPI))
"""(width, height) in pixels of every PNG these functions write."""

_ANNOTATE_MAX_CELLS = 15
"""Heat maps with at most this many cells along each axis get their values written in the cells."""

_MAX_TICKS = 15


# --- scenario heat maps -------------------------------------------------------------------------


def scenario_heatmap(
    grid: ScenarioGrid, path: str | Path, *, horizon: int = 0, layer: str | None = None, vix: int = 0
) -> Path:
    """Heat map of P&L ($) over spot shock (x, %) × SPX vol shift (y, vol points) at one horizon,
    for the book (``layer=None``, the sum of all layers) or one layer.

    Parameters
    ----------
    grid
        A :func:`alvh.risk.scenarios.scenario_grid` result.
    path
        The PNG to write.
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

    from matplotlib.colors import Normalize  # noqa: PLC0415 (matplotlib is optional and loaded on use)

    figure, ax = _figure()
    finite = np.abs(pnl[np.isfinite(pnl)])
    half_range = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(
        pnl.T, origin="lower", aspect="auto", cmap="RdBu", norm=Normalize(vmin=-half_range, vmax=half_range)
    )
    colorbar = figure.colorbar(image, ax=ax)
    colorbar.set_label("$ P&L")
    colorbar.ax.yaxis.set_major_formatter(_money_formatter())
    _category_ticks(ax, "x", [f"{100 * s:+g}%" for s in grid.spot_shocks])
    _category_ticks(ax, "y", [f"{v:+g}" for v in grid.vol_shifts])
    ax.set_xlabel("SPX spot shock (%)")
    ax.set_ylabel("SPX implied-vol shift (vol points)")
    if pnl.shape[0] <= _ANNOTATE_MAX_CELLS and pnl.shape[1] <= _ANNOTATE_MAX_CELLS:
        for (i, j), value in np.ndenumerate(pnl):
            dark = np.isfinite(value) and abs(value) > 0.6 * half_range
            ax.text(i, j, _short_money(value), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_title(
        f"Scenario P&L, {what}, horizon +{days:g} d (full revaluation)\nas of {_when(grid.settings.get('as_of'))}",
    )
    _dynamics_caption(figure, grid)
    return _save(figure, path)


def scenario_heatmaps(grid: ScenarioGrid, directory: str | Path, *, horizon: int = 0) -> list[Path]:
    """One :func:`scenario_heatmap` PNG for the book and one per layer, written to ``directory``
    (created if missing) as ``scenario_pnl_book_<days>d.png`` and
    ``scenario_pnl_layer_<layer>_<days>d.png``; returns their paths, the book's first.

    Separate files, each with its own colour scale, keep small hedge layers readable next to the
    core (on one shared scale they would be a single colour)."""
    directory = Path(directory)
    days = grid.horizons[_index("horizon", horizon, len(grid.horizons), "grid.horizons")]
    directory.mkdir(parents=True, exist_ok=True)
    paths = [scenario_heatmap(grid, directory / f"scenario_pnl_book_{days:g}d.png", horizon=horizon)]
    for name in grid.layers:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        paths.append(
            scenario_heatmap(grid, directory / f"scenario_pnl_layer_{safe}_{days:g}d.png", horizon=horizon, layer=name)
        )
    return paths


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

    figure, ax = _figure()
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
    ax.yaxis.set_major_formatter(_money_formatter())

    def to_move(level: Any) -> Any:
        return 100.0 * (np.asarray(level) / spot - 1.0)

    def to_level(move: Any) -> Any:
        return spot * (1.0 + np.asarray(move) / 100.0)

    top = ax.secondary_xaxis("top", functions=(to_move, to_level))
    top.set_xlabel("SPX move (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower center", fontsize=8, ncols=2)
    ax.set_title(f"{book.name}: risk profile, P&L vs SPX\nas of {_when(market.as_of)}")
    _dynamics_caption(figure, grid)
    return _save(figure, path)


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
    """Stacked bars of SPX vega ($ per SPX vol point) by maturity bucket (days to expiry) and
    layer — each layer's positive vega stacked up from zero, its negative vega down — with each
    bucket's net vega marked."""
    table = risk.vega_by_bucket()
    buckets = [str(c) for c in table.columns]
    x = np.arange(len(buckets))
    figure, ax = _figure()
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
            _short_money(value), (xi, value), xytext=(12, 0), textcoords="offset points", va="center", fontsize=8
        )
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.margins(y=0.08)
    ax.set_xticks(x, [f"{b} d" for b in buckets])
    ax.set_xlabel("maturity bucket (days to expiry)")
    ax.set_ylabel("SPX vega ($ per SPX vol point)")
    ax.yaxis.set_major_formatter(_money_formatter())
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{risk.book}: SPX vega by maturity bucket and layer\nas of {_when(risk.as_of)}")
    return _save(figure, path)


# --- journal trend ------------------------------------------------------------------------------

_TREND_COLUMNS = ["as_of", "book", "spx_delta", "spx_vega", "theta", "breaches", "warnings"]


def journal_trend(history: pd.DataFrame, path: str | Path) -> Path:
    """The risk journal's trend: net SPX delta, net SPX vega, theta and the number of rule
    breaches and warnings per report, over time (2 × 2 panels, shared time axis; one line per
    book when the history holds several).

    ``history`` is :meth:`alvh.app.journal.Journal.history`'s DataFrame (or any frame with its
    columns ``as_of``, ``book``, ``spx_delta``, ``spx_vega``, ``theta``, ``breaches``, ``warnings``).

    Raises
    ------
    InputError
        ``history`` is empty or lacks a column.
    """
    missing = [c for c in _TREND_COLUMNS if c not in history.columns]
    if missing:
        raise InputError(f"history lacks the column(s) {', '.join(missing)} (needs: {', '.join(_TREND_COLUMNS)})")
    if history.empty:
        raise InputError("history is empty: the journal holds no report to plot")
    frame = history.assign(as_of=pd.to_datetime(history["as_of"])).sort_values("as_of", kind="stable")

    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415 (optional, loaded on use)
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 (matplotlib is optional and loaded on use)

    figure, axes = _figure_grid(2, 2)
    panels: list[tuple[Axes, str, str, str]] = [
        (axes[0][0], "spx_delta", "net SPX delta", "SPX shares-equivalent"),
        (axes[0][1], "spx_vega", "net SPX vega", "$ per SPX vol point"),
        (axes[1][0], "theta", "theta", "$ per day"),
    ]
    books = list(dict.fromkeys(frame["book"]))
    for ax, column, title, unit in panels:
        for book in books:
            rows = frame[frame["book"] == book]
            ax.plot(rows["as_of"].to_numpy(), rows[column].to_numpy(dtype=np.float64), marker="o", label=book)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(f"{title} ({unit})")
    counts = axes[1][1]
    for book in books:
        rows = frame[frame["book"] == book]
        prefix = f"{book}: " if len(books) > 1 else ""
        when = rows["as_of"].to_numpy()
        counts.plot(when, rows["breaches"].to_numpy(), marker="o", label=f"{prefix}breaches")
        counts.plot(when, rows["warnings"].to_numpy(), marker="s", linestyle="--", label=f"{prefix}warnings")
    counts.set_title("rule breaches and warnings", fontsize=10)
    counts.set_ylabel("rules per report (count)")
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    counts.set_ylim(bottom=0)
    counts.legend(fontsize=8)
    if len(books) > 1:
        axes[0][0].legend(fontsize=8)
    first, last = frame["as_of"].iloc[0], frame["as_of"].iloc[-1]
    if first == last:  # one date: show a day either side rather than matplotlib's default of years
        axes[1][0].set_xlim(first - pd.Timedelta(days=1), last + pd.Timedelta(days=1))
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib.dates is not fully annotated
    for ax in (axes[1][0], axes[1][1]):
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.set_xlabel("report as_of (US/Eastern)")
    for row in axes:
        for ax in row:
            ax.grid(True, alpha=0.3)
    subject = books[0] if len(books) == 1 else f"{len(books)} books"
    figure.suptitle(
        f"Risk journal trend, {subject}: {len(frame)} report{'s' if len(frame) > 1 else ''} "
        f"from {_when(first)} to {_when(last)}",
        fontsize=12,
    )
    return _save(figure, path)


# --- backtest equity curves ---------------------------------------------------------------------

_STRATEGY_LABELS = {"naked": "naked condors", "alvh": "ALVH-hedged", "static": "static VIX-call hedge (VXTH-style)"}


def equity_curves(result: BacktestResult, path: str | Path) -> Path:
    """A backtest's equity curves ($, top) and drawdowns (% below the running peak, bottom) for
    its strategies on a shared time axis, with the stress days of
    :data:`alvh.backtest.results.STRESS_DAYS` that the run covers marked; the title says the results
    are model-priced and gives the period.

    ``result`` is :func:`alvh.backtest.run_backtest`'s result.
    """
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415 (optional, loaded on use)
    from matplotlib.ticker import PercentFormatter  # noqa: PLC0415 (matplotlib is optional and loaded on use)

    from alvh.backtest.results import STRESS_DAYS  # noqa: PLC0415 (the backtest loads the decision engine)

    daily = result.daily
    figure = _new_figure()
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    names = list(dict.fromkeys(daily.index.get_level_values("strategy")))
    for name in names:
        rows = daily.xs(name, level="strategy")
        when = rows.index.to_numpy()
        label = _STRATEGY_LABELS.get(name, name)
        top.plot(when, rows["equity"].to_numpy(np.float64), linewidth=1.4, label=label)
        bottom.plot(when, 100.0 * rows["drawdown_pct"].to_numpy(np.float64), linewidth=1.2, label=label)
    first, last = result.start, result.end
    for text, (start, end) in STRESS_DAYS.items():
        if first <= start and end <= last:
            for ax in (top, bottom):
                if start == end:
                    ax.axvline(pd.Timestamp(start), color="tab:red", alpha=0.35, linewidth=1.0)
                else:
                    ax.axvspan(pd.Timestamp(start), pd.Timestamp(end), color="tab:red", alpha=0.08)
            top.annotate(text, (pd.Timestamp(start), 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                         rotation=90, va="top", ha="right", color="tab:red")  # fmt: skip
    top.axhline(
        result.capital, color="black", linewidth=0.6, linestyle=":", label=f"capital {_short_money(result.capital)}"
    )
    top.set_ylabel("equity ($)")
    top.yaxis.set_major_formatter(_money_formatter())
    top.legend(fontsize=8, loc="lower left")
    bottom.set_ylabel("drawdown (% of peak equity)")
    bottom.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    bottom.axhline(0.0, color="black", linewidth=0.6)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib.dates is not fully annotated
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    bottom.set_xlabel("trading day")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    figure.suptitle(
        f"Backtest ({result.label}): equity and drawdown, {first} to {last}",
        fontsize=12,
    )
    return _save(figure, path)


# --- helpers ------------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Axes]:
    figure = _new_figure()
    return figure, figure.add_subplot()


def _figure_grid(nrows: int, ncols: int) -> tuple[Figure, list[list[Axes]]]:
    figure = _new_figure()
    axes = figure.subplots(nrows, ncols, sharex=True, squeeze=False)
    return figure, [list(row) for row in axes]


def _new_figure() -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415 (matplotlib is optional and loaded on use)

    return Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")


def _save(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG of exactly :data:`FIGURE_SIZE_PX` (no tight bounding box, which
    would change the size) and return the path."""
    path = Path(path)
    figure.savefig(path, format="png", dpi=_DPI)
    return path


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


def _short_money(value: float) -> str:
    """$ amount in at most ~6 characters: 850, -42.6k, 1.25M."""
    if not math.isfinite(value):
        return "n/a"
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.2f}M"
    if size >= 1e4:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}"


def _money_formatter() -> Formatter:
    from matplotlib.ticker import StrMethodFormatter  # noqa: PLC0415 (matplotlib is optional and loaded on use)

    return StrMethodFormatter("{x:,.0f}")


def _when(value: dt.datetime | str | None) -> str:
    """A time as 'YYYY-MM-DD HH:MM ET' (naive US/Eastern, as every alvh time)."""
    if value is None:
        return "unknown time"
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return f"{stamp:%Y-%m-%d %H:%M} ET"
