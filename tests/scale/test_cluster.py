"""Where parallel work runs: a local cluster of worker processes started and stopped with the
block, any running cluster by address (argument or environment), and clear errors when Dask is
missing or no scheduler answers."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil
import pytest

from alvh.exceptions import InputError, MissingDependencyError
from alvh.scale import cluster as cluster_module
from alvh.scale.cluster import SCHEDULER_ENV, cluster, starting_cluster
from tests.scale.processes import still_running

distributed = pytest.importorskip("distributed")
SubprocessCluster = pytest.importorskip("distributed.deploy.subprocess").SubprocessCluster


def test_a_local_cluster_runs_work_in_its_own_processes_and_leaves_none_behind() -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with cluster(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        pids = set(client.gather([client.submit(os.getpid, pure=False) for _ in range(8)]))
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
    after = {p.pid for p in psutil.Process().children(recursive=True)}
    assert after <= before
    assert not still_running(pids)


@pytest.mark.parametrize(
    "settings",
    [
        {"distributed.worker.preload": "pyclbr"},  # one module, as Dask takes it too
        {"distributed.worker.preload": ["pyclbr"], "distributed.worker.preload-argv": [[]]},  # argv per module
    ],
)
def test_a_local_cluster_starts_as_the_block_begins_and_imports_the_jobs_modules(settings: dict[str, Any]) -> None:
    """Its processes start before anything waits for them (the caller prepares its jobs
    meanwhile), and its workers import the jobs' modules (``preload``), after those the user's
    Dask settings name, as they start rather than when the first job arrives."""
    dask = pytest.importorskip("dask")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with dask.config.set(settings), starting_cluster(workers=1, preload=["tabnanny"]) as connect:
        started = {p.pid for p in psutil.Process().children(recursive=True)} - before
        assert len(started) >= 2  # the scheduler and the worker's nanny, not yet connected to
        client = connect()
        imported = client.run(lambda: [m for m in sys.modules if m in ("pyclbr", "tabnanny")])  # in import order
    assert list(imported.values()) == [["pyclbr", "tabnanny"]]
    assert not still_running(started)


def test_a_running_cluster_by_address_is_used_and_left_running() -> None:
    with (
        SubprocessCluster(
            n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
        ) as remote,
        distributed.Client(remote, set_as_default=False) as owner,
    ):
        owner.wait_for_workers(1)
        with cluster(remote.scheduler_address) as client:
            assert client.submit(sum, [1, 2, 3]).result() == 6
        assert owner.submit(sum, [4]).result() == 4  # still up after the block


def test_the_environment_names_the_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 0.5)
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://127.0.0.1:9")
    with (
        pytest.raises(InputError, match=rf"{SCHEDULER_ENV}: no Dask scheduler answers at 'tcp://127.0.0.1:9'"),
        cluster(),
    ):
        pass


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 0.5)
    with (
        pytest.raises(InputError, match=r"--scheduler: no Dask scheduler answers at 'tcp://127.0.0.1:9' within 0.5 s"),
        cluster("tcp://127.0.0.1:9"),
    ):
        pass


def test_workers_must_be_positive() -> None:
    with pytest.raises(InputError, match="workers = 0 is not allowed"), cluster(workers=0):
        pass


def test_without_dask_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with (
        pytest.raises(
            MissingDependencyError,
            match=r"a sweep \(it runs on Dask\) needs distributed \(pip install 'alvh\[dask\]'\)",
        ),
        cluster(feature="a sweep"),
    ):
        pass


def test_the_shared_cluster_has_two_workers(dask_client: Any) -> None:
    assert len(dask_client.scheduler_info()["workers"]) == 2
    assert dask_client.submit(pow, 2, 10).result() == 1024


def test_local_workers_keep_glibcs_adaptive_memory_trimming(dask_client: Any) -> None:
    """Dask's nanny would set MALLOC_TRIM_THRESHOLD_ (a fixed threshold: slower partitions); its
    other settings (one numpy thread per single-threaded worker) stay."""
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("this process sets MALLOC_TRIM_THRESHOLD_ itself: the workers inherit it")
    settings = dask_client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert set(settings.values()) == {(None, "1")}


def test_local_processes_spend_no_cpu_on_what_nothing_here_reads(dask_client: Any) -> None:
    """No worker samples its jobs for Dask's profile (the local cluster has no dashboard), and the
    scheduler and workers check their event loops once a second, not every 20 ms."""

    def settings(dask_worker: Any = None, dask_scheduler: Any = None) -> tuple[bool, float]:
        server = dask_worker or dask_scheduler
        return "profile" in server.periodic_callbacks, server._tick_interval

    assert set(dask_client.run(settings).values()) == {(False, 1.0)}
    assert dask_client.run_on_scheduler(settings) == (False, 1.0)


def test_a_ctrl_c_while_connecting_takes_effect_once_connected(
    dask_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client interrupted half-made would be closed by the garbage collector at exit, which
    then waits forever for its event loop: the Ctrl-C is held until the client is made, and the
    client is closed on the way out."""
    made: list[Any] = []

    class InterruptedWhileConnecting(distributed.Client):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the constructor ends

    monkeypatch.setattr(distributed, "Client", InterruptedWhileConnecting)
    with pytest.raises(KeyboardInterrupt), cluster(dask_client.scheduler.address):
        pytest.fail("the block ran after a Ctrl-C")
    assert [client.status for client in made] == ["closed"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_while_stopping_the_cluster_stops_it_all_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    suspend = psutil.Process.suspend

    def interrupted(process: psutil.Process) -> None:  # Ctrl-C as the first process is frozen
        suspend(process)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(psutil.Process, "suspend", interrupted)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(KeyboardInterrupt), cluster(workers=1):
        started = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert len(started) >= 3 and not still_running(started)
    assert not list(tmp_path.iterdir())
