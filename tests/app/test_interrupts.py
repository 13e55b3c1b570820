"""Ctrl-C at the terminal (SIGINT to the command's whole process group): every command exits 130
with one line on stderr, leaves no partial file, and leaves no worker process or temporary file
behind (the backtest's and the experiment's local Dask cluster included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import alvh.data
from tests.scale.processes import descendants, still_running

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

BOOK = alvh.data.example_book_path()
MARKET = alvh.data.example_market_path()


def interrupt(
    args: Sequence[object], started: Callable[[int], bool], cwd: Path, temp: Path | None = None
) -> tuple[int, str, set[int]]:
    """Run ``python -m alvh ARGS`` as a terminal job (its temporary files in ``temp`` when given),
    press Ctrl-C once ``started(pid)`` holds, and return the exit code, stderr and the processes
    it had started by then (with those they started)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "alvh", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "TMPDIR": str(temp)} if temp else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job: Ctrl-C reaches all of it
    )
    deadline = time.monotonic() + 120
    while not started(process.pid):
        assert process.poll() is None, f"alvh {args} ended before it could be interrupted: {process.stderr}"
        assert time.monotonic() < deadline, "the command did not start within 120 s"
        time.sleep(0.01)
    workers = descendants(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr, workers


def assert_one_line(code: int, stderr: str) -> None:
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1:] == ["interrupted"] and stderr.count("\n") <= 2, stderr


def workers_running(count: int) -> Callable[[int], bool]:
    """Whether a command's local Dask cluster has ``count`` worker processes running: a scheduler
    and, per worker, a nanny and the worker it started (and the nanny's resource tracker)."""
    return lambda pid: len(descendants(pid)) >= 1 + 2 * count


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["backtest", "--start", "2015-01-02", "--end", "2017-06-30", "-o", "daily.csv", "--png", "equity.png"], 1),
        (["experiment", "--start", "2015-01-02", "--end", "2015-06-30", "--out", "experiment", "--workers", 2], 2),
    ],
    ids=["backtest", "experiment"],
)
def test_an_interrupted_run_exits_130_quietly_and_leaves_no_process_or_file(
    tmp_path: Path, args: list[object], workers: int
) -> None:
    pytest.importorskip("distributed")
    out, temp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    temp.mkdir()
    code, stderr, started = interrupt(args, workers_running(workers), out, temp)
    assert_one_line(code, stderr)
    assert still_running(started) == set(), "processes outlived the command"
    assert list(out.iterdir()) == [] and list(temp.iterdir()) == []


def test_an_interrupted_report_exits_130_quietly_and_leaves_no_partial_plot(tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    code, stderr, _ = interrupt(
        ["report", BOOK, "--market", MARKET, "--plots", plots], lambda _: plots.exists(), tmp_path
    )
    assert_one_line(code, stderr)
    assert [p.name for p in tmp_path.iterdir()] == ["plots"] and list(plots.iterdir()) == []


def test_an_interrupt_while_the_command_line_loads_is_one_line() -> None:
    # a Ctrl-C while the command line is still being imported (about a second), made certain by
    # an import hook that raises it when alvh.app.cli is looked up
    script = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'alvh.app.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from alvh.app.entry import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "demo"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (130, "interrupted\n")
