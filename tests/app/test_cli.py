"""The ``alvh`` command line, through the installed entry point (a subprocess: ``python -m alvh`` and
the ``alvh`` console script) for a representative handful of calls and through typer's CliRunner
(in-process, fast) for the rest.

Every command's happy path is checked against the library: ``--json`` equals
:meth:`alvh.app.report.Report.to_dict` of the same inputs, the grid's CSV/Parquet equal
:meth:`ScenarioGrid.to_frame`, the bulk Greeks equal :func:`alvh.risk.valuation.value_book`; plots are
non-empty PNGs of :data:`alvh.app.plots.FIGURE_SIZE_PX`. Every error exits non-zero (1: an alvh error,
2: a usage error, 3: ``--fail-on-breach`` with a breach) with a one-line message naming the file,
row, field or option, and never a Python traceback.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import alvh.app.cli
import alvh.data
from alvh._jsonable import jsonable
from alvh.app import entry
from alvh.app.console import native_output_silenced
from alvh.app.grid_command import parse_axis
from alvh.app.journal import Journal
from alvh.app.report import risk_report
from alvh.backtest import BacktestConfig, run_backtest
from alvh.book import load_book
from alvh.market.events import load_events
from alvh.market.history import load_history
from alvh.market.snapshot import load_market
from alvh.method.rules import RuleStatus, load_rules
from alvh.risk.scenarios import scenario_grid
from alvh.scale import cluster as cluster_module
from tests.app.cli_runs import SUBPROCESS_ENV, as_json, cells, console_script, flat, invoke, run_alvh
from tests.helpers import assert_png
from tests.risk.test_bulk import assert_legs_output, make_legs, whole_file_risk

BOOK = alvh.data.example_book_path()
MARKET = alvh.data.example_market_path()
HISTORY = alvh.data.example_history_path()
EVENTS = BOOK.parent / "events.toml"
BOOK_NAME = "Example ALVH book"
INPUTS = ["--market", str(MARKET), "--signals", str(HISTORY), "--events", str(EVENTS)]
REPORT_PLOTS = {
    "scenario_pnl_book_1d.png",
    *(f"scenario_pnl_layer_{layer}_1d.png" for layer in ("core", "L1", "L2", "L3")),
    "risk_profile.png",
    "vega_buckets.png",
}

# --- the library's results for the same inputs --------------------------------------------------


@pytest.fixture(scope="module")
def library_report() -> Any:
    """The report of the example book, market, history and events through the library."""
    report = risk_report(
        load_book(BOOK),
        load_market(MARKET),
        history=alvh.data.example_history(),
        events=load_events(EVENTS),
    )
    return as_json(report.to_dict())


@pytest.fixture(scope="module")
def breached(library_report: dict[str, Any]) -> list[str]:
    ids = [r["id"] for r in library_report["rules"] if r["status"] == RuleStatus.BREACH.value]
    assert ids, "the example book has breaches (the --fail-on-breach tests rely on it)"
    return ids


@pytest.fixture(scope="module")
def legs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("legs") / "legs.csv"
    make_legs().to_csv(path, index=False)
    return path


# --- through the installed entry point (subprocess) ---------------------------------------------


def test_demo_through_python_m(tmp_path: Path) -> None:
    """``alvh demo`` prints the report's tables and writes the plots; it takes a few seconds."""
    out = tmp_path / "plots"
    started = time.perf_counter()
    result = run_alvh(["demo", "--out", out])
    elapsed = time.perf_counter() - started
    print(f"alvh demo (subprocess, including start-up): {elapsed:.1f} s")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = result.stdout
    for heading in ("Greeks by layer", "Rules", "Recommended actions", "Book P&L", "Worst cell", "Historical stresses"):
        assert heading in text
    for rule_id in load_rules(BOOK.parent / "rules.toml").ids():
        assert rule_id in text
    assert f"Plots written to {out}/" in flat(text)
    assert {p.name for p in out.iterdir()} == REPORT_PLOTS
    for path in out.iterdir():
        assert_png(path)
    assert elapsed < 60  # generous: the demo runs in a few seconds


def test_the_entry_point_moves_the_loaded_modules_out_of_the_collectors_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """They live as long as the process: a command's full collections then scan only what it
    makes (the default backtest: 0.3-0.7 s less CPU)."""
    frozen: list[int] = []
    monkeypatch.setattr(alvh.app.cli, "app", lambda: frozen.append(gc.get_freeze_count()))
    try:
        entry.main()
    finally:
        gc.unfreeze()
    assert frozen[0] > 10_000


def test_console_script_report_json(library_report: dict[str, Any]) -> None:
    script = console_script()
    if script is None:
        pytest.skip("the alvh console script is not installed next to this Python")
    result = run_alvh(["report", BOOK, *INPUTS, "--json"], script=script)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == library_report


def test_fail_on_breach_through_python_m() -> None:
    result = run_alvh(["report", BOOK, "--market", MARKET, "--fail-on-breach"])
    assert result.returncode == 3, result.stderr
    assert "breach" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["report", "missing.toml", "--market", MARKET], 1, "error: missing.toml: no such book file"),
        (["grid", BOOK, "--market", MARKET, "--spot", "1:2"], 2, "--spot takes start:stop:step"),
    ],
    ids=["missing-book", "bad-range"],
)
def test_errors_through_python_m(args: list[Any], code: int, expected: str) -> None:
    result = run_alvh(args)
    assert result.returncode == code
    assert expected in flat(result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --- demo ----------------------------------------------------------------------------------------


def test_demo_json_equals_the_library(runner: CliRunner, library_report: dict[str, Any], tmp_path: Path) -> None:
    result = invoke(runner, ["demo", "--json", "--out", tmp_path / "unused"])
    assert json.loads(result.stdout) == library_report
    assert not (tmp_path / "unused").exists()


def test_help_of_every_command(runner: CliRunner) -> None:
    top = invoke(runner, ["--help"])
    commands = ("demo", "report", "grid", "greeks", "history", "backtest")
    for command in commands:
        assert command in top.stdout
        assert "Example" in invoke(runner, [command, "--help"]).stdout


# --- report --------------------------------------------------------------------------------------


def test_report_tables(runner: CliRunner, library_report: dict[str, Any]) -> None:
    text = invoke(runner, ["report", BOOK, *INPUTS]).stdout
    assert f"Greeks by layer — {BOOK_NAME}, as of 2026-11-20 16:00" in text
    rows = {line.split()[0]: line for line in text.splitlines() if line.split()}
    for layer in ("core", "L1", "L2", "L3"):
        assert layer in rows
    book_row = rows["book"]
    assert f"{library_report['total']['theta']:+,.0f}" in book_row
    assert f"{library_report['total']['spx_vega']:+,.0f}" in book_row
    for rule in library_report["rules"]:
        rule_row = next(line for line in text.splitlines() if line.startswith(f"│ {rule['id']} "))
        assert rule_row.split("│")[2].strip() == rule["status"], rule_row
    for action in library_report["actions"]:
        assert action["type"] in text
    for stress in library_report["stresses"]:
        assert f"│ {stress['preset']} " in text
    assert "next event FOMC 2026-12-09" in text


def test_report_json_equals_the_library(runner: CliRunner, library_report: dict[str, Any]) -> None:
    result = invoke(runner, ["report", BOOK, *INPUTS, "--json"])
    assert json.loads(result.stdout) == library_report
    assert result.stderr == ""


def test_report_json_without_signals_skips_the_signal_rules(runner: CliRunner) -> None:
    printed = json.loads(invoke(runner, ["report", BOOK, "--market", MARKET, "--json"]).stdout)
    expected = as_json(risk_report(load_book(BOOK), load_market(MARKET)).to_dict())
    assert printed == expected
    assert printed["signals"] is None
    assert {r["id"] for r in printed["rules"] if r["status"] == "skipped"} >= {"R-RSI-REDUCE", "R-L3", "R-DELAYER"}


def test_report_json_with_a_rules_file(runner: CliRunner, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[R-DELTA]\nmax_abs = 0.01\ntarget_abs = 0.01\n\n[R-THETA]\nenabled = false\n")
    printed = json.loads(invoke(runner, ["report", BOOK, *INPUTS, "--rules", rules, "--json"]).stdout)
    expected = risk_report(
        load_book(BOOK),
        load_market(MARKET),
        rules=load_rules(rules),
        history=alvh.data.example_history(),
        events=load_events(EVENTS),
    )
    assert printed == as_json(expected.to_dict())
    statuses = {r["id"]: r["status"] for r in printed["rules"]}
    assert statuses["R-DELTA"] == "breach"  # |Δ per condor| 0.039 > 0.01
    assert statuses["R-THETA"] == "skipped"


def test_report_journal_keeps_one_report_per_book_and_as_of(
    runner: CliRunner, library_report: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "risk.db"
    printed = json.loads(invoke(runner, ["report", BOOK, *INPUTS, "--journal", db, "--json"]).stdout)
    with Journal(db) as journal:
        assert len(journal) == 1
        assert journal.get(1) == printed == library_report
    text = invoke(runner, ["report", BOOK, *INPUTS, "--journal", db]).stdout  # the same report: kept once
    assert f"The journal {db} holds this report as report 1." in flat(text)
    with Journal(db) as journal:
        assert len(journal) == 1

    table = invoke(runner, ["history", db]).stdout
    assert "Risk journal" in table
    rows = [line for line in table.splitlines() if "│ 2026-11-20 " in line]
    assert len(rows) == 1
    breaches = sum(r["status"] == "breach" for r in library_report["rules"])
    total = library_report["total"]
    for row in rows:
        assert cells(row) == [
            "2026-11-20",
            BOOK_NAME,
            f"{library_report['market']['spx']:,.2f}",
            f"{library_report['market']['vix']:,.2f}",
            f"{total['spx_delta']:+,.1f}",
            f"{total['spx_vega']:+,.0f}",
            f"{total['theta']:+,.0f}",
            str(breaches),
            str(len(library_report["actions"])),
        ]

    records = json.loads(invoke(runner, ["history", db, "--json"]).stdout)
    assert [r["id"] for r in records] == [1]
    for record in records:
        assert record["book"] == BOOK_NAME
        assert record["as_of"].startswith("2026-11-20T16:00")
        assert record["spx_vega"] == pytest.approx(library_report["total"]["spx_vega"], rel=1e-12)
        assert record["breaches"] == breaches
        assert record["actions"] == len(library_report["actions"])

    assert len(json.loads(invoke(runner, ["history", db, "--json", "--book", BOOK_NAME]).stdout)) == 1
    assert json.loads(invoke(runner, ["history", db, "--json", "--book", "another book"]).stdout) == []
    assert "│ 2026-11-20 " not in invoke(runner, ["history", db, "--book", "another book"]).stdout

    png = tmp_path / "trend.png"
    result = invoke(runner, ["history", db, "--png", png])
    assert f"Trend plot written to {png}" in flat(result.stdout)
    assert_png(png)
    png.unlink()
    result = invoke(runner, ["history", db, "--json", "--png", png])
    assert len(json.loads(result.stdout)) == 1  # the plot's line goes to stderr: stdout stays JSON
    assert_png(png)


def test_report_plots(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plots"
    result = invoke(runner, ["report", BOOK, "--market", MARKET, "--plots", out, "--json"])
    json.loads(result.stdout)  # the plots' line goes to stderr: stdout stays JSON
    assert f"Plots written to {out}/" in flat(result.stderr)
    assert {p.name for p in out.iterdir()} == REPORT_PLOTS
    for path in out.iterdir():
        assert_png(path)


def test_fail_on_breach(runner: CliRunner, breached: list[str], tmp_path: Path) -> None:
    result = invoke(runner, ["report", BOOK, *INPUTS, "--fail-on-breach", "--json"], code=3)
    assert any(r["status"] == "breach" for r in json.loads(result.stdout)["rules"])

    switched_off = tmp_path / "off.toml"
    switched_off.write_text("".join(f"[{rule_id}]\nenabled = false\n\n" for rule_id in breached))
    result = invoke(runner, ["report", BOOK, *INPUTS, "--rules", switched_off, "--fail-on-breach", "--json"])
    statuses = {r["id"]: r["status"] for r in json.loads(result.stdout)["rules"]}
    assert "breach" not in statuses.values()
    assert all(statuses[rule_id] == "skipped" for rule_id in breached)
    invoke(runner, ["report", BOOK, *INPUTS, "--rules", switched_off])  # without the flag: 0 either way


def test_fail_on_breach_with_wider_limits(runner: CliRunner, tmp_path: Path) -> None:
    """The example book's vega and stress breaches turn to ok when their limits are widened (the
    Greek bands switched on to be checked too)."""
    wide = tmp_path / "wide.toml"
    wide.write_text(
        "[R-HEDGE-VEGA]\nenabled = true\nmin_share = 0.0\nmax_share = 1.0\ntarget_min = 0.1\ntarget_max = 0.3\n"
        "target_share = 0.2\n\n"
        "[R-SLEEVE-VEGA]\nenabled = true\nmax_drift = 1000.0\n\n"
        "[R-STRESS]\nloss_limit = 2.0\n\n"
        "[R-NET-VEGA]\ntolerance = 10.0\n\n"
        "[R-VEGA-PER-SPREAD]\nmin = -10.0\nmax = 10.0\nalert = 20.0\n"
    )
    result = invoke(runner, ["report", BOOK, *INPUTS, "--rules", wide, "--json", "--fail-on-breach"])
    statuses = {r["id"]: r["status"] for r in json.loads(result.stdout)["rules"]}
    assert "breach" not in statuses.values()
    assert statuses["R-HEDGE-VEGA"] == "ok"


# --- grid ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("-20:10:2", 1.0, np.arange(-20, 11, 2)),
        ("-10:10:2", 0.01, np.arange(-10, 11, 2) / 100),
        ("0:1:0.1", 1.0, np.linspace(0, 1, 11)),
        ("0:1:0.3", 1.0, [0.0, 0.3, 0.6, 0.9]),
        ("5:5:1", 1.0, [5.0]),
        ("0,1,7", 1.0, [0.0, 1.0, 7.0]),
        ("-5", 1.0, [-5.0]),
        ("2.5", 0.01, [0.025]),
    ],
)
def test_parse_axis(text: str, scale: float, expected: Sequence[float]) -> None:
    np.testing.assert_allclose(parse_axis(text, name="--spot", scale=scale), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("text", ["1:2", "1:2:3:4", "a:b:c", "a,b", "", ",", "1,,2", "5:1:1", "0:1:0", "0:1:-1"])
def test_parse_axis_refuses_bad_syntax(text: str) -> None:
    with pytest.raises(typer.BadParameter, match="--vol"):
        parse_axis(text, name="--vol")


@pytest.mark.parametrize("text", ["0:inf:1", "nan", "1,inf", "0:1e9:1e-3"])
def test_parse_axis_refuses_infinite_or_huge_axes(text: str) -> None:
    with pytest.raises(typer.BadParameter, match="--days"):
        parse_axis(text, name="--days")


@pytest.mark.parametrize(
    ("options", "library"),
    [
        ([], {}),
        (
            ["--dynamics", "sticky_strike", "--vol-scaling", "sqrt_time", "--link"],
            {"dynamics": "sticky_strike", "vol_shift_scaling": "sqrt_time", "spot_vol_link": True},
        ),
    ],
    ids=["defaults", "options"],
)
def test_grid_csv_equals_the_library(
    runner: CliRunner, tmp_path: Path, options: list[str], library: dict[str, Any]
) -> None:
    csv = tmp_path / "grid.csv"
    args = ["grid", BOOK, "--market", MARKET, "--spot", "-4:2:2", "--vol", "-5,0,5", "--days", "1", "--csv", csv]
    text = invoke(runner, [*args, *options]).stdout
    expected = scenario_grid(
        load_book(BOOK),
        load_market(MARKET),
        spot_shocks=[-0.04, -0.02, 0.0, 0.02],
        vol_shifts=[-5.0, 0.0, 5.0],
        horizons=[1.0],
        **library,
    )
    pd.testing.assert_frame_equal(pd.read_csv(csv), expected.to_frame(), check_exact=False, rtol=1e-12, atol=1e-6)
    assert "horizon +1 d" in text
    for spot in ("-4%", "-2%", "+0%", "+2%"):
        assert f"│ {spot:>10} │" in text
    worst = expected.worst
    assert f"Worst cell: {worst['pnl']:+,.0f} $ at spot {100 * worst['spot_shock']:+g} %, vol " in flat(text)
    assert f"{library.get('dynamics', 'sticky_moneyness')}, 12 scenarios" in flat(text)
    assert f"Scenarios written to {csv}." in flat(text)


def test_grid_parquet_png_and_one_table_per_horizon(runner: CliRunner, tmp_path: Path) -> None:
    parquet, png = tmp_path / "grid.parquet", tmp_path / "grid.png"
    args = ["grid", BOOK, "--market", MARKET, "--spot", "-1,1", "--vol", "0", "--days", "0:7:7"]
    text = invoke(runner, [*args, "--parquet", parquet, "--png", png]).stdout
    expected = scenario_grid(
        load_book(BOOK), load_market(MARKET), spot_shocks=[-0.01, 0.01], vol_shifts=[0.0], horizons=[0, 7]
    )
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), expected.to_frame())
    assert_png(png)
    assert "horizon +0 d" in flat(text) and "horizon +7 d" in flat(text)
    assert f"Heat map written to {png}." in flat(text)


# --- greeks --------------------------------------------------------------------------------------


def test_greeks_csv_to_parquet_and_csv(runner: CliRunner, legs_csv: Path, tmp_path: Path) -> None:
    legs = pd.read_csv(legs_csv)
    expected = whole_file_risk(legs)
    parquet, csv = tmp_path / "greeks.parquet", tmp_path / "greeks.csv"
    text = invoke(runner, ["greeks", legs_csv, "--market", MARKET, "-o", parquet, "--chunk-size", "10"]).stdout
    assert_legs_output(pd.read_parquet(parquet), expected.legs)
    invoke(runner, ["greeks", legs_csv, "--market", MARKET, "--output", csv, "--chunk-size", "7"])
    assert_legs_output(pd.read_csv(csv), expected.legs)

    assert f"{len(legs)} legs, per-layer sums (trader units)" in text
    assert f"Per-leg Greeks written to {parquet}." in flat(text)
    layers = expected.layers
    for name, row in [*layers.iterrows(), ("total", layers.drop(columns=["role"]).sum())]:
        line = next(line for line in text.splitlines() if line.startswith(f"│ {name} "))
        for metric in ("market_value", "spx_delta", "spx_vega", "theta", "rho"):
            shown = "0" if round(row[metric]) == 0 else f"{row[metric]:+,.0f}"
            assert shown in line, (name, metric, line)


def test_greeks_parquet_input(runner: CliRunner, legs_csv: Path, tmp_path: Path) -> None:
    legs = pd.read_csv(legs_csv)
    source, output = tmp_path / "legs.parquet", tmp_path / "greeks.csv"
    legs.to_parquet(source, index=False)
    invoke(runner, ["greeks", source, "--market", MARKET, "-o", output, "--chunk-size", "25"])
    assert_legs_output(pd.read_csv(output), whole_file_risk(legs).legs)


def test_greeks_do_not_depend_on_the_chunk_size(runner: CliRunner, legs_csv: Path, tmp_path: Path) -> None:
    outputs, tables = [], []
    for chunk_size in (3, 1000):
        output = tmp_path / f"chunks-{chunk_size}.parquet"
        tables.append(
            invoke(runner, ["greeks", legs_csv, "--market", MARKET, "-o", output, "--chunk-size", chunk_size])
        )
        outputs.append(pd.read_parquet(output))
    assert_legs_output(outputs[0], outputs[1])
    summed = [frame.groupby("layer", sort=False)[["spx_vega", "theta", "market_value"]].sum() for frame in outputs]
    np.testing.assert_allclose(summed[0].to_numpy(), summed[1].to_numpy(), rtol=1e-9)
    rows = [[line for line in t.stdout.splitlines() if line.startswith("│")] for t in tables]
    assert len(rows[0]) == 9 and rows[0] == rows[1]  # 8 layers and the total, the same sums on screen


def test_greeks_summary_only(runner: CliRunner, legs_csv: Path) -> None:
    text = invoke(runner, ["greeks", legs_csv, "--market", MARKET]).stdout
    assert "per-layer sums" in text and "written" not in text


PEAK_RSS = """
import sys
import pandas, pyarrow.parquet
from alvh.app.cli import app

def peak():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

start = peak()
try:
    app(sys.argv[1:])
finally:
    print("peak-rss", start, peak(), file=sys.stderr)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc/self/status (VmHWM)")
def test_greeks_memory_is_bounded_by_the_chunk(tmp_path: Path) -> None:
    """Peak memory of ``alvh greeks`` on 200k legs grows by a small part of what the whole file
    needs: each process reports its peak resident set (VmHWM, kB; ``ru_maxrss`` would carry the
    parent's peak over the fork) after its imports and at the end, and the growth in chunks of
    10,000 legs is compared with the growth in one chunk of every leg (about 200 MB)."""
    base = make_legs()
    legs = tmp_path / "many.csv"
    base.iloc[np.tile(np.arange(len(base)), 3000)].to_csv(legs, index=False)
    growth = {}
    for chunk_size in (10_000, 1_000_000):
        args = ["greeks", legs, "--market", MARKET, "--chunk-size", chunk_size, "-o", tmp_path / "out.parquet"]
        result = subprocess.run(
            [sys.executable, "-c", PEAK_RSS, *map(str, args)],
            capture_output=True,
            text=True,
            env=SUBPROCESS_ENV,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        start, peak = (int(v) for v in result.stderr.split("peak-rss")[1].split())
        growth[chunk_size] = peak - start
    print(f"peak RSS growth (kB) by chunk size: {growth}")
    assert growth[10_000] < 0.4 * growth[1_000_000]
    assert len(pd.read_parquet(tmp_path / "out.parquet", columns=["spx_vega"])) == 204_000


# --- errors --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory, legs_csv: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    files = {
        "bad_toml": "name = 'x'\n[[layers\n",
        "unknown_rule": "[R-DELTA]\nmax_abs = 0.2\n\n[R-NOPE]\nmax_abs = 1.0\n",
        "unknown_field": "[R-DELTA]\nmax_abs = 0.2\nmaximum = 3\n",
        "bad_signals": "date,spx,vix\n2026-11-19,5900,16\n2026-11-20,abc,16\n",
        "no_vix": "date,spx\n2026-11-20,5900\n",
        "not_journal": "this is not a database, it is a text file long enough to be read\n" * 10,
    }
    paths = {}
    for name, content in files.items():
        suffix = ".csv" if "signals" in name or name == "no_vix" else ".db" if name == "not_journal" else ".toml"
        paths[name] = folder / f"{name}{suffix}"
        paths[name].write_text(content)
    legs = pd.read_csv(legs_csv).astype({"quantity": object})
    legs.loc[4, "quantity"] = "ten"
    paths["bad_legs"] = folder / "bad_legs.csv"
    legs.to_csv(paths["bad_legs"], index=False)
    paths["folder"] = folder
    return paths


ERRORS: list[tuple[str, list[str], int, list[str]]] = [
    # name, args ({name} is a bad file's path), exit code, what the message says
    ("missing book", ["report", "nope.toml", "--market", "{market}"], 1, ["nope.toml: no such book file"]),
    ("missing market", ["report", "{book}", "--market", "nope.toml"], 1, ["nope.toml: no such market file"]),
    ("missing rules", ["report", "{book}", "--market", "{market}", "--rules", "nope.toml"], 1, ["no such rules file"]),
    ("missing signals", ["report", "{book}", "--market", "{market}", "--signals", "no.csv"], 1, ["no such signals"]),
    ("missing events", ["report", "{book}", "--market", "{market}", "--events", "no.toml"], 1, ["no such events"]),
    ("missing journal", ["history", "nope.db"], 1, ["nope.db: no such journal file"]),
    ("missing legs", ["greeks", "nope.csv", "--market", "{market}"], 1, ["nope.csv: no such legs file"]),
    ("missing grid book", ["grid", "nope.toml", "--market", "{market}"], 1, ["nope.toml: no such book file"]),
    ("bad book toml", ["report", "{bad_toml}", "--market", "{market}"], 1, ["bad_toml.toml: not valid TOML", "line 2"]),
    ("bad market toml", ["grid", "{book}", "--market", "{bad_toml}"], 1, ["bad_toml.toml: not valid TOML"]),
    ("bad rules toml", ["report", "{book}", "--market", "{market}", "--rules", "{bad_toml}"], 1, ["not valid TOML"]),
    (
        "unknown rule",
        ["report", "{book}", "--market", "{market}", "--rules", "{unknown_rule}"],
        1,
        ["unknown_rule.toml: unknown rule 'R-NOPE'", "R-DELTA"],
    ),
    (
        "unknown rule field",
        ["report", "{book}", "--market", "{market}", "--rules", "{unknown_field}"],
        1,
        ["R-DELTA.maximum: unknown field", "max_abs"],
    ),
    (
        "bad signals",
        ["report", "{book}", "--market", "{market}", "--signals", "{bad_signals}"],
        1,
        ["bad_signals.csv: row 2 (line 3): spx = 'abc' is not a number"],
    ),
    ("signals without vix", ["report", "{book}", "--market", "{market}", "--signals", "{no_vix}"], 1, ["'vix'"]),
    (
        "bad legs row",
        ["greeks", "{bad_legs}", "--market", "{market}", "--chunk-size", "3"],
        1,
        ["bad_legs.csv: row 5.quantity = 'ten' is not allowed: a number"],
    ),
    ("legs format", ["greeks", "{book}", "--market", "{market}"], 1, ["unknown legs format '.toml'"]),
    ("not a journal", ["history", "{not_journal}"], 1, ["not_journal.db: cannot open as an alvh journal"]),
    ("book as journal", ["history", "{book}"], 1, ["example_book.toml: cannot open as an alvh journal"]),
    (
        "journal folder missing",
        ["report", "{book}", "--market", "{market}", "--journal", "{folder}/no/such/risk.db"],
        1,
        ["--journal", "risk.db: no such folder", "(the folder of an output file must exist)"],
    ),
    ("plots into a file", ["report", "{book}", "--market", "{market}", "--plots", "{book}"], 1, ["not a folder"]),
    ("demo into a file", ["demo", "--out", "{book}"], 1, ["example_book.toml: not a folder"]),
    ("png folder missing", ["history", "{not_journal}", "--png", "{folder}/x/t.png"], 1, ["t.png: no such folder"]),
    ("greeks output folder", ["greeks", "{bad_legs}", "--market", "{market}", "-o", "{folder}/x/g.csv"], 1, ["g.csv"]),
    (
        "csv folder missing",
        [
            "grid",
            "{book}",
            "--market",
            "{market}",
            "--spot",
            "0",
            "--vol",
            "0",
            "--days",
            "0",
            "--csv",
            "{folder}/x/g.csv",
        ],
        1,
        ["g.csv: no such folder"],
    ),
    ("negative horizon", ["grid", "{book}", "--market", "{market}", "--days=-1"], 1, ["horizons[0] = -1.0"]),
    (
        "range: two parts",
        ["grid", "{book}", "--market", "{market}", "--spot", "1:2"],
        2,
        ["--spot takes start:stop:step"],
    ),
    ("range: words", ["grid", "{book}", "--market", "{market}", "--vol", "a:b:c"], 2, ["--vol takes", "'a:b:c'"]),
    (
        "range: backwards",
        ["grid", "{book}", "--market", "{market}", "--days", "7:0:1"],
        2,
        ["--days '7:0:1'", "step > 0"],
    ),
    ("range: infinite", ["grid", "{book}", "--market", "{market}", "--spot", "0:inf:1"], 2, ["--spot", "finite"]),
    ("range: huge", ["grid", "{book}", "--market", "{market}", "--spot", "0:1e6:1"], 2, ["--spot", "at most 10000"]),
    ("unknown dynamics", ["grid", "{book}", "--market", "{market}", "--dynamics", "sticky_delta"], 2, ["--dynamics"]),
    ("unknown option", ["report", "{book}", "--market", "{market}", "--bogus"], 2, ["No such option: --bogus"]),
    ("missing market option", ["report", "{book}"], 2, ["--market"]),
    ("chunk size zero", ["greeks", "{bad_legs}", "--market", "{market}", "--chunk-size", "0"], 2, ["--chunk-size"]),
    ("unknown command", ["frobnicate"], 2, ["No such command", "frobnicate"]),
    ("backtest bad date", ["backtest", "--start", "2018-13-01"], 2, ["--start", "2018-13-01"]),
    ("backtest end before start", ["backtest", "--start", "2018-03-01", "--end", "2018-02-01"], 1, ["is after end"]),
    ("backtest missing data", ["backtest", "--data", "nope.csv"], 1, ["nope.csv: no such data file"]),
    ("backtest bad config", ["backtest", "--config", "{bad_toml}"], 1, ["bad_toml.toml: not valid TOML"]),
    ("backtest bad data", ["backtest", "--data", "{bad_signals}"], 1, ["row 2 (line 3): spx = 'abc' is not a number"]),
]


@pytest.mark.parametrize(("args", "code", "messages"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(runner: CliRunner, bad_files: dict[str, Path], args: list[str], code: int, messages: list[str]) -> None:
    paths = {"book": str(BOOK), "market": str(MARKET), **{k: str(v) for k, v in bad_files.items()}}
    result = invoke(runner, [a.format(**paths) for a in args], code=code)
    message = flat(result.stderr)
    for expected in messages:
        assert expected in message, message
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if code == 1:  # an alvh error: one line
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr


def test_error_messages_keep_square_brackets(runner: CliRunner, tmp_path: Path) -> None:
    """Messages are printed as plain text: rich markup in them (``[layers]``) is not swallowed."""
    book = tmp_path / "book.toml"
    book.write_text('name = "x"\n[[layers]]\nname = "core"\nrole = "nope"\n')
    result = invoke(runner, ["report", book, "--market", MARKET], code=1)
    assert "layers[0].role = 'nope'" in flat(result.stderr)


def test_native_output_is_silenced_while_computing(capfd: pytest.CaptureFixture[str]) -> None:
    """What a C library writes to file descriptor 1 during a computation (HiGHS can) is dropped, so
    stdout holds only the command's output and stderr only alvh's own; fd 1 is restored afterwards."""
    with native_output_silenced():
        os.write(1, b"solver noise\n")
    os.write(1, b"clean output\n")
    captured = capfd.readouterr()
    assert captured.out == "clean output\n"
    assert "solver noise" not in captured.err


# --- backtest ------------------------------------------------------------------------------------

WINDOW = ["--start", "2018-01-29", "--end", "2018-02-09"]


@pytest.fixture(scope="module")
def short_backtest() -> Any:
    config = BacktestConfig(start=dt.date(2018, 1, 29), end=dt.date(2018, 2, 9))
    return run_backtest(load_history(), config)


def test_backtest_json_equals_the_library(runner: CliRunner, short_backtest: Any) -> None:
    result = invoke(runner, ["backtest", *WINDOW, "--json"])
    expected = jsonable(short_backtest.summary.to_dict(orient="index"))
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))
    assert set(expected) == {"naked", "alvh", "static"}


def test_backtest_on_a_scheduler_equals_the_library(runner: CliRunner, short_backtest: Any, dask_client: Any) -> None:
    result = invoke(runner, ["backtest", *WINDOW, "--json", "--scheduler", dask_client.scheduler.address])
    assert json.loads(result.stdout) == json.loads(json.dumps(jsonable(short_backtest.summary.to_dict(orient="index"))))


@pytest.mark.parametrize("command", [["backtest", *WINDOW], ["experiment", *WINDOW, "--out", "{out}"]])
def test_an_unreachable_scheduler_is_one_line_and_exit_1(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 0.5)
    args = [a.format(out=tmp_path / "out") for a in command]
    result = invoke(runner, [*args, "--scheduler", "tcp://127.0.0.1:9"], code=1)
    assert result.stderr.startswith("error: --scheduler: no Dask scheduler answers at 'tcp://127.0.0.1:9' within 0.5 s")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_backtest_table_files_and_plot(runner: CliRunner, short_backtest: Any, tmp_path: Path) -> None:
    daily, summary, png = tmp_path / "daily.parquet", tmp_path / "summary.csv", tmp_path / "equity.png"
    args = ["backtest", *WINDOW, "-o", daily, "--summary", summary, "--png", png]
    text = flat(invoke(runner, args).stdout)
    assert "Backtest 2018-01-29 to 2018-02-09" in text and "model-priced" in text
    table = short_backtest.summary
    for name in ("naked", "alvh", "static"):
        assert f"{table.loc[name, 'total_pnl']:+,.0f}" in text
    pd.testing.assert_frame_equal(pd.read_parquet(daily), short_backtest.daily)
    assert list(pd.read_csv(summary, index_col="strategy").index) == ["naked", "alvh", "static"]
    assert_png(png)
