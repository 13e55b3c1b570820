"""Sweeps on the shared 2-worker cluster: the table equals the same backtests run directly; a run
that raises records its error while the others finish; an interrupted sweep resumes from its
cache; a worker killed mid-sweep changes nothing. And the cache key: what a run depends on."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest

from alvh.backtest import BacktestConfig, Sweep, run_backtest, sweep, sweep_plan
from alvh.backtest.sweeps import run_key, run_one
from alvh.market.history import bundled_history_path, load_history

pytest.importorskip("distributed")

BASE = BacktestConfig(start=dt.date(2015, 8, 10), end=dt.date(2015, 8, 21))
"""Two weeks: each run takes about half a second."""
PLAN = sweep_plan(BASE, {"ladder.short_delta": [0.10, 0.12], "costs.commission": [0.5, 1.0]})
FAILING = sweep_plan(
    BASE,
    {
        "ladder.units": [5, 10],
        "period": [
            {"start": dt.date(2015, 8, 10), "end": dt.date(2015, 8, 21)},
            {"start": dt.date(2030, 1, 2), "end": dt.date(2030, 1, 31)},  # after the history: the run raises
        ],
    },
)


def address(client: Any) -> str:
    return str(client.scheduler.address)


def direct(plan: Sweep) -> pd.DataFrame:
    """The plan's runs, one after another in this process, as the sweep's table reports them."""
    history = load_history()
    frames = []
    for run in plan.runs:
        try:
            rows = run_backtest(history, run.config, workers=1).summary.reset_index()
        except Exception as e:
            rows = pd.DataFrame({"strategy": ["naked", "alvh", "static"], "error": f"{type(e).__name__}: {e}"})
        rows = rows.rename(columns={c: f"run_{c}" for c in run.settings})
        for column, value in reversed({"run": run.number, **run.settings}.items()):
            rows.insert(0, column, [value] * len(rows))
        frames.append(rows)
    table = pd.concat(frames, ignore_index=True)
    for column in ("start", "end", "run_start", "run_end", "worst_day_date"):
        if column in table and column not in plan.columns:
            table[column] = table[column].map(lambda d: d.isoformat() if isinstance(d, dt.date) else d)
    table["error"] = table["error"].fillna("") if "error" in table else ""
    return table[[c for c in table.columns if c != "error"] + ["error"]]


@pytest.fixture(scope="module")
def undisturbed() -> pd.DataFrame:
    return direct(PLAN)


def test_a_sweep_equals_the_backtests_run_directly(dask_client: Any, undisturbed: pd.DataFrame) -> None:
    seen: list[tuple[int, int]] = []
    result = sweep(PLAN, scheduler=address(dask_client), progress=lambda done, total: seen.append((done, total)))
    assert len(result.table) == 3 * len(PLAN.runs) and result.cached == 0 and result.failed == 0
    pd.testing.assert_frame_equal(result.table, undisturbed, check_dtype=False)
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_run_that_raises_records_its_error_and_the_rest_finish(dask_client: Any) -> None:
    result = sweep(FAILING, scheduler=address(dask_client))
    table = result.table
    failed = table[table["error"] != ""]
    assert sorted(set(failed["run"])) == [1, 3] and result.failed == 2
    assert failed["error"].str.startswith("InputError: history: no trading day between 2030-01-02").all()
    assert failed["total_pnl"].isna().all()
    finished = table[table["error"] == ""]
    assert (finished["start"] == dt.date(2015, 8, 10)).all() and (finished["run_start"] == "2015-08-10").all()
    pd.testing.assert_frame_equal(table, direct(FAILING), check_dtype=False)


def test_an_interrupted_sweep_resumes_from_its_cache(
    dask_client: Any, undisturbed: pd.DataFrame, tmp_path: Path
) -> None:
    class StopError(Exception):
        pass

    def stop_after_two(done: int, total: int) -> None:
        if done == 2:
            raise StopError

    with pytest.raises(StopError):
        sweep(PLAN, scheduler=address(dask_client), cache=tmp_path, progress=stop_after_two)
    entries = sorted(tmp_path.iterdir())
    assert len(entries) == 2 and all(p.suffix == ".json" for p in entries)  # no partial file
    # a cached run is read, not run again: a mark put into its entry comes back
    marked = entries[0]
    marked.write_text(marked.read_text().replace('"pricing": "model-priced"', '"pricing": "cached"'))
    seen: list[int] = []
    result = sweep(PLAN, scheduler=address(dask_client), cache=tmp_path, progress=lambda done, _: seen.append(done))
    assert result.cached == 2 and seen == [2, 3, 4]
    assert (result.table["pricing"] == "cached").sum() == 3  # the three strategies of the marked run
    result.table["pricing"] = "model-priced"
    pd.testing.assert_frame_equal(result.table, undisturbed, check_dtype=False)
    assert len(list(tmp_path.iterdir())) == 4


def test_a_worker_killed_mid_sweep_changes_nothing(dask_client: Any, undisturbed: pd.DataFrame) -> None:
    pids = dask_client.run(os.getpid)
    killed: list[int] = []

    def kill_a_busy_worker(done: int, total: int) -> None:
        if done >= 1 and not killed:
            busy = [worker for worker, keys in dask_client.processing().items() if keys]
            assert busy, "no run in progress to interrupt"
            psutil.Process(pids[busy[0]]).kill()
            killed.append(pids[busy[0]])

    plan = sweep_plan(BASE, {"ladder.short_delta": [0.10, 0.12], "costs.commission": [0.5, 1.0, 0.5, 1.0]})
    try:
        result = sweep(plan, scheduler=address(dask_client), progress=kill_a_busy_worker)
    finally:
        dask_client.wait_for_workers(2, timeout=60)
    assert killed and killed[0] not in dask_client.run(os.getpid).values()  # a new worker took its place
    assert result.failed == 0
    # runs 0-3 are (0.10, 0.5), (0.10, 1.0), (0.10, 0.5), (0.10, 1.0); 4-7 the same at 0.12
    order = [0, 1, 0, 1, 2, 3, 2, 3]
    expected = pd.concat([undisturbed[undisturbed["run"] == n] for n in order], ignore_index=True)
    expected["run"] = [n for n in range(8) for _ in range(3)]
    pd.testing.assert_frame_equal(result.table, expected, check_dtype=False)


def test_the_cache_key_changes_with_the_config_and_the_data(tmp_path: Path) -> None:
    copy = tmp_path / "closes.csv"
    copy.write_bytes(bundled_history_path().read_bytes())
    key = run_key(BASE, None)
    assert run_key(BASE, copy) == key  # the same closes, wherever they are
    assert run_key(BacktestConfig(start=dt.date(2015, 8, 10), end=dt.date(2015, 8, 21)), None) == key
    assert run_key(BASE.model_copy(update={"capital": 2e6}), None) != key
    copy.write_text(copy.read_text().replace("\n2018-12-31,", "\n2018-12-31,1", 1))
    assert run_key(BASE, copy) != key
    rules = tmp_path / "rules.toml"
    rules.write_text("[R-ROLL]\nsessions = 1\n")
    with_rules = BASE.model_copy(update={"rules": str(rules)})
    before = run_key(with_rules, None)
    rules.write_text("[R-ROLL]\nsessions = 2\n")
    assert run_key(with_rules, None) != before  # the file's contents count, not only its name


def test_a_run_is_its_backtests_summary() -> None:
    history = load_history(start="2015-06-01", end="2015-08-21")
    rows = run_one(history, BASE)
    assert isinstance(rows, list) and [row["strategy"] for row in rows] == ["naked", "alvh", "static"]
    summary = run_backtest(history, BASE, workers=1).summary
    assert rows[1]["total_pnl"] == summary.loc["alvh", "total_pnl"]
    assert rows[1]["worst_day_date"] == summary.loc["alvh", "worst_day_date"].isoformat()
    assert run_one(history, BASE.model_copy(update={"start": dt.date(2030, 1, 2), "end": None})).startswith(  # type: ignore[union-attr]
        "InputError: history: no trading day"
    )
