"""alvh._format: one way to write numbers for people — signed dollars with the unit after, shares
in percent, grid coordinates in their units, and never ``nan`` or ``-0``."""

from __future__ import annotations

import math

import pytest

from alvh._format import compact, count, days, dollars, number, scenario, share, signed, spot_shock, vol_points

NOT_NUMBERS = [math.nan, math.inf, -math.inf, None]


def test_dollars_are_signed_whole_amounts_with_the_unit_after() -> None:
    assert dollars(-45542.4) == "-45,542 $" and dollars(2381.2) == "+2,381 $"
    assert dollars(100832.0, sign=False) == "100,832 $"  # a limit: a size, not a gain


@pytest.mark.parametrize("value", [-0.3, -0.0, 0.0, 0.4])
def test_nothing_rounds_to_minus_zero(value: float) -> None:
    assert dollars(value) == "0 $" and signed(value) == "0" and number(value) == "0"
    assert signed(value / 10_000, 3) == "0.000" and share(value / 1000) == "0 %"


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_value_that_is_not_a_number_is_a_dash(value: float | None) -> None:
    assert {dollars(value), signed(value), number(value), share(value), compact(value)} == {"—"}


def test_shares_and_compact_amounts() -> None:
    assert share(0.3149) == "31 %" and share(-0.06) == "-6 %" and share(0.2274, 1) == "22.7 %"
    assert compact(2464.4) == "+2,464" and compact(-617_600.0) == "-617.6k" and compact(-1_190_000.0) == "-1.19M"
    assert compact(math.nan, sign=False) == "—" and compact(-0.2, sign=False) == "0"
    assert compact(-42_600.0, sign=False) == "-42.6k" and compact(1_250_000.0, sign=False) == "1.25M"


def test_grid_coordinates_in_their_units() -> None:
    assert spot_shock(0.025) == "+2.5 %" and spot_shock(-0.005) == "-0.5 %" and spot_shock(0.0) == "0 %"
    assert vol_points(-5.0) == "-5 vol pts" and days(1.0) == "1 day" and days(7.0) == "7 days"
    cell = {"pnl": -1.0, "spot_shock": 0.1, "vol_shift": -5.0, "horizon_days": 7.0}
    assert scenario(cell) == "spot +10 %, vol -5 vol pts, 7 days"
    assert scenario({**cell, "vix_level": 30.0}).endswith(", VIX 30")


def test_counts_take_whole_and_fractional_numbers() -> None:
    assert count(1, "leg") == "1 leg" and count(1200, "leg") == "1,200 legs"
    assert count(1.0, "condor unit") == "1 condor unit" and count(2.5, "condor unit") == "2.5 condor units"
