"""Each quote filter refuses what it should, for its own named reason, and counts it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from alvh.market.calibration import REASONS, QuoteFilters, calibrate_spx
from alvh.market.calibration.filters import quote_rejections, rejection_counts
from tests.market.calibration import synthetic_chain as sc


def _reasons(filters: QuoteFilters | None = None, **quote: float) -> str:
    q = {"bid": 1.0, "ask": 1.2, "volume": 10.0, "k": 0.0, "years": 0.25, "otm": True, **quote}
    return str(
        quote_rejections(
            filters or QuoteFilters(),
            bid=np.array([q["bid"]]),
            ask=np.array([q["ask"]]),
            volume=np.array([q["volume"]]),
            log_moneyness=np.array([q["k"]]),
            years=np.array([q["years"]]),
            out_of_the_money=np.array([bool(q["otm"])]),
            k_range=0.6,
        )[0]
    )


@pytest.mark.parametrize(
    ("quote", "reason"),
    [
        ({}, ""),
        ({"bid": np.nan}, "no bid"),
        ({"bid": 0.0}, "no bid"),
        ({"ask": np.nan}, "no ask"),
        ({"bid": 1.3}, "crossed"),
        ({"bid": 0.01, "ask": 0.05}, "below minimum price"),
        ({"bid": 2.0, "ask": 4.0}, "too wide"),
        ({"bid": 0.2, "ask": 0.5}, ""),  # wide, but only by ticks: a tiny price is kept
        ({"volume": 0.0, "k": 0.35}, "zero-volume wing"),  # |k|/√T = 0.7 > 0.6
        ({"volume": np.nan, "k": 0.35}, ""),  # unknown volume is not zero volume
        ({"volume": 0.0, "k": 0.25}, ""),  # 0.5: not far enough out
        ({"k": 0.65}, "beyond the smile range"),
        ({"k": -0.65, "otm": False}, "beyond the smile range"),
        ({"otm": False}, "in the money"),
    ],
)
def test_each_filter_names_its_reason(quote: dict[str, float], reason: str) -> None:
    assert _reasons(**quote) == reason


def test_the_limits_are_configurable() -> None:
    assert _reasons(QuoteFilters(max_relative_spread=1.0), bid=2.0, ask=4.0) == ""
    assert _reasons(QuoteFilters(min_price=2.0)) == "below minimum price"
    assert _reasons(QuoteFilters(wing_moneyness=0.3), volume=0.0, k=0.25) == "zero-volume wing"


def test_filters_refuse_unknown_settings() -> None:
    with pytest.raises(ValidationError, match="max_spread"):
        QuoteFilters(max_spread=0.2)  # type: ignore[call-arg]


def test_counts_cover_every_reason() -> None:
    counts = rejection_counts(pd.Series(["no bid", "no bid", "", "crossed"]))
    assert len(counts) == len(REASONS)
    assert counts["no_bid"] == 2 and counts["crossed"] == 1 and counts["zero_volume_wing"] == 0


def test_a_chain_counts_each_refusal_per_expiry() -> None:
    chain = sc.spx_chain(2, 40)
    quotes = chain.quotes
    first = quotes["expiry"] == quotes["expiry"].min()
    otm_call = first & (quotes["right"] == "call") & (quotes["strike"] > 5950)
    rows = quotes.index[otm_call][:4]
    quotes.loc[rows[0], "bid"] = np.nan  # no bid
    quotes.loc[rows[1], "bid"] = quotes.loc[rows[1], "ask"] + 1.0  # crossed
    quotes.loc[rows[2], ["bid", "ask"]] = [2.0, 9.0]  # too wide
    quotes.loc[rows[3], "ask"] = np.nan  # no ask
    report = calibrate_spx(chain).report
    row = report[report["expiry"] == quotes["expiry"].min().date()].iloc[0]
    base = calibrate_spx(sc.spx_chain(2, 40)).report
    base_row = base[base["expiry"] == quotes["expiry"].min().date()].iloc[0]
    assert row["crossed"] == base_row["crossed"] + 1
    assert row["too_wide"] == base_row["too_wide"] + 1
    assert row["no_ask"] == base_row["no_ask"] + 1
    assert row["no_bid"] == base_row["no_bid"] + 1
    assert row["used"] == base_row["used"] - 4
    assert row["quotes"] == row["used"] + row["rejected"]
    assert row["rejected"] == sum(row[r.replace(" ", "_").replace("-", "_")] for r in REASONS)


def test_an_unsolvable_mid_is_refused_with_its_status() -> None:
    chain = sc.spx_chain(2, 40)
    quotes = chain.quotes
    first = quotes["expiry"] == quotes["expiry"].min()
    row = quotes.index[first & (quotes["right"] == "put") & (quotes["strike"] < 5800)][-1]
    quotes.loc[row, ["bid", "ask"]] = [6000.0, 6001.0]  # above the strike: no vol reaches it
    point = calibrate_spx(chain).points.loc[row]
    assert point["reason"] == "no implied vol" and point["iv_status"] == "above_maximum"
    assert not point["used"] and np.isnan(point["mid_iv"])


def test_an_expiry_with_too_few_quotes_gets_no_smile() -> None:
    chain = sc.spx_chain(2, 40)
    quotes = chain.quotes
    last = quotes["expiry"] == quotes["expiry"].max()
    strikes = np.sort(quotes.loc[last, "strike"].unique())
    central = strikes[np.argsort(np.abs(strikes - 5905.0))[:6]]  # six pairs: enough for parity
    quotes.loc[last & ~quotes["strike"].isin(central), "bid"] = np.nan
    fit = calibrate_spx(chain)
    row = fit.report[fit.report["expiry"] == quotes["expiry"].max().date()].iloc[0]
    assert row["parity_pairs"] == 6
    assert row["used"] == 0 and row["too_few_quotes"] == 6  # one out-of-the-money quote per strike
    assert row["note"] == "6 usable quotes, fewer than 8: no smile"
    assert [s.expiry for s in fit.smiles] == [quotes["expiry"].min().date()]
