"""The kernels at the edges of the double range, against the mpmath reference: tiny vols, times
and strikes give the right finite values (or the σ → 0 limit), theta keeps its relative accuracy
at a large total vol, and implied vol never reports OK without a volatility."""

import numpy as np
import pytest

import alvh
from alvh.exceptions import ImpliedVolError
from tests.reference import black_scholes as reference

# An absolute floor below which an exact value counts as 0 (the golden files' rule).
TINY = 1e-300


def _ours(model: str, u: float, k: float, t: float, v: float, r: float, q: float, call: bool) -> dict[str, float]:
    g = alvh.greeks(
        model=model, underlying=u, strike=k, time_to_expiry=t, vol=v, rate=r, div_yield=q, is_call=call
    ).to_dict()
    return {name: float(value) for name, value in g.items()}


def _assert_close(point: tuple[str, float, float, float, float, float, float, bool], exact: dict, rtol: float) -> None:
    got = _ours(*point)
    wrong = [
        f"{name}: got {value!r}, exact {float(exact[name])!r}"
        for name, value in got.items()
        if not (abs(value - float(exact[name])) <= max(rtol * abs(float(exact[name])), TINY))
    ]
    assert not wrong, f"{point}: " + "; ".join(wrong)


@pytest.mark.parametrize(
    "point",
    [
        # vol between 0 and ~1.5e-155 gave NaN (h = -|x|/s overflowed h²)
        ("bsm", 100.0, 90.0, 1.0, 1e-160, 0.03, 0.0, True),
        ("bsm", 100.0, 100.0, 1.0, 1e-160, 0.03, 0.0, True),
        ("bsm", 100.0, 90.0, 1.0, 1e-300, 0.03, 0.0, True),
        ("bsm", 100.0, 90.0, 1.0, 5e-324, 0.03, 0.0, True),
        # T below ~1e-250 gave a NaN charm
        ("bsm", 100.0, 90.0, 1e-251, 0.2, 0.03, 0.0, True),
        ("bsm", 100.0, 110.0, 1e-251, 0.2, 0.03, 0.0, True),
        ("bsm", 100.0, 100.0, 1e-300, 0.2, 0.03, 0.0, True),
        # subnormal strikes (U/K overflows) and underlyings
        ("bsm", 100.0, 5e-320, 1.0, 0.2, 0.03, 0.0, True),
        ("bsm", 100.0, 5e-320, 1.0, 0.2, 0.03, 0.0, False),
        ("black76", 1e-310, 1.0, 1.0, 0.2, 0.03, 0.0, True),
    ],
)
def test_tiny_inputs_match_the_reference(point: tuple[str, float, float, float, float, float, float, bool]) -> None:
    _assert_close(point, reference.greeks(*point, dps=30), rtol=1e-12)


@pytest.mark.parametrize(("strike", "call"), [(110.0, True), (90.0, False)])
@pytest.mark.parametrize("vol", [1e-160, 1e-300, 5e-324])
def test_a_tiny_vol_out_of_the_money_is_the_zero_vol_limit(vol: float, strike: float, call: bool) -> None:
    # The reference cannot evaluate these (e^{-h²/2} with |h| ~ 1e300); every term is far below
    # the double range, so the values are the σ = 0 limits.
    point = ("bsm", 100.0, strike, 1.0, vol, 0.03, 0.0, call)
    _assert_close(point, reference.greeks("bsm", 100.0, strike, 1.0, 0.0, 0.03, 0.0, call), rtol=1e-15)


@pytest.mark.parametrize("strike", [50.0, 100.0, 200.0])
@pytest.mark.parametrize(("rate", "div_yield"), [(0.03, 0.0), (0.05, 0.01), (0.0, 0.03)])
def test_theta_at_a_large_total_vol_is_relatively_accurate(strike: float, rate: float, div_yield: float) -> None:
    # σ√T ≈ 27: theta is ~1e-40, and r·V − b·U·A·Φ(d₁) cancels to an absolute error of ~1e-15.
    point = ("bsm", 100.0, strike, 30.0, 5.0, rate, div_yield, True)
    exact = float(reference.greeks(*point, dps=30)["theta"])
    got = _ours(*point)["theta"]
    assert got == pytest.approx(exact, rel=1e-12, abs=0.0), (got, exact)


OVERFLOWING = dict(model="black76", underlying=100.0, strike=100.0, time_to_expiry=1000.0, rate=-0.75)


def test_implied_vol_where_the_discount_factor_overflows_raises_for_a_scalar() -> None:
    with pytest.raises(ImpliedVolError, match=r"no implied volatility \(out_of_range\) for price=10.0") as info:
        alvh.implied_vol(price=10.0, **OVERFLOWING, is_call=True)  # type: ignore[arg-type]
    assert info.value.status == alvh.IVStatus.OUT_OF_RANGE


def test_implied_vol_where_the_discount_factor_overflows_is_nan_with_a_reason() -> None:
    vols, status = alvh.implied_vol(price=[10.0, 10.0], **OVERFLOWING, is_call=[True, False], return_status=True)  # type: ignore[arg-type]
    assert np.isnan(vols).all()
    assert list(status) == [alvh.IVStatus.OUT_OF_RANGE] * 2


def test_a_zero_greek_stays_zero_when_its_factors_overflow() -> None:
    # Found by the fuzz suite: div_rho = -θ·T·U·A·step was (T·U = inf)·0 = NaN out of the money.
    g = alvh.greeks(
        model="bsm", underlying=1e300, strike=1e-300, time_to_expiry=1e154, vol=0.0, rate=0.0, is_call=False
    )
    assert (g.div_rho, g.rho, g.price, g.delta) == (0.0, 0.0, 0.0, 0.0)


def test_theta_stays_finite_when_an_overflowing_carry_meets_a_zero_step() -> None:
    # Found by the fuzz suite: q·U·A = ∞ times Φ(θd₁) = 0 made theta NaN deep out of the money.
    g = alvh.greeks(
        model="bsm",
        underlying=1.6198666486289151e208,
        strike=1e-300,
        time_to_expiry=1e-300,
        vol=0.0,
        rate=0.0,
        div_yield=1.1097784724340836e100,
        is_call=False,
    )
    assert (g.theta, g.div_rho, g.rho) == (0.0, 0.0, 0.0)
