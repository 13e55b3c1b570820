"""The executor: values and exceptions come back from the cluster or from a call made here, the
same for any number of workers and without Dask; a worker killed mid-job changes nothing; and
leaving the block after a job or the caller raised leaves no process and no temporary file."""

from __future__ import annotations

import math
import operator
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest

from alvh.backtest import BacktestConfig
from alvh.backtest.replay import Run, replay, trading_run
from alvh.backtest.results import Records, backtest_result
from alvh.exceptions import ClusterError, InputError, MissingDependencyError
from alvh.market.history import load_history
from alvh.scale import Executor
from alvh.scale.cluster import SCHEDULER_ENV
from tests.scale.processes import descendants, still_running

pytest.importorskip("distributed")


@pytest.fixture(params=["here", "cluster"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """An executor that runs its jobs here, and one on the shared 2-worker cluster."""
    if request.param == "here":
        with Executor(workers=0) as here:
            yield here
    else:
        client = request.getfixturevalue("dask_client")
        with Executor(client.scheduler.address) as on_cluster:
            yield on_cluster


def test_values_and_errors_come_back(executor: Executor) -> None:
    factorial = executor.submit(math.factorial, 10)
    parsed = executor.submit(int, "ff", base=16)
    failed = executor.submit(operator.truediv, 1, 0)
    assert factorial.result() == 3628800 and parsed.result() == 255
    with pytest.raises(ZeroDivisionError):
        failed.result()


def test_map_keeps_the_calls_order_and_counts_the_finished(executor: Executor) -> None:
    progress: list[tuple[int, int]] = []
    values = executor.map(pow, [(2, n) for n in range(12)], lambda done, total: progress.append((done, total)))
    assert values == [2**n for n in range(12)]
    assert progress == [(n, 12) for n in range(1, 13)]
    with pytest.raises(ZeroDivisionError):
        executor.map(operator.truediv, [(1, 1), (1, 0)])


def test_where_the_jobs_run(dask_client: Any) -> None:
    with Executor(workers=0) as here:
        assert not here.parallel and here.submit(os.getpid).result() == os.getpid()
    with Executor(dask_client.scheduler.address) as there:
        assert there.parallel and there.submit(os.getpid).result() != os.getpid()


def test_without_dask_jobs_run_here_unless_a_scheduler_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with Executor(workers=2) as executor:
        assert not executor.parallel
        assert executor.map(os.getpid, [(), ()]) == [os.getpid()] * 2
    pattern = r"a sweep \(it runs on Dask\) needs distributed \(pip install 'alvh\[dask\]'\)"
    with (
        pytest.raises(MissingDependencyError, match=pattern),
        Executor("tcp://127.0.0.1:9", feature="a sweep") as named,
    ):
        named.submit(os.getpid)
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://127.0.0.1:9")
    with pytest.raises(MissingDependencyError, match=pattern), Executor(feature="a sweep") as by_environment:
        by_environment.submit(os.getpid)


def test_workers_below_zero_are_refused() -> None:
    with pytest.raises(InputError, match=r"workers = -1 is not allowed: use 0 \(run here\) or more"):
        Executor(workers=-1)


# --- a worker killed mid-job ----------------------------------------------------------------------


def test_a_worker_killed_mid_job_changes_nothing(dask_client: Any) -> None:
    run = trading_run(load_history(start="2015-01-02", end="2015-12-31"), BacktestConfig(start="2015-03-02"))
    undisturbed = _daily(replay(run, ("naked",)), run)
    try:
        with Executor(dask_client.scheduler.address) as executor:
            job = executor.submit(replay, run, ("naked",))
            worker = _running_on(dask_client, job.future.key)
            psutil.Process(dask_client.run(os.getpid, workers=[worker])[worker]).kill()
            rerun = _daily(job.result(), run)
            (held_by,) = dask_client.who_has([job.future])[job.future.key]
    finally:
        dask_client.wait_for_workers(2)  # the nanny restarts the killed worker; the next test needs both
    assert held_by != worker  # it ran again elsewhere
    pd.testing.assert_frame_equal(rerun, undisturbed, check_exact=True)


def test_a_job_that_kills_its_workers_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")  # give up at the first death
    with Executor(workers=1) as executor:
        job = executor.submit(os._exit, 3)
        with pytest.raises(ClusterError, match=r"a job was lost on the Dask cluster: .*_exit"):
            job.result()
        assert executor.submit(pow, 2, 5).result() == 32  # the nanny's new worker takes the next job


def _running_on(client: Any, key: str, timeout_s: float = 60.0) -> str:
    """The address of the worker that runs the task ``key``, once one does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if key in keys:
                return str(worker)
        time.sleep(0.01)
    raise AssertionError(f"no worker started {key} within {timeout_s} s")


def _daily(records: dict[str, Records], run: Run) -> pd.DataFrame:
    config = run.config
    return backtest_result(records, dates=run.history.index, capital=config.capital, config=config).daily


# --- nothing left behind --------------------------------------------------------------------------


@pytest.fixture
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of the test's own, empty, for the files of this process and those it
    starts."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return tmp_path


def test_a_failing_job_leaves_no_process_and_no_file(private_temp: Path) -> None:
    before = descendants()
    with pytest.raises(ZeroDivisionError), Executor(workers=1) as executor:
        executor.submit(time.sleep, 0.0).result()
        started = descendants() - before
        assert len(started) >= 2 and list(private_temp.iterdir())  # a scheduler and a worker, with files
        executor.submit(operator.truediv, 1, 0).result()
    assert not still_running(started)
    assert not list(private_temp.iterdir())


def test_a_local_cluster_starts_with_the_block_before_any_job(private_temp: Path) -> None:
    """The caller prepares its jobs while the processes start; the first job waits for them."""
    before = descendants()
    with Executor(workers=1) as executor:
        started = descendants() - before
        assert len(started) >= 2  # a scheduler and a worker's nanny, before any job
        assert executor.submit(pow, 2, 5).result() == 32
    assert not still_running(started)
    assert not list(private_temp.iterdir())


def test_a_caller_failing_before_any_job_leaves_no_process_and_no_file(private_temp: Path) -> None:
    before = descendants()
    with pytest.raises(KeyboardInterrupt), Executor(workers=1):
        started = descendants() - before
        raise KeyboardInterrupt  # a Ctrl-C while the caller prepares its jobs
    assert started and not still_running(started)
    assert not list(private_temp.iterdir())


def test_a_failing_caller_leaves_no_process_and_no_file(private_temp: Path) -> None:
    before = descendants()
    with pytest.raises(RuntimeError, match="the caller failed"), Executor(workers=1) as executor:
        executor.submit(time.sleep, 60)
        started = descendants() - before
        raise RuntimeError("the caller failed")
    assert not still_running(started)
    assert not list(private_temp.iterdir())
