"""The experiment as a document: the Markdown the README pastes (:func:`experiment_markdown`) and
the CSV of every figure (:func:`experiment_figures`), from :class:`ExperimentTables`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from alvh.backtest.bootstrap import LEVEL, RESAMPLES, SEED
from alvh.backtest.experiment import Experiment
from alvh.backtest.experiment_tables import (
    BEST_CRITERION,
    FIGURES,
    best_variant,
    bootstrap_block,
    bootstrap_table,
    figures_table,
    period_table,
    settings_table,
)
from alvh.backtest.results import LABEL

__all__ = [
    "ExperimentTables",
    "experiment_figures",
    "experiment_markdown",
    "experiment_tables",
    "format_figure",
    "labelled_figures",
    "run_settings",
]


@dataclass(frozen=True)
class ExperimentTables:
    """Every table of an experiment (:mod:`alvh.backtest.experiment_tables`)."""

    experiment: Experiment
    figures: pd.DataFrame
    best: str | None
    reason: str
    bootstrap: pd.DataFrame
    periods: pd.DataFrame
    settings: pd.DataFrame


def experiment_tables(experiment: Experiment) -> ExperimentTables:
    """Compute every table of ``experiment``."""
    figures = figures_table(experiment)
    best, reason = best_variant(experiment, figures)
    return ExperimentTables(
        experiment,
        figures,
        best,
        reason,
        bootstrap_table(experiment),
        period_table(experiment),
        settings_table(experiment),
    )


def run_settings(experiment: Experiment) -> str:
    """The run's settings in one paragraph: window, pricing, futures curve, core, costs."""
    config = experiment.config
    daily = experiment.daily(experiment.settings[0].name, experiment.naked.name)
    first, last = daily.index[0].date(), daily.index[-1].date()
    ladder, costs = config.ladder, config.costs
    curve = (
        f"quoted ({', '.join(experiment.quoted_futures)} of the data) where listed, the model curve beyond"
        if experiment.quoted_futures
        else f"from the model curve (anchor premium {config.market.anchor_premium:g} VIX points)"
    )
    return (
        f"{first} to {last} ({len(daily):,} trading days), **{LABEL}**: every option priced by the model market "
        f"from the day's SPX and VIX closes; VIX futures {curve}. The same core in every variant: "
        f"{ladder.units} iron condors a week (short strikes at {ladder.short_delta:g} delta, "
        f"{ladder.wing_width:g}-point wings, about {ladder.entry_dte} DTE), capital ${config.capital:,.0f}; "
        f"the same costs: commission ${costs.commission:g} a contract, half-spreads SPX {costs.spx_half_spread:g}, "
        f"VIX option {costs.vix_option_half_spread:g}, VIX future {costs.vix_future_half_spread:g}, "
        f"ES/MES {costs.spx_future_half_spread:g} points. Produced by `alvh experiment`."
    )


def experiment_markdown(tables: ExperimentTables) -> str:
    """The experiment as Markdown: settings, the variants' figures, the best variant and why,
    the robustness tables (paste-ready for the README)."""
    experiment = tables.experiment
    variants = experiment.variants
    lines = [f"### The experiment ({LABEL})", "", run_settings(experiment), ""]
    lines += [f"- **{v.name}**: {v.description}" for v in variants]
    lines += ["", _markdown(labelled_figures(tables.figures), first="Figure"), ""]
    lines += [
        f"Best by the stated criterion ({BEST_CRITERION}): "
        + (f"**{tables.best}** — {tables.reason}." if tables.best else f"none — {tables.reason}."),
        "",
        "#### Robustness",
        "",
        f"Daily P&L difference to naked, summed over the run, with its {LEVEL * 100:g} % interval from a circular "
        f"block bootstrap ({bootstrap_block(experiment)}-day blocks, {RESAMPLES:,} resamples, numpy seed {SEED}):",
        "",
        _markdown(
            tables.bootstrap.rename(columns={"difference": "Difference $", "low": "Low $", "high": "High $"}),
            first="Variant",
        ),
        "",
        "Periods, sliced from the full run's daily P&L (positions carry over from one period to the next):",
        "",
        _markdown(tables.periods.rename(columns=_period_label), first="Variant"),
        "",
        "Trading costs scaled and the model futures curve's premium moved (each a full rerun of every variant); "
        "total P&L $ (difference to naked in the same setting):",
        "",
        _markdown(_by_setting(tables.settings, _total_cell), first="Variant"),
        "",
        "5 % ES reduction against naked per $ of hedge premium + costs, by setting:",
        "",
        _markdown(_by_setting(tables.settings, _ratio_cell), first="Variant"),
    ]
    return "\n".join(lines) + "\n"


def experiment_figures(tables: ExperimentTables) -> pd.DataFrame:
    """Every figure of the experiment, one a row: ``table``, ``setting``, ``variant``,
    ``figure``, ``value`` (the best variant's row holds the criterion as its value)."""
    base = tables.experiment.settings[0].name
    by_variant = [
        ("figures", tables.figures.T.rename_axis("variant")),
        ("bootstrap", tables.bootstrap),
        ("periods", tables.periods),
    ]
    parts = [
        frame.reset_index().melt(id_vars="variant", var_name="figure").assign(table=name, setting=base)
        for name, frame in by_variant
    ]
    parts.append(
        tables.settings.reset_index().melt(id_vars=["setting", "variant"], var_name="figure").assign(table="settings")
    )
    best = pd.DataFrame(
        [
            {
                "table": "best",
                "setting": base,
                "variant": tables.best or "",
                "figure": "criterion",
                "value": BEST_CRITERION,
            }
        ]
    )
    columns = ["table", "setting", "variant", "figure", "value"]
    return pd.concat([part[columns] for part in [*parts, best]], ignore_index=True)


def labelled_figures(figures: pd.DataFrame) -> pd.DataFrame:
    """:func:`~alvh.backtest.experiment_tables.figures_table` with each figure's label and each
    value formatted by its kind (:func:`format_figure`)."""
    rows = {label: [format_figure(v, kind) for v in figures.loc[key]] for key, label, kind in FIGURES}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(figures.columns))


def _period_label(column: str) -> str:
    period, figure = column.split(" ")
    names = {"pnl": "P&L $", "vs_naked": "vs naked $", "es_5pct": "ES 5 % $", "max_drawdown": "max drawdown $"}
    return f"{period} {names[figure]}"


def _by_setting(settings: pd.DataFrame, cell: Callable[[pd.Series], str]) -> pd.DataFrame:
    """Variants as rows, settings as columns (in the experiment's orders), ``cell`` of each row of
    :func:`~alvh.backtest.experiment_tables.settings_table`."""
    flat = settings.reset_index()
    flat["cell"] = [cell(row) for _, row in flat.iterrows()]
    frame = flat.pivot(index="variant", columns="setting", values="cell")
    order = list(dict.fromkeys(flat["setting"]))
    variants = list(dict.fromkeys(flat["variant"]))
    return frame.reindex(index=variants, columns=order)


def _total_cell(row: pd.Series) -> str:
    return f"{format_figure(row['total_pnl'])} ({format_figure(row['vs_naked'])})"


def _ratio_cell(row: pd.Series) -> str:
    return format_figure(row["risk_reduction_per_dollar"], "ratio")


def format_figure(value: object, kind: str = "money") -> str:
    """A figure as the tables show it: $ and counts whole with thousands separators, ratios to
    four decimals (a hedge's ES reduction per $ spent is often a few thousandths), NaN (no such
    figure) as a dash; text as it is."""
    if isinstance(value, str):
        return value
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return "—"
    return f"{number:.4f}" if kind == "ratio" else f"{number:,.0f}"


def _markdown(frame: pd.DataFrame, *, first: str) -> str:
    """A Markdown table: the index as the first column (left), the rest right-aligned."""
    header = f"| {first} | " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|---|" + "---:|" * len(frame.columns)
    body = [f"| {index} | " + " | ".join(format_figure(v) for v in row) + " |" for index, row in frame.iterrows()]
    return "\n".join([header, rule, *body])
