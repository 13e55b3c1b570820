"""SPX calibration round trips: a chain from a known arbitrage-free surface calibrates back (fitted
IVs inside the spreads, forwards and carry recovered, no arbitrage left); an injected butterfly
arbitrage is flagged and repaired; expiries that cannot be calibrated are reported."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alvh.exceptions import InputError
from alvh.market.calibration import calibrate_spx
from alvh.market.calibration.svi import SviParams, butterfly_g
from alvh.market.expiries import Settlement
from alvh.market.smiles import SviSmile
from tests.market.calibration import synthetic_chain as sc


@pytest.fixture(scope="module")
def fit():  # type: ignore[no-untyped-def]
    return calibrate_spx(sc.spx_chain(8, 60))


def test_the_known_surface_calibrates_back(fit) -> None:  # type: ignore[no-untyped-def]
    report = fit.report
    assert len(report) == 8 and list(report["root"]).count("SPX") == 1  # 7 SPXW Fridays, the SPX (AM) monthly
    assert (report["inside_band"] == 1.0).all(), report[["expiry", "root", "inside_band"]]
    assert (report["rmse_vol_points"] < 0.2).all()
    assert (report["butterfly_before"] == 0).all() and (report["butterfly_after"] == 0).all()
    assert (report["calendar_after"] == 0).all() and (report["note"] == "").all()  # no arbitrage left
    true_forward = sc.SPOT * np.exp((sc.RATE - sc.DIV_YIELD) * report["years"])
    assert np.abs(report["forward"] / true_forward - 1).max() < 1e-4
    assert (report["parity_pairs"] == 20).all()
    assert (report["parity_residual"] < 2.2).all()  # noise inside the spreads: at most a pair's combined spread
    long = report[report["years"] > 0.1]
    assert np.abs(long["rate"] - sc.RATE).max() < 0.01
    assert np.abs(long["div_yield"] - sc.DIV_YIELD).max() < 0.01
    used = fit.points[fit.points["used"]]
    assert ((used["fitted_iv"] >= used["bid_iv"].fillna(0)) & (used["fitted_iv"] <= used["ask_iv"])).all()


def test_settlements_and_times_follow_the_roots(fit) -> None:  # type: ignore[no-untyped-def]
    report = fit.report.set_index(["root", "expiry"])
    monthly = sc.dt.date(2026, 12, 18)
    assert report.loc[("SPX", monthly), "settlement"] == "am"
    assert report.loc[("SPXW", monthly), "settlement"] == "pm"
    assert report.loc[("SPXW", monthly), "years"] - report.loc[("SPX", monthly), "years"] == pytest.approx(
        6.5 / 24 / 365
    )
    smiles = {(s.expiry, s.settlement) for s in fit.smiles}
    assert (monthly, Settlement.AM) in smiles and (monthly, Settlement.PM) in smiles
    assert {(f.expiry, f.settlement) for f in fit.forwards} == smiles


def test_points_hold_every_quote_with_its_reason(fit) -> None:  # type: ignore[no-untyped-def]
    points = fit.points
    assert len(points) == len(sc.spx_chain(8, 60).quotes)
    assert list(points.columns[:11]) == [
        "expiry",
        "settlement",
        "strike",
        "right",
        "k",
        "mid_iv",
        "bid_iv",
        "ask_iv",
        "fitted_iv",
        "used",
        "reason",
    ]
    assert (points["used"] == (points["reason"] == "")).all()
    assert set(points.loc[points["used"], "iv_status"]) == {"ok"}
    otm = points[points["used"]]
    assert ((otm["right"] == "call") == (otm["k"] >= 0)).all()  # out-of-the-money side only


def _arbitrage_smile(expiry: sc.dt.date) -> SviSmile:
    # a sharp kink: large b, tiny σ — g(k) < 0 near m
    return SviSmile(expiry=expiry, a=0.0002, b=0.08, rho=-0.2, m=0.0, sigma=0.005)


def test_an_injected_butterfly_arbitrage_is_flagged_and_repaired() -> None:
    expiry = sc.spx_expiries(4)[3][1]
    smile = _arbitrage_smile(expiry)
    grid = np.linspace(-0.6, 0.6, 121)
    assert (butterfly_g(_as_params(smile), grid) < 0).any()  # the surface really has arbitrage
    fit = calibrate_spx(sc.spx_chain(4, 60, smiles={expiry: smile}))
    row = fit.report[fit.report["expiry"] == expiry].iloc[0]
    assert row["butterfly_before"] > 0
    assert row["butterfly_after"] == 0
    assert row["repaired"]


def _as_params(smile: SviSmile) -> SviParams:
    return SviParams(a=smile.a, b=smile.b, rho=smile.rho, m=smile.m, sigma=smile.sigma)


def test_an_expiry_without_pairs_is_reported_not_guessed() -> None:
    chain = sc.spx_chain(2, 40)
    quotes = chain.quotes
    last = quotes["expiry"] == quotes["expiry"].max()
    fit = calibrate_spx(dataclasses.replace(chain, quotes=quotes[~(last & (quotes["right"] == "put"))]))
    row = fit.report[fit.report["expiry"] == quotes["expiry"].max().date()].iloc[0]
    assert np.isnan(row["forward"]) and row["used"] == 0 and row["no_forward"] == row["quotes"]
    assert "no forward" in row["note"]
    assert len(fit.smiles) == 1


def test_an_expired_expiry_is_reported() -> None:
    chain = sc.spx_chain(2, 40)
    later = dataclasses.replace(chain, quote_time=sc.dt.datetime(2026, 11, 27, 16, 30))
    report = calibrate_spx(later).report
    row = report[report["expiry"] == sc.dt.date(2026, 11, 27)].iloc[0]
    assert row["expired"] == row["quotes"] and "settled (16:00)" in row["note"]


def test_an_unknown_root_or_a_missing_level_is_an_error() -> None:
    chain = sc.spx_chain(1, 20)
    chain.quotes.loc[0, "root"] = "NDX"
    with pytest.raises(
        InputError, match=r"^synthetic-spx\.csv: root = 'NDX' is not allowed in an SPX chain: use SPX, SPXW$"
    ):
        calibrate_spx(chain)
    no_level = dataclasses.replace(sc.spx_chain(1, 20), underlying_last=None)
    with pytest.raises(InputError, match=r"^synthetic-spx\.csv: underlying_last = None is not allowed: the SPX level"):
        calibrate_spx(no_level)


def test_an_injected_calendar_arbitrage_is_flagged_and_repaired() -> None:
    expiries = sc.spx_expiries(4)
    earlier, later = expiries[2][1], expiries[3][1]
    # the later expiry quoted with half the earlier one's total variance: w falls with time
    low = sc.true_smile(later, Settlement.PM, sc.years_to(earlier, Settlement.PM) / 2)
    fit = calibrate_spx(sc.spx_chain(4, 60, smiles={later: low}))
    row = fit.report[fit.report["expiry"] == later].iloc[0]
    assert row["calendar_before"] > 0
    assert row["calendar_after"] == 0 and row["butterfly_after"] == 0
    assert row["repaired"] and row["note"] == ""
    smiles = {s.expiry: s for s in fit.smiles}
    grid = np.linspace(-0.6, 0.6, 121)
    assert (_as_params(smiles[later]).total_variance(grid) >= _as_params(smiles[earlier]).total_variance(grid)).all()


def test_the_synthetic_chains_hold_plausible_quotes() -> None:
    for chain in (sc.spx_chain(8, 60), sc.vix_chain(extra_expiry=sc.dt.date(2027, 2, 17))):
        quotes = chain.quotes
        assert (quotes["bid"] >= 0).all() and (quotes["bid"] <= quotes["ask"]).all()
        assert not quotes.duplicated(["root", "expiry", "strike", "right"]).any()
