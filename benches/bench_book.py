"""Speed of the per-leg → per-layer → book aggregation (issue 3) against a numpy implementation of
the same sums: numpy/scipy Greeks per leg, scaled to trader units, summed per layer with
``np.bincount``. Target (issue 3): >= 5x on 1e6 legs on 2 cores; the gate compares alvh on one
thread with numpy (timing.py), so a busy machine cannot fail it, and prints the multi-thread
scaling (CI: 1e5 legs)."""

import numpy as np
import pandas as pd
import pytest
from timing import best_time, interleaved, report, single_thread

import alvh.data
from alvh import _core
from alvh.book import Book
from alvh.risk.kernel_inputs import leg_arrays
from alvh.risk.valuation import METRICS
from benches.conftest import CI
from tests.reference import numpy_black_scholes as ref

LEGS = 100_000 if CI else 1_000_000
GATE = 1.5  # alvh on one thread against numpy (see timing.py)
LAYERS = 4


def _big_book() -> tuple[dict[str, object], object]:
    market = alvh.data.example_market()
    rng = np.random.default_rng(3)
    expiries = [s.expiry for s in market.spx.smiles]
    frame = pd.DataFrame(
        {
            "layer": np.repeat([f"layer{i}" for i in range(LAYERS)], LEGS // LAYERS),
            "instrument": "SPXW",
            "expiry": rng.choice(expiries, LEGS),
            "right": rng.choice(["call", "put"], LEGS),
            "strike": np.round(market.spx.spot * rng.uniform(0.8, 1.2, LEGS) / 5) * 5,
            "quantity": rng.choice([-10.0, -5.0, 5.0, 10.0], LEGS),
            "group": np.arange(LEGS).astype(str),  # each leg a position of its own
        }
    )
    book = Book.from_frame(frame, roles={"layer0": "core"} | {f"layer{i}": "custom" for i in range(1, LAYERS)})
    return leg_arrays(book, market), market


@pytest.fixture(scope="module")
def big_book() -> tuple[dict[str, object], object]:
    return _big_book()


def _ours(arrays: dict[str, object], market) -> np.ndarray:  # type: ignore[no-untyped-def]
    metrics, _ = _core.book_risk(arrays, LAYERS, market.spx.spot, market.vix.spot, market.link.log_beta)
    return metrics


def _numpy(arrays: dict[str, object], market) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """The same per-layer sums of the SPX-leg metrics, in numpy."""
    a = arrays
    g = ref.greeks(a["underlying"], a["strike"], a["time_to_expiry"], a["vol"], a["rate"], a["div_yield"], a["is_call"])
    size = a["quantity"] * a["multiplier"]
    layer = a["layer"]
    spot = market.spx.spot
    per_leg = {
        "market_value": size * g["price"],
        "delta": size * g["delta"],
        "dollar_delta": size * g["delta"] * spot,
        "gamma": size * g["gamma"],
        "dollar_gamma": size * g["gamma"] * spot * spot * 0.01,
        "vega": size * g["vega"] * 0.01,
        "theta": size * g["theta"] / 365.0,
        "rho": size * g["rho"] * 0.01,
    }
    per_leg["spx_vega"] = per_leg["vega"]
    per_leg["tw_vega"] = per_leg["vega"] * np.sqrt(30.0 / np.maximum(a["dte"], 1.0))
    return {k: np.bincount(layer, weights=v, minlength=LAYERS) for k, v in per_leg.items()}


def _check(ours: np.ndarray, theirs: dict[str, np.ndarray]) -> None:
    for name, sums in theirs.items():
        column = ours[:, METRICS.index(name)]
        scale = np.abs(sums).max()
        np.testing.assert_allclose(column, sums, rtol=1e-9, atol=1e-9 * scale, err_msg=name)


def test_book_aggregation(benchmark, big_book) -> None:  # type: ignore[no-untyped-def]
    arrays, market = big_book
    result = benchmark(lambda: _ours(arrays, market))
    _check(result, _numpy(arrays, market))


def test_numpy_aggregation(benchmark, big_book) -> None:  # type: ignore[no-untyped-def]
    arrays, market = big_book
    result = benchmark(lambda: _numpy(arrays, market))
    assert np.isfinite(result["theta"]).all()


def single_thread_timings() -> dict[str, tuple[float, float]]:
    """(alvh, numpy) seconds per leg, timed alternately (run on one thread by ``timing.single_thread``)."""
    arrays, market = _big_book()
    ours, theirs = interleaved(lambda: _ours(arrays, market), lambda: _numpy(arrays, market), repeats=3)
    return {"book aggregation": (ours / LEGS, theirs / LEGS)}


def test_gate_book_aggregation_speed_ratio(big_book) -> None:  # type: ignore[no-untyped-def]
    arrays, market = big_book
    ours, theirs = single_thread("bench_book")["book aggregation"]
    all_threads = best_time(lambda: _ours(arrays, market), repeats=3) / LEGS
    assert report(f"book aggregation, {LEGS} legs", ours, theirs, all_threads, GATE, unit="legs") >= GATE
