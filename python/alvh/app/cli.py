"""The ``alvh`` command line (typer + rich).

Exit codes, for scripts and cron:

* 0 — success;
* 1 — an alvh error: a missing or invalid file, bad input (the message names the file, the
  row or field, and what is allowed);
* 2 — a usage error: an unknown option, a bad range syntax, a missing argument;
* 3 — ``alvh report --fail-on-breach`` found a rule in breach;
* 130 — interrupted (Ctrl-C): one line on stderr, no partial output file.

Every command checks its outputs before any work and writes them atomically
(:mod:`alvh.app.output`; README, "Command line").
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Generator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Annotated, Any, cast

import pandas as pd
import typer

import alvh.data
from alvh._jsonable import jsonable
from alvh.app import timelines
from alvh.app.book_commands import book_app
from alvh.app.console import (
    EXIT_BREACH,
    alvh_errors,
    console,
    errors,
    existing,
    native_output_silenced,
    progress_bar,
)
from alvh.app.experiment_command import experiment
from alvh.app.grid_command import grid
from alvh.app.html_report import write_html
from alvh.app.journal import Journal
from alvh.app.market_commands import (
    ChainOptions,
    MarketOption,
    SkipOption,
    SpxChainOption,
    VixChainOption,
    VixFuturesOption,
    market_app,
    market_from,
)
from alvh.app.output import ANY, HTML, PNG, TABLE, atomic, check_outputs, write_table
from alvh.app.replay_inputs import replay_inputs
from alvh.app.report import Report, risk_report, signals_from_history
from alvh.app.report_plots import report_plots, write_plots
from alvh.app.scan_command import scan
from alvh.app.scheduler_option import SCHEDULER_OPTION
from alvh.app.sweep_command import sweep_command
from alvh.app.terminal import (
    backtest_table,
    history_table,
    report_tables,
    totals_table,
)
from alvh.backtest import run_backtest
from alvh.book import load_book
from alvh.exceptions import ConfigError, InputError
from alvh.market.events import load_events
from alvh.market.history import load_history
from alvh.market.snapshot import Market, load_market
from alvh.method.rules import RuleStatus, load_rules
from alvh.risk.bulk import LegStream

app = typer.Typer(
    name="alvh",
    help="Risk of SPX iron-condor books hedged with layered VIX instruments (ALVH).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.add_typer(market_app)
app.add_typer(book_app)
app.command()(grid)
app.command()(experiment)
app.command(name="sweep")(sweep_command)
app.command()(scan)


def _version(value: bool) -> None:
    if value:
        console.print(f"alvh {alvh.__version__} ({alvh.simd_level()}, {alvh.thread_count()} threads)")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Risk of SPX iron-condor books hedged with layered VIX instruments (ALVH).

    Start with [bold]alvh demo[/bold]; [bold]alvh COMMAND --help[/bold] shows each command's options and examples.
    """


# --- options shared by several commands ----------------------------------------------------------

RulesOption = Annotated[Path | None, typer.Option("--rules", help="Rules TOML (overrides of the defaults).")]
HistoryOption = Annotated[
    Path | None,
    typer.Option(
        "--signals",
        help="Daily closes CSV (date,spx,vix[,vx1,…][,ad_line][,cpi][,ppi]) up to the market's date: the signals.",
    ),
]
EventsOption = Annotated[
    Path | None, typer.Option("--events", help="Event calendar (TOML or CSV: date,kind with FOMC/CPI/PPI).")
]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write the report as one self-contained HTML page (tables and plots)."),
]


def _load_inputs(
    book_path: Path, market: Market, rules_path: Path | None, history_path: Path | None, events_path: Path | None
) -> dict[str, Any]:
    history = None
    if history_path is not None:
        history = load_history(existing(history_path, "signals"))
        try:  # the signals' own checks (enough sessions, the market's date present), naming the file
            signals_from_history(history, pd.Timestamp(market.as_of.date()))
        except InputError as e:
            raise ConfigError(f"{history_path}: {e}") from None
    return {
        "book": load_book(existing(book_path, "book")),
        "market": market,
        "rules": load_rules(existing(rules_path, "rules")) if rules_path else None,
        "history": history,
        "events": load_events(existing(events_path, "events")) if events_path else None,
    }


# --- demo and report -----------------------------------------------------------------------------


@app.command()
def demo(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the PNG plots [default: alvh-demo, none with --html]."),
    ] = None,
    html: HtmlOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
) -> None:
    """The main job on the bundled example book and market: Greeks by layer in SPX terms, the rule
    table, the recommended actions with their trades, a scenario grid and the historical stresses;
    writes PNG plots to a folder, or the whole report as one HTML page.

    [bold]Example[/bold]: alvh demo --out plots/   or   alvh demo --html report.html
    """

    with alvh_errors():
        if json_out:  # JSON alone on stdout: the plots' folder is not written (an HTML page is)
            out = None
        elif out is None and html is None:
            out = Path("alvh-demo")
        check_outputs({}, {"--html": (html, HTML)}, {"--out": out})
        started = time.perf_counter()
        book, market = alvh.data.example_book(), alvh.data.example_market()
        events = load_events(Path(str(alvh.data.example_book_path().parent / "events.toml")))
        with native_output_silenced():
            report = risk_report(book, market, history=alvh.data.example_history(), events=events)
        if json_out:
            _print_json(report.to_dict())
        else:
            _print_report(report)
        _write_report_files(report, out, html, quiet=json_out)
        if not json_out:
            console.print(f"Done in {time.perf_counter() - started:.1f} s.", style="dim")


@app.command()
def report(
    book: Annotated[Path, typer.Argument(metavar="BOOK", help="Book TOML (layers of legs), CSV or Parquet.")],
    market: Annotated[
        Path | None,
        typer.Option("--market", "-m", metavar="MARKET", help="Market snapshot TOML (or the chain options)."),
    ] = None,
    spx_chain: SpxChainOption = None,
    vix_chain: VixChainOption = None,
    vix_futures: VixFuturesOption = None,
    skip_invalid: SkipOption = False,
    rules: RulesOption = None,
    signals: HistoryOption = None,
    events: EventsOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON (nothing else).")] = False,
    journal: Annotated[Path | None, typer.Option("--journal", help="Append the report to this SQLite journal.")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Also write the PNG plots to this folder.")] = None,
    html: HtmlOption = None,
    theta_ratio: Annotated[
        float | None,
        typer.Option("--theta-ratio", min=0.0, help="The core's realised/projected theta (R-RSI-REDUCE's input)."),
    ] = None,
    fail_on_breach: Annotated[
        bool, typer.Option("--fail-on-breach", help="Exit with code 3 when a rule is in breach.")
    ] = False,
) -> None:
    """The daily risk report of your book: Greeks by layer, rules, actions, scenarios and stresses.
    The market is a snapshot TOML, or calibrated here from option chains (as alvh market build does).

    [bold]Example[/bold]: alvh report book.toml --market market.toml --signals closes.csv --journal risk.db
    """

    chains = ChainOptions(spx_chain, vix_chain, vix_futures, skip_invalid=skip_invalid)
    with alvh_errors():
        check_outputs(
            {
                "BOOK": book,
                "--market": market,
                **chains.inputs,
                "--rules": rules,
                "--signals": signals,
                "--events": events,
            },
            {"--journal": (journal, ANY), "--html": (html, HTML)},
            {"--plots": plots},
        )
        snapshot = market_from(market, chains, quiet=json_out)
        inputs = _load_inputs(book, snapshot, rules, signals, events)
        with native_output_silenced():
            result = risk_report(
                inputs["book"],
                inputs["market"],
                rules=inputs["rules"],
                history=inputs["history"],
                events=inputs["events"],
                theta_ratio=theta_ratio,
            )
        data = result.to_dict()
        if json_out:
            _print_json(data)
        else:
            _print_report(result)
        _write_report_files(result, plots, html, quiet=json_out)
        if journal is not None:  # last: a report whose plots or page failed or were interrupted is not journalled
            with Journal(journal) as db:
                report_id = db.append(data)
            (errors if json_out else console).print(
                f"The journal {journal} holds this report as report {report_id}.", style="dim"
            )
    if fail_on_breach and any(r.status is RuleStatus.BREACH for r in result.decision.rules):
        raise typer.Exit(EXIT_BREACH)


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


def _print_report(report: Report) -> None:
    console.print(report_tables(report, compact=console.width < 110))


def _write_report_files(report: Report, folder: Path | None, page: Path | None, *, quiet: bool) -> None:
    """The plots to ``folder`` and the HTML page to ``page`` (either may be None), the plots drawn
    once for both; ``quiet``: say so on stderr (stdout holds JSON)."""
    if folder is None and page is None:
        return
    figures = report_plots(report) if folder is None else write_plots(report, folder)
    say = errors if quiet else console
    if folder is not None:
        say.print(f"Plots written to {folder}/: " + ", ".join(figure.name for figure in figures))
    if page is not None:
        write_html(report, page, plots=figures)
        say.print(f"HTML report written to {page}.")


# --- bulk greeks ---------------------------------------------------------------------------------


@app.command()
def greeks(
    legs: Annotated[
        Path,
        typer.Argument(metavar="LEGS", help="Legs CSV or Parquet (layer,instrument,expiry,right,strike,quantity)."),
    ],
    market: MarketOption,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Per-leg results, .parquet or .csv (default: summary only).")
    ] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Legs per chunk (bounds the memory).")] = 200_000,
) -> None:
    """Bulk Greeks for millions of legs, streamed in chunks with bounded memory: per-leg trader-unit
    Greeks to a file and the per-layer sums on screen.

    [bold]Example[/bold]: alvh greeks legs.csv --market market.toml -o greeks.parquet
    """
    with alvh_errors():
        check_outputs({"LEGS": legs, "--market": market}, {"--output": (output, TABLE)})
        snapshot = _load_market(market)
        with ExitStack() as stack:
            # the stream writes its output atomically itself (a hidden partial file, renamed when done)
            stream = LegStream(existing(legs, "legs"), snapshot, chunk_size=chunk_size, output=output)
            if stream.total_rows == 0:  # an empty or header-only file would give an output without a table
                raise ConfigError(f"{legs}: no legs to value (the file holds no rows)")
            progress = stack.enter_context(progress_bar("legs"))
            task = progress.add_task("legs", total=stream.total_rows)
            # closed on the way out: an interrupted loop still ends the stream, which removes its own
            # partial file (the stream's __iter__ is a generator)
            for rows in stack.enter_context(closing(cast("Generator[int, None, None]", iter(stream)))):
                progress.advance(task, rows)
        console.print(totals_table(stream.layers, title=f"{stream.rows:,} legs, per-layer sums (trader units)"))
        if output is not None:
            console.print(f"Per-leg Greeks written to {output}.", style="dim")


def _load_market(path: Path) -> Market:
    return load_market(existing(path, "market"))


# --- backtest ------------------------------------------------------------------------------------


@app.command()
def backtest(
    start: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First trading day (default: the data's).")
    ] = None,
    end: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last trading day.")] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Daily closes CSV (date,spx,vix[,vx1,…][,ad_line]); default: the bundled 2014-2018 SPX/VIX."),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Backtest TOML (see alvh/data/backtest.toml).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the daily table (.csv or .parquet).")
    ] = None,
    summary: Annotated[Path | None, typer.Option(help="Write the summary table (.csv or .parquet).")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Write the equity and drawdown plot.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON (nothing else).")] = False,
    scheduler: Annotated[str | None, SCHEDULER_OPTION] = None,
) -> None:
    """Replay naked condors, the ALVH-hedged book and a static VIX-call hedge on daily SPX/VIX history,
    through the same decision engine as alvh report; every leg is model-priced from the day's closes.

    [bold]Example[/bold]: alvh backtest --start 2015-01-02 --end 2018-12-31 --png equity.png
    """
    with alvh_errors():
        check_outputs(
            {"--data": data, "--config": config},
            {"--output": (output, TABLE), "--summary": (summary, TABLE), "--png": (png, PNG)},
        )
        settings, history = replay_inputs(config, data, start, end)
        with (
            progress_bar("days") as progress,
            native_output_silenced(),
        ):
            task = progress.add_task("days")
            result = run_backtest(
                history,
                settings,
                scheduler=scheduler,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        table = result.summary
        if json_out:
            _print_json(jsonable(table.to_dict(orient="index")))
        else:
            console.print(backtest_table(table))
        for path, which, frame in ((output, "daily", result.daily), (summary, "summary", table)):
            if path is not None:
                write_table(frame, path, index=True)
                (errors if json_out else console).print(f"The {which} table written to {path}.", style="dim")
        if png is not None:
            with atomic(png) as partial:
                timelines.equity_curves(result, partial)
            (errors if json_out else console).print(f"Equity plot written to {png}.")


# --- journal -------------------------------------------------------------------------------------


@app.command()
def history(
    journal: Annotated[Path, typer.Argument(metavar="DB", help="The SQLite risk journal.")],
    book: Annotated[str | None, typer.Option(help="Only this book's reports.")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Write the trend plot here.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the trend as JSON records.")] = False,
) -> None:
    """The journal's trend of net delta, vega, theta and breaches over time.

    Only reads the journal. When no report matches, stderr says so and names the journal's books
    (exit code 0: an empty trend is an answer).

    [bold]Example[/bold]: alvh history risk.db --png trend.png
    """

    with alvh_errors():
        check_outputs({"DB": journal}, {"--png": (png, PNG)})
        with Journal(journal, read_only=True) as db:
            trend = db.history(book=book)
            books = db.books() if trend.empty else []
        if trend.empty:  # a typo in --book is not an empty trend: say so, and which books there are
            errors.print(
                f"no report of book {book!r} in {journal}; its books: {', '.join(map(repr, books))}"
                if book is not None and books
                else f"no report in {journal}: the journal is empty",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        if json_out:
            sys.stdout.write(trend.to_json(orient="records", date_format="iso") + "\n")
        else:
            console.print(history_table(trend))
        if png is not None and trend.empty:
            errors.print(f"no trend plot written to {png}: nothing to plot", markup=False, highlight=False)
        elif png is not None:
            with atomic(png) as partial:
                timelines.journal_trend(trend, partial)
            (errors if json_out else console).print(f"Trend plot written to {png}.")
