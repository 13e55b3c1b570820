"""Where parallel work runs: a Dask cluster (``dask.distributed``). By default an embedded local
cluster of worker processes, one per core, started on demand and shut down with the ``with``
block; with a scheduler address (or :data:`SCHEDULER_ENV`), any running
cluster — started on other machines with ``dask scheduler`` and ``dask worker`` (README, Scale-out).

The local cluster's scheduler and workers are started as fresh Python processes
(``distributed``'s ``SubprocessCluster``), not by :mod:`multiprocessing`: a spawn would re-run the
caller's main module (a script without an ``if __name__ == "__main__"`` guard would start over)
and a fork would copy a process whose kernel threads (rayon's) may hold locks.

Dask is an optional extra (``pip install 'alvh[dask]'``); without it :func:`require_dask` says so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from alvh._optional import require
from alvh.exceptions import InputError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT_S", "SCHEDULER_ENV", "cluster", "require_dask"]

SCHEDULER_ENV = "ALVH_SCHEDULER"
"""The environment variable naming a scheduler (``tcp://HOST:PORT``) when none is given."""

CONNECT_TIMEOUT_S = 10.0
"""Seconds to wait for a scheduler before giving up with a clear error."""


def require_dask(feature: str) -> Any:
    """The ``distributed`` module, or a :class:`MissingDependencyError` naming ``feature`` and the
    extra to install (:func:`alvh._optional.require`)."""
    return require("distributed", extra="dask", needed_by=f"{feature} (it runs on Dask)")


@contextmanager
def cluster(scheduler: str | None = None, *, workers: int | None = None, feature: str = "this") -> Iterator[Client]:
    """A Dask client for the ``with`` block: connected to ``scheduler`` (or to the address in
    :data:`SCHEDULER_ENV`), else to a new local cluster of ``workers`` worker processes (default:
    one per core), each single-threaded (the Rust kernels bring their own threads; a process per
    core keeps the GIL out of the way). The local cluster is shut down when the block ends, even
    when it raised; a remote one is only disconnected from.

    Raises
    ------
    MissingDependencyError
        Dask is not installed (``feature`` names what needed it).
    InputError
        ``workers`` < 1, or no scheduler answers at the address within :data:`CONNECT_TIMEOUT_S`.
    """
    distributed = require_dask(feature)
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address is not None:
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            where = "--scheduler" if scheduler else SCHEDULER_ENV
            raise InputError(
                f"{where}: no Dask scheduler answers at {address!r} within {CONNECT_TIMEOUT_S:g} s ({e}); "
                "start one with `dask scheduler` or leave the address out to run on this machine"
            ) from None
        with client:
            yield client
        return
    count = workers if workers is not None else os.cpu_count() or 1
    if count < 1:
        raise InputError(f"workers = {count} is not allowed: use at least 1")
    from distributed.deploy.subprocess import SubprocessCluster  # noqa: PLC0415  (optional)

    local = SubprocessCluster(n_workers=count, threads_per_worker=1, dashboard_address="", silence_logs=logging.ERROR)
    with local, distributed.Client(local, set_as_default=False) as client:
        client.wait_for_workers(count)
        yield client
