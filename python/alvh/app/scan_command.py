"""``alvh scan``: the per-layer Greeks — or, with ``--grid``, the scenario grid — of legs files too
large for one process, valued on a Dask cluster (:mod:`alvh.scale.scan`).

A command of its own rather than options of ``alvh greeks``: ``greeks`` streams one file through
one process and can write every leg's Greeks; a scan takes globs of files, values them on many
workers (or machines) and brings back only per-layer sums.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Annotated

import typer

from alvh.app.console import alvh_errors, console
from alvh.app.grid_command import WORST_CELLS, grid_axes
from alvh.app.market_commands import MarketOption
from alvh.app.output import TABLE, check_outputs, write_table
from alvh.app.scheduler_option import SCHEDULER_OPTION
from alvh.app.terminal import grid_summary, totals_table, worst_cells_table
from alvh.exceptions import ConfigError
from alvh.market.snapshot import load_market
from alvh.risk.scenarios import Dynamics, VolShiftScaling
from alvh.scale.scan import scan_greeks, scan_grid

__all__ = ["scan"]


def scan(
    legs: Annotated[
        str,
        typer.Argument(metavar="LEGS", help="Legs Parquet or CSV files: a path or a quoted glob ('legs/*.parquet')."),
    ],
    market: MarketOption,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Per-layer sums (or, with --grid, every scenario), .csv or .parquet."),
    ] = None,
    grid: Annotated[bool, typer.Option("--grid", help="The scenario grid instead of the Greeks.")] = False,
    spot: Annotated[str, typer.Option(help="With --grid: spot shocks in % (start:stop:step or a,b,c).")] = "-10:10:2",
    vol: Annotated[str, typer.Option(help="With --grid: SPX vol shifts in vol points.")] = "-5:10:5",
    days: Annotated[str, typer.Option(help="With --grid: horizons in calendar days.")] = "0,1,7",
    dynamics: Annotated[Dynamics, typer.Option(help="With --grid: how the smile moves.")] = Dynamics.STICKY_MONEYNESS,
    vol_scaling: Annotated[
        VolShiftScaling, typer.Option(help="With --grid: parallel, or sqrt_time.")
    ] = VolShiftScaling.PARALLEL,
    scheduler: Annotated[str | None, SCHEDULER_OPTION] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local cluster workers (default: one per core).")] = None,
) -> None:
    """Book scan on Dask: each file (or row group, or CSV block) is validated and valued on a
    worker, and only its per-layer sums come back; every layer is valued as custom.

    [bold]Example[/bold]: alvh scan 'legs/*.parquet' --market market.toml --workers 2 -o sums.csv
    """
    spots, vols, horizons = grid_axes(spot, vol, days)
    with alvh_errors():
        files = sorted(glob.glob(legs))
        if not files:
            raise ConfigError(f"LEGS {legs}: no such legs file (no file matches)")
        inputs = {f"LEGS {path}": Path(path) for path in files}
        check_outputs({**inputs, "--market": market}, {"--output": (output, TABLE)})
        snapshot = load_market(market)
        if not grid:
            layers = scan_greeks(legs, snapshot, scheduler=scheduler, workers=workers)
            if output is not None:
                write_table(layers, output, index=True)
            console.print(totals_table(layers, title=f"{len(files):,} files, per-layer sums (trader units)"))
        else:
            result = scan_grid(
                legs,
                snapshot,
                scheduler=scheduler,
                workers=workers,
                spot_shocks=spots,
                vol_shifts=vols,
                horizons=horizons,
                dynamics=dynamics,
                vol_shift_scaling=vol_scaling,
            )
            if output is not None:
                write_table(result.to_frame(), output, index=False)
            console.print(worst_cells_table(result, count=WORST_CELLS))
            console.print(grid_summary(result))
        if output is not None:
            console.print(f"Written to {output}.", style="dim")
