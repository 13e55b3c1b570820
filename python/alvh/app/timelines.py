"""PNG plots over time: the risk journal's trend and the backtest's equity curves and drawdowns.
Each function writes one PNG of :data:`alvh.app.figures.FIGURE_SIZE_PX` pixels and returns its
path, with labelled axes and units, a title saying what it shows, and a legend where it has
several series."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh._format import compact
from alvh.app.figures import eastern_time, money_formatter, new_figure, new_figure_grid, save_png
from alvh.exceptions import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from alvh.backtest import BacktestResult

__all__ = ["equity_curves", "journal_trend"]


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

    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)

    figure, axes = new_figure_grid(2, 2)
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
        f"from {eastern_time(first)} to {eastern_time(last)}",
        fontsize=12,
    )
    return save_png(figure, path)


# --- backtest equity curves ---------------------------------------------------------------------

_STRATEGY_LABELS = {"naked": "naked condors", "alvh": "ALVH-hedged", "static": "static VIX-call hedge (VXTH-style)"}


def equity_curves(result: BacktestResult, path: str | Path) -> Path:
    """A backtest's equity curves ($, top) and drawdowns (% below the running peak, bottom) for
    its strategies on a shared time axis, with the stress days of
    :data:`alvh.backtest.results.STRESS_DAYS` that the run covers marked; the title says the results
    are model-priced and gives the period.

    ``result`` is :func:`alvh.backtest.run_backtest`'s result.
    """
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)
    from matplotlib.ticker import PercentFormatter  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)

    from alvh.backtest.results import STRESS_DAYS  # noqa: PLC0415 (the backtest loads the decision engine)

    daily = result.daily
    figure = new_figure()
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
        result.capital,
        color="black",
        linewidth=0.6,
        linestyle=":",
        label=f"capital {compact(result.capital, sign=False)}",
    )
    top.set_ylabel("equity ($)")
    top.yaxis.set_major_formatter(money_formatter())
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
    return save_png(figure, path)
