"""Threads: the GIL is released during kernels, results do not depend on the thread count, and
the instruction-set variants agree to the tested tolerance."""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

import alvh

SCRIPT = """
import json, sys, numpy as np, alvh
rng = np.random.default_rng(7)
n = 50_000
s = rng.uniform(1000, 7000, n); k = s * rng.uniform(0.5, 1.5, n)
t = np.exp(rng.uniform(np.log(1 / 365), np.log(3), n)); v = rng.uniform(0.05, 1.5, n)
calls = rng.random(n) < 0.5
g = alvh.greeks(model="bsm", underlying=s, strike=k, time_to_expiry=t, vol=v, rate=0.03, div_yield=0.01,
                is_call=calls)
iv = alvh.implied_vol(model="bsm", price=g.price, underlying=s, strike=k, time_to_expiry=t, rate=0.03,
                      div_yield=0.01, is_call=calls)
np.save(sys.argv[1], np.vstack([*g.to_dict().values(), iv, v]))
print(json.dumps({"threads": alvh.thread_count(), "simd": alvh.simd_level()}))
"""


def _run(tmp_path, **env: str) -> tuple[dict[str, object], np.ndarray]:
    out = tmp_path / f"{'-'.join(f'{k}{v}' for k, v in env.items())}.npy"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout), np.load(out)


def test_results_are_bit_identical_for_any_thread_count(tmp_path) -> None:
    info1, one = _run(tmp_path, ALVH_NUM_THREADS="1")
    info3, three = _run(tmp_path, ALVH_NUM_THREADS="3")
    assert info1["threads"] == 1
    assert info3["threads"] == 3
    assert one.tobytes() == three.tobytes()


def test_instruction_set_variants_agree(tmp_path) -> None:
    _, best = _run(tmp_path)
    info, baseline = _run(tmp_path, ALVH_SIMD="baseline")
    assert info["simd"] == "baseline"
    # Same formulas, different rounding (FMA or not): the Greeks agree to ~1e-12 relative (with an
    # absolute floor at each Greek's scale, for values crossing zero).
    greeks_best, greeks_base = best[:10], baseline[:10]
    scale = np.abs(greeks_best).max(axis=1, keepdims=True)
    assert (np.abs(greeks_base - greeks_best) <= 1e-11 * np.abs(greeks_best) + 1e-13 * scale).all()
    # Implied vols: each variant recovers the true vol to the accuracy its price carries (for
    # prices in the normal range: a subnormal price has lost its relative precision).
    price, vega, true_vol = best[0], best[3], best[11]
    for iv in (best[10], baseline[10]):
        ok = np.isfinite(iv) & (price > 1e-290)
        assert ok.mean() > 0.85
        with np.errstate(divide="ignore", over="ignore"):  # vega underflows far out of the money
            allowed = np.maximum(1e-12 * true_vol, 8 * np.spacing(price) / vega)
        assert (np.abs(iv - true_vol)[ok] <= allowed[ok]).all()


def test_the_gil_is_released_during_a_long_call() -> None:
    n = 2_000_000
    rng = np.random.default_rng(1)
    strikes = rng.uniform(50, 150, n)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    start = time.perf_counter()
    for _ in range(3):
        alvh.greeks(model="bsm", underlying=100.0, strike=strikes, time_to_expiry=0.5, vol=0.2, rate=0.0, is_call=True)
    alone = time.perf_counter() - start

    counter = threading.Thread(target=count)
    counter.start()
    try:
        before = ticks
        for _ in range(3):
            alvh.greeks(
                model="bsm", underlying=100.0, strike=strikes, time_to_expiry=0.5, vol=0.2, rate=0.0, is_call=True
            )
        during = ticks - before
    finally:
        stop.set()
        counter.join()
    # With the GIL held, the counter could only run in the gaps between calls (a few switch
    # intervals of 5 ms); released, it runs for the whole duration of the calls.
    switch_intervals = alone / sys.getswitchinterval()
    assert during > 1000 * max(1.0, switch_intervals / 10), (during, alone)
