"""The executor: values and exceptions come back from the workers, a worker that dies is a named
error, the workers' output is dropped, and leaving the block stops every worker and removes the job
files even when the block raised."""

from __future__ import annotations

import math
import operator
import os
import tempfile
import time
from pathlib import Path

import pytest

from alvh.exceptions import AlvhError
from alvh.scale import Executor


def test_values_and_errors_come_back() -> None:
    with Executor() as executor:
        factorial = executor.submit(math.factorial, 10)
        parsed = executor.submit(int, "ff", base=16)
        failed = executor.submit(operator.truediv, 1, 0)
        assert factorial.result() == 3628800 and parsed.result() == 255
        with pytest.raises(ZeroDivisionError):
            failed.result()


def test_a_dead_worker_is_a_named_error() -> None:
    with Executor() as executor, pytest.raises(AlvhError, match=r"running _exit stopped \(exit code 3\)"):
        executor.submit(os._exit, 3).result()


def test_worker_output_is_dropped(capfd: pytest.CaptureFixture[str]) -> None:
    with Executor() as executor:
        assert executor.submit(print, "from the worker").result() is None
    assert "from the worker" not in capfd.readouterr().out


def test_leaving_stops_the_workers_and_removes_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError, match="the caller failed"), Executor() as executor:
        job = executor.submit(time.sleep, 60)
        assert len(list(tmp_path.iterdir())) == 1
        raise RuntimeError("the caller failed")
    with pytest.raises(AlvhError, match=r"stopped \(exit code -9\)"):  # killed, not left running
        job.result()
    assert not list(tmp_path.iterdir())
    with Executor():  # nothing submitted: no folder
        pass
    assert not list(tmp_path.iterdir())
