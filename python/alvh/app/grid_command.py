"""``alvh grid``: a full-revaluation scenario grid of a book from the command line, and the
syntax of its axes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from alvh._typing import FloatArray
from alvh.app import plots
from alvh.app.console import alvh_errors, console, existing
from alvh.app.market_commands import MarketOption
from alvh.app.output import CSV, PARQUET, PNG, atomic, check_outputs, write_table
from alvh.app.terminal import grid_summary, grid_table, worst_cells_table
from alvh.book import load_book
from alvh.market.snapshot import load_market
from alvh.risk.scenarios import Dynamics, VolShiftScaling, scenario_grid

__all__ = ["MAX_AXIS_POINTS", "MAX_SCENARIOS", "MAX_TABLE_CELLS", "grid", "parse_axis"]


MAX_AXIS_POINTS = 10_000
MAX_SCENARIOS = 1_000_000
"""Command-line limits: a grid's P&L table (and its CSV) grows with the scenario count; the library
itself takes any size."""
MAX_TABLE_CELLS = 2_000
"""Above this many scenarios the terminal shows the worst cells, not the spot x vol tables (which
would take minutes to render and could not be read); the files hold every scenario."""
WORST_CELLS = 20


def parse_axis(text: str, *, name: str, scale: float = 1.0) -> np.ndarray:
    """An axis from ``start:stop:step`` (both ends included) or ``a,b,c`` or one number, times
    ``scale``; a typer.BadParameter (exit code 2) names the option and the syntax otherwise."""
    syntax = f"{name} takes start:stop:step (e.g. -20:10:2), a list (0,1,7) or one number; got {text!r}"
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3:
                raise typer.BadParameter(syntax)
            if not np.isfinite(parts).all():
                raise typer.BadParameter(f"{name} {text!r}: values must be finite")
            start, stop, step = parts
            if step <= 0 or stop < start:
                raise typer.BadParameter(f"{name} {text!r}: need step > 0 and stop >= start")
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            if count > MAX_AXIS_POINTS:
                raise typer.BadParameter(f"{name} {text!r} has {count} points; at most {MAX_AXIS_POINTS}")
            values = start + step * np.arange(count)
        else:
            values = np.array([float(p) for p in text.split(",")])
    except ValueError:
        raise typer.BadParameter(syntax) from None
    if values.size > MAX_AXIS_POINTS:
        raise typer.BadParameter(f"{name} has {values.size} points; at most {MAX_AXIS_POINTS}")
    if not np.isfinite(values).all():
        raise typer.BadParameter(f"{name} {text!r}: values must be finite")
    return np.round(values * scale, 12)


def grid_axes(spot: str, vol: str, days: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The ``--spot`` (%), ``--vol`` and ``--days`` options as grid axes (spot shocks as fractions),
    at most :data:`MAX_SCENARIOS` scenarios in all."""
    spots = parse_axis(spot, name="--spot", scale=0.01)
    vols = parse_axis(vol, name="--vol")
    horizons = parse_axis(days, name="--days")
    scenarios = spots.size * vols.size * horizons.size
    if scenarios > MAX_SCENARIOS:
        raise typer.BadParameter(
            f"--spot x --vol x --days gives {scenarios:,} scenarios; at most {MAX_SCENARIOS:,} from the command line"
        )
    return spots, vols, horizons


def grid(
    book: Annotated[Path, typer.Argument(metavar="BOOK", help="Book TOML, CSV or Parquet.")],
    market: MarketOption,
    spot: Annotated[str, typer.Option(help="Spot shocks in % (start:stop:step or a,b,c).")] = "-10:10:2",
    vol: Annotated[str, typer.Option(help="SPX vol shifts in vol points.")] = "-5:10:5",
    days: Annotated[str, typer.Option(help="Horizons in calendar days.")] = "0,1,7",
    dynamics: Annotated[Dynamics, typer.Option(help="How the smile moves with spot.")] = Dynamics.STICKY_MONEYNESS,
    vol_scaling: Annotated[
        VolShiftScaling, typer.Option(help="parallel, or sqrt_time: each expiry's shift x sqrt(30/DTE).")
    ] = VolShiftScaling.PARALLEL,
    link: Annotated[bool, typer.Option("--link", help="Spot shocks also move vols and VIX (log-beta).")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every scenario to this CSV.")] = None,
    parquet: Annotated[Path | None, typer.Option("--parquet", help="Write every scenario to this Parquet.")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Write the book's heat map (first horizon).")] = None,
) -> None:
    """Full-revaluation scenario grid: P&L of the book and each layer over spot x vol x horizon.

    [bold]Example[/bold]: alvh grid book.toml --market market.toml --spot -20:10:2 --vol -10:20:5 --days 0,1,7
    """
    spots, vols, horizons = grid_axes(spot, vol, days)
    scenarios = spots.size * vols.size * horizons.size
    with alvh_errors():
        check_outputs(
            {"BOOK": book, "--market": market},
            {"--csv": (csv, CSV), "--parquet": (parquet, PARQUET), "--png": (png, PNG)},
        )
        result = scenario_grid(
            load_book(existing(book, "book")),
            load_market(existing(market, "market")),
            spot_shocks=spots,
            vol_shifts=vols,
            horizons=horizons,
            dynamics=dynamics,
            vol_shift_scaling=vol_scaling,
            spot_vol_link=link,
        )
        written = []  # the files first: printing a large grid must not keep them from being written
        for path in (csv, parquet):
            if path is not None:
                write_table(result.to_frame(), path, index=False)
                written.append(f"Scenarios written to {path}.")
        if png is not None:
            with atomic(png) as partial:
                plots.scenario_heatmap(result, partial)
            written.append(f"Heat map written to {png}.")
        if scenarios <= MAX_TABLE_CELLS:
            for h in range(len(result.horizons)):
                console.print(grid_table(result, horizon=h))
        else:
            where = f"in {csv or parquet}" if csv or parquet else "written by --csv or --parquet"
            console.print(
                f"{scenarios:,} scenarios: too many for tables here (more than {MAX_TABLE_CELLS:,}); "
                f"the {WORST_CELLS} worst follow, and every scenario is {where}.",
                soft_wrap=True,
            )
            console.print(worst_cells_table(result, count=WORST_CELLS))
        console.print(grid_summary(result))
        for line in written:
            console.print(line, style="dim")
