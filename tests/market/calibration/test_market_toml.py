"""calibrate_market builds a valid Market that reproduces the parity forwards; market_toml writes
TOML that load_market reads back to an equal Market."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.data import example_market
from alvh.exceptions import ConfigError, InputError
from alvh.market.calibration import calibrate_market, market_toml
from alvh.market.expiries import Settlement
from alvh.market.smiles import VixSmile
from alvh.market.snapshot import load_market
from tests.market.calibration import synthetic_chain as sc


@pytest.fixture(scope="module")
def calibration():  # type: ignore[no-untyped-def]
    return calibrate_market(sc.spx_chain(14, 60), vix_chain=sc.vix_chain(), vix_futures=sc.vix_futures())


def test_the_market_reproduces_the_parity_forwards(calibration) -> None:  # type: ignore[no-untyped-def]
    market = calibration.market
    assert market.as_of == sc.AS_OF and market.spx.spot == sc.SPOT and market.vix.spot == sc.VIX_SPOT
    for row in calibration.report.itertuples():
        settlement = Settlement(row.settlement)
        years = market.years_to(row.expiry, settlement)
        assert market.forward(row.expiry, years, settlement) == pytest.approx(row.forward, rel=1e-12)
    long = calibration.report[calibration.report["years"] >= 30 / 365]
    assert market.spx.rate == float(np.median(long["rate"]))
    assert market.spx.rate == pytest.approx(sc.RATE, abs=0.005)
    assert market.spx.div_yield == pytest.approx(sc.DIV_YIELD, abs=0.005)


def test_the_market_prices_each_used_quote_at_its_fitted_vol(calibration) -> None:  # type: ignore[no-untyped-def]
    market = calibration.market
    points = calibration.points[calibration.points["used"]]
    for (expiry, settlement), group in points.groupby(["expiry", "settlement"]):
        day, settle = expiry.date(), Settlement(settlement)
        vol = market.spx_vol(group["strike"].to_numpy(), day, market.years_to(day, settle), settle)
        np.testing.assert_allclose(vol, group["fitted_iv"], rtol=1e-9)


def test_the_calibrated_market_round_trips_through_toml(calibration, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "market.toml"
    path.write_text(market_toml(calibration.market))
    assert load_market(path) == calibration.market


def test_the_example_market_round_trips_through_toml(tmp_path: Path) -> None:
    market = example_market()
    path = tmp_path / "market.toml"
    path.write_text(market_toml(market))
    assert load_market(path) == market


@given(
    price=st.floats(5.0, 200.0),
    vol=st.floats(0.3, 2.0),
    skew=st.floats(-0.2, 0.2),
    curvature=st.floats(0.0, 1.0),
    rate=st.floats(-0.05, 0.25),
    settlement=st.sampled_from(Settlement),
)
def test_any_market_round_trips(
    price: float, vol: float, skew: float, curvature: float, rate: float, settlement: Settlement
) -> None:
    base = example_market()
    smile = VixSmile(skew=skew, curvature=curvature)
    futures = [f.model_copy(update={"price": price, "option_vol": vol, "smile": smile}) for f in base.vix.futures]
    smiles = [s.model_copy(update={"settlement": settlement}) for s in base.spx.smiles]
    market = base.model_copy(
        update={
            "spx": base.spx.model_copy(update={"rate": rate, "smiles": smiles}),
            "vix": base.vix.model_copy(update={"futures": futures}),
        }
    )
    with tempfile.TemporaryDirectory() as folder:  # hypothesis reuses one tmp_path across examples
        path = Path(folder) / "market.toml"
        path.write_text(market_toml(market))
        assert load_market(path) == market


def test_vix_data_is_required() -> None:
    chain = sc.spx_chain(2, 30)
    with pytest.raises(InputError, match=r"^vix_futures is required: a market needs the VIX futures curve"):
        calibrate_market(chain, vix_chain=sc.vix_chain())
    with pytest.raises(InputError, match=r"^vix_chain with the VIX index level \(underlying_last\) is required"):
        calibrate_market(chain, vix_futures=sc.vix_futures())
    no_level = dataclasses.replace(sc.vix_chain(), underlying_last=None)
    with pytest.raises(InputError, match=r"^vix_chain with the VIX index level"):
        calibrate_market(chain, vix_chain=no_level, vix_futures=sc.vix_futures())


def test_a_market_needs_a_calibrated_expiry_and_a_live_future() -> None:
    chain = sc.spx_chain(2, 30)
    no_pairs = dataclasses.replace(chain, quotes=chain.quotes[chain.quotes["right"] == "call"])
    with pytest.raises(
        InputError,
        match=r"^synthetic-spx\.csv: no expiry could be calibrated, so no market; 2026-\d\d-\d\d: fewer than",
    ):
        calibrate_market(no_pairs, vix_chain=sc.vix_chain(), vix_futures=sc.vix_futures())
    settled = sc.vix_futures().assign(expiry=pd.to_datetime(["2026-11-18", "2026-11-19"]))
    with pytest.raises(InputError, match=r"^no VIX future left after the quote time: a market needs at least one$"):
        calibrate_market(chain, vix_chain=sc.vix_chain(), vix_futures=settled)


def test_a_vix_chain_of_another_day_is_refused() -> None:
    chain = sc.spx_chain(2, 30)
    vix = sc.vix_chain()
    stale = dataclasses.replace(vix, quote_time=vix.quote_time - pd.Timedelta(days=7))
    with pytest.raises(InputError, match=r"quoted 2026-11-13 .*, not on the day of synthetic-spx\.csv \(2026-11-20"):
        calibrate_market(chain, vix_chain=stale, vix_futures=sc.vix_futures())


def test_calibrated_numbers_outside_the_bounds_are_refused() -> None:
    chain = sc.spx_chain(2, 30)
    cents = chain.quotes.assign(bid=chain.quotes["bid"] * 100, ask=chain.quotes["ask"] * 100)  # a unit slip
    # parity then gives D ≈ 100: an absurd negative rate, refused with its unit
    with pytest.raises(ConfigError, match=r"^synthetic-spx\.csv: spx\.rate = -\d+\.\d+: a decimal rate per year"):
        calibrate_market(
            dataclasses.replace(chain, quotes=cents), vix_chain=sc.vix_chain(), vix_futures=sc.vix_futures()
        )
