"""Speed of the pricing kernels against the numpy reference (tests/reference/numpy_black_scholes.py).

Targets (issue 2, 1e6 mixed options on the 2-core reference machine): price + delta, gamma, vega,
theta, rho with ``out=`` buffers >= 6x the numpy reference, with fresh outputs >= 2.5x; implied
vol >= 8M options/s. The gates compare alvh on one thread with numpy (timing.py), so a busy
machine cannot fail them; the multi-thread scaling is printed. The full-size numbers come from
``ALVH_BENCH=full pytest benches -s`` (see the README).
"""

from collections.abc import Callable

import numpy as np
import pytest
from timing import best_time, interleaved, report, single_thread

import alvh
from benches.conftest import OPTIONS, OptionMix, option_mix
from tests.reference import numpy_black_scholes as ref

# alvh on one thread against numpy (one thread), options per second (see timing.py).
GATES = {"greeks out=": 2.0, "greeks fresh": 1.5, "implied vol": 3.0}
FIVE_GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")


def _check_against_reference(g: alvh.Greeks, mix: OptionMix) -> None:
    expected = ref.greeks(mix.underlying, mix.strike, mix.time_to_expiry, mix.vol, mix.rate, mix.div_yield, mix.is_call)
    for name in FIVE_GREEKS:
        ours, theirs = getattr(g, name), expected[name]
        # The plain numpy formulas lose relative accuracy to cancellation far out of the money,
        # so compare on a scale: errors of 1e-9 of the largest magnitude of that Greek.
        scale = np.abs(theirs).max()
        assert np.abs(ours - theirs).max() <= 1e-9 * scale, name


def test_greeks_with_out_buffers(benchmark, mix: OptionMix) -> None:
    out = alvh.Greeks.empty(mix.size)
    result = benchmark(lambda: alvh.greeks(model="bsm", **mix.kwargs(), out=out))
    _check_against_reference(result, mix)


def test_greeks_fresh_outputs(benchmark, mix: OptionMix) -> None:
    result = benchmark(lambda: alvh.greeks(model="bsm", **mix.kwargs()))
    _check_against_reference(result, mix)


def test_price_only(benchmark, mix: OptionMix) -> None:
    out = np.empty(mix.size)
    result = benchmark(lambda: alvh.price(model="bsm", **mix.kwargs(), out=out))
    np.testing.assert_array_equal(result, alvh.greeks(model="bsm", **mix.kwargs()).price)


def test_numpy_reference_greeks(benchmark, mix: OptionMix) -> None:
    result = benchmark(
        lambda: ref.greeks(
            mix.underlying, mix.strike, mix.time_to_expiry, mix.vol, mix.rate, mix.div_yield, mix.is_call
        )
    )
    assert np.isfinite(result["price"]).all()


def _round_trip_prices(mix: OptionMix) -> tuple[np.ndarray, np.ndarray]:
    g = alvh.greeks(model="bsm", **mix.kwargs())
    return g.price, g.vega


def _iv_kwargs(mix: OptionMix, prices: np.ndarray) -> dict[str, object]:
    kwargs = {k: v for k, v in mix.kwargs().items() if k != "vol"}
    return {"price": prices, **kwargs}


def test_implied_vol(benchmark, mix: OptionMix) -> None:
    prices, vega = _round_trip_prices(mix)
    vols = benchmark(lambda: alvh.implied_vol(model="bsm", **_iv_kwargs(mix, prices)))
    found = np.isfinite(vols)
    assert found.mean() > 0.85  # the rest are deep in the money with no time value left
    found &= prices > 1e-290  # subnormal prices have lost their relative precision
    with np.errstate(divide="ignore", over="ignore"):
        allowed = np.maximum(1e-12 * mix.vol, 8 * np.spacing(prices) / vega)
    assert (np.abs(vols - mix.vol)[found] <= allowed[found]).all()


def test_numpy_reference_implied_vol(benchmark, mix: OptionMix) -> None:
    prices, _ = _round_trip_prices(mix)
    vols = benchmark(lambda: _reference_implied_vol(mix, prices))
    assert np.nanmedian(np.abs(vols - mix.vol[: mix.size // 10])) < 1e-8


def _reference_greeks(mix: OptionMix) -> object:
    return ref.greeks(mix.underlying, mix.strike, mix.time_to_expiry, mix.vol, mix.rate, mix.div_yield, mix.is_call)


def _reference_implied_vol(mix: OptionMix, prices: np.ndarray) -> object:
    small = slice(0, mix.size // 10)  # the reference is slow: a tenth of the options
    return ref.implied_vol(
        prices[small],
        mix.underlying[small],
        mix.strike[small],
        mix.time_to_expiry[small],
        mix.rate,
        mix.div_yield,
        mix.is_call[small],
    )


def _work(mix: OptionMix) -> dict[str, Callable[[], object]]:
    """alvh's side of each gate."""
    out = alvh.Greeks.empty(mix.size)
    prices, _ = _round_trip_prices(mix)
    return {
        "greeks out=": lambda: alvh.greeks(model="bsm", **mix.kwargs(), out=out),
        "greeks fresh": lambda: alvh.greeks(model="bsm", **mix.kwargs()),
        "implied vol": lambda: alvh.implied_vol(model="bsm", **_iv_kwargs(mix, prices)),
    }


def single_thread_timings() -> dict[str, tuple[float, float]]:
    """(alvh, numpy) seconds per option of each gate, timed alternately (run on one thread by
    ``timing.single_thread``)."""
    mix = option_mix(OPTIONS)
    ours = _work(mix)
    prices, _ = _round_trip_prices(mix)
    timings = {}
    for name in ("greeks out=", "greeks fresh"):
        mine, theirs = interleaved(ours[name], lambda: _reference_greeks(mix), repeats=3)
        timings[name] = (mine / mix.size, theirs / mix.size)
    mine, theirs = interleaved(ours["implied vol"], lambda: _reference_implied_vol(mix, prices), repeats=2)
    timings["implied vol"] = (mine / mix.size, theirs / (mix.size // 10))
    return timings


@pytest.fixture(scope="module")
def one_thread() -> dict[str, tuple[float, float]]:
    return single_thread("bench_kernels")


@pytest.mark.parametrize("name", GATES)
def test_gate_kernel_speed_ratio(one_thread: dict[str, tuple[float, float]], mix: OptionMix, name: str) -> None:
    ours, theirs = one_thread[name]
    all_threads = best_time(_work(mix)[name], repeats=3) / mix.size
    assert report(name, ours, theirs, all_threads, GATES[name], unit="options") >= GATES[name]
