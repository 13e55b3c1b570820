"""Where parallel work runs: a Dask cluster (``dask.distributed``). By default an embedded local
cluster of worker processes, one per core, started as the ``with`` block begins and shut down
with it; with a scheduler address (or :data:`SCHEDULER_ENV`), any running
cluster — started on other machines with ``dask scheduler`` and ``dask worker`` (README, Scale-out).

The local cluster's scheduler and workers (``dask scheduler``, ``dask worker``) are started as
fresh Python processes, not by :mod:`multiprocessing`: a spawn would re-run the caller's main
module (a script without an ``if __name__ == "__main__"`` guard would start over) and a fork would
copy a process whose kernel threads (rayon's) may hold locks. They run in a session of their own,
so a Ctrl-C at the terminal reaches only the caller, which stops them as it leaves the block (in
the caller's process group, the scheduler would stop first and the caller's shutdown would wait
for it). Their files (the scheduler's address, the workers' scratch space, their log) are in one
temporary folder, removed with the block.

Dask is an optional extra (``pip install 'alvh[dask]'``); without it :func:`require_dask` says so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from alvh._optional import require
from alvh.exceptions import AlvhError, ClusterError, InputError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT_S", "SCHEDULER_ENV", "cluster", "jobs_lost_raised", "require_dask", "starting_cluster"]

SCHEDULER_ENV = "ALVH_SCHEDULER"
"""The environment variable naming a scheduler (``tcp://HOST:PORT``) when none is given."""

CONNECT_TIMEOUT_S = 10.0
"""Seconds to wait for a scheduler before giving up with a clear error."""

START_TIMEOUT_S = 60.0
"""Seconds a local cluster's scheduler and workers may take to start."""


def require_dask(feature: str) -> Any:
    """The ``distributed`` module, or a :class:`MissingDependencyError` naming ``feature`` and the
    extra to install (:func:`alvh._optional.require`)."""
    return require("distributed", extra="dask", needed_by=f"{feature} (it runs on Dask)")


@contextmanager
def cluster(
    scheduler: str | None = None, *, workers: int | None = None, feature: str = "this", preload: Sequence[str] = ()
) -> Iterator[Client]:
    """A Dask client for the ``with`` block: connected to ``scheduler`` (or to the address in
    :data:`SCHEDULER_ENV`), else to a new local cluster of ``workers`` worker processes (default:
    one per core), each single-threaded (the Rust kernels bring their own threads; a process per
    core keeps the GIL out of the way), which import the modules ``preload`` as they start. The
    local cluster is shut down when the block ends, even when it raised; a remote one is only
    disconnected from.

    Raises
    ------
    MissingDependencyError
        Dask is not installed (``feature`` names what needed it).
    InputError
        ``workers`` < 1, or no scheduler answers at the address within :data:`CONNECT_TIMEOUT_S`.
    AlvhError
        The local cluster did not start within :data:`START_TIMEOUT_S`.
    """
    with starting_cluster(scheduler, workers=workers, feature=feature, preload=preload) as connect:
        yield connect()


@contextmanager
def starting_cluster(
    scheduler: str | None = None, *, workers: int | None = None, feature: str = "this", preload: Sequence[str] = ()
) -> Iterator[Callable[[], Client]]:
    """:func:`cluster` in two steps, so that a caller can prepare its jobs while a local cluster
    starts: the local processes start as the block begins, and the function it gives returns the
    client, once they are ready (or once connected to the scheduler by address); each call
    connects anew (:class:`~alvh.scale.executor.Executor` calls it on its first job, and again
    on the next one if that failed). With ``preload`` (the jobs' modules) the local workers import
    them meanwhile too, instead of when the first job arrives.

    Raises
    ------
    MissingDependencyError, InputError
        As :func:`cluster`: Dask is missing, or ``workers`` < 1, as the block begins; no
        scheduler at the address, when the function is called.
    AlvhError
        The local cluster did not start within :data:`START_TIMEOUT_S` (when the function is
        called).
    """
    distributed = require_dask(feature)
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    with ExitStack() as stack:
        if address is not None:
            yield lambda: _remote_client(stack, distributed, address, "--scheduler" if scheduler else SCHEDULER_ENV)
            return
        count = workers if workers is not None else os.cpu_count() or 1
        if count < 1:
            raise InputError(f"workers = {count} is not allowed: use at least 1")
        local = stack.enter_context(_local_scheduler(count, preload))
        yield lambda: _local_client(stack, distributed, local(), count)


def _remote_client(stack: ExitStack, distributed: Any, address: str, where: str) -> Client:
    """A client of the scheduler at ``address`` (given by the option or variable ``where``)."""
    try:
        return _connect(stack, distributed, address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(
            f"{where}: no Dask scheduler answers at {address!r} within {CONNECT_TIMEOUT_S:g} s ({e}); "
            "start one with `dask scheduler` or leave the address out to run on this machine"
        ) from None


def _local_client(stack: ExitStack, distributed: Any, address: str, count: int) -> Client:
    """A client of the local scheduler at ``address``, once its ``count`` workers are there."""
    client = _connect(stack, distributed, address)
    try:
        client.wait_for_workers(count, timeout=START_TIMEOUT_S)
    except TimeoutError:
        raise AlvhError(f"the local Dask workers did not start within {START_TIMEOUT_S:g} s") from None
    return client


@contextmanager
def jobs_lost_raised() -> Iterator[None]:
    """Waiting for a cluster's results: a job Dask gave up on (its workers kept dying) or cancelled
    (the cluster went away) raises :class:`~alvh.exceptions.ClusterError`, not Dask's own error."""
    distributed = require_dask("a cluster")
    try:
        yield
    except (distributed.KilledWorker, CancelledError) as e:  # Dask's FutureCancelledError is one (2024.6+)
        raise ClusterError(f"a job was lost on the Dask cluster: {e}") from None


def _connect(stack: ExitStack, distributed: Any, address: str, **options: Any) -> Client:
    """A client of the scheduler at ``address``, closed with ``stack``. A Ctrl-C while it connects
    takes effect once it has: a client interrupted half-made would be closed by the garbage
    collector at exit, which then waits forever for its event loop."""
    with _interrupts_deferred():
        client: Client = stack.enter_context(distributed.Client(address, set_as_default=False, **options))
    return client


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) received in the block and raise it as it ends. Only the main thread
    can set signal handlers; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


@contextmanager
def _local_scheduler(count: int, preload: Sequence[str]) -> Iterator[Callable[[], str]]:
    """Start a local scheduler with ``count`` single-threaded workers (each under a nanny, which
    restarts it if it dies, and importing the modules ``preload``), all in a session of their
    own; the block gets a function that waits for the scheduler's address. Every process and file
    is gone when the block ends."""
    import psutil  # noqa: PLC0415  (a dependency of distributed)

    memory = psutil.virtual_memory().total // count  # as LocalCluster: the machine's memory shared out
    settings = _local_settings(preload)
    with tempfile.TemporaryDirectory(prefix="alvh-dask-") as folder:
        scheduler_file, log = Path(folder) / "scheduler.json", Path(folder) / "dask.log"
        processes: list[subprocess.Popen[bytes]] = []
        try:
            with log.open("ab") as sink:
                start = ["--host", "127.0.0.1", "--no-dashboard", "--scheduler-file", str(scheduler_file)]
                processes.append(_start("dask_scheduler", [*start, "--port", "0"], sink, folder, settings))
                # the workers wait for the scheduler's file themselves: they start at once, their
                # interpreters loading while the scheduler does
                worker = [*start, "--nthreads", "1", "--memory-limit", str(memory)]
                processes.extend(_start("dask_worker", worker, sink, folder, settings) for _ in range(count))
            yield lambda: _address(scheduler_file, processes[0], log)
        finally:
            with _interrupts_deferred():  # a second Ctrl-C must not leave half of them running
                _stop(processes)


def _start(
    command: str, args: list[str], log: BinaryIO, folder: str, settings: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Start a Dask command line in a session of its own, its output to ``log``, its scratch
    space in ``folder``, with the local cluster's ``settings`` (:func:`_local_settings`)."""
    return subprocess.Popen(
        [sys.executable, "-m", f"distributed.cli.{command}", *args],
        env={**os.environ, "DASK_TEMPORARY_DIRECTORY": folder, **settings},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def _local_settings(preload: Sequence[str]) -> dict[str, str]:
    """The Dask settings of the local cluster's processes, as environment variables: the workers
    import the modules ``preload`` as they start (after any the user's
    ``distributed.worker.preload`` names; the Dask setting, not the command line's ``--preload``,
    which the nannies would import too), and each other setting gives the jobs CPU that Dask's
    defaults spend on what nothing here uses (README, Scale-out):

    * the workers start without Dask's ``MALLOC_TRIM_THRESHOLD_`` (the rest of the user's
      ``distributed.nanny.pre-spawn-environ`` kept): a fixed trim threshold turns off glibc's
      adaptive one, so that every large array is mapped and unmapped afresh, and a scan's
      partition took 15 % longer on a worker than in one process;
    * no worker samples its jobs' stacks for Dask's profile (every 10 ms, in the job's process):
      the local cluster has no dashboard to show it;
    * the processes check that their event loops respond once a second, not every 20 ms.

    The default backtest's worker (naked and static, about 17 s of CPU) used 0.4–0.6 s less
    without the profile, the scheduler and nanny together 0.25–0.35 s less with the slower check."""
    import dask.config  # noqa: PLC0415  (optional: loaded with distributed)

    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), "MALLOC_TRIM_THRESHOLD_": None}
    settings = {
        "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": repr(environ),
        "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
        "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    }
    return settings | (_preload_settings(preload) if preload else {})


def _preload_settings(preload: Sequence[str]) -> dict[str, str]:
    """The workers' preload setting with the modules ``preload`` after the user's own (one module
    or a list of them), and their arguments, when the user gives them per module: none."""
    import dask.config  # noqa: PLC0415  (optional: loaded with distributed)

    configured = dask.config.get("distributed.worker.preload")
    modules = [configured] if isinstance(configured, str) else list(configured)
    settings = {"DASK_DISTRIBUTED__WORKER__PRELOAD": repr([*modules, *preload])}
    argv = dask.config.get("distributed.worker.preload-argv")
    if argv and not isinstance(argv[0], str):  # one list per module (a flat list is every module's)
        settings["DASK_DISTRIBUTED__WORKER__PRELOAD_ARGV"] = repr([*map(list, argv), *([] for _ in preload)])
    return settings


def _address(scheduler_file: Path, scheduler: subprocess.Popen[bytes], log: Path) -> str:
    """The address the scheduler writes to ``scheduler_file`` once it listens."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and scheduler.poll() is None:
        try:
            return str(json.loads(scheduler_file.read_text())["address"])
        except (OSError, ValueError, KeyError):  # not written yet, or half written
            time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:]
    raise AlvhError(f"the local Dask scheduler did not start within {START_TIMEOUT_S:g} s; its log ends:\n{tail}")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Kill ``processes`` and everything they started. Each is frozen first, so that a nanny
    cannot start a new worker between the listing of its children and its end. Their children
    are reaped by init, not waited for here."""
    import psutil  # noqa: PLC0415  (a dependency of distributed)

    running = [psutil.Process(p.pid) for p in processes if p.poll() is None]
    for process in running:
        process.suspend()
    descendants = [child for process in running for child in process.children(recursive=True)]
    for process in [*running, *descendants]:
        with suppress(psutil.NoSuchProcess):
            process.kill()
    for started in processes:
        started.wait()
