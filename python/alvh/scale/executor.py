"""The one way alvh runs work in parallel: :class:`Executor` runs functions in worker processes
(a backend on a cluster replaces this file, not its callers).

Each job is a fresh Python process, started with the function and its arguments pickled into a
private folder. Not :mod:`multiprocessing`: a fork would copy a process whose kernel threads
(rayon's) may hold locks, and a spawn re-runs the caller's main module (a script without an
``if __name__ == "__main__"`` guard would start over). The workers' standard output is dropped
(the MILP solver may print to it, and ``--json`` output must stay clean). The workers run in a
session of their own, so a Ctrl-C at the terminal reaches only the parent: it stops them as it
leaves the ``with`` block, and no worker prints a traceback of its own.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar, cast

from alvh.exceptions import AlvhError

__all__ = ["Executor", "Job", "run_job"]

P = ParamSpec("P")
T = TypeVar("T")

_WORKER = "import sys; from alvh.scale.executor import run_job; run_job(sys.argv[1], sys.argv[2])"


class Job(Generic[T]):
    """A function running in a worker process (:meth:`Executor.submit`)."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], out: Path) -> None:
        self._name, self._process, self._out = name, process, out

    def result(self) -> T:
        """Wait for the function and return its value, or raise the exception it raised."""
        code = self._process.wait()
        if not self._out.exists():
            raise AlvhError(f"the worker process running {self._name} stopped (exit code {code})")
        status, value = pickle.loads(self._out.read_bytes())
        if status == "error":
            raise value
        return cast(T, value)

    def stop(self) -> None:
        """End the worker process if it still runs, and wait for it."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


class Executor:
    """Runs functions in worker processes, one per :meth:`submit`. Use it as a context manager:
    leaving the ``with`` block stops every worker still running and removes the job files,
    whether the block finished or raised (take the results inside it)."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._jobs: list[Job[Any]] = []

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Job[T]:
        """Start ``fn(*args, **kwargs)`` in a new worker process. ``fn`` must be importable by
        name (a module-level function) and the arguments picklable."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="alvh-jobs-"))
        number = len(self._jobs)
        job, out = self._folder / f"job-{number}.pkl", self._folder / f"result-{number}.pkl"
        job.write_bytes(pickle.dumps((fn, args, kwargs)))
        process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(job), str(out)], stdout=subprocess.DEVNULL, start_new_session=True
        )
        started: Job[T] = Job(getattr(fn, "__qualname__", repr(fn)), process, out)
        self._jobs.append(started)
        return started

    def close(self) -> None:
        """Stop the workers still running and remove the job files."""
        for job in self._jobs:
            job.stop()
        self._jobs.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def run_job(job: str, out: str) -> None:
    """A worker process's work: call the pickled function of ``job`` and pickle its value, or the
    exception it raised (the parent raises it again), to ``out``."""
    fn, args, kwargs = pickle.loads(Path(job).read_bytes())
    try:
        result: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except Exception as error:  # handed to the parent, which raises it
        result = ("error", error)
    Path(out).write_bytes(pickle.dumps(result))
