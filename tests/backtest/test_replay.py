"""The replay: deterministic, the same in any number of processes, no look-ahead, and no worker
process or job file left behind when a strategy fails; the full 2014–2018 run (marked slow)
gives the README's figures."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.backtest import BacktestConfig, run_backtest
from alvh.backtest import replay as replay_module
from alvh.backtest.config import STRATEGIES
from alvh.backtest.strategy import Strategy
from alvh.exceptions import InputError
from alvh.market.history import load_history
from alvh.scale.cluster import SCHEDULER_ENV
from tests.backtest.runs import HISTORY, short_run
from tests.scale.processes import descendants, still_running

# --- determinism and look-ahead -----------------------------------------------------------------


def test_runs_are_deterministic() -> None:
    history = HISTORY.loc[:"2015-08-28"]
    first, second = short_run(history), short_run(history)
    pd.testing.assert_frame_equal(first.daily, second.daily, check_exact=True)
    pd.testing.assert_frame_equal(first.trades, second.trades, check_exact=True)
    pd.testing.assert_frame_equal(first.actions, second.actions, check_exact=True)


def test_the_text_storage_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay keeps its tables' text as Python strings (speed); pyarrow's give the same run."""
    pytest.importorskip("pyarrow")
    history = HISTORY.loc[:"2015-08-28"]
    python = short_run(history)
    monkeypatch.setattr(replay_module, "REPLAY_TEXT_STORAGE", "pyarrow")
    arrow = short_run(history)
    pd.testing.assert_frame_equal(python.daily, arrow.daily, check_exact=True)
    pd.testing.assert_frame_equal(python.trades, arrow.trades, check_exact=True)
    pd.testing.assert_frame_equal(python.actions, arrow.actions, check_exact=True)


@pytest.mark.parametrize("shared_market_days", [replay_module.SHARED_MARKET_DAYS, 1])
@pytest.mark.parametrize("workers", [2, 3])
def test_processes_change_nothing(
    dask_client: Any, workers: int, shared_market_days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the markets are sent with the jobs (short runs) or computed by each process."""
    monkeypatch.setattr(replay_module, "SHARED_MARKET_DAYS", shared_market_days)
    history = HISTORY.loc[:"2015-08-21"]
    one = short_run(history)
    config = BacktestConfig(start="2015-08-10")
    spread = run_backtest(history, config, workers=workers, scheduler=dask_client.scheduler.address)
    pd.testing.assert_frame_equal(one.daily, spread.daily, check_exact=True)
    pd.testing.assert_frame_equal(one.trades, spread.trades, check_exact=True)
    pd.testing.assert_frame_equal(one.actions, spread.actions, check_exact=True)


def test_markets_given_with_a_run_are_its_days_or_refused() -> None:
    """A run carries the markets of its own trading days (market_days) or none; others are refused
    before any replay."""
    run = replay_module.trading_run(HISTORY.loc[:"2015-08-21"], BacktestConfig(start="2015-08-10"))
    days = tuple(replay_module.market_days(run))
    assert [d.market.as_of.date() for d in days] == [t.date() for t in run.history.index[run.first : run.last]]
    given = replay_module.Run(run.history, run.config, run.first, run.last, days)
    rows = [pd.DataFrame(replay_module.replay(r, ("naked",))["naked"][0]) for r in (given, run)]
    pd.testing.assert_frame_equal(*rows, check_exact=True)
    for wrong in (days[1:], days[:-1], days[1:] + days[:1]):
        with pytest.raises(InputError, match=r"Run.markets: \d+ markets, need one per trading day from 2015-08-10"):
            replay_module.Run(run.history, run.config, run.first, run.last, wrong)


def test_a_short_run_starts_no_process_by_default() -> None:
    before, started = descendants(), set()  # the shared cluster's, if a test started it
    short_run = run_backtest(
        HISTORY.loc[:"2015-08-21"],
        BacktestConfig(start="2015-08-10"),
        progress=lambda done, total: started.update(descendants()),
    )
    assert started - before == set() and len(short_run.daily) > 0


def test_without_dask_it_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    history = HISTORY.loc[:"2015-08-21"]
    one = short_run(history)
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    here = run_backtest(history, BacktestConfig(start="2015-08-10"), workers=3)
    pd.testing.assert_frame_equal(one.daily, here.daily, check_exact=True)


def test_no_look_ahead() -> None:
    """Results up to day t are bit-identical whether the history stops at t or goes on with
    different data after it."""
    t = pd.Timestamp("2015-08-24")
    truncated = short_run(HISTORY.loc[:t])
    altered = HISTORY.loc[:"2015-09-11"].copy()
    after = altered.index > t
    altered.loc[after, "spx"] *= 0.8
    altered.loc[after, "vix"] *= 2.0
    extended = short_run(altered)
    assert extended.end > truncated.end == t.date()
    upto = extended.daily.loc[:t]
    pd.testing.assert_frame_equal(upto, truncated.daily, check_exact=True)
    for name in ("trades", "actions"):
        table = getattr(extended, name)
        pd.testing.assert_frame_equal(
            table[table["date"] <= t].reset_index(drop=True), getattr(truncated, name), check_exact=True
        )


# --- worker processes ---------------------------------------------------------------------------


def test_a_failing_strategy_leaves_no_worker_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where this process and those it starts
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # keep their temporary files
    before = descendants()
    running: set[int] = set()

    def fail(self: Strategy, today: object) -> None:  # this process runs only the ALVH strategy
        running.update(descendants())
        raise RuntimeError("the ALVH strategy failed")

    monkeypatch.setattr(Strategy, "step", fail)
    with pytest.raises(RuntimeError, match="the ALVH strategy failed"):
        run_backtest(HISTORY, BacktestConfig(start="2015-08-10"), workers=3)
    started = running - before
    assert len(started) >= 3  # a scheduler and two workers were running when it failed
    assert not still_running(started)
    assert not list(tmp_path.iterdir())


# --- the whole history --------------------------------------------------------------------------


@pytest.mark.slow
def test_full_history() -> None:
    result = run_backtest(load_history())
    summary = result.summary
    assert list(summary.index) == list(STRATEGIES)
    assert result.start.isoformat() == "2014-03-04" and result.end.isoformat() == "2018-12-31"
    numeric = summary.drop(columns=["pricing", "start", "end", "worst_day_date"]).astype(float)
    assert np.isfinite(numeric.to_numpy()).all()
    for day in ("2015-08-24", "2016-06-24", "2018-02-05"):
        assert pd.Timestamp(day) in result.daily.index.get_level_values("date")
    assert (summary["core_credit"] > 0).all()
    for column in ("core_rolls", "core_reductions"):  # the same core rules
        assert (summary[column] == summary.loc["naked", column]).all()
    _check_readme_figures(summary)


README_ROWS = {
    "total P&L": "total_pnl",
    "annual return": "ann_return",
    "Sharpe": "sharpe",
    "max drawdown": "max_drawdown",
    "worst day": "worst_day",
    "P&L 2015-08-24": "pnl_2015-08-24",
    "P&L 2016-06-24": "pnl_2016-06-24",
    "P&L 2018-02-05": "pnl_2018-02-05",
    "P&L Q4 2018": "pnl_Q4-2018",
    "hedge P&L": "hedge_pnl",
    "hedge premium paid": "hedge_premium",
    "costs": "costs",
    "share of credit kept": "credit_kept",
    "hedge actions": "hedge_actions",
}


def _check_readme_figures(summary: pd.DataFrame) -> None:
    """The README's headline table is this run's. naked and static do not size hedges with the
    MILP and match to the rounding shown; alvh's equally good hedge solutions are broken by HiGHS,
    so its figures may move a little with the scipy/HiGHS version (the README says so)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Backtest", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0]: cells[1:]
        for line in section.splitlines()
        if line.startswith("| ") and (cells := [c.strip() for c in line.strip("|").split("|")])[0] in README_ROWS
    }
    assert set(rows) == set(README_ROWS)
    rolls, reductions = re.search(r"\((\d+) rolls, (\d+) reductions in each\)", section).groups()  # type: ignore[union-attr]
    assert summary.loc["naked", ["core_rolls", "core_reductions"]].tolist() == [int(rolls), int(reductions)]
    for label, column in README_ROWS.items():
        for name, shown in zip(("naked", "alvh", "static"), rows[label], strict=True):
            percent = shown.endswith("%")
            value = float(shown.rstrip(" %").replace(",", "")) / (100 if percent else 1)
            actual = float(summary.loc[name, column])
            if name == "alvh":
                assert value == pytest.approx(actual, rel=0.10, abs=0.02 if percent or column == "sharpe" else 1.0), (
                    label
                )
            else:
                digits = 3 if percent else 2 if column == "sharpe" else 0
                assert round(actual, digits) == pytest.approx(value, abs=1e-9), (label, name)
