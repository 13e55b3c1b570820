"""VIX calibration: options priced on the future of their own expiry (never spot VIX), the known
vol-of-vol smile recovered, an option expiry without a future refused and reported."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alvh.exceptions import InputError
from alvh.market.calibration import calibrate_vix
from alvh.market.calibration.vix import futures_curve
from tests.market.calibration import synthetic_chain as sc


def test_the_known_smile_is_recovered_on_each_future() -> None:
    fit = calibrate_vix(sc.vix_futures(), sc.vix_chain(), as_of=sc.AS_OF, rate=sc.RATE)
    level, skew, curvature = sc.VIX_SMILE
    assert [f.expiry for f in fit.futures] == list(sc.VIX_FUTURES)
    for future in fit.futures:
        assert future.price == sc.VIX_FUTURES[future.expiry]
        # priced on spot VIX (15 against futures 19 and 20.5) the at-the-money vol would be far off
        assert future.option_vol == pytest.approx(level, abs=0.01)
        assert future.smile is not None
        assert future.smile.skew == pytest.approx(skew, abs=0.05)
        assert future.smile.curvature == pytest.approx(curvature, abs=0.1)
    assert (fit.report["inside_band"] == 1.0).all()
    assert (fit.points.loc[fit.points["used"], "future"] != sc.VIX_SPOT).all()


def test_an_option_expiry_without_its_future_is_refused() -> None:
    orphan = sc.dt.date(2027, 2, 17)
    fit = calibrate_vix(sc.vix_futures(), sc.vix_chain(extra_expiry=orphan), as_of=sc.AS_OF, rate=sc.RATE)
    row = fit.report[fit.report["expiry"] == orphan].iloc[0]
    assert row["used"] == 0 and row["no_forward"] == row["quotes"] > 0
    assert "never on spot VIX" in row["note"]
    assert orphan not in [f.expiry for f in fit.futures]


def test_futures_only_give_a_curve_without_option_vols() -> None:
    fit = calibrate_vix(sc.vix_futures(), None, as_of=sc.AS_OF, rate=sc.RATE)
    assert [f.option_vol for f in fit.futures] == [None, None]
    assert fit.points.empty


def test_the_curve_prefers_vx_and_leaves_out_settled_futures() -> None:
    futures = pd.DataFrame(
        {
            "expiry": pd.to_datetime(["2026-11-18", "2026-12-16", "2026-12-16"]),
            "price": [16.0, 19.1, 19.0],
            "root": ["VX", "VXM", "VX"],
        }
    )
    prices, notes = futures_curve(futures, as_of=sc.AS_OF)
    assert prices == {sc.dt.date(2026, 12, 16): 19.0}
    assert notes[sc.dt.date(2026, 11, 18)] == "future settled by the quote time: left out"
    assert notes[sc.dt.date(2026, 12, 16)] == "future VX 19 used (VXM 19.1 beside it)"


def test_a_flat_vol_with_few_quotes() -> None:
    chain = sc.vix_chain()
    near = chain.quotes[(chain.quotes["strike"].between(18, 19)) & (chain.quotes["expiry"] == "2026-12-16")]
    fit = calibrate_vix(sc.vix_futures(), dataclasses.replace(chain, quotes=near), as_of=sc.AS_OF, rate=sc.RATE)
    future = fit.futures[0]
    assert future.smile is None and future.option_vol == pytest.approx(sc.VIX_SMILE[0], abs=0.02)
    assert "flat option vol" in fit.report.iloc[0]["note"]
    assert np.isnan(fit.report.iloc[1]["option_vol"])


def test_a_foreign_root_is_an_error() -> None:
    chain = sc.vix_chain()
    chain.quotes.loc[0, "root"] = "SPX"
    with pytest.raises(
        InputError, match=r"^synthetic-vix\.csv: root = 'SPX' is not allowed in a VIX chain: use VIX, VIXW$"
    ):
        calibrate_vix(sc.vix_futures(), chain, as_of=sc.AS_OF, rate=sc.RATE)
