"""The one way alvh runs independent jobs in parallel: :class:`Executor` submits them as tasks to a
Dask cluster (:func:`alvh.scale.cluster.starting_cluster`: a local one whose processes start as
the ``with`` block begins, or any cluster by address), or runs them here, one by one, when there
are no worker processes to use (``workers=0``, or Dask not installed and no scheduler named).

A job's value does not depend on where it ran, so the results are the same for any number of
workers. Dask reruns a job whose worker died on another worker. Leaving the ``with`` block
shuts a local cluster down (its processes and files), whether the block finished, raised, or was
interrupted by Ctrl-C; from a remote cluster it disconnects, which cancels the jobs not yet
started there (one already running runs to its end, its result dropped).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar, cast

from alvh.exceptions import InputError, MissingDependencyError
from alvh.scale.cluster import SCHEDULER_ENV, jobs_lost_raised, require_dask, starting_cluster

__all__ = ["Executor", "Job"]

P = ParamSpec("P")
T = TypeVar("T")

_UNSET: Any = object()


class Job(Generic[T]):
    """A submitted function call (:meth:`Executor.submit`): a Dask future, or a call made here
    when its result is first asked for."""

    def __init__(self, future: Any = None, call: Callable[[], T] | None = None) -> None:
        self.future: Any = future
        """The ``distributed.Future`` of a job on a cluster; None for a call made here."""
        self._call, self._value = call, _UNSET

    def result(self) -> T:
        """Wait for the call and return its value, or raise the exception it raised
        (:class:`~alvh.exceptions.ClusterError` if the cluster lost it)."""
        if self.future is not None:
            with jobs_lost_raised():
                return cast(T, self.future.result())
        if self._value is _UNSET:
            assert self._call is not None
            self._value = self._call()
        return cast(T, self._value)


class Executor:
    """Runs jobs on a Dask cluster, or here. Use it as a context manager and take the results
    inside the block.

    Parameters
    ----------
    scheduler
        A Dask scheduler's address (``tcp://HOST:PORT``); default the environment's
        :data:`~alvh.scale.cluster.SCHEDULER_ENV`, else a local cluster.
    workers
        Worker processes of the local cluster (default: one per core); 0 runs every job here, one
        by one, even with a scheduler. Without Dask (``pip install 'alvh[dask]'``) and no
        scheduler, jobs run here too.
    feature
        What the jobs are for, in the error that says Dask is missing for a named scheduler.
    preload
        Modules a local cluster's workers import as they start: the jobs' own, so that the first
        job does not wait for their import (a cluster by address is as its workers were started).

    Raises
    ------
    InputError
        ``workers`` below 0.
    MissingDependencyError
        As the block begins: a scheduler named and Dask not installed.
    """

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        workers: int | None = None,
        feature: str = "this",
        preload: Sequence[str] = (),
    ) -> None:
        if workers is not None and workers < 0:
            raise InputError(f"workers = {workers} is not allowed: use 0 (run here) or more")
        self._scheduler, self._workers, self._feature, self._preload = scheduler, workers, feature, tuple(preload)
        self._stack = ExitStack()
        self._connect: Callable[[], Any] | None = None
        self._client: Any = None

    @property
    def parallel(self) -> bool:
        """Whether the jobs run on a cluster (else here, one by one)."""
        if self._workers == 0:
            return False
        if self._scheduler or os.environ.get(SCHEDULER_ENV):
            return True
        try:
            require_dask(self._feature)
        except MissingDependencyError:
            return False
        return True

    def __enter__(self) -> Executor:
        """Start a local cluster's processes now (the first job waits for them): the caller can
        prepare its jobs while they start."""
        if self.parallel:
            self._start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Job[T]:
        """Submit ``fn(*args, **kwargs)``; the first job waits for a local cluster's processes to
        be ready (or connects to the cluster by address). ``fn`` must be importable by name on the
        workers (a module-level function of an installed package) and the arguments picklable."""
        if not self.parallel:
            return Job(call=lambda: fn(*args, **kwargs))
        if self._client is None:
            self._client = self._start()()
        return Job(self._client.submit(fn, *args, pure=False, **kwargs))

    def _start(self) -> Callable[[], Any]:
        """The function that connects to the cluster (a local one's processes started now)."""
        if self._connect is None:
            self._connect = self._stack.enter_context(
                starting_cluster(self._scheduler, workers=self._workers, feature=self._feature, preload=self._preload)
            )
        return self._connect

    def map(
        self,
        fn: Callable[..., T],
        calls: Sequence[tuple[Any, ...]],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[T]:
        """``fn(*call)`` for each of ``calls``, in their order; ``progress(done, total)`` after
        each one finishes (in the order they finish). The first exception raised by a job is
        raised here (the others are cancelled as the block ends)."""
        jobs = [self.submit(fn, *call) for call in calls]
        for done, position in enumerate(self.finished(jobs), start=1):
            jobs[position].result()  # raises the job's exception
            if progress is not None:
                progress(done, len(jobs))
        return [job.result() for job in jobs]

    def finished(self, jobs: Sequence[Job[Any]]) -> Iterator[int]:
        """The positions of ``jobs`` (submitted here) as each one finishes, in the order they
        finish; jobs run here are run as their position comes (in order)."""
        if self._client is None:
            yield from range(len(jobs))
            return
        position = {job.future.key: i for i, job in enumerate(jobs)}
        futures = [job.future for job in jobs]
        for future in require_dask(self._feature).as_completed(futures, loop=self._client.loop):
            yield position[future.key]

    def close(self) -> None:
        """Leave the cluster: a local one is shut down, a remote one drops the pending jobs."""
        self._client = self._connect = None
        self._stack.close()
