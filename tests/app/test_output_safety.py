"""Output safety of every command that writes (:mod:`alvh.app.output`): an output onto an input is
refused before any work and the input keeps its bytes; the extension's format or a refusal; one
folder rule; atomic writes (a failed or interrupted write leaves no partial file and keeps the old
one); formula-like CSV cells escaped (:mod:`alvh._csv`)."""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import alvh.data
from alvh._csv import formula_safe
from alvh.app import book_commands, cli, grid_command, market_commands, output
from alvh.app.cli import app
from tests.risk.test_bulk import make_legs

BOOK = alvh.data.example_book_path()
MARKET = alvh.data.example_market_path()
HISTORY = alvh.data.example_history_path()
HOSTILE = "=cmd|' /C calc'!A0"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Copies of the example inputs (a TOML and a CSV book, the market, daily closes) in tmp_path."""
    paths = {
        "book.toml": shutil.copy(BOOK, tmp_path / "book.toml"),
        "m.toml": shutil.copy(MARKET, tmp_path / "m.toml"),
        "closes.csv": shutil.copy(HISTORY, tmp_path / "closes.csv"),
    }
    make_legs(1).to_csv(tmp_path / "book.csv", index=False)
    return {name: Path(path) for name, path in {**paths, "book.csv": tmp_path / "book.csv"}.items()}


def invoke(runner: CliRunner, args: Sequence[Any], *, code: int) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert isinstance(result.exception, (SystemExit, type(None))), f"raised {result.exception!r}\n{result.output}"
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\n{result.output}"
    return result


def refused(runner: CliRunner, args: Sequence[Any]) -> str:
    """The one-line message of a command refused with exit code 1."""
    result = invoke(runner, args, code=1)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return " ".join(result.stderr.split())


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command's work fails the test if it starts: the checks must come first."""

    def work(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the command started its work before refusing its outputs")

    for module, name in (
        (grid_command, "scenario_grid"),
        (cli, "risk_report"),
        (cli, "run_backtest"),
        (cli, "LegStream"),
        (cli, "load_history"),
        (market_commands, "calibrate_market"),
        (book_commands, "import_positions"),
    ):
        monkeypatch.setattr(module, name, work)


# --- never onto an input -------------------------------------------------------------------------

DATA_LOSS = {
    "grid --csv BOOK": (["grid", "book.csv", "-m", "m.toml", "--csv", "book.csv"], "--csv", "BOOK"),
    "grid --csv MARKET": (["grid", "book.toml", "-m", "m.toml", "--csv", "m.toml"], "--csv", "--market"),
    "grid --png BOOK": (["grid", "book.toml", "-m", "m.toml", "--png", "book.toml"], "--png", "BOOK"),
    "backtest -o DATA": (["backtest", "--data", "closes.csv", "-o", "closes.csv"], "--output", "--data"),
    "report --journal BOOK": (["report", "book.toml", "-m", "m.toml", "--journal", "book.toml"], "--journal", "BOOK"),
    "greeks -o LEGS": (["greeks", "book.csv", "-m", "m.toml", "-o", "book.csv"], "--output", "LEGS"),
}


@pytest.mark.parametrize("case", DATA_LOSS, ids=list(DATA_LOSS))
def test_an_output_onto_an_input_is_refused_and_the_input_kept(
    runner: CliRunner, inputs: dict[str, Path], no_work: None, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    args, output, given = DATA_LOSS[case]
    monkeypatch.chdir(inputs["book.toml"].parent)
    before = {name: path.read_bytes() for name, path in inputs.items()}
    message = refused(runner, args)
    target = args[args.index(output if output in args else "-o") + 1]
    assert f"{output} {target} is the same file as {given} {target} (an input)" in message, message
    assert {name: path.read_bytes() for name, path in inputs.items()} == before


def test_an_output_through_a_symlink_onto_an_input_is_refused(
    runner: CliRunner, inputs: dict[str, Path], no_work: None
) -> None:
    link = inputs["book.toml"].parent / "scenarios.csv"
    link.symlink_to(inputs["book.toml"])
    before = inputs["book.toml"].read_bytes()
    message = refused(runner, ["grid", inputs["book.toml"], "-m", inputs["m.toml"], "--csv", link])
    assert f"--csv {link} is the same file as BOOK {inputs['book.toml']}" in message
    assert inputs["book.toml"].read_bytes() == before


def test_two_outputs_onto_one_file_are_refused(runner: CliRunner, tmp_path: Path, no_work: None) -> None:
    table = tmp_path / "t.csv"
    message = refused(runner, ["backtest", "-o", table, "--summary", table])
    assert f"--summary {table} is the same file as --output {table} (another output)" in message


# --- the extension's format, or a refusal, before the work ---------------------------------------

FORMATS = {
    "grid --png g.pdf": (
        ["grid", BOOK, "-m", MARKET, "--png", "g.pdf"],
        "--png g.pdf: alvh cannot write a '.pdf' file",
    ),
    "grid --csv g.parquet": (["grid", BOOK, "-m", MARKET, "--csv", "g.parquet"], "--csv g.parquet: alvh cannot write"),
    "grid --parquet g.csv": (["grid", BOOK, "-m", MARKET, "--parquet", "g.csv"], "--parquet g.csv: alvh cannot"),
    "backtest -o d.xlsx": (["backtest", "-o", "d.xlsx"], "--output d.xlsx: alvh cannot write a '.xlsx' file here; use"),
    "backtest --png e": (
        ["backtest", "--png", "e"],
        "--png e: alvh cannot write a file without extension here; use .png",
    ),
    "greeks -o g.txt": (["greeks", BOOK, "-m", MARKET, "-o", "g.txt"], "--output g.txt: alvh cannot write a '.txt'"),
    "history --png t.svg": (["history", "j.db", "--png", "t.svg"], "--png t.svg: alvh cannot write a '.svg' file"),
}


@pytest.mark.parametrize("case", FORMATS, ids=list(FORMATS))
def test_a_format_alvh_cannot_write_is_refused_before_the_work(
    runner: CliRunner, tmp_path: Path, no_work: None, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    args, expected = FORMATS[case]
    monkeypatch.chdir(tmp_path)
    assert expected in refused(runner, args)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [["grid", BOOK, "-m", MARKET, "--parquet", "g.parquet"], ["backtest", "--summary", "s.pq"]],
    ids=["grid", "backtest"],
)
def test_parquet_without_pyarrow_is_refused_before_the_work(
    runner: CliRunner, tmp_path: Path, no_work: None, monkeypatch: pytest.MonkeyPatch, args: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails as without pyarrow
    assert "writing Parquet needs pyarrow (pip install 'alvh[parquet]')" in refused(runner, args)


# --- folders: one rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["report", BOOK, "-m", MARKET, "--plots", "missing/plots"], "--plots"),
        (["demo", "--out", "missing/plots"], "--out"),
    ],
    ids=["report --plots", "demo --out"],
)
def test_an_output_folder_with_a_missing_parent_is_refused_before_the_work(
    runner: CliRunner, tmp_path: Path, no_work: None, monkeypatch: pytest.MonkeyPatch, args: list[Any], option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    message = refused(runner, args)
    assert (
        f"{option} missing/plots: no such folder missing (alvh creates the output folder, not its parents)" in message
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["report", BOOK, "-m", MARKET, "--journal", "missing/risk.db"],
        ["grid", BOOK, "-m", MARKET, "--csv", "missing/g.csv"],
        ["backtest", "-o", "missing/d.csv"],
    ],
    ids=["report --journal", "grid --csv", "backtest -o"],
)
def test_an_output_file_in_a_missing_folder_is_refused_before_the_work(
    runner: CliRunner, tmp_path: Path, no_work: None, monkeypatch: pytest.MonkeyPatch, args: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "no such folder missing (the folder of an output file must exist)" in refused(runner, args)
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_that_is_a_file_and_a_file_that_is_a_folder_are_refused(
    runner: CliRunner, tmp_path: Path, no_work: None
) -> None:
    plain = tmp_path / "plots"
    plain.write_text("not a folder")
    message = refused(runner, ["report", BOOK, "-m", MARKET, "--plots", plain])
    assert f"--plots {plain}: not a folder (this option names a folder)" in message
    message = refused(runner, ["grid", BOOK, "-m", MARKET, "--csv", tmp_path])
    assert f"--csv {tmp_path}: is a folder; name a file" in message


def test_a_folder_without_write_permission_is_refused_before_the_work(
    runner: CliRunner, tmp_path: Path, no_work: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as the folder's permissions would (a test run as root writes anywhere)
    monkeypatch.setattr(output.os, "access", lambda path, mode: Path(path) != tmp_path)
    message = refused(runner, ["grid", BOOK, "-m", MARKET, "--csv", tmp_path / "g.csv"])
    assert f"--csv {tmp_path / 'g.csv'}: no permission to write in the folder {tmp_path}" in message
    message = refused(runner, ["report", BOOK, "-m", MARKET, "--plots", tmp_path / "plots"])
    assert f"--plots {tmp_path / 'plots'}: no permission to write in the folder {tmp_path}" in message


def test_a_missing_output_folder_is_created_and_holds_only_the_plots(runner: CliRunner, tmp_path: Path) -> None:
    invoke(runner, ["report", BOOK, "-m", MARKET, "--plots", tmp_path / "plots"], code=0)
    names = {p.name for p in (tmp_path / "plots").iterdir()}
    assert "risk_profile.png" in names and not [n for n in names if n.startswith(".")], names


# --- atomic writes -------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError], ids=["Ctrl-C", "disk error"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_partial_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    old = tmp_path / "g.png"
    old.write_bytes(b"the previous plot")

    def half_written(grid: Any, path: Path, **kwargs: Any) -> Path:
        Path(path).write_bytes(b"\x89PNG half")
        raise error(28, "No space left on device") if error is OSError else error()

    monkeypatch.setattr(grid_command.plots, "scenario_heatmap", half_written)
    result = invoke(runner, ["grid", BOOK, "-m", MARKET, "--png", old], code=130 if error is KeyboardInterrupt else 1)
    assert result.stderr.count("\n") == 1, result.stderr
    assert old.read_bytes() == b"the previous plot"
    assert [p.name for p in tmp_path.iterdir()] == ["g.png"]


def test_greeks_csv_escapes_a_hostile_layer_name(runner: CliRunner, tmp_path: Path) -> None:
    legs, out = tmp_path / "legs.csv", tmp_path / "g.csv"
    make_legs(4).assign(layer=HOSTILE).to_csv(legs, index=False)
    invoke(runner, ["greeks", legs, "-m", MARKET, "-o", out], code=0)
    layers = set(pd.read_csv(out)["layer"])
    assert layers == {"'" + HOSTILE}


def test_greeks_of_a_file_without_legs_is_refused_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    legs, out = tmp_path / "legs.csv", tmp_path / "g.parquet"
    make_legs(1).iloc[:0].to_csv(legs, index=False)  # the header only
    result = invoke(runner, ["greeks", legs, "-m", MARKET, "-o", out], code=1)
    assert f"{legs}: no legs to value" in " ".join(result.stderr.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legs.csv"]


def test_a_report_whose_plots_fail_is_not_journalled(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> list[Path]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "write_plots", broken)
    journal = tmp_path / "risk.db"
    invoke(runner, ["report", BOOK, "-m", MARKET, "--plots", tmp_path / "plots", "--journal", journal], code=1)
    assert not journal.exists()


def test_interrupted_greeks_leave_no_partial_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    legs = tmp_path / "legs.csv"
    make_legs(4).to_csv(legs, index=False)
    calls = []
    real = cli.LegStream.__iter__

    def interrupted(self: Any) -> Any:
        for rows in real(self):
            calls.append(rows)
            if len(calls) == 2:
                raise KeyboardInterrupt
            yield rows

    monkeypatch.setattr(cli.LegStream, "__iter__", interrupted)
    result = invoke(runner, ["greeks", legs, "-m", MARKET, "-o", tmp_path / "g.csv", "--chunk-size", "5"], code=130)
    assert result.stderr == "interrupted\n"
    assert [p.name for p in tmp_path.iterdir()] == ["legs.csv"]


# --- formula-like cells --------------------------------------------------------------------------


def test_formula_like_cells_are_escaped_and_numbers_stay_numbers() -> None:
    frame = pd.DataFrame(
        {
            "text": [HOSTILE, "+1+2", "-x", "@SUM(A1:A9)", "\tX", "\rX", "-1.5", "+2", "core", None],
            "number": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        },
        index=["=A1", *"abcdefghi"],
    ).rename(columns={"number": "@n"})
    safe = formula_safe(frame)
    assert safe["text"].iloc[:9].tolist() == [
        "'" + HOSTILE,
        "'+1+2",
        "'-x",
        "'@SUM(A1:A9)",
        "'\tX",
        "'\rX",
        "-1.5",
        "+2",
        "core",
    ]
    assert pd.isna(safe["text"].iloc[9])
    assert list(safe.columns) == ["text", "'@n"] and safe.index[0] == "'=A1"
    assert safe["'@n"].tolist() == frame["@n"].tolist()
    assert frame["text"].iloc[0] == HOSTILE  # the caller's frame is not changed


def test_grid_csv_escapes_a_hostile_layer_name(runner: CliRunner, tmp_path: Path) -> None:
    book = tmp_path / "book.toml"
    book.write_text(BOOK.read_text().replace('name = "L1"', f'name = "{HOSTILE}"', 1))
    out = tmp_path / "g.csv"
    invoke(runner, ["grid", book, "-m", MARKET, "--csv", out], code=0)
    with out.open(newline="") as f:
        header = next(csv.reader(f))
    assert "'" + HOSTILE in header and HOSTILE not in header
