"""``alvh sweep``: the table, the plot and the cache it writes (on the shared 2-worker cluster, by
address), a second run read from the cache, failed runs reported, and its errors — a bad axis
name, an unknown field, an unreachable scheduler, no Dask, outputs onto inputs — as one clear
line and exit code 1, before any run; Ctrl-C stops the cluster and keeps the finished runs."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
from PIL import Image
from typer.testing import CliRunner

import alvh.scale.cluster as cluster_module
from alvh.app.figures import FIGURE_SIZE_PX
from alvh.market.history import bundled_history_path
from tests.app.cli_runs import flat, invoke
from tests.app.test_interrupts import assert_one_line, interrupt

pytest.importorskip("distributed")

SWEEP = """
[base]
start = 2015-08-10
end = 2015-08-21

[axes]
ladder.short_delta = [0.10, 0.12]

[plot]
metric = "total_pnl"
"""


def write(folder: Path, text: str = SWEEP) -> Path:
    path = folder / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_writes_the_table_the_plot_and_the_cache(runner: CliRunner, dask_client: Any, tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["sweep", write(tmp_path), "--out", out, "--scheduler", dask_client.scheduler.address]
    text = flat(invoke(runner, args).output)
    assert sorted(p.name for p in out.iterdir()) == ["cache", "sweep.csv", "sweep.png"]  # no partial file
    table = pd.read_csv(out / "sweep.csv", keep_default_na=False)
    assert list(table["run"]) == [0, 0, 0, 1, 1, 1] and list(table["ladder.short_delta"]) == [0.1] * 3 + [0.12] * 3
    assert list(table["strategy"]) == ["naked", "alvh", "static"] * 2 and set(table["error"]) == {""}
    assert len(list((out / "cache").iterdir())) == 2
    with Image.open(out / "sweep.png") as image:
        assert image.size == FIGURE_SIZE_PX
    assert "total_pnl per run (model-priced)" in text and "2 runs (0 from the cache)" in text
    alvh_pnl = table.loc[(table["run"] == 1) & (table["strategy"] == "alvh"), "total_pnl"].iloc[0]
    assert f"{alvh_pnl:,.0f}" in text
    again = flat(invoke(runner, [*args, "--parquet"]).output)
    assert "2 runs (2 from the cache)" in again
    from_csv = pd.read_csv(out / "sweep.csv").assign(error="")  # every run finished (above)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), from_csv, check_dtype=False)


def test_failed_runs_are_reported_and_the_rest_written(runner: CliRunner, dask_client: Any, tmp_path: Path) -> None:
    sweep = write(tmp_path, "[axes]\nladder.short_delta = [0.10, 0.12]\nstart = [2030-01-02]\n")  # after the history
    out = tmp_path / "results"
    result = invoke(runner, ["sweep", sweep, "--out", out, "--scheduler", dask_client.scheduler.address])
    assert "2 of 2 runs failed: see the error column" in flat(result.output)
    assert "no plot: no run finished" in flat(result.output)
    table = pd.read_csv(out / "sweep.csv")
    assert table["error"].str.startswith("InputError: history: no trading day between 2030-01-02").all()
    assert sorted(p.name for p in out.iterdir()) == ["sweep.csv"]  # no plot, and failures are not cached


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("ladder.short_delta", "ladder.short_dleta"), "'ladder.short_dleta': ladder.short_dleta = 0.1: unknown field"),
        (("ladder.short_delta", "ladders.short_delta"), "axis 'ladders.short_delta': ladders: unknown field; allowed:"),
        (("[plot]", "[plots]"), "plots: unknown field; allowed: config, data, base, axes, plot"),
        (("0.12]", "0.7]"), "axis 'ladder.short_delta': ladder.short_delta = 0.7: Input should be less than 0.5"),
        (('"total_pnl"', '"total_pl"'), "plot.metric = 'total_pl' is not a numeric summary column; use one of"),
    ],
)  # fmt: skip
def test_a_bad_sweep_file_is_one_clear_line(
    runner: CliRunner, dask_client: Any, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    sweep = write(tmp_path, SWEEP.replace(*change))
    out = tmp_path / "results"
    result = invoke(runner, ["sweep", sweep, "--out", out, "--scheduler", dask_client.scheduler.address], code=1)
    assert message in flat(result.output) and "Traceback" not in result.output
    # refused before any run, except a bad metric: found once the runs are done, which stay cached
    assert not out.exists() if "plot.metric" not in message else sorted(p.name for p in out.iterdir()) == ["cache"]


def test_an_unreachable_scheduler_is_one_clear_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 0.5)
    result = invoke(
        runner, ["sweep", write(tmp_path), "--out", tmp_path / "r", "--scheduler", "tcp://127.0.0.1:9"], code=1
    )
    assert "--scheduler: no Dask scheduler answers at 'tcp://127.0.0.1:9'" in flat(result.output)
    assert not (tmp_path / "r").exists()


def test_without_dask_it_says_what_to_install(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    out = tmp_path / "r"
    result = invoke(runner, ["sweep", write(tmp_path), "--out", out], code=1)
    assert "alvh sweep (it runs on Dask) needs distributed (pip install 'alvh[dask]')" in flat(result.output)
    assert not out.exists()


def test_outputs_never_overwrite_an_input_and_are_refused_before_any_run(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    data = out / "sweep.csv"
    data.write_bytes(bundled_history_path().read_bytes())
    sweep = write(tmp_path, SWEEP.replace("[base]", f'data = "{data}"\n[base]'))
    result = invoke(runner, ["sweep", sweep, "--out", out, "--scheduler", "tcp://127.0.0.1:9"], code=1)
    assert f"--out sweep.csv {data} is the same file as SWEEP's input #2 {data} (an input)" in flat(result.output)
    assert data.read_bytes() == bundled_history_path().read_bytes() and sorted(out.iterdir()) == [data]
    result = invoke(runner, ["sweep", sweep, "--out", sweep], code=1)
    assert "not a folder" in flat(result.output)


def test_an_interrupted_sweep_exits_130_keeps_its_finished_runs_and_stops_its_cluster(tmp_path: Path) -> None:
    sweep = write(tmp_path, SWEEP.replace("[0.10, 0.12]", "[0.10, 0.11, 0.12, 0.13, 0.14, 0.15]"))
    cache = tmp_path / "out" / "cache"
    descendants: list[int] = []

    def one_run_cached(pid: int) -> bool:
        if cache.is_dir() and any(p.suffix == ".json" for p in cache.iterdir()):
            descendants.extend(p.pid for p in psutil.Process(pid).children(recursive=True))
            return True
        return False

    code, stderr, _ = interrupt(["sweep", sweep, "--out", "out", "--workers", 1], one_run_cached, tmp_path)
    assert_one_line(code, stderr)
    assert descendants, "the sweep had no cluster process when interrupted"
    deadline = time.monotonic() + 20
    while any(psutil.pid_exists(pid) for pid in descendants) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in descendants if psutil.pid_exists(pid)], "cluster processes outlived the sweep"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cache"]  # no table, no partial file
    assert all(p.suffix == ".json" and not p.name.startswith(".") for p in cache.iterdir())  # finished runs kept


def test_help(runner: CliRunner) -> None:
    assert "sweep" in invoke(runner, ["--help"]).stdout
    text = flat(invoke(runner, ["sweep", "--help"]).stdout)
    assert "Example" in text and "--scheduler" in text and "--workers" in text and "--parquet" in text
