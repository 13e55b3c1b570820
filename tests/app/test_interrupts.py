"""Ctrl-C at the terminal (SIGINT to the command's whole process group): every command exits 130
with one line on stderr, leaves no partial file, and leaves no worker process behind."""

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

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

BOOK = alvh.data.example_book_path()
MARKET = alvh.data.example_market_path()


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def interrupt(args: Sequence[object], started: Callable[[int], bool], cwd: Path) -> tuple[int, str, list[int]]:
    """Run ``python -m alvh ARGS`` as a terminal job, press Ctrl-C once ``started(pid)`` holds, and
    return the exit code, stderr and the children it had then."""
    process = subprocess.Popen(
        [sys.executable, "-m", "alvh", *map(str, args)],
        cwd=cwd,
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
    workers = children(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr, workers


def assert_one_line(code: int, stderr: str) -> None:
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1:] == ["interrupted"] and stderr.count("\n") <= 2, stderr


def test_an_interrupted_backtest_exits_130_quietly_and_stops_its_workers(tmp_path: Path) -> None:
    args = ["backtest", "--start", "2015-01-02", "--end", "2016-12-30", "-o", "daily.csv", "--png", "equity.png"]
    code, stderr, workers = interrupt(args, lambda pid: bool(children(pid)), tmp_path)
    assert_one_line(code, stderr)
    assert workers, "the backtest had no worker process when interrupted"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "worker processes outlived the backtest"
    assert list(tmp_path.iterdir()) == []


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
