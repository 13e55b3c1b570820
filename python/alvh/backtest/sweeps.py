"""Backtest sweeps: every run of a plan (:mod:`alvh.backtest.sweep_config`) as a job of the one
executor (:class:`alvh.scale.Executor`: Dask tasks), gathered into one tidy table (README, Sweeps).

Each task runs its backtest in the worker's own process (``workers=1``: no cluster inside a
cluster). The caller loads each daily closes file once and ships it with each run's task, so
workers on other machines need no copy of it. A finished run is written to the cache folder under a hash of
everything its result depends on (the config, the contents of the closes, rules and events files,
alvh's version), so a sweep stopped by Ctrl-C or a crash resumes where it stopped. A run whose
backtest raises records the error in its rows; the others go on. A worker lost mid-run: Dask
runs its task again elsewhere, with the same result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alvh import __version__
from alvh.backtest.config import STRATEGIES, BacktestConfig
from alvh.backtest.replay import run_backtest
from alvh.backtest.sweep_config import Sweep, load_sweep
from alvh.market.history import bundled_history_path, load_history
from alvh.scale.cluster import require_dask
from alvh.scale.executor import Executor

__all__ = ["ERROR_COLUMN", "RUN_COLUMN", "SweepResult", "run_key", "sweep", "sweep_rows"]

RUN_COLUMN = "run"
ERROR_COLUMN = "error"
"""The table's run number and error message columns (the error is empty for a finished run)."""

Rows = list[dict[str, Any]]
"""One run's summary: a row per strategy, plain Python values (dates as ISO strings)."""


@dataclass(frozen=True)
class SweepResult:
    """A sweep's outcome: ``table`` has one row per run and strategy — ``run``, the axis columns,
    ``strategy``, the summary metrics (:func:`alvh.backtest.results.summary_metrics`; dates as
    ISO strings; a figure named like an axis, e.g. ``start``, as ``run_start``) and ``error``
    (empty, or why the run failed: its metrics are then NaN) — and ``cached`` counts the runs
    read from the cache rather than run."""

    plan: Sweep
    table: pd.DataFrame
    cached: int

    @property
    def failed(self) -> int:
        """Runs that raised."""
        return int(self.table.loc[self.table[ERROR_COLUMN] != "", RUN_COLUMN].nunique())


def sweep(
    plan: Sweep | str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    cache: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run every backtest of ``plan`` (a :class:`Sweep`, or a sweep TOML file) on a Dask cluster.

    Parameters
    ----------
    plan
        The runs (:func:`~alvh.backtest.sweep_config.sweep_plan`, :func:`~alvh.backtest.sweep_config.load_sweep`).
    scheduler, workers
        Where the runs go (:func:`alvh.scale.cluster.cluster`): a scheduler address, else a local
        cluster of ``workers`` processes (default: one per core).
    cache
        A folder for finished runs (created with the first): runs found there are not run again.
    progress
        Called as ``progress(runs_done, runs_total)``: once with the cached runs, then after each run.

    Raises
    ------
    MissingDependencyError
        Dask is not installed.
    InputError, ConfigError
        An unreachable scheduler, or a closes file that cannot be read.
    """
    require_dask("alvh sweep")  # a sweep never runs here, one by one
    plan = plan if isinstance(plan, Sweep) else load_sweep(plan)
    files = sorted({run.data for run in plan.runs}, key=str)
    histories = {file: load_history(file) if file is not None else load_history() for file in files}
    keys = {run.number: run_key(run.config, run.data) for run in plan.runs}
    folder = Path(cache) if cache is not None else None
    outcomes: dict[int, Rows | str] = {n: rows for n, key in keys.items() if (rows := _cached(folder, key)) is not None}
    cached, total = len(outcomes), len(plan.runs)
    if progress is not None:
        progress(cached, total)
    pending = [run for run in plan.runs if run.number not in outcomes]
    if pending:
        with Executor(scheduler, workers=workers, feature="alvh sweep", preload=[__name__]) as executor:
            jobs = [executor.submit(run_one, histories[run.data], run.config) for run in pending]
            for position in executor.finished(jobs):
                run = pending[position]
                try:
                    outcome = jobs[position].result()
                except Exception as e:  # the task itself was lost (e.g. its workers kept dying)
                    outcome = f"{type(e).__name__}: {e}"
                outcomes[run.number] = outcome
                if folder is not None and not isinstance(outcome, str):
                    _store(folder, keys[run.number], outcome)
                if progress is not None:
                    progress(len(outcomes), total)
    return SweepResult(plan, sweep_rows(plan, outcomes), cached)


def run_one(history: pd.DataFrame, config: BacktestConfig) -> Rows | str:
    """One run's summary rows, or its error as ``"Kind: message"`` (a Dask task)."""
    try:
        summary = run_backtest(history, config, workers=1).summary
    except Exception as e:  # recorded in the run's rows: the sweep goes on
        return f"{type(e).__name__}: {e}"
    return [{"strategy": name, **{str(k): _plain(v) for k, v in row.items()}} for name, row in summary.iterrows()]


def sweep_rows(plan: Sweep, outcomes: dict[int, Rows | str]) -> pd.DataFrame:
    """The tidy table (see :class:`SweepResult`) of the outcome of each run, in run order."""
    rows = []
    for run in plan.runs:
        outcome = outcomes[run.number]
        fixed = {RUN_COLUMN: run.number, **run.settings}
        if isinstance(outcome, str):
            rows += [{**fixed, "strategy": name, ERROR_COLUMN: outcome} for name in STRATEGIES]
        else:
            rows += [{**fixed, **_renamed(row, run.settings), ERROR_COLUMN: ""} for row in outcome]
    table = pd.DataFrame(rows)
    return table[[c for c in table.columns if c != ERROR_COLUMN] + [ERROR_COLUMN]]


def _renamed(row: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A summary row whose figures named like an axis (``start``, ``end``, ``capital``) are
    called ``run_<name>``: the axis column keeps the run's setting."""
    return {f"{RUN_COLUMN}_{k}" if k in settings else k: v for k, v in row.items()}


def run_key(config: BacktestConfig, data: Path | None) -> str:
    """The hash a run is cached under: its config, the contents of the files it reads (closes,
    rules, events) and alvh's version."""
    files = {"data": data or bundled_history_path(), "rules": config.rules, "events": config.events}
    content = {
        "alvh": __version__,
        "config": config.model_dump(mode="json"),
        "files": {k: hashlib.sha256(Path(v).read_bytes()).hexdigest() for k, v in files.items() if v is not None},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    """A summary value as plain Python, as the cache's JSON gives it back (dates as ISO strings)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    return value


def _cached(folder: Path | None, key: str) -> Rows | None:
    """The rows cached under ``key``, or None (none there, or a file that does not read back)."""
    if folder is None:
        return None
    try:
        entry = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = entry.get("rows") if isinstance(entry, dict) and entry.get("key") == key else None
    return rows if isinstance(rows, list) else None


def _store(folder: Path, key: str, rows: Rows) -> None:
    """Cache a finished run: written to a temporary file and renamed, so that an interrupted
    sweep never leaves a half-written entry."""
    folder.mkdir(parents=True, exist_ok=True)  # on the first finished run: a sweep that fails to start leaves none
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"key": key, "rows": rows}, out)
        os.replace(name, folder / f"{key}.json")
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
