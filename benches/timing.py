"""Best-of-k wall-clock timing for the ratio gates (the minimum is the least noisy estimator on a
shared machine)."""

import time
from collections.abc import Callable


def best_time(work: Callable[[], object], repeats: int = 7) -> float:
    """The fastest of ``repeats`` runs of ``work``, in seconds (after one warm-up run)."""
    work()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best
