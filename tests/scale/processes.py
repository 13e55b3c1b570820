"""Process checks the scale-out tests share: a process's descendants, and which of some processes
still run once killed ones have had a moment to be reaped."""

from __future__ import annotations

import time

import psutil


def descendants(pid: int | None = None) -> set[int]:
    """The ids of the processes ``pid`` (default: this one) started, and those they started."""
    return {p.pid for p in psutil.Process(pid).children(recursive=True)}


def still_running(pids: set[int], grace_s: float = 10.0) -> set[int]:
    """Those of ``pids`` still running after up to ``grace_s`` (a killed process whose parent was
    killed too is reaped by init a moment later; until then it is a zombie, not running)."""
    deadline = time.monotonic() + grace_s
    while True:
        alive = {pid for pid in pids if _status(pid) not in (None, psutil.STATUS_ZOMBIE)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _status(pid: int) -> str | None:
    try:
        return str(psutil.Process(pid).status())
    except psutil.NoSuchProcess:
        return None
