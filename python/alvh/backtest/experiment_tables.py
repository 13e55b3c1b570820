"""The experiment's figures (:mod:`alvh.backtest.experiment`): per variant under the base setting,
the choice of the best variant, and the robustness tables — the block bootstrap of the daily P&L
difference to naked, the periods, the costs and futures-curve settings. Every $ figure is
model-priced."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from alvh.backtest.bootstrap import BLOCK_DAYS, block_bootstrap
from alvh.backtest.config import STRATEGY_LAYERS
from alvh.backtest.experiment import Experiment, Variant
from alvh.backtest.results import (
    expected_shortfall,
    hedge_layer_figures,
    negative_share_days,
    period_pnl,
    summary_metrics,
)

__all__ = [
    "BEST_CRITERION",
    "EVENT_DAYS",
    "FIGURES",
    "PERIODS",
    "best_variant",
    "bootstrap_block",
    "bootstrap_table",
    "figures_table",
    "max_drawdown",
    "period_table",
    "settings_table",
    "variant_figures",
]

EVENT_DAYS = {
    "2015-08-24": (dt.date(2015, 8, 24), dt.date(2015, 8, 24)),
    "2018-01-29": (dt.date(2018, 1, 29), dt.date(2018, 1, 29)),
    "2018-02-05": (dt.date(2018, 2, 5), dt.date(2018, 2, 5)),
    "Q4-2018": (dt.date(2018, 10, 1), dt.date(2018, 12, 31)),
}
"""The stress days and period whose P&L the experiment reports (first and last day, inclusive)."""

PERIODS = {
    "2014-2017": (dt.date(2014, 1, 1), dt.date(2017, 12, 31)),
    "2018": (dt.date(2018, 1, 1), dt.date(2018, 12, 31)),
}
"""Sub-periods, sliced from the daily P&L of the full run (positions carry over the boundary)."""

HEDGE_LAYERS = ("L1", "L2", "L3", "static")

FIGURES: tuple[tuple[str, str, str], ...] = (
    ("hedge_actions", "Hedge actions", "count"),
    ("hedge_contracts", "Hedge contracts traded", "count"),
    ("hedge_costs", "Hedge trading costs $", "money"),
    ("hedge_premium", "Hedge premium paid (net) $", "money"),
    *(
        (f"{layer}_pnl{when}", f"{layer} P&L {label} $", "money")
        for layer in HEDGE_LAYERS
        for when, label in (("_before_costs", "before costs"), ("", "after costs"))
    ),
    ("hedge_pnl_before_costs", "Hedge P&L before costs $", "money"),
    ("hedge_pnl", "Hedge P&L after costs $", "money"),
    ("total_pnl", "Total P&L $", "money"),
    ("max_drawdown", "Max drawdown $", "money"),
    ("worst_day", "Worst day $", "money"),
    ("es_1pct", "Daily ES 1 % $", "money"),
    ("es_5pct", "Daily ES 5 % $", "money"),
    *((f"pnl_{label}", f"P&L {label} $", "money") for label in EVENT_DAYS),
    ("negative_share_days", "Days with a negative hedge share", "count"),
    ("core_adjustments", "Core adjustments (rolls + reductions)", "count"),
    ("es_5pct_reduction", "ES 5 % reduction vs naked $", "money"),
    ("risk_reduction_per_dollar", "ES 5 % reduction per $ of premium + costs", "ratio"),
)
"""The per-variant figures: (key, label with unit, kind), in the table's order."""

BEST_BASELINE = "method-today"
BEST_CRITERION = (
    "the highest 5 % ES reduction per $ of hedge premium + costs among the ALVH variants whose total P&L "
    f"is not below {BEST_BASELINE}'s (the new default must not lose more than the method as it was)"
)
"""How :func:`best_variant` chooses (the markdown states it)."""


def max_drawdown(pnl: pd.Series) -> float:
    """The largest fall ($, <= 0) of the cumulative P&L from its running peak, the start (0)
    counting as a peak."""
    cumulative = np.concatenate([[0.0], np.cumsum(pnl.to_numpy(dtype=np.float64))])
    return float((cumulative - np.maximum.accumulate(cumulative)).min())


def variant_figures(experiment: Experiment, setting: str, variant: Variant) -> dict[str, float]:
    """The figures of :data:`FIGURES` for one variant under one setting (NaN where the variant
    has no such layer, or the figure has no meaning for it, e.g. the naked book's reductions)."""
    result = experiment.result(setting, variant.name)
    summary = summary_metrics(result, variant.strategy)
    layers = hedge_layer_figures(result, variant.strategy)
    owned = {spec.name for spec in STRATEGY_LAYERS[variant.strategy]}
    out: dict[str, float] = {key: float(summary[key]) for key in ("hedge_actions", "hedge_premium")}
    out |= {"hedge_contracts": float(layers["contracts"].sum()), "hedge_costs": float(layers["costs"].sum())}
    for layer in HEDGE_LAYERS:
        for column, key in (("pnl_before_costs", f"{layer}_pnl_before_costs"), ("pnl", f"{layer}_pnl")):
            out[key] = float(layers[column].to_dict()[layer]) if layer in owned else float("nan")
    out["hedge_pnl_before_costs"] = float(layers["pnl_before_costs"].sum())
    out["hedge_pnl"] = float(layers["pnl"].sum())
    for key in ("total_pnl", "max_drawdown", "worst_day", "es_1pct", "es_5pct", "core_adjustments"):
        out[key] = float(summary[key])
    pnl = experiment.daily(setting, variant.name)["pnl"]
    out |= {f"pnl_{label}": period_pnl(pnl, first, last) for label, (first, last) in EVENT_DAYS.items()}
    hedged = variant.strategy == "alvh"
    out["negative_share_days"] = float(negative_share_days(result, variant.strategy)) if hedged else float("nan")
    naked = summary_metrics(experiment.result(setting, experiment.naked.name), "naked")
    reduction = out["es_5pct"] - float(naked["es_5pct"])
    spent = out["hedge_premium"] + out["hedge_costs"]
    is_naked = variant.strategy == "naked"
    out["es_5pct_reduction"] = float("nan") if is_naked else reduction
    out["risk_reduction_per_dollar"] = reduction / spent if not is_naked and spent > 0 else float("nan")
    return out


def figures_table(experiment: Experiment, setting: str | None = None) -> pd.DataFrame:
    """:data:`FIGURES` (rows, by key) of every variant (columns) under ``setting`` (default the
    base)."""
    name = setting or experiment.settings[0].name
    columns = {v.name: variant_figures(experiment, name, v) for v in experiment.variants}
    frame = pd.DataFrame(columns).reindex([key for key, _, _ in FIGURES])
    frame.index.name = "figure"
    return frame


def best_variant(experiment: Experiment, figures: pd.DataFrame) -> tuple[str | None, str]:
    """The best variant by :data:`BEST_CRITERION` and the reason, in words (None when no
    variant qualifies). ``figures`` is :func:`figures_table` of the base setting."""
    hedged = [v.name for v in experiment.variants if v.strategy == "alvh"]
    totals = {str(name): float(value) for name, value in figures.T["total_pnl"].items()}
    ratios = {str(name): float(value) for name, value in figures.T["risk_reduction_per_dollar"].items()}
    floor = totals.get(BEST_BASELINE, -math.inf)
    eligible = [name for name in hedged if totals[name] >= floor and math.isfinite(ratios[name])]
    if not eligible:
        return None, f"no ALVH variant qualifies ({BEST_CRITERION})"
    best = max(eligible, key=ratios.__getitem__)
    return best, (
        f"{ratios[best]:.4f} $ of 5 % ES reduction per $ spent, total P&L {totals[best]:,.0f} $ "
        f"(eligible: {', '.join(eligible)})"
    )


def bootstrap_block(experiment: Experiment) -> int:
    """The bootstrap's block length (days): :data:`~alvh.backtest.bootstrap.BLOCK_DAYS`, or the
    whole run when it is shorter."""
    return min(BLOCK_DAYS, len(experiment.daily(experiment.settings[0].name, experiment.naked.name)))


def bootstrap_table(experiment: Experiment) -> pd.DataFrame:
    """Per variant other than naked (rows), under the base setting: the total of its daily P&L
    minus naked's (``difference``) and the block bootstrap's interval for it (``low``, ``high``;
    :func:`alvh.backtest.bootstrap.block_bootstrap`, blocks of :func:`bootstrap_block` days)."""
    base = experiment.settings[0].name
    naked = experiment.daily(base, experiment.naked.name)["pnl"]
    block = bootstrap_block(experiment)
    rows: dict[str, dict[str, Any]] = {}
    for variant in experiment.variants:
        if variant.strategy == "naked":
            continue
        difference = experiment.daily(base, variant.name)["pnl"] - naked
        interval = block_bootstrap(difference.to_numpy(), block=block)
        rows[variant.name] = {"difference": interval.total, "low": interval.low, "high": interval.high}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["difference", "low", "high"])
    frame.index.name = "variant"
    return frame


def period_table(experiment: Experiment) -> pd.DataFrame:
    """Per variant (rows) and each of :data:`PERIODS` the run covers: the period's ``pnl``,
    its difference to naked (``vs_naked``), daily ``es_5pct`` and ``max_drawdown``, under the
    base setting (columns ``<period> <figure>``)."""
    base = experiment.settings[0].name
    naked = experiment.daily(base, experiment.naked.name)["pnl"]
    start, end = naked.index[0], naked.index[-1]
    columns: dict[str, dict[str, float]] = {}
    for label, (first, last) in PERIODS.items():
        if pd.Timestamp(last) < start or pd.Timestamp(first) > end:
            continue
        window = slice(pd.Timestamp(first), pd.Timestamp(last))
        for variant in experiment.variants:
            pnl = experiment.daily(base, variant.name)["pnl"].loc[window]
            row = columns.setdefault(variant.name, {})
            row[f"{label} pnl"] = float(pnl.sum())
            row[f"{label} vs_naked"] = float(pnl.sum() - naked.loc[window].sum())
            row[f"{label} es_5pct"] = expected_shortfall(pnl, 0.05)
            row[f"{label} max_drawdown"] = max_drawdown(pnl)
    frame = pd.DataFrame.from_dict(columns, orient="index")
    frame.index.name = "variant"
    return frame


def settings_table(experiment: Experiment) -> pd.DataFrame:
    """Per (setting, variant) (rows): ``total_pnl``, its difference to naked's under the same
    setting (``vs_naked``), ``es_5pct`` and ``risk_reduction_per_dollar``."""
    rows = []
    for setting in experiment.settings:
        figures = {v.name: variant_figures(experiment, setting.name, v) for v in experiment.variants}
        naked_total = figures[experiment.naked.name]["total_pnl"]
        for variant in experiment.variants:
            got = figures[variant.name]
            rows.append(
                {
                    "setting": setting.name,
                    "variant": variant.name,
                    "total_pnl": got["total_pnl"],
                    "vs_naked": got["total_pnl"] - naked_total,
                    "es_5pct": got["es_5pct"],
                    "risk_reduction_per_dollar": got["risk_reduction_per_dollar"],
                }
            )
    return pd.DataFrame(rows).set_index(["setting", "variant"])
