"""The market's smiles and forwards per (expiry, settlement), each smile at its own settlement
time, and the VIX futures' vol-of-vol smile read through Market.vix_option_vol (by the legs'
valuation and the builders alike)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from alvh import price
from alvh.book import Leg
from alvh.book.builders import vix_call_spread
from alvh.data import example_market
from alvh.exceptions import InputError
from alvh.market.expiries import Settlement
from alvh.market.smiles import VIX_K_RANGE, SviSmile, VixSmile
from alvh.market.snapshot import Market
from alvh.risk.valuation import value_legs

BASE = example_market()
MONTHLY = dt.date(2026, 12, 18)
AM = SviSmile(expiry=MONTHLY, a=0.001, b=0.05, rho=-0.6, m=-0.05, sigma=0.2, settlement=Settlement.AM)


def _with(**spx: Any) -> Market:
    data = BASE.model_dump()
    data["spx"].update(spx)
    return Market.model_validate(data)


def test_an_am_and_a_pm_smile_of_one_day_each_hold_at_their_own_time() -> None:
    market = _with(smiles=[*BASE.model_dump()["spx"]["smiles"], AM.model_dump()])
    pm = next(s for s in market.spx.smiles if s.expiry == MONTHLY and s.settlement is Settlement.PM)
    for smile in (AM, pm):
        years = market.years_to(MONTHLY, smile.settlement)
        k = np.array([-0.2, 0.0, 0.1])
        expected = np.sqrt(smile.total_variance(k, years) / years)
        np.testing.assert_allclose(market.smile_vol(k, years), expected, rtol=1e-12)
    codes, params = market.smile_table
    assert len(codes) == 8 and params[3][0] == AM.a  # sorted by time: the AM smile before the PM one


def test_a_smile_is_unique_per_expiry_and_settlement() -> None:
    smiles = [*BASE.model_dump()["spx"]["smiles"], AM.model_dump(), AM.model_dump()]
    with pytest.raises(ValidationError, match=r"smiles: expiry 2026-12-18 \(am settlement\) appears more than once"):
        _with(smiles=smiles)


def test_an_am_smile_settles_at_the_open() -> None:
    data = BASE.model_dump()
    data["as_of"] = dt.datetime(2026, 12, 18, 12, 0)
    data["spx"]["smiles"] = [s for s in data["spx"]["smiles"] if s["expiry"] >= MONTHLY]
    data["vix"]["futures"] = [f for f in data["vix"]["futures"] if f["expiry"] >= MONTHLY]
    Market.model_validate(data)  # the PM smile of that day still has four hours
    data["spx"]["smiles"].append(AM.model_dump())
    with pytest.raises(ValidationError, match=r"spx\.smiles\[4\]\.expiry = 2026-12-18 has settled \(09:30\) by as_of"):
        Market.model_validate(data)


def test_settlement_is_read_from_text_and_checked() -> None:
    smile = {**AM.model_dump(), "settlement": "am"}
    assert SviSmile.model_validate(smile).settlement is Settlement.AM
    with pytest.raises(ValidationError, match="Input should be 'am' or 'pm'"):
        SviSmile.model_validate({**smile, "settlement": "noon"})


def test_forwards_per_settlement_with_the_same_day_as_fallback() -> None:
    market = _with(forwards=[{"expiry": MONTHLY, "forward": 5930.0, "settlement": "pm"}])
    for settlement in Settlement:
        years = market.years_to(MONTHLY, settlement)
        assert market.forward(MONTHLY, years, settlement) == pytest.approx(5930.0, rel=1e-12)
    both = _with(
        forwards=[
            {"expiry": MONTHLY, "forward": 5930.0, "settlement": "pm"},
            {"expiry": MONTHLY, "forward": 5925.0, "settlement": "am"},
        ]
    )
    years = both.years_to(MONTHLY, Settlement.AM)
    assert both.forward(MONTHLY, years, Settlement.AM) == pytest.approx(5925.0, rel=1e-12)
    assert both.forward(MONTHLY, years) == pytest.approx(5930.0, rel=1e-12)  # PM by default


# --- VIX vol-of-vol smile -----------------------------------------------------------------------

EXPIRY = dt.date(2027, 1, 20)


def _vix_market(smile: VixSmile | None, option_vol: float | None = 0.86) -> Market:
    futures = [
        f.model_copy(update={"smile": smile, "option_vol": option_vol}) if f.expiry == EXPIRY else f
        for f in BASE.vix.futures
    ]
    return BASE.model_copy(update={"vix": BASE.vix.model_copy(update={"futures": futures})})


@given(st.floats(-0.5, 0.5), st.floats(0.0, 1.0), st.floats(5.0, 80.0))
def test_the_vix_option_vol_follows_the_smile_on_the_future(skew: float, curvature: float, strike: float) -> None:
    market = _vix_market(VixSmile(skew=skew, curvature=curvature))
    k = float(np.clip(np.log(strike / 18.20), -VIX_K_RANGE, VIX_K_RANGE))  # 18.20: that expiry's future
    vol = market.vix_option_vol(EXPIRY, strike)
    assert vol == pytest.approx(0.86 + skew * k + curvature * k * k, rel=1e-12)


def test_without_a_smile_the_vix_option_vol_is_flat_and_without_a_vol_an_error() -> None:
    np.testing.assert_array_equal(_vix_market(None).vix_option_vol(EXPIRY, [10.0, 30.0]), [0.86, 0.86])
    with pytest.raises(InputError, match=r"^the market has no VIX option vol for expiry 2027-01-20"):
        _vix_market(None, None).vix_option_vol(EXPIRY, 20.0)


def test_a_vix_smile_needs_its_option_vol_and_positive_vols() -> None:
    future = {"expiry": EXPIRY, "price": 18.2}
    with pytest.raises(ValidationError, match="smile needs option_vol"):
        BASE.vix.futures[0].model_validate({**future, "smile": {"skew": 0.1, "curvature": 0.0}})
    with pytest.raises(ValidationError, match=r"smile gives vol -0\.252 <= 0 at log-moneyness k = -1\.2"):
        BASE.vix.futures[0].model_validate({**future, "option_vol": 0.9, "smile": {"skew": 1.2, "curvature": 0.2}})


def test_vix_option_legs_and_builders_read_the_smile() -> None:
    smile = VixSmile(skew=0.5, curvature=0.4)
    market = _vix_market(smile)
    value = value_legs([[Leg("VIX", EXPIRY, 1, 25.0, "call")]], market)["market_value"].iloc[0]
    years = market.years_to(EXPIRY, Settlement.AM)
    vol = 0.86 + 0.5 * np.log(25 / 18.2) + 0.4 * np.log(25 / 18.2) ** 2
    expected = price(
        model="black76", underlying=18.2, strike=25.0, time_to_expiry=years, vol=vol, rate=0.043, is_call=True
    )
    assert value == pytest.approx(100 * expected, rel=1e-9)
    flat, smiled = (
        vix_call_spread(_vix_market(None), EXPIRY, long_delta=0.2),
        vix_call_spread(market, EXPIRY, long_delta=0.2),
    )
    assert smiled[0].strike != flat[0].strike  # the call wing is dearer on the smile: the 0.2-delta strike moves
