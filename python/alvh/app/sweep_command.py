"""``alvh sweep``: many backtests on a Dask cluster, one per combination of a sweep file's axes,
into one table and one plot, resumable (README, Sweeps)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alvh.app.console import alvh_errors, console, errors, native_output_silenced, progress_bar
from alvh.app.output import CSV, PARQUET, PNG, atomic, check_outputs, write_table
from alvh.app.scheduler_option import SCHEDULER_OPTION
from alvh.app.sweep_plot import check_metric, metric_text, sweep_heatmap
from alvh.backtest.sweep_config import load_sweep
from alvh.backtest.sweeps import ERROR_COLUMN, RUN_COLUMN, SweepResult, sweep
from alvh.scale.cluster import require_dask

__all__ = ["CACHE", "sweep_command"]

CACHE = "cache"
"""The folder inside ``--out`` that holds the finished runs (delete it to run everything again)."""


def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(metavar="SWEEP", help="The sweep TOML (README, Sweeps).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for sweep.csv (or .parquet), sweep.png and the cache.")
    ] = Path("alvh-sweep"),
    parquet: Annotated[bool, typer.Option("--parquet", help="Write the table as sweep.parquet, not CSV.")] = False,
    scheduler: Annotated[str | None, SCHEDULER_OPTION] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes of the local cluster (default: one per CPU).")
    ] = None,
) -> None:
    """Backtest every combination of the sweep file's axes (any backtest setting, the dates, the
    data file) as tasks on a Dask cluster; write one row per run and strategy with the summary
    metrics, and a heat map of one metric over two axes. Finished runs are cached in --out: a
    stopped sweep, run again, resumes where it stopped. A run that fails records its error and
    the others go on. Model-priced.

    [bold]Example[/bold]: alvh sweep deltas.toml --out results/ --workers 2
    """
    with alvh_errors():
        require_dask("alvh sweep")
        plan = load_sweep(sweep_file)
        table_path = out / ("sweep.parquet" if parquet else "sweep.csv")
        png = out / "sweep.png"
        inputs = {"SWEEP": sweep_file} | {f"SWEEP's input #{i}": path for i, path in enumerate(plan.inputs, 1)}
        check_outputs(inputs, {}, {"--out": out})
        if out.is_dir():  # an input inside the folder must not be overwritten
            check_outputs(
                inputs,
                {f"--out {table_path.name}": (table_path, PARQUET if parquet else CSV), "--out sweep.png": (png, PNG)},
            )
        started = time.perf_counter()
        with progress_bar("runs") as progress, native_output_silenced():
            task = progress.add_task("runs", total=len(plan.runs))
            result = sweep(
                plan,
                scheduler=scheduler,
                workers=workers,
                cache=out / CACHE,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        plotted = check_metric(plan, result.table)
        out.mkdir(exist_ok=True)
        write_table(result.table, table_path, index=False)
        if plotted:
            with atomic(png) as partial:
                sweep_heatmap(plan, result.table, partial)
        console.print(_runs_table(result))
        written = f"{table_path.name}, {png.name}" if plotted else f"{table_path.name} (no plot: no run finished)"
        console.print(f"Written to {out}/: {written}.", style="dim")
        console.print(
            f"{len(plan.runs)} runs ({result.cached} from the cache) in {time.perf_counter() - started:.0f} s.",
            style="dim",
        )
        if result.failed:
            errors.print(
                f"{result.failed} of {len(plan.runs)} runs failed: see the {ERROR_COLUMN} column", highlight=False
            )


def _runs_table(result: SweepResult) -> Table:
    """One line per run: its axis values, the plot's metric for each strategy, or its error."""
    plan, metric = result.plan, result.plan.plot.metric
    table = Table(title=f"{metric} per run (model-priced)")
    for column in (RUN_COLUMN, *plan.columns):
        table.add_column(column)
    strategies = list(dict.fromkeys(result.table["strategy"]))
    for name in strategies:
        table.add_column(name, justify="right")
    table.add_column(ERROR_COLUMN)
    for number, rows in result.table.groupby(RUN_COLUMN, sort=True):
        first = rows.iloc[0]
        finished = metric in rows.columns and not first[ERROR_COLUMN]
        by_strategy = dict(zip(rows["strategy"], rows[metric].astype(float), strict=True)) if finished else {}
        values = [metric_text(by_strategy[s]) if s in by_strategy else "" for s in strategies]
        table.add_row(str(number), *(str(first[c]) for c in plan.columns), *values, str(first[ERROR_COLUMN]))
    return table
