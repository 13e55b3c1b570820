"""``alvh market build``, ``alvh book import`` and ``alvh report`` from chain files: the files they
write equal the library's results for the same inputs, their refusals come before any work, and
every error is one line naming the file, line and field (exit 1, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import alvh.data
from alvh.app.report import risk_report
from alvh.book import book_toml, import_positions, load_book
from alvh.market.calibration import calibrate_market, market_toml
from alvh.market.quotes import read_chain, read_vix_futures
from alvh.market.snapshot import load_market
from tests.app.cli_runs import as_json, flat, invoke
from tests.helpers import assert_png

SPX = alvh.data.example_spx_chain_path()
VIX = alvh.data.example_vix_chain_path()
FUTURES = alvh.data.example_vix_futures_path()
POSITIONS = alvh.data.example_positions_path()
CHAINS = ["--spx-chain", SPX, "--vix-chain", VIX, "--vix-futures", FUTURES]
AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def calibration() -> object:
    spx = read_chain(SPX)
    return calibrate_market(
        spx, vix_chain=read_chain(VIX), vix_futures=read_vix_futures(FUTURES, as_of=spx.quote_time.date())
    )


def test_market_build_writes_the_calibrated_market(runner: CliRunner, calibration: object, tmp_path: Path) -> None:
    out, report, quotes, plots = (tmp_path / n for n in ("market.toml", "fit.csv", "quotes.parquet", "fit"))
    result = invoke(
        runner, ["market", "build", *CHAINS, "-o", out, "--report", report, "--quotes", quotes, "--plots", plots]
    )
    assert out.read_text() == market_toml(calibration.market)  # type: ignore[attr-defined]
    assert load_market(out) == calibration.market  # type: ignore[attr-defined]
    written = pd.read_csv(report)
    assert len(written) == len(calibration.report) == 8  # type: ignore[attr-defined]
    assert set(written["root"]) == {"SPX", "SPXW"}
    assert len(pd.read_parquet(quotes)) == len(calibration.points)  # type: ignore[attr-defined]
    pngs = sorted(p.name for p in plots.iterdir())
    assert "atm_term_structure.png" in pngs
    assert "smile_2026-12-18_am.png" in pngs and "smile_2026-12-18_pm.png" in pngs
    assert len(pngs) == 9
    for png in plots.iterdir():
        assert_png(png)
    text = flat(result.output)
    assert "2026-12-18 SPX AM" in text and "2026-12-18 SPXW PM" in text
    assert "Market written to" in text


def test_report_from_chains_equals_the_report_from_the_built_market(
    runner: CliRunner, calibration: object, tmp_path: Path
) -> None:
    book = tmp_path / "book.toml"
    invoke(runner, ["book", "import", POSITIONS, "--as-of", AS_OF, "-o", book])
    result = invoke(runner, ["report", book, *CHAINS, "--json"])
    expected = risk_report(load_book(book), calibration.market)  # type: ignore[attr-defined]
    assert json.loads(result.stdout) == as_json(expected.to_dict())


def test_book_import_writes_the_imported_book(runner: CliRunner, tmp_path: Path) -> None:
    out, report = tmp_path / "book.toml", tmp_path / "import.csv"
    result = invoke(runner, ["book", "import", POSITIONS, "--as-of", AS_OF, "-o", out, "--report", report])
    imported = import_positions(POSITIONS, as_of=pd.Timestamp(AS_OF).date())
    assert out.read_text() == book_toml(imported.book)
    assert len(load_book(out).legs) == 17
    written = pd.read_csv(report)
    assert written["rule"].tolist() == imported.report["rule"].tolist()
    assert "IC-SPXW-2026-11-27-5705-5755-6010-6060" in flat(result.output)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["market", "build", "-o", "m.toml"],
            2,
            "--spx-chain, --vix-chain, --vix-futures: needed to",
        ),
        (["market", "build", "--spx-chain", SPX, "-o", "m.toml"], 2, "--vix-chain, --vix-futures: needed to calibrate"),
        (["market", "build", *CHAINS, "-o", SPX], 1, "is the same file as --spx-chain"),
        (["market", "build", *CHAINS, "-o", "m.json"], 1, "alvh cannot write a '.json' file here; use .toml"),
        (["report", "book.toml"], 2, "give either --market MARKET.toml or --spx-chain FILE"),
        (["report", "book.toml", "-m", "m.toml", "--vix-chain", VIX], 2, "--vix-chain and --vix-futures go with"),
        (["book", "import", POSITIONS, "--as-of", AS_OF, "-o", POSITIONS], 1, "is the same file as POSITIONS"),
    ],
)
def test_refusals(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[object], code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book.toml").write_text(alvh.data.example_book_path().read_text())
    result = invoke(runner, args, code=code)  # 2: a usage error, 1: an input error
    assert message in flat(result.output)
    assert not (tmp_path / "m.toml").exists()


def test_a_bad_chain_line_is_named(runner: CliRunner, tmp_path: Path) -> None:
    lines = SPX.read_text().splitlines()
    lines[5] = lines[5].replace(",SPXW261127C", ",SPXW261127X", 1)
    bad = tmp_path / "spx.csv"
    bad.write_text("\n".join(lines) + "\n")
    args = [
        "market",
        "build",
        "--spx-chain",
        bad,
        "--vix-chain",
        VIX,
        "--vix-futures",
        FUTURES,
        "-o",
        tmp_path / "m.toml",
    ]
    text = flat(invoke(runner, args, code=1).output)
    assert f"{bad}: line 6: Calls" in text
    assert not (tmp_path / "m.toml").exists()
    skipped = invoke(runner, [*args, "--skip-invalid"])  # that line left out and listed, the rest calibrates
    assert (tmp_path / "m.toml").exists()
    assert f"{bad}: 1 line(s) with 1 problem(s) left out (--skip-invalid): line 6: Calls = 'SPXW261127X" in flat(
        skipped.stderr
    )


def test_a_refused_position_is_named(runner: CliRunner, tmp_path: Path) -> None:
    positions = tmp_path / "positions.csv"
    positions.write_text(POSITIONS.read_text() + "SPY   261218C00600000,1,5.0\n")  # no SPY options in a book
    out = tmp_path / "book.toml"
    text = flat(invoke(runner, ["book", "import", positions, "--as-of", AS_OF, "-o", out], code=1).output)
    assert f"{positions}: line 19" in text and "SPY" in text
    assert not out.exists()
    invoke(runner, ["book", "import", positions, "--as-of", AS_OF, "-o", out, "--skip-invalid"])
    assert len(load_book(out).legs) == 17
