"""Timing for the speed gates.

The gates compare alvh on ONE thread with the numpy reference (one thread too): per-core
efficiency, which another process taking a core cannot fail. Both are timed in a child process
whose alvh kernels run on one thread (``ALVH_NUM_THREADS=1``, read once per process), alternately,
each keeping its fastest run: a busy core slows both alike, so their ratio holds. Multi-thread
scaling (alvh on every core against alvh on one) is printed, never gated.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import alvh

ROOT = Path(__file__).resolve().parent.parent
ONE_THREAD = {"ALVH_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def best_time(work: Callable[[], object], repeats: int = 7) -> float:
    """The fastest of ``repeats`` runs of ``work``, in seconds (after one warm-up run)."""
    work()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved(ours: Callable[[], object], theirs: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The fastest of ``repeats`` runs of each of ``ours`` and ``theirs``, timed alternately (after
    one warm-up run of each), in seconds."""
    ours()
    theirs()
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, work in enumerate((ours, theirs)):
            start = time.perf_counter()
            work()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def single_thread(module: str) -> dict[str, tuple[float, float]]:
    """``benches.<module>.single_thread_timings()`` run in a child process on one thread: for each
    gate, (alvh, numpy) seconds per row."""
    script = (
        "import json, sys; sys.path[:0] = sys.argv[1:3]; "
        f"from benches.{module} import single_thread_timings; print(json.dumps(single_thread_timings()))"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(ROOT), str(ROOT / "benches")],
        env={**os.environ, **ONE_THREAD},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"the one-thread timing of {module} failed:\n{child.stderr}")
    timings: dict[str, list[float]] = json.loads(child.stdout.splitlines()[-1])
    return {name: (ours, theirs) for name, (ours, theirs) in timings.items()}


def report(name: str, ours: float, theirs: float, all_threads: float, gate: float, unit: str = "rows") -> float:
    """Print one gate's single-thread rates, ratio and the (ungated) multi-thread scaling; return
    the single-thread ratio. Times are seconds per row."""
    ratio = theirs / ours
    print(
        f"\n{name}, one thread: alvh {1e-6 / ours:.1f}M {unit}/s, numpy {1e-6 / theirs:.2f}M {unit}/s, "
        f"ratio {ratio:.1f}x (gate {gate}x); {alvh.thread_count()} threads: alvh {1e-6 / all_threads:.1f}M {unit}/s, "
        f"scaling {ours / all_threads:.2f}x (reported, not gated)"
    )
    return ratio
