"""``alvh book import``: a book from a broker's positions file, its legs assigned to layers and
grouped into condors by rule, and every assignment reported (README, "Real market data")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from alvh.app.console import alvh_errors, console, existing
from alvh.app.output import TABLE, TOML, atomic, check_outputs, write_table
from alvh.app.terminal import import_table
from alvh.book import book_toml, import_positions

__all__ = ["book_app"]

book_app = typer.Typer(name="book", help="Books from positions.", no_args_is_help=True)


@book_app.command("import")
def import_(
    positions: Annotated[
        Path, typer.Argument(metavar="POSITIONS", help="Positions CSV: symbol,quantity,average_price[,layer][,group].")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The book TOML to write.")],
    as_of: Annotated[
        dt.datetime,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="The positions' date (resolves VXF7-style codes)."),
    ],
    name: Annotated[str | None, typer.Option(help="The book's name (default: the file's name).")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write how each line was assigned (.csv or .parquet).")
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Leave out lines that cannot be imported (reported) instead of stopping."),
    ] = False,
) -> None:
    """Import positions (OCC option symbols, VX/VXM and ES/MES futures codes) into a book: SPX/SPXW
    options form the core, grouped into condors by expiry and strikes; VIX calls and call spreads go
    to L1, VIX and S&P 500 futures to L2, VIX puts to L3; a layer or group column overrides the rule.

    [bold]Example[/bold]: alvh book import positions.csv --as-of 2026-11-20 -o book.toml
    """
    with alvh_errors():
        check_outputs({"POSITIONS": positions}, {"--output": (output, TOML), "--report": (report, TABLE)})
        imported = import_positions(
            existing(positions, "positions"),
            as_of=as_of.date(),
            name=name,
            on_invalid="skip" if skip_invalid else "raise",
        )
        console.print(import_table(imported.report))
        with atomic(output) as partial:
            partial.write_text(book_toml(imported.book), encoding="utf-8")
        console.print(f"Book written to {output}.", style="dim")
        if report is not None:
            write_table(imported.report, report, index=False)
            console.print(f"The import report written to {report}.", style="dim")
