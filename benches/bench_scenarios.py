"""Speed of the scenario engine (issue 4): full revaluation of every leg in every scenario, P&L
summed per layer, against the numpy reference grid (vectorised over legs, a loop over scenarios)
measured in the same run. Target: >= 3x numpy on 1e4 legs x 1e3 scenarios (CI: 2e3 legs); the
gate compares alvh on one thread with numpy (timing.py), so a busy machine cannot fail it, and
prints the multi-thread scaling. 1e5 legs x 1e3 scenarios (1e8 pricings) in about a second on
2 cores (full size only, reported)."""

import numpy as np
import pandas as pd
import pytest
from timing import best_time, interleaved, report, single_thread

import alvh.data
from alvh.book import Book
from alvh.market.snapshot import Market
from alvh.risk.kernel_inputs import leg_arrays
from alvh.risk.scenarios import scenario_grid
from benches.conftest import CI
from tests.reference.scenario_reference import numpy_grid

LEGS = 2_000 if CI else 10_000
GATE = 4.0  # alvh on one thread against numpy (see timing.py)
AXES = {
    "spot_shocks": np.round(np.linspace(-0.20, 0.10, 25), 4),
    "vol_shifts": np.linspace(-9.0, 18.0, 10),
    "horizons": np.array([0.0, 1.0, 7.0, 14.0]),
}
SCENARIOS = 25 * 10 * 4
PRICINGS = LEGS * SCENARIOS


def mixed_book(legs: int, market: Market, seed: int = 7) -> Book:
    """SPXW options across the smile's expiries (90 %) and VIX options and futures (10 %), in a
    core and two hedge layers."""
    rng = np.random.default_rng(seed)
    spx = int(legs * 0.9)
    vix = legs - spx
    spx_expiries = [s.expiry for s in market.spx.smiles]
    vix_expiries = [f.expiry for f in market.vix.futures]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "layer": "core",
                    "instrument": "SPXW",
                    "expiry": rng.choice(spx_expiries, spx),
                    "right": rng.choice(["call", "put"], spx),
                    "strike": np.round(market.spx.spot * rng.uniform(0.8, 1.2, spx) / 5) * 5,
                    "quantity": rng.choice([-10.0, -5.0, 5.0, 10.0], spx),
                    "group": [f"leg {i + 1}" for i in range(spx)],  # each core leg a position of its own
                }
            ),
            pd.DataFrame(
                {
                    "layer": "L1",
                    "instrument": "VIX",
                    "expiry": rng.choice(vix_expiries, vix - vix // 4),
                    "right": rng.choice(["call", "put"], vix - vix // 4),
                    "strike": rng.choice(np.arange(12.0, 40.0, 1.0), vix - vix // 4),
                    "quantity": rng.choice([-20.0, 20.0, 40.0], vix - vix // 4),
                }
            ),
            pd.DataFrame(
                {
                    "layer": "L2",
                    "instrument": "VXM",
                    "expiry": rng.choice(vix_expiries, vix // 4),
                    "quantity": rng.choice([-5.0, 5.0, 10.0], vix // 4),
                }
            ),
        ],
        ignore_index=True,
    )
    return Book.from_frame(frame, roles={"core": "core", "L1": "L1_theta_anchor", "L2": "L2_delta_overlay"})


def _setting() -> tuple[Book, Market]:
    market = alvh.data.example_market()
    return mixed_book(LEGS, market), market


@pytest.fixture(scope="module")
def setting() -> tuple[Book, Market]:
    return _setting()


def _ours(book: Book, market: Market) -> np.ndarray:
    return scenario_grid(book, market, dynamics="sticky_moneyness", spot_vol_link=True, **AXES).pnl


def _numpy(book: Book, market: Market) -> np.ndarray:
    return numpy_grid(
        leg_arrays(book, market), market, dynamics="sticky_moneyness", spot_vol_link=True, layers=3, **AXES
    )


def test_scenario_grid(benchmark, setting) -> None:  # type: ignore[no-untyped-def]
    book, market = setting
    ours = benchmark(lambda: _ours(book, market))
    theirs = _numpy(book, market)
    scale = np.abs(theirs).max()
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-9 * scale)


def test_numpy_scenario_grid(benchmark, setting) -> None:  # type: ignore[no-untyped-def]
    book, market = setting
    result = benchmark.pedantic(lambda: _numpy(book, market), rounds=1, iterations=1)
    assert np.isfinite(result).all()


def single_thread_timings() -> dict[str, tuple[float, float]]:
    """(alvh, numpy) seconds per pricing, timed alternately (run on one thread by
    ``timing.single_thread``)."""
    book, market = _setting()
    ours, theirs = interleaved(lambda: _ours(book, market), lambda: _numpy(book, market), repeats=2)
    return {"scenario grid": (ours / PRICINGS, theirs / PRICINGS)}


def test_gate_scenario_speed_ratio(setting) -> None:  # type: ignore[no-untyped-def]
    book, market = setting
    ours, theirs = single_thread("bench_scenarios")["scenario grid"]
    all_threads = best_time(lambda: _ours(book, market), repeats=3) / PRICINGS
    name = f"scenario grid, {LEGS} legs x {SCENARIOS} scenarios"
    assert report(name, ours, theirs, all_threads, GATE, unit="pricings") >= GATE


@pytest.mark.skipif(CI, reason="full size only: 1e8 pricings")
def test_hundred_million_pricings(benchmark) -> None:  # type: ignore[no-untyped-def]
    market = alvh.data.example_market()
    book = mixed_book(100_000, market)
    pnl = benchmark.pedantic(lambda: _ours(book, market), rounds=3, iterations=1)
    seconds = benchmark.stats.stats.min
    print(
        f"\nscenario grid, 1e5 legs x {SCENARIOS} scenarios: {seconds:.2f} s, {1e5 * SCENARIOS / seconds / 1e6:.0f}M/s"
    )
    # The null cell (no shock, horizon 0) is exactly 0 and every cell is finite.
    null = pnl[list(AXES["spot_shocks"]).index(0.0), list(AXES["vol_shifts"]).index(0.0), 0]
    assert (null == 0.0).all()
    assert np.isfinite(pnl).all()
