"""What the commands print: a large grid is summarised after its files are written, piped output is
not cut at 80 columns, the progress bar shows a rate and the time left, and the MILP solver's
native output does not leak."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from rich.progress import TimeRemainingColumn
from typer.testing import CliRunner

import alvh.data
from alvh.app.cli import app
from alvh.app.console import RateColumn, progress_bar
from alvh.app.report import risk_report

BOOK = alvh.data.example_book_path()
MARKET = alvh.data.example_market_path()


def alvh_piped(*args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m alvh ARGS`` with stdout and stderr piped, no COLUMNS and no terminal on stdin."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "alvh", *map(str, args)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_a_large_grid_is_written_whole_and_summarised_in_the_terminal(tmp_path: Path) -> None:
    """50,100 scenarios: the CSV holds every one, the terminal a bounded summary (not 50k rows)."""
    out = tmp_path / "g.csv"
    axes = ["--spot", "-25:25:0.1", "--vol", "-10:14.75:0.25", "--days", "0"]
    result = CliRunner().invoke(app, ["grid", str(BOOK), "-m", str(MARKET), *axes, "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 501 * 100
    lines = result.stdout.splitlines()
    assert len(lines) < 200, len(lines)
    assert "50,100 scenarios: too many for tables here" in result.stdout and f"in {out}" in result.stdout
    assert "Worst cell:" in result.stdout and f"Scenarios written to {out}." in result.stdout


def test_piped_output_keeps_every_number_of_the_stress_table() -> None:
    result = alvh_piped("report", BOOK, "--market", MARKET)
    assert result.returncode == 0, result.stderr
    stresses = result.stdout[result.stdout.index("Historical stresses") :]
    assert "…" not in stresses  # rich's mark of a cropped cell
    report = risk_report(alvh.data.example_book(), alvh.data.example_market())
    for _, row in report.stress_table.iterrows():
        for value in (*row["layer"], row[("book", "pnl")]):
            assert f"{value:+,.0f}" in result.stdout or round(value) == 0


def test_the_progress_bar_shows_the_rate_and_the_time_left() -> None:
    progress = progress_bar("legs")
    task = progress.add_task("legs", total=1_000)
    progress.advance(task, 100)
    time.sleep(0.05)
    progress.advance(task, 100)
    assert any(isinstance(column, TimeRemainingColumn) for column in progress.columns)
    rate = next(column for column in progress.columns if isinstance(column, RateColumn))
    assert str(rate.render(progress.tasks[0])).endswith(" legs/s")


def test_the_backtest_prints_no_solver_output() -> None:
    """HiGHS prints ``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();`` on
    file descriptor 1 while sizing hedges in these weeks, whatever its options say."""
    result = alvh_piped("backtest", "--start", "2014-10-01", "--end", "2014-10-17")
    assert result.returncode == 0, result.stderr
    assert "Highs" not in result.stderr + result.stdout and result.stderr == ""
