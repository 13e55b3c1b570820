"""The sweep's PNG: one metric over two axes as a heat map (README, Sweeps)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.app.figures import new_axes, save_png
from alvh.backtest.sweep_config import STRATEGY_AXIS, Sweep
from alvh.backtest.sweeps import ERROR_COLUMN
from alvh.exceptions import ConfigError

__all__ = ["check_metric", "metric_text", "sweep_heatmap"]

_LABELLED_CELLS = 120
"""Cells up to which each shows its value (more would not be readable)."""


def check_metric(plan: Sweep, table: pd.DataFrame) -> bool:
    """Whether the plot can be drawn: False when no run finished (nothing to plot); a
    :class:`ConfigError` when the plot's metric is not a numeric column of the table."""
    finished = table[table[ERROR_COLUMN] == ""]
    if finished.empty:
        return False
    metric = plan.plot.metric
    numeric = [c for c in finished.select_dtypes("number").columns if c not in (*plan.columns, "run")]
    if metric not in numeric:
        raise ConfigError(f"plot.metric = {metric!r} is not a numeric summary column; use one of {', '.join(numeric)}")
    return True


def sweep_heatmap(plan: Sweep, table: pd.DataFrame, path: Path) -> Path:
    """Write the heat map of ``plan.plot.metric`` over the plot's axes (mean over the other axes;
    the strategy of ``plan.plot`` unless ``strategy`` is an axis of the plot) to ``path``."""
    x, y = plan.plot_axes
    metric = plan.plot.metric
    rows = table if STRATEGY_AXIS in (x, y) else table[table["strategy"] == plan.plot.strategy]
    grid = rows.pivot_table(index=y, columns=x, values=metric, aggfunc="mean", dropna=False, sort=False)
    grid = grid.reindex(index=_order(rows[y]), columns=_order(rows[x]))
    values = grid.to_numpy(dtype=float)
    figure, ax = new_axes()
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", origin="lower", cmap="viridis")
    figure.colorbar(image, ax=ax).set_label(metric)
    ax.set_xticks(range(len(grid.columns)), [str(v) for v in grid.columns], rotation=30, ha="right")
    ax.set_yticks(range(len(grid.index)), [str(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if values.size <= _LABELLED_CELLS:
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, metric_text(value), ha="center", va="center", bbox={"facecolor": "white", "alpha": 0.7})
    others = [c for c in plan.columns if c not in (x, y)]
    who = "" if STRATEGY_AXIS in (x, y) else f" ({plan.plot.strategy})"
    ax.set_title(f"{metric}{who}" + (f", mean over {', '.join(others)}" if others else "") + " — model-priced")
    return save_png(figure, path)


def metric_text(value: float) -> str:
    """A metric in a few characters: dollars to the dollar, ratios to four digits."""
    if math.isnan(value):
        return "failed"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _order(values: pd.Series) -> list[object]:
    """An axis's values in the order the runs first give them."""
    return list(dict.fromkeys(values))
