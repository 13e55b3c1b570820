"""``alvh experiment``: every hedge variant replayed on the same core, data and costs, the
robustness runs, and the table the README shows (README, "The experiment")."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from alvh._csv import formula_safe
from alvh.app.console import alvh_errors, console, native_output_silenced, progress_bar
from alvh.app.output import CSV, atomic_folder, check_outputs
from alvh.app.replay_inputs import replay_inputs
from alvh.app.scheduler_option import SCHEDULER_OPTION
from alvh.backtest.experiment import run_experiment
from alvh.backtest.experiment_report import (
    ExperimentTables,
    experiment_figures,
    experiment_markdown,
    experiment_tables,
    format_figure,
    labelled_figures,
    run_settings,
)
from alvh.backtest.experiment_tables import BEST_CRITERION

__all__ = ["FIGURES_CSV", "MARKDOWN", "experiment"]

MARKDOWN = "experiment.md"
FIGURES_CSV = "experiment.csv"
"""The files the command writes into ``--out``."""


def experiment(
    data: Annotated[
        Path | None,
        typer.Option(help="Daily closes CSV (date,spx,vix[,vx1,…]); quoted vx1… replace the model futures curve."),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Backtest TOML (see alvh/data/backtest.toml).")] = None,
    start: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First trading day (default: the data's).")
    ] = None,
    end: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last trading day.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help=f"Folder for {MARKDOWN} and {FIGURES_CSV}.")] = Path(
        "alvh-experiment"
    ),
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Local worker processes for the replays (default: one per CPU; 1: none)."),
    ] = None,
    scheduler: Annotated[str | None, SCHEDULER_OPTION] = None,
) -> None:
    """The experiment: naked, static and every ALVH variant on the same core, data and costs, with
    the robustness runs (costs x0.5 and x2, futures-curve premium 0/3/5); prints the table and writes
    it as Markdown and every figure as CSV. Model-priced. Takes minutes on the full history.

    [bold]Example[/bold]: alvh experiment --out results/ --workers 2
    """
    with alvh_errors():
        check_outputs({"--data": data, "--config": config}, {}, {"--out": out})
        if out.is_dir():  # an input inside the folder must not be overwritten
            check_outputs(
                {"--data": data, "--config": config},
                {f"--out {MARKDOWN}": (out / MARKDOWN, (".md",)), f"--out {FIGURES_CSV}": (out / FIGURES_CSV, CSV)},
            )
        settings, history = replay_inputs(config, data, start, end)
        started = time.perf_counter()
        with progress_bar("replays") as progress, native_output_silenced():
            task = progress.add_task("replays")
            result = run_experiment(
                history,
                settings,
                workers=workers,
                scheduler=scheduler,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        tables = experiment_tables(result)
        with atomic_folder(out) as partial:
            (partial / MARKDOWN).write_text(experiment_markdown(tables), encoding="utf-8")
            formula_safe(experiment_figures(tables)).to_csv(partial / FIGURES_CSV, index=False)
        _print(tables)
        console.print(f"Written to {out}/: {MARKDOWN}, {FIGURES_CSV}.", style="dim")
        console.print(f"Done in {time.perf_counter() - started:.0f} s.", style="dim")


def _print(tables: ExperimentTables) -> None:
    console.print(run_settings(tables.experiment), markup=False, highlight=False)
    console.print(_frame_table(labelled_figures(tables.figures), "The experiment (model-priced)"))
    best = f"[bold]{tables.best}[/bold] — {tables.reason}" if tables.best else f"none — {tables.reason}"
    console.print(f"Best ({BEST_CRITERION}): {best}", highlight=False)
    console.print(_frame_table(tables.bootstrap, "Daily P&L difference to naked, 90 % block-bootstrap interval $"))
    console.print(_frame_table(tables.periods, "Periods (slices of the full run) $"))
    console.print(_frame_table(tables.settings, "Costs and futures-curve premium (full reruns)"))


def _frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A rich table of a frame: the index first, then the columns, figures formatted as in the
    Markdown (the one ratio column to four decimals)."""
    table = Table(title=title)
    for name in frame.index.names:
        table.add_column(str(name or ""))
    for column in frame.columns:
        table.add_column(str(column), justify="right", no_wrap=True)
    for index, row in frame.iterrows():
        keys = index if isinstance(index, tuple) else (index,)
        kinds = ["ratio" if column == "risk_reduction_per_dollar" else "money" for column in row.index]
        table.add_row(*map(str, keys), *(format_figure(v, k) for v, k in zip(row, kinds, strict=True)))
    return table
