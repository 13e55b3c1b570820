"""``alvh scan`` (on the test cluster by ``--scheduler``): its per-layer sums and scenarios equal
the library's scans, and its errors — no matching file, an output over an input, an unreachable
scheduler — are one clear line and exit code 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alvh.data import example_market
from alvh.scale.scan import scan_greeks, scan_grid
from tests.app.cli_runs import flat, invoke
from tests.helpers import random_legs

pytest.importorskip("distributed")

MARKET_FILE = Path(__file__).parents[2] / "python" / "alvh" / "data" / "example_market.toml"
MARKET = example_market()


@pytest.fixture(scope="module")
def legs_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("legs")
    for k in range(3):
        frame = random_legs(
            MARKET, 150, seed=k, layers=["core", "L1", "L2"], kind_weights=[0.3, 0.4, 0.3], entry_prices=True
        )
        frame.to_parquet(folder / f"legs-{k}.parquet", index=False)
    return folder


def test_scan_sums_equal_the_library(runner: CliRunner, dask_client: Any, legs_files: Path, tmp_path: Path) -> None:
    glob = str(legs_files / "legs-*.parquet")
    address = dask_client.scheduler.address
    out = tmp_path / "sums.csv"
    result = invoke(runner, ["scan", glob, "--market", MARKET_FILE, "--scheduler", address, "-o", out])
    assert "per-layer sums" in result.stdout
    want = scan_greeks(glob, MARKET, client=dask_client)
    pd.testing.assert_frame_equal(pd.read_csv(out, index_col=0), want, check_names=False, rtol=1e-15)


def test_scan_grid_equals_the_library(runner: CliRunner, dask_client: Any, legs_files: Path, tmp_path: Path) -> None:
    glob = str(legs_files / "legs-*.parquet")
    out = tmp_path / "grid.parquet"
    args = ["--spot", "-10,0,5", "--vol", "0,5", "--days", "0,3"]
    invoke(
        runner,
        ["scan", glob, "-m", MARKET_FILE, "--grid", *args, "--scheduler", dask_client.scheduler.address, "-o", out],
    )
    want = scan_grid(
        glob, MARKET, client=dask_client, spot_shocks=[-0.1, 0.0, 0.05], vol_shifts=[0.0, 5.0], horizons=[0.0, 3.0]
    ).to_frame()
    got = pd.read_parquet(out)
    assert list(got.columns) == list(want.columns)
    np.testing.assert_array_equal(got.to_numpy(np.float64), want.to_numpy(np.float64))


def test_scan_errors_are_one_line_and_exit_1(runner: CliRunner, legs_files: Path, tmp_path: Path) -> None:
    market = ["--market", MARKET_FILE]
    none = invoke(runner, ["scan", str(tmp_path / "nothing-*.parquet"), *market], code=1)
    assert "no file matches" in flat(none.output)
    over = invoke(runner, ["scan", str(legs_files / "*.parquet"), *market, "-o", legs_files / "legs-1.parquet"], code=1)
    assert "is the same file as LEGS" in flat(over.output)
    away = invoke(runner, ["scan", str(legs_files / "*.parquet"), *market, "--scheduler", "tcp://127.0.0.1:9"], code=1)
    assert "--scheduler: no Dask scheduler answers" in flat(away.output)


def test_scan_is_listed_with_its_help(runner: CliRunner) -> None:
    assert "scan" in invoke(runner, ["--help"]).stdout
    assert "Example" in invoke(runner, ["scan", "--help"]).stdout
