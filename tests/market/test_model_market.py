"""The model market built from one day's SPX and VIX closes: VIX is the 30-day variance swap of the
SPX surface (checked with alvh's own replication), the smile has the equity skew and scales with
the vol level, VIX futures follow the term-structure beta toward the anchor, VIX option vol rises
with VIX, and the listed expiries follow the exchange rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from alvh.book.builders import strike_for_delta
from alvh.exceptions import InputError
from alvh.market.expiries import Settlement, vix_expiry
from alvh.market.model import ModelParams, market_from_closes, variance_swap_vol, vix_anchor
from alvh.risk.kernel_inputs import variance_swap_strike

DAY = dt.date(2015, 8, 24)
PARAMS = ModelParams()


def test_vix_is_the_30_day_variance_swap() -> None:
    for vix in (9.5, 15.0, 40.74, 80.0):
        assert variance_swap_vol(vix, 30 / 365, anchor=17.0, params=PARAMS) == pytest.approx(vix / 100, rel=1e-12)


@pytest.mark.parametrize("vix", [10.0, 16.0, 40.74])
def test_surface_reproduces_the_variance_term_structure(vix: float) -> None:
    """alvh's own static replication of the smiles of the listed expiries up to 30 days gives the
    model variance-swap vol, within 0.25 vol point (the replication integrates |ln K/F| <= 0.6
    only, which leaves out some of the wings' variance at VIX 40)."""
    market = market_from_closes(DAY, 1893.21, vix, anchor=17.0)
    for smile in market.spx.smiles[:4]:
        years = market.years_to(smile.expiry, Settlement.PM)
        replicated = variance_swap_strike(market, smile.expiry, years)
        model = float(variance_swap_vol(vix, years, anchor=17.0, params=PARAMS))
        assert replicated == pytest.approx(model, abs=2.5e-3 if vix > 30 else 5e-4)


def test_term_structure_reverts_to_the_anchor() -> None:
    years = np.array([7, 30, 90, 365]) / 365
    calm = variance_swap_vol(10.0, years, anchor=15.0, params=PARAMS)
    stressed = variance_swap_vol(40.0, years, anchor=18.0, params=PARAMS)
    assert np.all(np.diff(calm) > 0)  # contango below the anchor
    assert np.all(np.diff(stressed) < 0)  # backwardation above it
    assert stressed[-1] > 0.18 > calm[-1] > 0.10


def test_smile_has_the_equity_skew_scaled_by_level() -> None:
    premiums = []
    for vix in (12.0, 30.0):
        market = market_from_closes(DAY, 2000.0, vix, anchor=17.0)
        expiry = market.spx.smiles[3].expiry
        years = market.years_to(expiry, Settlement.PM)
        put = strike_for_delta(market, expiry, "put", 0.25)
        call = strike_for_delta(market, expiry, "call", 0.25)
        atm = market.atm_vol(years)
        put_vol, call_vol = (float(market.spx_vol([k], expiry, years)[0]) for k in (put, call))
        assert put_vol > atm > call_vol
        premiums.append((put_vol - atm) / atm)
    assert premiums[1] == pytest.approx(premiums[0], rel=0.15)  # the put premium scales with the level


def test_vix_futures_follow_the_term_beta() -> None:
    market = market_from_closes(DAY, 1893.21, 40.74, anchor=17.0)
    for future in market.vix.futures:
        tenor = market.years_to(future.expiry, Settlement.AM)
        expected = 17.0 + float(market.link.term_beta(tenor)) * (40.74 - 17.0)
        assert future.price == pytest.approx(expected, rel=1e-12)
    prices = [f.price for f in market.vix.futures]
    assert np.all(np.diff(prices) < 0) and 17.0 < prices[-1] < prices[0] < 40.74
    calm = market_from_closes(DAY, 2000.0, 11.0, anchor=14.0)
    assert np.all(np.diff([f.price for f in calm.vix.futures]) > 0)  # contango


def test_quoted_futures_replace_the_model() -> None:
    market = market_from_closes(DAY, 1893.21, 40.74, anchor=17.0, vix_futures=[28.5, 24.9])
    assert [f.price for f in market.vix.futures[:2]] == [28.5, 24.9]
    model = market_from_closes(DAY, 1893.21, 40.74, anchor=17.0)
    assert market.vix.futures[2].price == model.vix.futures[2].price
    with pytest.raises(InputError, match="vix_futures"):
        market_from_closes(DAY, 1893.21, 40.74, vix_futures=[28.5, -1.0])
    with pytest.raises(InputError, match="only 6 VIX expiries"):
        market_from_closes(DAY, 1893.21, 40.74, vix_futures=[20.0] * 7)


def test_vix_option_vol_rises_with_vix_and_falls_with_tenor() -> None:
    low = market_from_closes(DAY, 2000.0, 12.0, anchor=15.0)
    high = market_from_closes(DAY, 2000.0, 40.0, anchor=15.0)
    low_vols = [f.option_vol for f in low.vix.futures]
    high_vols = [f.option_vol for f in high.vix.futures]
    assert all(h > v for h, v in zip(high_vols, low_vols, strict=True))
    assert np.all(np.diff(low_vols) < 0)
    assert high.link.vvol_beta == PARAMS.link.vvol_beta  # scenarios move it the same way


def test_listed_expiries() -> None:
    market = market_from_closes(DAY, 1893.21, 40.74)
    smiles = [s.expiry for s in market.spx.smiles]
    assert all(e.weekday() == 4 and DAY < e <= DAY + dt.timedelta(days=PARAMS.spx_expiry_days) for e in smiles)
    assert smiles[0] == dt.date(2015, 8, 28) and np.all(np.diff([e.toordinal() for e in smiles]) == 7)
    futures = [f.expiry for f in market.vix.futures]
    assert futures[0] == vix_expiry(2015, 9) == dt.date(2015, 9, 16)
    assert len(futures) == PARAMS.vix_expiries and all(e.weekday() == 2 for e in futures)
    on_expiry = market_from_closes(dt.date(2015, 9, 16), 1995.31, 21.14)
    assert on_expiry.vix.futures[0].expiry == dt.date(2015, 10, 21)  # the expiring contract has settled
    friday = market_from_closes(dt.date(2015, 8, 28), 1988.87, 26.05)
    assert friday.spx.smiles[0].expiry == dt.date(2015, 9, 4)
    assert market.as_of == dt.datetime(2015, 8, 24, 16, 0)


def test_extreme_levels_build_valid_markets() -> None:
    for vix, anchor in ((9.14, 14.0), (80.0, 20.0), (5.0, 30.0)):
        market = market_from_closes(DAY, 2000.0, vix, anchor=anchor)
        years = market.years_to(market.spx.smiles[0].expiry, Settlement.PM)
        assert 0 < market.atm_vol(years) < 2


def test_params_are_validated() -> None:
    with pytest.raises(ValidationError, match="butterfly arbitrage"):
        ModelParams(skew_eta=1.5, skew_rho=-0.7)
    with pytest.raises(ValidationError, match="extra"):
        ModelParams(skew=1.0)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="vvol_min <= vvol_max"):
        ModelParams(vvol_min=2.0, vvol_max=1.0)
    with pytest.raises(InputError, match="vix = -1"):
        market_from_closes(DAY, 2000.0, -1.0)


def test_anchor_is_causal() -> None:
    vix = pd.Series([15.0, 16.0, 30.0, 25.0, 20.0, 18.0], index=pd.date_range("2015-08-17", periods=6, freq="B"))
    full = vix_anchor(vix)
    altered = vix.copy()
    altered.iloc[4:] = 90.0
    assert full.iloc[:4].equals(vix_anchor(altered).iloc[:4])
    assert full.iloc[0] == 15.0 + PARAMS.anchor_premium
