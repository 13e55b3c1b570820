"""Put–call parity: forward and discount recovered, robust to a bad pair, too few pairs refused."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from alvh.market.calibration.parity import fit_parity


def _pairs(forward: float, discount: float, n: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    strike = forward + 5.0 * np.arange(-n // 2, n // 2)
    put = np.maximum(strike - forward, 0.0) * discount + 20.0
    call = put + discount * (forward - strike)
    return strike, call, put


@given(
    forward=st.floats(1000.0, 8000.0),
    rate=st.floats(-0.01, 0.08),
    years=st.floats(0.01, 2.0),
)
def test_exact_parity_gives_the_forward_and_discount(forward: float, rate: float, years: float) -> None:
    discount = float(np.exp(-rate * years))
    strike, call, put = _pairs(forward, discount)
    fit = fit_parity(strike, call, put, np.ones(len(strike)), years=years, spot=forward, strikes_used=20, min_pairs=5)
    assert fit is not None
    assert abs(fit.forward - forward) < 1e-6 * forward
    assert abs(fit.discount - discount) < 1e-9
    assert abs(fit.rate - rate) < 1e-6
    assert abs(fit.div_yield - fit.rate) < 1e-6  # spot = forward: q = r
    assert fit.pairs == 20


def test_one_mis_keyed_pair_does_not_move_the_forward() -> None:
    strike, call, put = _pairs(5900.0, 0.99)
    bad = call.copy()
    bad[14] += 25.0  # a stale call, 25 points off
    plain = fit_parity(strike, call, put, np.ones(len(strike)), years=0.25, spot=5900.0, strikes_used=20, min_pairs=5)
    robust = fit_parity(strike, bad, put, np.ones(len(strike)), years=0.25, spot=5900.0, strikes_used=20, min_pairs=5)
    assert plain is not None and robust is not None
    assert abs(robust.forward - 5900.0) < 0.05  # least squares alone would move it by about a point
    assert robust.residual < 1.0


def test_too_few_pairs_give_no_forward() -> None:
    strike, call, put = _pairs(5900.0, 0.99, n=4)
    assert fit_parity(strike, call, put, np.ones(4), years=0.25, spot=5900.0, strikes_used=20, min_pairs=5) is None
