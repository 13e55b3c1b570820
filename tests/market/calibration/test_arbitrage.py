"""Butterfly and calendar arbitrage of SVI smiles (alvh.market.calibration.arbitrage): flagged
where it is, repaired to none on the grid, a fit as close to the data as that allows, and what
cannot be repaired reported."""

from __future__ import annotations

import numpy as np
import pytest

from alvh.exceptions import InputError
from alvh.market.calibration import (
    ButterflyCheck,
    CalendarCheck,
    SviParams,
    arbitrage,
    butterfly_g,
    butterfly_violations,
    calendar_violations,
    fit_svi,
    repair_butterfly,
    repair_calendar,
)
from tests.reference import svi_reference as ref

# Axel Vogt's slice, T = 1 (Gatheral & Jacquier 2014, §3): butterfly arbitrage near k = 1
VOGT = SviParams(a=-0.0410, b=0.1331, rho=0.3060, m=0.3586, sigma=0.4153)
GRID = np.linspace(-1.5, 1.5, 301)
K = np.linspace(-1.5, 1.5, 61)
EARLIER = SviParams(a=0.02, b=0.1, rho=-0.5, m=0.0, sigma=0.1)  # half a year
LATER = SviParams(a=0.025, b=0.08, rho=-0.3, m=0.05, sigma=0.15)  # below EARLIER in the left wing


def rmse_vol(params: SviParams, k: np.ndarray, w: np.ndarray, years: float) -> float:
    return float(np.sqrt(np.mean((np.sqrt(params.total_variance(k) / years) - np.sqrt(w / years)) ** 2)))


def test_vogt_is_flagged_where_g_is_negative() -> None:
    check = butterfly_violations(VOGT, GRID)
    g = np.array([ref.butterfly_g((VOGT.a, VOGT.b, VOGT.rho, VOGT.m, VOGT.sigma), k) for k in GRID])
    assert check.count == int((g < 0).sum()) > 0
    assert check.points == GRID.size
    assert check.share == pytest.approx(check.count / GRID.size)
    assert check.worst_g == pytest.approx(g.min(), rel=1e-9)
    assert check.worst_k == GRID[np.argmin(g)]
    assert (check.k_low, check.k_high) == (GRID[g < 0].min(), GRID[g < 0].max())
    assert 0.6 < check.k_low < check.k_high < 1.3
    assert not check.ok


def test_a_clean_smile_passes() -> None:
    check = butterfly_violations(EARLIER, GRID)
    assert check.ok and check.count == 0 and check.worst_g > 0
    assert np.isnan(check.k_low) and np.isnan(check.k_high)


def test_vogt_is_repaired_close_to_its_data() -> None:
    w = VOGT.total_variance(K)
    repair = repair_butterfly(VOGT, K, w, np.ones_like(K), k_grid=GRID)
    assert repair.ok
    assert repair.butterfly_before == butterfly_violations(VOGT, GRID)
    assert repair.butterfly_after == butterfly_violations(repair.params, GRID)
    assert (butterfly_g(repair.params, GRID) >= 0).all()
    assert repair.params.minimum_variance >= 0
    assert rmse_vol(repair.params, K, w, 1.0) < 0.01  # within one vol point of the arbitrageable fit
    assert repair.calendar_before is None and repair.calendar_after is None


def test_the_repair_is_the_closest_arbitrage_free_fit_it_finds() -> None:
    # A crude repair (raising a until g >= 0) is much further from the data.
    w = VOGT.total_variance(K)
    repaired = repair_butterfly(VOGT, K, w, np.ones_like(K), k_grid=GRID).params
    raised = VOGT
    while not butterfly_violations(raised, GRID).ok:
        raised = SviParams(raised.a + 0.001, raised.b, raised.rho, raised.m, raised.sigma)
    assert rmse_vol(repaired, K, w, 1.0) < 0.5 * rmse_vol(raised, K, w, 1.0)


def test_an_injected_butterfly_in_fitted_data_is_repaired() -> None:
    # Data from Vogt's slice with noise: the fit inherits the arbitrage, the repair removes it.
    rng = np.random.default_rng(2)
    w = VOGT.total_variance(K) * rng.uniform(0.99, 1.01, K.size)
    fitted = fit_svi(K, w, np.ones_like(K))
    assert not butterfly_violations(fitted, GRID).ok
    repair = repair_butterfly(fitted, K, w, np.ones_like(K), k_grid=GRID)
    assert repair.ok and repair.butterfly_after.worst_g >= 0


def test_nothing_to_repair_returns_the_same_smile() -> None:
    w = EARLIER.total_variance(K)
    repair = repair_butterfly(EARLIER, K, w, np.ones_like(K), k_grid=GRID)
    assert repair.params is EARLIER
    assert repair.butterfly_before == repair.butterfly_after and repair.ok


def test_a_refit_that_fails_is_reported_and_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    worse = SviParams(a=-0.0410, b=0.1331, rho=0.3060, m=0.3586, sigma=0.2)  # more arbitrage than VOGT
    assert butterfly_violations(worse, GRID).count > butterfly_violations(VOGT, GRID).count
    monkeypatch.setattr(arbitrage, "_refit", lambda *args, **kwargs: worse)
    repair = repair_butterfly(VOGT, K, VOGT.total_variance(K), np.ones_like(K), k_grid=GRID)
    assert repair.params is VOGT
    assert not repair.ok
    assert repair.butterfly_after == repair.butterfly_before == butterfly_violations(VOGT, GRID)


def test_a_calendar_crossing_is_flagged() -> None:
    checks = calendar_violations([(0.5, EARLIER), (0.6, LATER), (1.0, SviParams(0.05, 0.1, -0.3, 0.0, 0.2))], GRID)
    assert len(checks) == 2
    first, second = checks
    drop = EARLIER.total_variance(GRID) - LATER.total_variance(GRID)
    assert first == CalendarCheck(
        count=int((drop > 0).sum()), points=GRID.size, worst_drop=float(drop.max()), worst_k=GRID[np.argmax(drop)]
    )
    assert first.count > 0 and not first.ok and first.share == pytest.approx(first.count / GRID.size)
    assert second.ok and second.worst_drop == 0 and np.isnan(second.worst_k)


def test_fewer_than_two_slices_have_no_pairs() -> None:
    assert calendar_violations([(0.5, EARLIER)], GRID) == ()
    assert calendar_violations([], GRID) == ()


def test_a_calendar_crossing_is_repaired() -> None:
    k = np.linspace(-0.6, 0.6, 50)
    grid = np.linspace(-0.6, 0.6, 121)
    w = LATER.total_variance(k)
    repair = repair_calendar(EARLIER, LATER, k, w, np.ones_like(k), k_grid=grid)
    assert repair.calendar_before is not None and not repair.calendar_before.ok
    assert repair.ok
    assert repair.calendar_after == calendar_violations([(0.5, EARLIER), (0.6, repair.params)], grid)[0]
    assert (repair.params.total_variance(grid) >= EARLIER.total_variance(grid)).all()
    assert repair.butterfly_after.ok and (butterfly_g(repair.params, grid) >= 0).all()
    # the data itself lies below the earlier slice on the left: the repair departs from it only there
    right = k > 0.2
    assert np.abs(repair.params.total_variance(k[right]) - w[right]).max() < 0.1 * w[right].min()


def test_a_calendar_repair_with_nothing_to_do_keeps_the_slice() -> None:
    later = SviParams(a=0.05, b=0.1, rho=-0.5, m=0.0, sigma=0.1)
    repair = repair_calendar(EARLIER, later, K, later.total_variance(K), np.ones_like(K), k_grid=GRID)
    assert repair.params is later and repair.ok
    assert repair.calendar_before == repair.calendar_after
    assert isinstance(repair.butterfly_after, ButterflyCheck)


def test_a_calendar_refit_that_fails_is_reported_and_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arbitrage, "_refit", lambda *args, **kwargs: SviParams(0.0, 0.08, -0.3, 0.05, 0.15))
    repair = repair_calendar(EARLIER, LATER, K, LATER.total_variance(K), np.ones_like(K), k_grid=GRID)
    assert repair.params is LATER and not repair.ok
    assert (
        repair.calendar_after == repair.calendar_before == calendar_violations([(0.5, EARLIER), (0.6, LATER)], GRID)[0]
    )


def test_slices_out_of_time_order_are_refused() -> None:
    with pytest.raises(InputError) as raised:
        calendar_violations([(0.5, EARLIER), (0.5, LATER)], GRID)
    assert str(raised.value) == (
        "slices[1]: time 0.5 is not allowed: slices must be in increasing time (slices[0] has 0.5)"
    )


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (np.zeros((2, 2)), "k_grid must be a non-empty 1-D array of log-moneyness, got shape (2, 2)"),
        (np.array([]), "k_grid must be a non-empty 1-D array of log-moneyness, got shape (0,)"),
        (np.array([0.0, np.inf]), "k_grid[1] = inf is not allowed: must be finite"),
    ],
)
def test_bad_grids_are_refused(grid: np.ndarray, message: str) -> None:
    with pytest.raises(InputError) as raised:
        butterfly_violations(VOGT, grid)
    assert str(raised.value) == message


def test_repair_names_itself_in_errors() -> None:
    with pytest.raises(InputError) as raised:
        repair_butterfly(VOGT, K, VOGT.total_variance(K), np.ones(3), k_grid=GRID)
    assert str(raised.value) == (
        "repair_butterfly: k, total_variance and weights must have the same length, "
        "got k 61, total_variance 61, weights 3"
    )


def test_a_repair_adds_the_grid_points_that_still_violate(monkeypatch: pytest.MonkeyPatch) -> None:
    # Constraining only the grid's two ends first leaves violations in between: later rounds add them.
    monkeypatch.setattr(arbitrage, "_STRIDE", GRID.size)
    repair = repair_butterfly(VOGT, K, VOGT.total_variance(K), np.ones_like(K), k_grid=GRID)
    assert repair.ok and (butterfly_g(repair.params, GRID) >= 0).all()


def test_what_the_rounds_cannot_repair_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # One round on the two ends only: the refit improves but is not free of arbitrage, and says so.
    monkeypatch.setattr(arbitrage, "_STRIDE", GRID.size)
    monkeypatch.setattr(arbitrage, "_ROUNDS", 1)
    repair = repair_butterfly(VOGT, K, VOGT.total_variance(K), np.ones_like(K), k_grid=GRID)
    assert not repair.ok
    assert repair.butterfly_after == butterfly_violations(repair.params, GRID)
    assert repair.butterfly_after.count > 0


def test_negative_variance_counts_as_butterfly_arbitrage() -> None:
    negative = SviParams(a=-0.05, b=0.1, rho=0.0, m=0.0, sigma=0.1)  # w < 0 for |k| < 0.47
    grid = np.array([-3.0, -0.2, 0.0, 0.2, 3.0])
    check = butterfly_violations(negative, grid)
    assert (butterfly_g(negative, grid)[1:4] > 0).all()  # g alone would not see it
    assert (check.count, check.k_low, check.k_high) == (3, -0.2, 0.2)
    zero = SviParams(a=-0.25, b=0.5, rho=0.0, m=0.0, sigma=0.5)  # w(0) = 0 exactly
    assert butterfly_violations(zero, np.array([0.0])).count == 1
